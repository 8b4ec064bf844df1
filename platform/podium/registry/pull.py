"""The worker's side: a submission that pins a pushed image is pulled by its digest.

The repository is the submission's team's, never anything the file says. The registry is
asked first, so a digest the team's repository does not hold is the participant's fault (a
hand-made reference file) and a registry that does not answer is the platform's (retried).
The engine checks the manifest against its digest; the image it gives must be the manifest's
config (the image id), or the evaluation stops as a platform fault.
"""

from __future__ import annotations

from pathlib import Path

import docker

from podium.pipeline.faults import PlatformFault
from podium.registry.client import RegistryClient, RegistryUnavailable
from podium.registry.config import signer_for
from podium.registry.engine import pull
from podium.registry.reference import pinned_digest
from podium.settings import Settings
from sandbox.errors import ImageError, SandboxError


def pull_pinned(
    client: docker.DockerClient, settings: Settings, *, path: Path, slug: str, team_id: int
) -> str | None:
    """The image id of the pushed image ``path`` pins, pulled; None when ``path`` is an archive.

    Raises:
        ImageError: the team's repository holds no such image (the participant's fault).
        PlatformFault: the registry is off or did not answer, or the pull gave another image.
    """
    digest = pinned_digest(path)
    if digest is None:
        return None
    if not settings.registry_enabled:
        raise PlatformFault("this submission pins a pushed image but the registry is turned off")
    repository = f"teams/{slug}/{team_id}"
    registry = RegistryClient(settings.registry_url, signer_for(settings))
    manifest = None
    try:
        manifest = registry.manifest(repository, digest)
        if manifest is None:
            raise ImageError(f"{repository} holds no image {digest}; push it, then submit again")
        token = registry.token([{"type": "repository", "name": repository, "actions": ["pull"]}])
        host = settings.registry_engine_host
        image_id = pull(client, host=host, repository=repository, digest=digest, token=token)
    except RegistryUnavailable as error:
        raise PlatformFault(str(error)) from None
    except ImageError as error:
        if manifest is None:
            raise
        raise PlatformFault(f"pulling the pinned image failed: {error.message}") from None
    except SandboxError as error:
        raise PlatformFault(error.message) from None
    finally:
        registry.close()
    if image_id != manifest.config_digest:
        raise PlatformFault(
            f"the pull of {digest[:19]} gave image {image_id[:19]}, "
            f"not {manifest.config_digest[:19]}"
        )
    return image_id
