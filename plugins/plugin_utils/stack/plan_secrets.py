# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets part of the plan: names, ARNs, tags and checks of the secrets (never a value)."""

from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.plan_base import (
    PLACEHOLDER_DEFAULT,
    SECRET_LOGICAL_NAME_RE,
    SECRET_NAME_RE,
    SECRET_SUFFIX_RE,
    SecretValue,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import join


class SecretsPart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

    def secrets(self):
        m = self.model
        prefix = m.get("secrets_path_prefix") or f"/{self.stack}/"
        window = m.get("secrets_recovery_window_days")
        if window is not None and not (window == 0 or 7 <= window <= 30):
            self.problems.add("secrets_recovery_window_days", f"must be 0 (delete at once) or 7 to 30 (got {window})")
        present, absent, names = [], [], {}
        for path, entry in self.entries("secrets_secrets"):
            name = entry.get("name")
            if not isinstance(name, str) or not SECRET_LOGICAL_NAME_RE.match(name):
                self.problems.add(
                    join(path, "name"),
                    "must be usable as an environment variable name: letters, digits and '_', not starting with a "
                    f"digit (got {name!r})",
                )
            secret_name = entry.get("secret_name") or f"{prefix}{name}"
            if not SECRET_NAME_RE.match(secret_name):
                self.problems.add(
                    join(path, "secret_name"), f"must be 1 to 512 letters, digits and /_+=.@- (got {secret_name!r})"
                )
            elif SECRET_SUFFIX_RE.search(secret_name):
                self.problems.add(
                    join(path, "secret_name"),
                    "must not end with a hyphen and six characters: AWS confuses it with the random suffix of "
                    f"secret ARNs (got {secret_name!r})",
                )
            if secret_name in names:
                self.problems.add(
                    join(path, "secret_name"),
                    f"{secret_name!r} is also the secret_name of {names[secret_name]}: every secret needs its own",
                )
            names[secret_name] = path
            entry_window = entry.get("recovery_window_days")
            if entry_window is not None and not (entry_window == 0 or 7 <= entry_window <= 30):
                self.problems.add(
                    join(path, "recovery_window_days"), f"must be 0 (delete at once) or 7 to 30 (got {entry_window})"
                )
            kms = entry.get("kms_key_id")
            if kms and kms.startswith("arn:"):
                self.check_arn(join(path, "kms_key_id"), kms, "kms", what="a KMS key ARN")
            description = entry.get("description") or f"Secret {name} of stack {self.stack}"
            if len(description) > 2048:
                self.problems.add(
                    join(path, "description"), f"must be at most 2048 characters (got {len(description)})"
                )
            value = entry.get("value")
            value_format = entry.get("value_format") or "string"
            if isinstance(value, SecretValue):
                if value_format == "string" and value.kind != "str":
                    self.problems.add(
                        join(path, "value"),
                        f"must be a string (got a {value.kind}; the value is not shown); set value_format: json to "
                        "store a mapping or list as JSON",
                    )
                elif value_format == "json" and not value.json_ready:
                    self.problems.add(
                        join(path, "value"),
                        f"must be JSON data: a mapping, list, string or number (got a {value.kind}; not shown)",
                    )
                elif value.empty:
                    self.problems.add(
                        join(path, "value"),
                        "must not be empty (Secrets Manager refuses an empty value); remove value to create a "
                        "placeholder and set it out of band",
                    )
            secret = {
                "name": name,
                "secret_name": secret_name,
                "description": description,
                "kms_key_id": kms or None,
                "tags": self.tags(
                    path, ("secrets_tags", m.get("secrets_tags")), (join(path, "tags"), entry.get("tags"))
                ),
                "has_value": isinstance(value, SecretValue),
                "value_format": value_format,
                "recovery_window_days": window if entry_window is None else entry_window,
                "arn": None,  # the full ARN (random suffix) once it exists: filled in by the refresh
                "partial_arn": self.arn("secretsmanager", f"secret:{secret_name}"),
                "policy_arn": self.arn("secretsmanager", f"secret:{secret_name}-??????"),
                "adopt": bool(entry.get("adopt")),
                "path_in_model": path,
            }
            (absent if entry.get("state") == "absent" else present).append(secret)
        placeholder = m.get("secrets_placeholder") or PLACEHOLDER_DEFAULT
        return {
            "secrets": present,
            "absent": absent,
            "delete": [],
            "placeholder": placeholder,
            "default_recovery_window_days": window,
        }

    # ------------------------------------------------------------------------------------------ Batch
