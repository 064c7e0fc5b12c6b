"""IAM eventual consistency (control ``iam_propagation_delay``, off by default).

IAM is eventually consistent: a role or instance profile just created, or a role just added to an instance
profile, is not yet visible to the services that assume it (IAM User Guide, "Changes that I make are not always
immediately visible"). The emulator stamps those three changes and, while ``iam_propagation_delay`` seconds have
not passed, answers as AWS does when the change has not reached the service yet (see emulator/README.md for
each answer and where it was observed). moto records none of this; IAM reads themselves are never delayed.
"""

import functools
import time
import uuid

from emulator import runtime

# What AWS answers while a just-created role or profile has not propagated (sources in emulator/README.md).
BATCH_SERVICE_ROLE = (
    "CLIENT_ERROR - User: batch.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: {arn} "
    "(Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: {request_id}; "
    "Proxy: null)"
)
BATCH_INSTANCE_PROFILE = "CLIENT_ERROR - Invalid IamInstanceProfile: {profile}"
BATCH_PROFILE_WITHOUT_ROLE = 'CLIENT_ERROR - IAM Instance Profile "{arn}" has no associated IAM Roles'
BATCH_SPOT_FLEET_ROLE = "CLIENT_ERROR - Parameter: SpotFleetRequestConfig.IamFleetRole is invalid."
ECS_TASK_ROLE = (
    "ECS was unable to assume the role '{arn}' that was provided for this task. Please verify that the role being "
    "passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this "
    "role."
)
SCHEDULER_ROLE = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."

CREATED = "_emulator_created"
ROLE_ADDED = "_emulator_role_added"


def _stamp(obj, attribute, now=None):
    if obj is not None:
        setattr(obj, attribute, time.monotonic() if now is None else now)
    return obj


def propagating(obj, attribute=CREATED, now=None):
    """True while the change stamped on ``obj`` is younger than ``iam_propagation_delay``."""
    delay = runtime.controls.iam_propagation_delay
    stamp = getattr(obj, attribute, None)
    if not delay or stamp is None:
        return False
    return (time.monotonic() if now is None else now) - stamp < delay


def find_role(iam, role):
    """The moto Role for an ARN or [path/]name, or None."""
    from moto.iam.exceptions import NotFoundException

    try:
        return iam.get_role_by_arn(role) if role.startswith("arn:") else iam.get_role(role.rsplit("/", 1)[-1])
    except NotFoundException:
        return None


def role_propagating(iam, role):
    found = find_role(iam, role) if role else None
    return found is not None and propagating(found)


def request_id():
    return str(uuid.uuid4())


def install():
    from moto.iam.models import IAMBackend
    from moto.scheduler.exceptions import ValidationException
    from moto.scheduler.models import EventBridgeSchedulerBackend

    if getattr(IAMBackend.create_role, "emulator", False):
        return

    def stamping(method, attribute, result=True):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            value = method(self, *args, **kwargs)
            if result:
                _stamp(value, attribute)
            else:  # add_role_to_instance_profile(profile_name, role_name) returns nothing
                name = kwargs.get("profile_name", args[0] if args else None)
                _stamp(self.get_instance_profile(name), attribute)
            return value

        wrapper.emulator = True
        return wrapper

    IAMBackend.create_role = stamping(IAMBackend.create_role, CREATED)
    IAMBackend.create_instance_profile = stamping(IAMBackend.create_instance_profile, CREATED)
    IAMBackend.add_role_to_instance_profile = stamping(IAMBackend.add_role_to_instance_profile, ROLE_ADDED, False)

    def checking(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            from moto.iam.models import iam_backends

            role = (kwargs.get("target") or {}).get("RoleArn")
            if role and role_propagating(iam_backends[self.account_id][self.partition], role):
                raise ValidationException(SCHEDULER_ROLE)
            return method(self, *args, **kwargs)

        return wrapper

    EventBridgeSchedulerBackend.create_schedule = checking(EventBridgeSchedulerBackend.create_schedule)
    EventBridgeSchedulerBackend.update_schedule = checking(EventBridgeSchedulerBackend.update_schedule)
