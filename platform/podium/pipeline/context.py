"""What an evaluation needs from its surroundings, passed in rather than found globally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import docker
from sqlmodel import Session

from podium.settings import Settings
from podium.store import Store
from podium.tracking import Tracker
from sandbox.build_network import PackageAccess
from sandbox.runner import SandboxRunner

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class PipelineContext:
    """The collaborators of one worker process: database, engine, sandbox, MLflow.

    Built once per process by :mod:`podium.worker.runtime`; tests build their own.
    """

    session_factory: SessionFactory
    settings: Settings
    client: docker.DockerClient
    runner: SandboxRunner
    tracker: Tracker
    worker_name: str

    @property
    def store(self) -> Store:
        """The platform's file store."""
        return Store.from_settings(self.settings)

    @cached_property
    def packages(self) -> PackageAccess:
        """The package indexes builds may reach (the proxy starts on the first build)."""
        return PackageAccess(
            self.client,
            hosts=_names(self.settings.build_package_hosts),
            blocked=_names(self.settings.build_blocked_networks),
        )

    @property
    def inputs_root(self) -> Path:
        """Where staged ``/input`` folders live (one per challenge and data hash)."""
        return self.settings.sandbox_staging / "inputs"

    @property
    def outputs_root(self) -> Path:
        """Where the ``/output`` of each attempt is copied out to before scoring."""
        return self.settings.sandbox_staging / "outputs"


@dataclass(frozen=True)
class Attempt:
    """One evaluation attempt of one submission, with the facts the stages need."""

    evaluation_id: int
    submission_id: int
    number: int
    kind: str
    file_path: Path
    file_sha256: str
    pinned_digest: str | None
    challenge_slug: str
    bundle_path: Path
    bundle_sha256: str
    split_secret: str
    phase_name: str
    team_id: int
    practice: bool = False  # a practice run: the public sample only (podium.pipeline.practice)


def _names(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())
