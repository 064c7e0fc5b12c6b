"""A secret value from the inventory (ansible-vault) reaches Secrets Manager and is never printed, even with -vvv."""

import pytest

from tests.integration.support.emulator import ROOT
from tests.integration.support.playbook import run_playbook

pytestmark = pytest.mark.slow

# inventories/dev/group_vars/all/secrets.yml holds this value, encrypted with the example-only vault password
# that the inventory documents.
DEV_SECRET_VALUE = "example-only-dev-secret"
EXAMPLE_VAULT_PASSWORD = "ondemand-batch-example"


def test_the_dev_inventorys_vault_value_is_stored_and_never_printed_with_vvv(aws, tmp_path):
    password_file = tmp_path / "vault-password"
    password_file.write_text(EXAMPLE_VAULT_PASSWORD)
    result = run_playbook(
        aws,
        ROOT / "playbooks" / "deploy.yml",
        inventory=ROOT / "inventories" / "dev",
        extra_vars={
            "stack_aws_endpoint_url": aws.url,
            "stack_account_id": "123456789012",
            "stack_outputs_dir": str(tmp_path / "outputs"),
        },
        verbosity=3,
        # What a user sees: the default callback, every module argument and result at -vvv.
        env={"ANSIBLE_VAULT_PASSWORD_FILE": str(password_file), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"},
    )
    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "ESTABLISH LOCAL CONNECTION" in result.stdout  # really -vvv
    assert DEV_SECRET_VALUE not in result.stdout
    assert DEV_SECRET_VALUE not in result.stderr
    assert "(censored due to no_log)" in result.stdout or "no_log: true" in result.stdout

    secrets = aws.client("secretsmanager")
    stored = secrets.get_secret_value(SecretId="/dev-carbon/MY_SECRET")
    assert stored["SecretString"] == DEV_SECRET_VALUE
    outputs = (tmp_path / "outputs" / "dev.json").read_text()
    assert DEV_SECRET_VALUE not in outputs
    assert stored["ARN"] in outputs
