"""A fake boto3 client for unit tests: records every call, answers from handlers."""

# Operation-name prefixes that write (what a test counts as a write call).
WRITE_PREFIXES = ("submit", "cancel", "terminate", "put", "remove", "delete", "tag", "untag", "create", "update")


class FakeClient:
    """``FakeClient(describe_jobs=...)``: each handler is a callable (given the call's arguments), a list answered in
    order (its last answer then repeats) or a value; an answer that is an exception is raised. Every call must pass
    ``aws_retry=True``, as the collection's wrappers do."""

    def __init__(self, **handlers):
        self.handlers = handlers
        self.calls = []

    def __getattr__(self, name):
        if name not in self.handlers:
            raise AttributeError(name)

        def call(aws_retry=False, **kwargs):
            assert aws_retry is True, f"{name} called without aws_retry=True"
            self.calls.append((name, kwargs))
            handler = self.handlers[name]
            if callable(handler):
                answer = handler(**kwargs)
            elif isinstance(handler, list):
                answer = handler.pop(0) if len(handler) > 1 else handler[0]
            else:
                answer = handler
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call

    def names(self):
        return [name for name, _kwargs in self.calls]

    def count(self, name):
        return sum(1 for call, _kwargs in self.calls if call == name)

    def writes(self):
        return [name for name in self.names() if name.startswith(WRITE_PREFIXES)]
