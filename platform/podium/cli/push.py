"""`podium submit --image TAG` through the registry: push what it lacks, submit the digest.

The API hands out the team's repository and a short-lived push token; the local engine pushes
with that token in the request (nothing is written to ``~/.docker``), sending only the layers
the registry does not hold (the runtime image's layers are there already, or mounted from the
runtime repositories); the submission then pins the manifest digest the push reports.
"""

from __future__ import annotations

import time
from typing import Any

import docker

from podium.cli.client import ApiError, PodiumClient
from podium.cli.remote import Transfer, expect_dict, transfers
from podium.registry.engine import push

NO_REGISTRY = 404


class LayerBar:
    """One progress bar over the bytes of the layers the engine uploads."""

    def __init__(self, bar: Transfer) -> None:
        self._bar, self._done, self._totals = bar, {}, {}  # type: ignore[var-annotated]

    def __call__(self, event: dict[str, Any]) -> None:
        layer, detail = str(event.get("id", "")), event.get("progressDetail") or {}
        if event.get("status") != "Pushing" or not isinstance(detail, dict):
            return
        total, current = int(detail.get("total") or 0), int(detail.get("current") or 0)
        if total and layer not in self._totals:
            self._totals[layer] = total
            self._bar.start(sum(self._totals.values()))
            self._bar.advance(sum(self._done.values()))
        self._bar.advance(max(current - self._done.get(layer, 0), 0))
        self._done[layer] = max(current, self._done.get(layer, 0))


def push_to_registry(
    client: PodiumClient, engine: docker.DockerClient, challenge: str, image: str
) -> str | None:
    """Push ``image`` to the team's repository; its manifest digest, or None with no registry."""
    try:
        where = expect_dict(
            client.send_json("POST", f"/challenges/{challenge}/registry/repository")
        )
    except ApiError as error:
        if error.status_code == NO_REGISTRY and "registry" in error.message:
            return None
        raise
    tag = time.strftime("submit-%Y%m%d-%H%M%S")
    with transfers() as progress:
        bar = LayerBar(Transfer(progress, f"pushing {image} (only the layers the registry lacks)"))
        pushed = push(
            engine, image, host=str(where["registry"]), repository=str(where["repository"]),
            tag=tag, token=str(where["token"]), progress=bar,
        )  # fmt: skip
    return pushed.digest


def submit_pushed(
    client: PodiumClient, engine: docker.DockerClient, challenge: str, image: str,
    phase: str | None, description: str,
) -> dict[str, Any] | None:  # fmt: skip
    """Push ``image``, then submit its digest; the API's answer, or None with no registry."""
    digest = push_to_registry(client, engine, challenge, image)
    if digest is None:
        return None
    body = {"digest": digest, "phase": phase, "description": description}
    return expect_dict(
        client.send_json("POST", f"/challenges/{challenge}/submissions/pushed", body)
    )
