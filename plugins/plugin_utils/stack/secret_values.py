# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret values are data: read from the raw inventory variables, never templated, never shown.

A ``value`` is used exactly as written (``{{``, ``{%`` and ``{#`` included). Two forms are followed, because
they are how an inventory refers to a value kept elsewhere, not values that happen to hold braces: an
ansible-vault encrypted string (decrypted), and a value that is exactly one variable reference such as
``"{{ vault_my_secret }}"`` (that variable's raw value, followed the same way).
"""

import json
import re

# "{{ name }}" and nothing else: a reference to another variable.
REFERENCE_RE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\Z")
MAX_REFERENCES = 10


class SecretValueError(Exception):
    """A value that cannot be stored; the message never holds the value."""


def follow(value, variables):
    """The raw value behind ``value``: references followed, vault strings decrypted."""
    for _hop in range(MAX_REFERENCES):
        if isinstance(value, str):
            match = REFERENCE_RE.match(str(value))
            if match and match.group(1) in variables:
                value = variables[match.group(1)]
                continue
        break
    if type(value).__name__ in ("EncryptedString", "AnsibleVaultEncryptedUnicode"):
        return str(value)  # decrypts with the vault secrets of this run
    if isinstance(value, str):
        return str(value)  # a plain str: no template tags travel with it
    return value


def entries(raw, variables):
    """The raw ``secrets_secrets`` list (following a whole-list reference such as ``"{{ my_secrets }}"``)."""
    return follow(raw, variables) if raw is not None else []


def stored_text(value, value_format="string"):
    """The text Secrets Manager stores for a value: a string as is, JSON data serialised (keys sorted)."""
    if value_format == "json":
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                raise SecretValueError("value_format is json but the value is a string that is not JSON") from None
            return value
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if not isinstance(value, str):
        raise SecretValueError(f"the value is a {type(value).__name__}, not a string (value_format: json stores data)")
    return value
