"""Security audit of the stack: secret values never leak, IAM is least privilege, inventories hold no plain secret.

One module-scoped run of the stack against the emulator, every playbook at -vvv with the default output:
deploy (--diff, with a secret value given as an ansible-vault variable would give it), submit-job, a second
deploy that changes the value (rotation), and destroy. Ansible's own log file (ANSIBLE_LOG_PATH) is on.
Then:
- neither value appears in any output, in the log file, in the outputs JSON, or in any job definition revision;
- every IAM policy the stack creates passes parliament with no finding, and none grants
  secretsmanager:GetSecretValue or batch:SubmitJob on every resource; trust policies name only the service
  principal each role needs;
- the dev and prod inventories hold no plain-text secret, and the dev example uses ansible-vault.
"""

import fnmatch
import json
import os
import re

import pytest
import yaml

from tests.integration.test_faults import (
    ROOT,
    SECRET_VALUE,
    account_state,
    stack_playbook,
)

pytestmark = pytest.mark.slow

# Template markup in a value is data: stored exactly as written, not rendered (no "42"), no syntax error on "{#".
ROTATED_VALUE = "r0tated-{{ 6*7 }}-{# not a comment #}-{% raw %}-" + os.urandom(12).hex()
DEFAULT_OUTPUT = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_FORCE_COLOR": "0"}

# What each kind of role of the stack may be assumed by (a role's name ends with its kind).
TRUSTED_SERVICES = {
    "batch-service": {"batch.amazonaws.com"},
    "ecs-instance": {"ec2.amazonaws.com"},
    "spot-fleet": {"spotfleet.amazonaws.com"},
    "job-execution": {"ecs-tasks.amazonaws.com"},
    "events": {"events.amazonaws.com", "scheduler.amazonaws.com"},
}
JOB_ROLE_SERVICES = {"ecs-tasks.amazonaws.com"}


@pytest.fixture(scope="module")
def audited(emulator, tmp_path_factory):
    """Runs the stack's playbooks once at -vvv and collects everything they wrote and left in the account."""
    tmp = tmp_path_factory.mktemp("security")
    emulator.reset()
    emulator.configure(latency_ms=0, throttle_rate=0.0, error_rate=0.0)
    log_file = tmp / "ansible.log"
    env = {**DEFAULT_OUTPUT, "ANSIBLE_LOG_PATH": str(log_file)}
    runs, secret_values = {}, {}
    sm = emulator.client("secretsmanager")

    def secret_value_in_account():
        (secret,) = sm.list_secrets()["SecretList"]
        return sm.get_secret_value(SecretId=secret["ARN"])["SecretString"]

    runs["deploy"] = stack_playbook(emulator, "deploy", tmp, fast=False, verbosity=3, diff=True, env=env)
    assert runs["deploy"].rc == 0, runs["deploy"].stdout[-3000:]
    secret_values["deploy"] = secret_value_in_account()
    state = account_state(emulator)
    iam = emulator.client("iam")
    attached = {}
    for role in state["iam_roles"].values():
        for arn in role["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
            version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
            attached[arn] = version["PolicyVersion"]["Document"]

    runs["submit-job"] = stack_playbook(emulator, "submit-job", tmp, fast=False, verbosity=3, env=env)
    assert runs["submit-job"].rc == 0, runs["submit-job"].stdout[-3000:]

    rotated = [{"name": "MY_SECRET", "value": ROTATED_VALUE}]
    runs["rotate"] = stack_playbook(
        emulator, "deploy", tmp, extra_vars={"secrets_secrets": rotated}, verbosity=3, diff=True, env=env
    )
    assert runs["rotate"].rc == 0, runs["rotate"].stdout[-3000:]
    secret_values["rotate"] = secret_value_in_account()
    batch = emulator.client("batch")
    job_definitions = batch.describe_job_definitions()["jobDefinitions"]  # every revision, ACTIVE or not

    runs["destroy"] = stack_playbook(emulator, "destroy", tmp, verbosity=3, env=env)
    assert runs["destroy"].rc == 0, runs["destroy"].stdout[-3000:]
    written = {
        str(path.relative_to(tmp)): path.read_text(errors="replace") for path in tmp.rglob("*") if path.is_file()
    }
    return {
        "runs": runs,
        "state": state,
        "attached_policies": attached,
        "job_definitions": job_definitions,
        "files": written,
        "secret_values": secret_values,
    }


def test_the_secret_values_really_were_deployed(audited):
    # Otherwise not finding them below would prove nothing.
    assert audited["secret_values"] == {"deploy": SECRET_VALUE, "rotate": ROTATED_VALUE}
    assert audited["files"].get("ansible.log"), "ANSIBLE_LOG_PATH was not written"
    assert any(name.startswith("outputs/") for name in audited["files"]), audited["files"].keys()


@pytest.mark.parametrize("value", [SECRET_VALUE, ROTATED_VALUE], ids=["value", "rotated value"])
def test_secret_values_never_appear(audited, value):
    leaks = []
    for name, run in audited["runs"].items():
        for stream in ("stdout", "stderr"):
            if value in getattr(run, stream):
                leaks.append(f"{name} {stream} at -vvv")
    for path, text in audited["files"].items():
        if value in text:
            leaks.append(f"file {path}")
    for jd in audited["job_definitions"]:
        if value in json.dumps(jd):
            leaks.append(f"job definition {jd['jobDefinitionName']}:{jd['revision']}")
    assert not leaks, f"the secret value appears in: {leaks}"


def test_job_definitions_reference_secrets_by_arn_only(audited):
    for jd in audited["job_definitions"]:
        for secret in jd["containerProperties"].get("secrets", []):
            assert re.match(r"^arn:aws[a-z-]*:(secretsmanager|ssm):", secret["valueFrom"]), secret


# ------------------------------------------------------------------------------------------------------ IAM
def stack_roles(state):
    return {name: role for name, role in state["iam_roles"].items() if role["Path"] != "/"}


def stack_policies(state):
    """(where, document) of every identity policy the stack created: inline and customer managed."""
    for name, role in stack_roles(state).items():
        for policy_name, document in role["InlinePolicies"].items():
            yield f"role {name} inline policy {policy_name}", document
    for name, policy in state["iam_policies"].items():
        yield f"managed policy {name}", policy["Document"]


def as_list(value):
    return value if isinstance(value, list) else [value]


BROAD_RESOURCE = re.compile(
    r"^\*$|^arn:[^:]*:(secretsmanager|batch):[^:]*:[^:]*:(secret:|job-queue/|job-definition/)?\*$"
)


def grants_on_everything(document, action):
    """Statements that allow ``action`` (wildcards in Action count) on every resource."""
    found = []
    for statement in as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action", []))
        if "NotAction" in statement or "NotResource" in statement:
            found.append(statement)
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
            continue
        if any(BROAD_RESOURCE.match(r) for r in as_list(statement.get("Resource", []))):
            found.append(statement)
    return found


def test_the_stack_creates_iam_policies(audited):
    policies = list(stack_policies(audited["state"]))
    assert len(policies) >= 2, policies  # the execution role's secret access and the events role's SubmitJob


def test_parliament_finds_nothing(audited):
    from parliament import analyze_policy_string

    report = {}
    for where, document in stack_policies(audited["state"]):
        policy = analyze_policy_string(json.dumps(document))
        findings = [f"{f.issue} {f.detail}" for f in policy.findings]
        if findings:
            report[where] = findings
    assert not report, f"parliament findings: {json.dumps(report, indent=1)}"


@pytest.mark.parametrize("action", ["secretsmanager:GetSecretValue", "batch:SubmitJob"])
def test_no_policy_grants_on_every_resource(audited, action):
    state = audited["state"]
    offenders = {}
    for where, document in stack_policies(state):
        if grants_on_everything(document, action):
            offenders[where] = grants_on_everything(document, action)
    # The (AWS) managed policies the stack attaches count too: its roles get what they grant.
    attached = audited["attached_policies"]
    assert attached, "no managed policy attached at all: the role model changed, review this test"
    for arn, document in attached.items():
        if isinstance(document, str):
            document = json.loads(document)
        if grants_on_everything(document, action):
            offenders[f"attached policy {arn}"] = grants_on_everything(document, action)
    assert offenders == {}, f"{action} granted on every resource by {offenders}"


def test_the_grant_checker_catches_a_wide_grant():
    # The checker above must be able to fail.
    assert grants_on_everything(
        {"Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]},
        "secretsmanager:GetSecretValue",
    )
    assert not grants_on_everything(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "batch:SubmitJob", "Resource": "arn:aws:batch:eu-west-1:1:job-queue/q"}
            ]
        },
        "batch:SubmitJob",
    )


def test_trust_policies_name_only_the_needed_service_principals(audited):
    problems = []
    roles = stack_roles(audited["state"])
    assert roles, "the stack created no IAM role"
    for name, role in roles.items():
        kind = next((k for k in TRUSTED_SERVICES if name.endswith("-" + k)), None)
        allowed = TRUSTED_SERVICES[kind] if kind else JOB_ROLE_SERVICES
        for statement in as_list(role["AssumeRolePolicyDocument"]["Statement"]):
            principal = statement.get("Principal", {})
            if statement.get("Effect") != "Allow":
                continue
            if principal == "*" or set(principal) != {"Service"}:
                problems.append(f"{name}: principal {principal} is not only a service")
                continue
            services = set(as_list(principal["Service"]))
            if len(services) != 1 or not services <= allowed:
                problems.append(f"{name}: trusts {sorted(services)}, expected one of {sorted(allowed)}")
            if as_list(statement.get("Action")) != ["sts:AssumeRole"]:
                problems.append(f"{name}: trust action {statement.get('Action')} is not just sts:AssumeRole")
    assert not problems, problems


# ------------------------------------------------------------------------------------------------------ inventories
class _Vaulted(str):
    """An !vault scalar, kept as its ciphertext."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!vault", lambda loader, node: _Vaulted(loader.construct_scalar(node)))
_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))

SECRET_LIKE_KEY = re.compile(r"(password|passwd|secret_key|access_key|token|api_key|private_key|^value$)", re.I)
PLAIN_SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


def inventory_files(name):
    return sorted(p for p in (ROOT / "inventories" / name).rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))


def walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


def vaulted_values(files):
    out = []
    for path in files:
        text = path.read_text()
        if text.startswith("$ANSIBLE_VAULT"):
            out.append((str(path), text))
            continue
        for where, value in walk(yaml.load(text, Loader=_Loader) or {}):
            if isinstance(value, _Vaulted):
                out.append((f"{path.relative_to(ROOT)}:{where}", str(value)))
    return out


@pytest.mark.parametrize("inventory", ["dev", "prod"])
def test_inventory_holds_no_plain_text_secret(inventory):
    files = inventory_files(inventory)
    assert files, f"inventories/{inventory} has no YAML file"
    problems = []
    for path in files:
        text = path.read_text()
        for what, pattern in PLAIN_SECRET_PATTERNS.items():
            if pattern.search(text):
                problems.append(f"{path.relative_to(ROOT)}: {what}")
        if text.startswith("$ANSIBLE_VAULT"):
            continue
        for where, value in walk(yaml.load(text, Loader=_Loader) or {}):
            key = re.sub(r"\[\d+\]$", "", where).rsplit(".", 1)[-1]
            if not SECRET_LIKE_KEY.search(key) or value in (None, "", [], {}):
                continue
            if isinstance(value, _Vaulted) or (isinstance(value, str) and "{{" in value):
                continue
            problems.append(f"{path.relative_to(ROOT)}: {where} is in plain text")
    assert not problems, problems


def test_dev_inventory_example_uses_ansible_vault():
    assert vaulted_values(inventory_files("dev")), "inventories/dev has no ansible-vault encrypted value"


def test_no_vault_password_or_plaintext_next_to_the_vault():
    """A vaulted value whose password (or plaintext) is written in the same inventory is a plain-text secret."""
    from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret

    for inventory in ("dev", "prod"):
        files = inventory_files(inventory)
        text = "\n".join(p.read_text() for p in files)
        candidates = set(re.findall(r"'([^'\n]{4,})'|\"([^\"\n]{4,})\"", text))
        candidates = {a or b for a, b in candidates}
        for where, ciphertext in vaulted_values(files):
            for candidate in candidates:
                vault = VaultLib([("default", VaultSecret(candidate.encode()))])
                try:
                    plaintext = vault.decrypt(ciphertext.encode()).decode()
                except AnsibleVaultError:
                    continue
                pytest.fail(
                    f"{where}: the vault password {candidate!r} is written in inventories/{inventory}"
                    + (" together with the plaintext" if plaintext in text else "")
                )
