"""Talking to the registry as a client would: tokens from the API, blobs and manifests by HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import httpx
from fastapi.testclient import TestClient

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def basic(password: str, user: str = "someone") -> dict[str, str]:
    value = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def registry_token(client: TestClient, password: str, *scopes: str, user: str = "someone") -> str:
    """A token from the API's realm, as ``docker`` asks for one."""
    answer = client.get(
        "/api/v1/registry/token",
        params=[("service", "podium-registry"), *[("scope", s) for s in scopes]],
        headers=basic(password, user),
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(url: str, repository: str, token: str, data: bytes) -> httpx.Response:
    """A monolithic upload; returns the answer of the step that failed, or of the last one."""
    started = httpx.post(f"{url}/v2/{repository}/blobs/uploads/", headers=bearer(token))
    if started.status_code != 202:
        return started
    location = started.headers["Location"]
    if location.startswith("/"):
        location = url + location
    separator = "&" if "?" in location else "?"  # keep the upload's own _state parameter
    return httpx.put(
        f"{location}{separator}digest={digest_of(data)}",
        content=data,
        headers={**bearer(token), "Content-Type": "application/octet-stream"},
    )


def push_image(url: str, repository: str, token: str, tag: str, layer_bytes: int = 1024) -> str:
    """Push a tiny image (one random layer); returns its manifest digest."""
    layer = os.urandom(layer_bytes)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                         "diff_ids": [digest_of(layer)]}}).encode()  # fmt: skip
    for blob in (layer, config):
        answer = put_blob(url, repository, token, blob)
        assert answer.status_code == 201, answer.text
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": digest_of(config)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": digest_of(layer)}],
    }).encode()  # fmt: skip
    answer = httpx.put(
        f"{url}/v2/{repository}/manifests/{tag}",
        content=manifest,
        headers={**bearer(token), "Content-Type": MANIFEST_TYPE},
    )
    assert answer.status_code == 201, answer.text
    return digest_of(manifest)
