# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: stack_secret
version_added: 0.2.0
short_description: The value of a secret of the stack model, as data
description:
  - Returns the C(value) of the entry of C(secrets_secrets) whose C(name) is the term, read from the raw inventory
    variable - never templated, so C({{), C({%) and C({#) inside a value are kept as written.
  - An ansible-vault encrypted value is decrypted; a value that is exactly one variable reference
    (C("{{ vault_my_secret }}")) is that variable's raw value, followed the same way.
  - With C(value_format=json) a mapping or list is returned as its JSON text (keys sorted).
  - An entry without C(value) gives C(secrets_placeholder) (the value a new secret is created with).
  - Used by the C(ondemand.batch.secrets) role, in a task with C(no_log); the value never reaches the stack plan.
author:
  - ondemand.batch contributors (@ondemand)
options:
  _terms:
    description: The logical name of one secret of C(secrets_secrets).
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Store the secret's value (never shown)
  community.aws.secretsmanager_secret:
    name: /dev-carbon/MY_SECRET
    secret: "{{ lookup('ondemand.batch.stack_secret', 'MY_SECRET') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: The value as Secrets Manager stores it.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack import secret_values  # noqa: E402
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import PLACEHOLDER_DEFAULT  # noqa: E402


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        out = []
        for term in terms:
            name = str(term)
            entry = next(
                (
                    e
                    for e in secret_values.entries(variables.get("secrets_secrets"), variables) or []
                    if isinstance(e, dict) and str(e.get("name")) == name
                ),
                None,
            )
            if entry is None:
                raise AnsibleLookupError(f"secrets_secrets has no entry named {name!r}")
            if "value" not in entry:
                placeholder = secret_values.follow(variables.get("secrets_placeholder"), variables)
                out.append(str(placeholder or PLACEHOLDER_DEFAULT))
                continue
            value = secret_values.follow(entry["value"], variables)
            value_format = str(entry.get("value_format") or "string")
            try:
                out.append(secret_values.stored_text(value, value_format))
            except secret_values.SecretValueError as error:
                raise AnsibleLookupError(f"secrets_secrets[{name}].value: {error}") from None
        return out
