"""Local AWS emulator for ondemand.batch: moto's server plus what moto lacks for AWS Batch.

Not part of the collection build (see galaxy.yml build_ignore). Start it with ``python -m emulator``.
"""

MOTO_VERSION = "5.2.5"
"""The exact moto release the emulator is built on; its Batch patches depend on moto's internals."""

SERVICES = (
    "batch",
    "iam",
    "sts",
    "ec2",
    "ecs",
    "ecr",
    "events",
    "scheduler",
    "secretsmanager",
    "logs",
    "sns",
    "sqs",
    "ssm",
    "tagging",
)
"""Every service a stack uses (by signing name); all are served on one endpoint (ssm for job secrets, ecr for
images, tagging for the Resource Groups Tagging API)."""


def check_moto_version():
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"the emulator is built on moto=={MOTO_VERSION}, found moto=={moto.__version__}; "
            "install the pinned toolchain (make setup)"
        )
