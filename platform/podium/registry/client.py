"""The platform's own HTTP client of the registry: manifests, tags, usage, deletes.

It signs its own tokens (it runs where the signing key is: the API, `podium up`, the workers
that share the platform's home) with exactly the scope of each request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from podium.registry.access import PLATFORM_USER
from podium.registry.keys import TokenSigner

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # Distribution's own cap
TOKEN_TTL = timedelta(minutes=5)


class RegistryUnavailable(Exception):
    """The registry did not answer or answered with an error of its own."""


@dataclass(frozen=True)
class Manifest:
    """An image manifest: its digest, its config digest (the image id) and its layers' sizes."""

    digest: str
    config_digest: str
    layers: tuple[tuple[str, int], ...]

    @property
    def layer_bytes(self) -> int:
        return sum(size for _, size in self.layers)


def parse_manifest(digest: str, body: bytes) -> Manifest:
    """A schema-2 (or OCI) image manifest; ``ValueError`` for anything else (lists included)."""
    data: Any = json.loads(body)
    if not isinstance(data, dict) or data.get("schemaVersion") != 2:
        raise ValueError("not an image manifest of schema version 2")
    config, layers = data.get("config"), data.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise ValueError("a manifest list or an index, not one image")
    pairs = tuple((str(layer["digest"]), int(layer["size"])) for layer in layers)
    return Manifest(digest, str(config["digest"]), pairs)


class RegistryClient:
    """Reads and deletes in the registry at ``url`` as the platform."""

    def __init__(self, url: str, signer: TokenSigner, http: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self._signer = signer
        self._http = http or httpx.Client(timeout=30.0)

    def close(self) -> None:
        self._http.close()

    def token(self, access: list[dict[str, Any]]) -> str:
        token, _ = self._signer.sign(subject=PLATFORM_USER, access=access, ttl=TOKEN_TTL, now=None)
        return token

    def _request(
        self, method: str, path: str, actions: list[str], name: str, **kwargs: Any
    ) -> httpx.Response:
        kind = "registry" if name == "catalog" else "repository"
        token = self.token([{"type": kind, "name": name, "actions": actions}])
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response = self._http.request(method, self.url + path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise RegistryUnavailable(
                f"the registry at {self.url} did not answer: {error}"
            ) from None
        if response.status_code >= 400 and response.status_code != 404:
            raise RegistryUnavailable(
                f"the registry answered {response.status_code} to {method} {path}: "
                f"{response.text[:200]}"
            )
        return response

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest ``reference`` (tag or digest) of ``repository``; None when unknown."""
        response = self._request(
            "GET", f"/v2/{repository}/manifests/{reference}", ["pull"], repository,
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )  # fmt: skip
        if response.status_code == 404:
            return None
        body = response.content[: MAX_MANIFEST_BYTES + 1]
        digest = response.headers.get("Docker-Content-Digest", "")
        return parse_manifest(digest, body)

    def tags(self, repository: str) -> list[str]:
        response = self._request("GET", f"/v2/{repository}/tags/list", ["pull"], repository)
        if response.status_code == 404:
            return []
        return list(response.json().get("tags") or [])

    def delete(self, repository: str, digest: str) -> bool:
        """Delete a manifest (its tags go with it); True when it was there."""
        response = self._request(
            "DELETE", f"/v2/{repository}/manifests/{digest}", ["delete"], repository
        )
        return response.status_code == 202

    def catalog(self) -> list[str]:
        response = self._request("GET", "/v2/_catalog?n=1000", ["*"], "catalog")
        return list(response.json().get("repositories") or [])

    def manifests(self, repository: str, digests: Iterable[str] = ()) -> list[Manifest]:
        """The manifests the tags of ``repository`` name, and ``digests`` (untagged ones the
        API cannot list), each once."""
        found: dict[str, Manifest] = {}
        for reference in [*self.tags(repository), *sorted(set(digests))]:
            if reference in found:
                continue
            manifest = self.manifest(repository, reference)
            if manifest is not None:
                found.setdefault(manifest.digest, manifest)
        return list(found.values())

    def usage_bytes(self, repository: str, shared: set[str], digests: Iterable[str] = ()) -> int:
        """Bytes of the layers ``repository``'s images hold, each once, not counting ``shared``;
        ``digests``: manifests stored untagged (see :mod:`podium.registry.storage`)."""
        held = self.manifests(repository, digests)
        layers = {d: s for m in held for d, s in m.layers if d not in shared}
        return sum(layers.values())
