"""A real platform for pipeline tests: a home folder, a migrated database, real worker processes.

Nothing is faked: submissions go through the upload's own intake (rows plus files in the
store), tasks go through a real broker to a ``podium worker`` subprocess, which runs the real
sandbox and writes a real MLflow store.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from podium.crud.users import create_user
from podium.db.engine import create_db_engine
from podium.db.migrate import upgrade
from podium.db.models import (
    TERMINAL_STATUSES,
    Challenge,
    Evaluation,
    Score,
    Submission,
    SubmissionEvent,
    SubmissionKind,
    User,
    UserCreate,
)
from podium.pipeline.intake import submit_file
from podium.services.registration import register_challenge
from podium.settings import Settings
from podium.store import Store
from sandbox.runner import LABEL
from tests.platform.factories import make_user

REPO = Path(__file__).resolve().parents[2]
FAST_ENV = {
    "PODIUM_HEARTBEAT_SECONDS": "1",
    "PODIUM_RESAMPLES": "100",
    "PODIUM_BROKER_POLL_SECONDS": "0.1",
    "PODIUM_RETRY_BACKOFF_SECONDS": "0.5",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    """One platform's state; ``env`` is what its worker processes get."""

    settings: Settings
    env: dict[str, str]
    engine: Engine
    owner: User | None = None
    challenges: dict[str, Challenge] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def register(self, bundle: Path) -> Challenge:
        with self.session() as session:
            challenge = register_challenge(
                session,
                bundle_path=bundle,
                owner=self.owner,
                store=Store.from_settings(self.settings),
            )
        self.challenges[challenge.slug] = challenge
        return challenge

    def participant(self) -> User:
        """A fresh participant (no role anywhere): a team of their own on first submission."""
        with self.session() as session:
            return make_user(session)

    def submit(
        self,
        slug: str,
        kind: SubmissionKind,
        content: bytes,
        name: str,
        *,
        user: User | None = None,
        baseline: bool = False,
    ) -> int:
        """Submit through the upload's intake: as ``user``, else as a fresh participant (each
        in a team of its own, so no quota is shared); ``baseline``: the organiser's baseline."""
        assert self.owner is not None
        who = self.owner if baseline else user or self.participant()
        with self.session() as session:
            submission = submit_file(
                session, self.settings, challenge=self.challenges[slug], user=who,
                kind=kind, content=content, filename=name, baseline=baseline,
            )  # fmt: skip
        assert submission.id is not None
        return submission.id

    def get(self, submission_id: int) -> Submission:
        with self.session() as session:
            found = session.get(Submission, submission_id)
        assert found is not None
        return found

    def wait(self, submission_id: int, timeout: float = 240, statuses: Any = None) -> Submission:
        wanted = statuses or TERMINAL_STATUSES
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            submission = self.get(submission_id)
            if submission.status in wanted:
                return submission
            time.sleep(0.2)
        raise AssertionError(f"submission {submission_id} is still {submission.status}")

    def wait_tracked(self, submission_id: int, timeout: float = 60) -> str:
        """The MLflow run id, once the worker wrote it (after ``finished``, by design)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run_id = self.get(submission_id).mlflow_run_id
            if run_id:
                return run_id
            time.sleep(0.2)
        raise AssertionError(f"submission {submission_id} has no MLflow run")

    def scores(self, submission_id: int) -> dict[tuple[str, str], Score]:
        with self.session() as session:
            rows = session.exec(select(Score).where(Score.submission_id == submission_id)).all()
        return {(str(row.split), row.metric): row for row in rows}

    def evaluations(self, submission_id: int) -> list[Evaluation]:
        with self.session() as session:
            query = select(Evaluation).where(Evaluation.submission_id == submission_id)
            return list(session.exec(query.order_by(col(Evaluation.attempt))).all())

    def events(self, submission_id: int) -> list[SubmissionEvent]:
        with self.session() as session:
            query = select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id)
            return list(session.exec(query.order_by(col(SubmissionEvent.id))).all())


def make_platform(home: Path, **overrides: str) -> Platform:
    """A migrated platform under ``home``; ``overrides`` are PODIUM_* variables (lower-case)."""
    env = {"PODIUM_HOME": str(home), **FAST_ENV}
    env.update({f"PODIUM_{k.upper()}": v for k, v in overrides.items()})
    settings = Settings(
        home=home, **{k: v for k, v in overrides.items() if k in Settings.model_fields}
    )
    upgrade(settings.database_url)
    platform = Platform(settings, env, create_db_engine(settings.database_url))
    with platform.session() as session:
        create = UserCreate(
            username="organiser", email="o@example.org", password="organiser-pass-1"
        )
        platform.owner = create_user(session, user_create=create)
    return platform


class Worker:
    """A ``podium worker`` subprocess in its own process group (so it can be SIGKILLed whole)."""

    def __init__(
        self, platform: Platform, log: Path, *, reaper: bool = False, host: str | None = None,
        **env: str,
    ) -> None:  # fmt: skip
        command = [sys.executable, "-m", "podium.cli", "worker", "--loglevel=info"]
        command.append("--reaper" if reaper else "--no-reaper")
        if host is not None:  # another host's name (root only): a UTS namespace of its own
            renamed = f'hostname {host} && exec "$@"'
            command = ["unshare", "--uts", "sh", "-c", renamed, "sh", *command]
        self.log = log
        self._handle = log.open("ab")
        full_env = {**os.environ, **platform.env, **env}
        self.process = subprocess.Popen(
            command, cwd=REPO, env=full_env, stdout=self._handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 90) -> Worker:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._handle.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._handle.close()


def quick_bundle(built: Path, dest: Path, slug: str = "quick-check", wall_seconds: int = 8) -> Path:
    """A copy of the breast-cancer bundle with a short wall-time limit (for timeouts)."""
    shutil.copytree(built, dest)
    spec = yaml.safe_load((dest / "challenge.yaml").read_text())
    spec["slug"] = slug
    for phase in spec["phases"]:
        phase["limits"]["wall_seconds"] = wall_seconds
    (dest / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


def context_tar(files: dict[str, str]) -> bytes:
    """A build context archive holding ``files`` (name -> text)."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def constant_predictions(bundle: Path) -> str:
    """A valid breast-cancer predictions file saying 0.5/0.5 for every hidden id."""
    test_csv = next((bundle / "data" / "hidden").rglob("test.csv"))
    ids = [line.split(",", 1)[0] for line in test_csv.read_text().splitlines()[1:] if line]
    return "id,benign,malignant\n" + "".join(f"{i},0.5,0.5\n" for i in ids)


def model_context(entrypoint: str, files: dict[str, str] | None = None) -> bytes:
    """A tiny build context on the runtime-python image running ``entrypoint`` with sh."""
    copies = "".join(f"COPY {name} /app/{name}\n" for name in files or {})
    dockerfile = (
        "FROM podium/runtime-python:3.11\n" + copies + f'ENTRYPOINT ["sh", "-c", "{entrypoint}"]\n'
    )
    return context_tar({"Dockerfile": dockerfile, **(files or {})})


CONSTANT_PREDICT = """
import os, sys
rows = open(os.path.join(os.environ["PODIUM_INPUT"], "test.csv")).read().splitlines()[1:]
with open(os.path.join(os.environ["PODIUM_OUTPUT"], "predictions.csv"), "w") as out:
    out.write("id,benign,malignant\\n")
    out.writelines(row.split(",", 1)[0] + ",0.5,0.5\\n" for row in rows if row)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


def constant_model(before: str = "true", exit_code: int = 0) -> bytes:
    """A breast-cancer model saying 0.5/0.5 for every id it is given (public sample and hidden
    data alike), after running the shell command ``before``, then exiting with ``exit_code``."""
    dockerfile = (
        "FROM podium/runtime-python:3.11\nCOPY predict.py /app/predict.py\n"
        f'ENTRYPOINT ["sh", "-c", "{before} && python3 /app/predict.py {exit_code}"]\n'
    )
    return context_tar({"Dockerfile": dockerfile, "predict.py": CONSTANT_PREDICT})


def remove_runs_of(platform: Platform, client: docker.DockerClient) -> list[str]:
    """Remove the sandbox containers of ``platform``'s runs only (their /output lies under its
    staging folder), as the reaper would once their deadline passed: other platforms and tests
    share the engine, so nothing else is touched."""
    staging = str(platform.settings.sandbox_staging)
    removed: list[str] = []
    for container in client.api.containers(all=True, filters={"label": LABEL}):
        mounts = client.api.inspect_container(container["Id"]).get("Mounts") or []
        if any(str(m.get("Source", "")).startswith(staging) for m in mounts):
            client.api.remove_container(container["Id"], force=True, v=True)
            removed.append(container["Id"])
    # a killed worker never unmounted its runs' /output (a tmpfs): the reaper would, later
    for run_dir in platform.settings.sandbox_staging.glob("runs/*"):
        if (run_dir / "output").is_mount():
            subprocess.run(["umount", "-l", str(run_dir / "output")], check=False)
    return removed
