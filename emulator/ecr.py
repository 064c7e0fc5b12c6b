"""ECR as AWS answers it where moto 5.2.5 differs (measured).

- Image digests: moto hashes the concatenated layer digests (an empty layer list gives the digest of ``""``, so
  two different manifests get the same digest); AWS's digest is the SHA-256 of the manifest as pushed.
- ``PutImage`` to a repository that does not exist, or with a manifest that is not JSON: moto fails with a bare
  ``Exception`` (HTTP 500); AWS answers ``RepositoryNotFoundException`` / ``InvalidParameterException``. A new
  manifest under an existing tag of an IMMUTABLE repository: moto answers ``ImageAlreadyExistsException`` with
  the old image's digest; AWS ``ImageTagAlreadyExistsException`` (the image is not the same one).
- ``GetAuthorizationToken``: moto's token expired on 2015-01-01; AWS's is valid for 12 hours.
- Registry domain: ``amazonaws.com.cn`` in the aws-cn partition (repository URI, proxy endpoint).
- The Resource Groups Tagging API lists repositories (``ecr:repository``); moto's ECR is not taggable there.
"""

import datetime
import functools
import hashlib
import json

from emulator import partitions

TOKEN_LIFETIME = datetime.timedelta(hours=12)


def manifest_digest(manifest):
    return "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def install():
    from moto.core.exceptions import ServiceException
    from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
    from moto.ecr import models
    from moto.ecr.exceptions import InvalidParameterException, RepositoryNotFoundException
    from moto.ecr.responses import ECRResponse
    from moto.moto_api._internal import mock_random

    if getattr(models.Image._create_digest, "emulator", False):
        return

    def _create_digest(self):
        self._image_digest = manifest_digest(self.image_manifest)

    _create_digest.emulator = True
    models.Image._create_digest = _create_digest

    repository_init = models.Repository.__init__

    @functools.wraps(repository_init)
    def __init__(self, *args, **kwargs):
        repository_init(self, *args, **kwargs)
        suffix = partitions.dns_suffix(self.region_name)
        if suffix != "amazonaws.com":
            self.uri = self.uri.replace(".amazonaws.com/", f".{suffix}/", 1)

    models.Repository.__init__ = __init__

    class ImageTagAlreadyExistsException(ServiceException):
        code = "ImageTagAlreadyExistsException"

    put_image = models.ECRBackend.put_image

    @functools.wraps(put_image)
    def checked_put_image(self, repository_name, image_manifest, *args, **kwargs):
        if repository_name not in self.repositories:
            raise RepositoryNotFoundException(repository_name, kwargs.get("registry_id") or self.account_id)
        try:
            json.loads(image_manifest)
        except (TypeError, ValueError):
            raise InvalidParameterException(
                "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
            ) from None
        repository = self.repositories[repository_name]
        tag = kwargs.get("image_tag", args[0] if args else None)
        immutable = repository.is_tag_immutable() and not repository.image_tag_mutability_exclusion_filters
        if (
            tag
            and immutable
            and any(tag in image.image_tags and image.image_manifest != image_manifest for image in repository.images)
        ):
            raise ImageTagAlreadyExistsException(
                f"The image tag '{tag}' already exists in the '{repository_name}' repository and cannot be "
                "overwritten because the repository is immutable."
            )
        return put_image(self, repository_name, image_manifest, *args, **kwargs)

    models.ECRBackend.put_image = checked_put_image

    def get_authorization_token(self):
        from base64 import b64encode

        from moto.core.responses import ActionResult

        registry_ids = self._get_param("registryIds") or [self.current_account]
        expires = datetime.datetime.now(datetime.UTC) + TOKEN_LIFETIME
        suffix = partitions.dns_suffix(self.region)
        data = [
            {
                "authorizationToken": b64encode(f"AWS:{mock_random.get_random_hex(64)}".encode()).decode(),
                "expiresAt": expires,
                "proxyEndpoint": f"https://{registry}.dkr.ecr.{self.region}.{suffix}",
            }
            for registry in registry_ids
        ]
        return ActionResult({"authorizationData": data})

    ECRResponse.get_authorization_token = get_authorization_token

    class EmulatorECRBackend(models.ECRBackend, TaggableResourcesMixin):
        """moto's ECR backend, listed by the Resource Groups Tagging API."""

        SERVICE_NAMESPACE = "ecr"

        @property
        def _url_module(self):
            from moto.ecr import urls

            return urls

        def iter_tagged_resources(self):
            for repository in self.repositories.values():
                listed = self.tagger.list_tags_for_resource(repository.arn)["tags"]
                tags = {item["Key"]: item["Value"] for item in listed}
                yield TaggedResource(arn=repository.arn, tags=tags, resource_type="ecr:repository")

        def tag_resource(self, arn, tags):
            """ECR's TagResource passes [{Key, Value}]; the Tagging API's TagResources a dict."""
            if isinstance(tags, dict):
                tags = [{"Key": key, "Value": value} for key, value in tags.items()]
            return super().tag_resource(arn, tags)

    if models.ecr_backends.backend is not EmulatorECRBackend:
        if any(models.ecr_backends.values()):
            raise RuntimeError("emulator.ecr.install() must run before any moto ECR backend is created")
        models.ecr_backends.backend = EmulatorECRBackend
