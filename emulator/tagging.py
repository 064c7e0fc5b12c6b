"""The Resource Groups Tagging API (tag:GetResources) as AWS answers it for EventBridge rules and log groups.

moto 5.2.5 lists EventBridge event buses but not rules, and types log groups ``logs:loggroup`` where AWS
uses ``logs:log-group`` (so a ``logs:log-group`` resource type filter finds nothing).
"""


def install():
    from moto.core.resource_tagging import TaggedResource
    from moto.events.models import EventsBackend
    from moto.logs.models import LogsBackend

    if getattr(EventsBackend.iter_tagged_resources, "emulator", False):
        return

    def events_tagged_resources(self):
        for bus in self.event_buses.values():
            yield TaggedResource(
                arn=bus.arn, tags=self.tagger.get_tag_dict_for_resource(bus.arn), resource_type="events:event-bus"
            )
            for rule in bus.rules.values():
                yield TaggedResource(
                    arn=rule.arn, tags=self.tagger.get_tag_dict_for_resource(rule.arn), resource_type="events:rule"
                )

    def logs_tagged_resources(self):
        for group in self.groups.values():
            yield TaggedResource(
                arn=group.arn, tags=self.tagger.get_tag_dict_for_resource(group.arn), resource_type="logs:log-group"
            )

    events_tagged_resources.emulator = True
    EventsBackend.iter_tagged_resources = events_tagged_resources
    LogsBackend.iter_tagged_resources = logs_tagged_resources
