"""Hook the emulator into moto: its Batch backend in place of moto's, and AWS managed policies in IAM."""

import functools
import json
import os


def install():
    from emulator import check_moto_version

    check_moto_version()
    # Roles attach AWS managed policies (service-role/AWSBatchServiceRole, ...): load them into IAM.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    _load_managed_policies_once()
    _faster_ec2_resource_ids()

    from moto.batch import models

    from emulator.batch.backend import EmulatorBatchBackend

    if models.batch_backends.backend is not EmulatorBatchBackend:
        if any(models.batch_backends.values()):
            raise RuntimeError("install() must run before any moto Batch backend is created")
        models.batch_backends.backend = EmulatorBatchBackend


@functools.cache
def _managed_policy_documents():
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def _load_managed_policies_once():
    """moto parses its ~1,600 AWS managed policies for every IAM backend, and it builds one backend per
    partition (aws, aws-cn, aws-us-gov, ...) for every account it looks an access key up in: after each reset
    that costs seconds. The emulator parses the documents once and gives each partition's backend its copy of
    them (``arn:<partition>:iam::aws:policy/...``) the first time that backend's policies are read."""
    from moto.iam import models as iam_models

    if getattr(iam_models.IAMBackend._init_aws_policies, "emulator", False):
        return

    def _init_aws_policies(self):
        self.__dict__["_emulator_policies_pending"] = True
        return []

    def _init_managed_policies(self):
        return {}

    def _load(self):
        state = self.__dict__
        if state.pop("_emulator_policies_pending", False):
            policies = [
                iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, document)
                for name, document in _managed_policy_documents().items()
            ]
            state["_emulator_aws_policies"] = policies + state.get("_emulator_aws_policies", [])
            state["_emulator_managed_policies"] = {
                **{policy.arn: policy for policy in policies},
                **state.get("_emulator_managed_policies", {}),
            }
        return state

    def _attribute(name):
        def getter(self):
            return _load(self).setdefault(name, [] if name == "_emulator_aws_policies" else {})

        def setter(self, value):
            self.__dict__[name] = value

        return property(getter, setter)

    _init_aws_policies.emulator = True
    iam_models.IAMBackend._init_aws_policies = _init_aws_policies
    iam_models.IAMBackend._init_managed_policies = _init_managed_policies
    iam_models.IAMBackend.aws_managed_policies = _attribute("_emulator_aws_policies")
    iam_models.IAMBackend.managed_policies = _attribute("_emulator_managed_policies")


def _faster_ec2_resource_ids():
    """Every EC2 backend (rebuilt after each reset) loads ~1,300 AMIs with a snapshot each; moto draws their
    hex IDs one character at a time. Same IDs from the same generator, drawn in one call."""
    from moto.ec2 import utils

    if getattr(utils.random_resource_id, "emulator", False):
        return

    def random_resource_id(size=8):
        return f"{utils.random.getrandbits(4 * size):0{size}x}"

    random_resource_id.emulator = True
    utils.random_resource_id = random_resource_id
