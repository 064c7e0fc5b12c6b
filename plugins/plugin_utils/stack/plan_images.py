# -*- coding: utf-8 -*-
# Copyright: Contributors to the ondemand.batch project
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image repositories part of the plan: the stack's ECR repositories, and job definition images named by them."""

import re

from ansible_collections.ondemand.batch.plugins.module_utils.image_repository import (
    REPOSITORY_NAME_RE,
    REPOSITORY_NAME_RULE,
    repository_arn,
    repository_uri,
)
from ansible_collections.ondemand.batch.plugins.plugin_utils.stack.problems import join

# Untagged images (layers of a rebuilt tag, failed pushes) go after a day; then the newest keep_images stay.
UNTAGGED_EXPIRE_DAYS = 1
IMAGE_REF_KEYS = ("repository", "tag", "digest")
# Docker's tag rule (what docker push and the ECS agent accept) and an image digest.
IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
IMAGE_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}\Z")
# A private ECR image: <account>.dkr.ecr[-fips].<region>.<domain>/<repository>[:tag|@digest].
PRIVATE_ECR_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.[a-z0-9.-]+/(?P<name>[^:@]+)(?:[:@].*)?\Z"
)


def lifecycle_policy(keep_images):
    """Untagged images expire after a day; of the others, the newest ``keep_images`` stay."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Untagged images expire {UNTAGGED_EXPIRE_DAYS} day after their push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_EXPIRE_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the newest {keep_images} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


class ImagesPart:
    """A part of ``planner.Planner`` (see the module's docstring)."""

    def image_repositories(self):
        """The repositories' module parameters, and by logical name what the rest of the plan needs of each."""
        m = self.model
        force_default = bool(m.get("batch_image_repositories_force_delete"))
        repositories, by_name = [], {}
        for path, entry in self.entries("batch_image_repositories"):
            logical = entry.get("name")
            name = f"{self.prefix}{logical}"
            if not REPOSITORY_NAME_RE.match(name):
                self.problems.add(
                    join(path, "name"),
                    f"the repository name {name!r} (<stack_name>-<name>) {REPOSITORY_NAME_RULE}; ECR names are "
                    "lowercase",
                )
            keep = entry.get("keep_images")
            if keep is not None and keep < 1:
                self.problems.add(join(path, "keep_images"), f"must be at least 1 (got {keep})")
            params = {
                "name": name,
                "image_tag_mutability": "IMMUTABLE" if entry.get("immutable_tags") else "MUTABLE",
                "scan_on_push": bool(entry.get("scan_on_push", True)),
                "lifecycle_policy": lifecycle_policy(keep if keep is not None and keep >= 1 else 10),
                "tags": self.tags(path, ("batch_tags", m.get("batch_tags")), (join(path, "tags"), entry.get("tags"))),
                "purge_tags": True,
                "state": "present",
            }
            if REPOSITORY_NAME_RE.match(name):
                self.module_check("image_repository", path, params)
            repositories.append(params)
            force = entry.get("force_delete")
            by_name[logical] = {
                "name": name,
                "arn": repository_arn(self.account, self.region, self.partition, name),
                "uri": repository_uri(self.account, self.region, self.partition, name),
                "force_delete": force_default if force is None else bool(force),
                "path": path,
            }
        return {"repositories": repositories, "by_name": by_name, "force_delete": force_default}

    def job_image(self, path, image, platform, images):
        """The image reference a job definition gets: a repository of the model resolved to its URI and tag (or
        digest), or the reference as written. Returns (image, image to check the definition with)."""
        field = join(path, "image")
        if image is None:  # required: the schema has said so
            return None, "placeholder"
        if isinstance(image, str):
            self.check_private_image(field, image, platform, images)
            return image, image
        if not isinstance(image, dict):
            self.problems.add(
                field,
                f"must be an image reference or a repository of batch_image_repositories, {{repository: NAME, tag: "
                f"TAG}} (got {type(image).__name__})",
            )
            return None, "placeholder"
        for key in image:
            if key not in IMAGE_REF_KEYS:
                self.problems.add(join(field, str(key)), f"is not an option here (known: {', '.join(IMAGE_REF_KEYS)})")
        logical, tag, digest = image.get("repository"), image.get("tag"), image.get("digest")
        known = images["by_name"]
        if logical is None:
            self.problems.add(join(field, "repository"), "is required: the logical name of a repository")
        elif logical not in known:
            names = ", ".join(sorted(map(str, known))) or "none"
            self.problems.add(
                join(field, "repository"), f"{logical!r} is not in batch_image_repositories (known: {names})"
            )
        if (tag is None) == (digest is None):
            self.problems.add(field, "give exactly one of tag and digest (the image the job runs)")
        if tag is not None and not IMAGE_TAG_RE.match(str(tag)):
            self.problems.add(
                join(field, "tag"),
                f"must be 1-128 letters, digits, '_', '.' and '-', not starting with '.' or '-' (got {tag!r})",
            )
        if digest is not None and not IMAGE_DIGEST_RE.match(str(digest)):
            self.problems.add(join(field, "digest"), f"must be sha256: and 64 hex digits (got {digest!r})")
        if logical not in known:
            return None, "placeholder"
        uri = known[logical]["uri"]
        resolved = f"{uri}@{digest}" if digest is not None and tag is None else f"{uri}:{tag}"
        return resolved, resolved

    def check_private_image(self, field, image, platform, images):
        """On Fargate the execution role pulls, and it may pull from the stack's repositories only."""
        match = PRIVATE_ECR_RE.match(image)
        if platform != "FARGATE" or not match:
            return
        ours = {(self.account, self.region, r["name"]) for r in images["by_name"].values()}
        if (match["account"], match["region"], match["name"]) not in ours:
            self.problems.add(
                field,
                f"is a private ECR image outside batch_image_repositories (got {image!r}): on FARGATE the execution "
                "role pulls it, and it may pull from the stack's repositories only; add the repository to "
                "batch_image_repositories and name it with image: {repository: NAME, tag: TAG}",
            )
