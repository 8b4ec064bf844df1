"""Podium's settings: one pydantic-settings class read from ``PODIUM_*`` environment variables.

Everything that has no explicit value is derived from ``home`` (``.podium/`` in the current
directory), so a single machine needs no configuration at all::

    settings = get_settings()
    settings.database_url   # sqlite:////abs/path/.podium/podium.db unless PODIUM_DATABASE_URL
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"


def _sqlite_url(path: Path, scheme: str = "sqlite") -> str:
    return f"{scheme}:///{path}"


class Settings(BaseSettings):
    """Every setting of the platform; each one is read from ``PODIUM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="PODIUM_", extra="ignore", frozen=True)

    home: Path = Field(
        default=Path(".podium"),
        description="Folder holding all local state (databases, store, secret key).",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the database; default SQLite at <home>/podium.db "
        "(PostgreSQL: postgresql+psycopg://user:pass@host/db).",
    )
    broker_url: str = Field(
        default="",
        description="Celery broker URL; default Celery over SQLite at <home>/broker.db "
        "(sqla+sqlite://), e.g. redis://localhost:6379/0 to scale out.",
    )
    result_backend: str = Field(
        default="",
        description="Celery result backend; default db+sqlite:///<home>/results.db, "
        "the broker's URL when that is Redis.",
    )
    mlflow_tracking_uri: str = Field(
        default="",
        description="MLflow tracking URI; default a SQLite store at <home>/mlflow.db.",
    )
    store_dir: Path = Field(
        default=Path(""),
        description="Folder for uploaded bundles, submissions and logs; default <home>/store.",
    )
    sandbox_staging: Path = Field(
        default=Path(""),
        description="Folder where the worker stages inputs and outputs for sandbox runs; "
        "default <home>/staging.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Server secret; generated and kept in <home>/secret_key (mode 0600) "
        "when not set.",
    )
    max_upload_mb: int = Field(
        default=2048, gt=0, description="Largest submission upload accepted, in MB."
    )
    max_bundle_mb: int = Field(
        default=4096, gt=0, description="Largest challenge bundle upload accepted, in MB."
    )
    max_deliverable_mb: int = Field(
        default=100,
        gt=0,
        description="Largest deliverable (report, slides) upload accepted, in MB; a phase may "
        "set a smaller cap per deliverable (max_mb in challenge.yaml).",
    )
    max_request_kb: int = Field(
        default=1024,
        gt=0,
        description="Largest body of any other request (JSON, page forms), in KB; like the "
        "upload caps it is enforced while the body arrives.",
    )
    register_rate_limit: str = Field(
        default="10/minute",
        description="Registrations allowed per client address, in the notation of the `limits` "
        "library ('10/minute', '50 per day', '3 per 2 seconds'). The address is the one uvicorn "
        "reports: behind a proxy, start it with --proxy-headers and --forwarded-allow-ips.",
    )
    login_rate_limit: str = Field(
        default="20/minute",
        description="Logins (/api/v1/auth/token and the login page) allowed per client address, "
        "in the same notation; counts are shared through Redis when the broker is redis://.",
    )
    token_ttl_hours: int = Field(
        default=24 * 30, gt=0, description="Lifetime of a token issued by /auth/token, in hours."
    )
    docker_host: str | None = Field(
        default=None,
        description="Docker engine URL for the sandbox (e.g. unix:///var/run/docker.sock); "
        "default: the DOCKER_HOST environment of the worker.",
    )
    sandbox_runtime: Literal["auto", "runc", "runsc"] = Field(
        default="auto",
        description="OCI runtime of sandbox runs: auto (gVisor's runsc where the engine offers "
        "it, else runc; GPU runs use runc), runc, or runsc.",
    )
    gpu_devices: str | None = Field(
        default=None,
        description="GPU ids this worker may hand to sandbox runs, e.g. '0,1'; a GPU run gets "
        "the first ones its phase asks for. Default: ask the engine for a count.",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Apply database migrations when the API starts (turn off when an "
        "operator runs `podium db upgrade` instead).",
    )
    board_ranking_process: bool = Field(
        default=True,
        description="Rank leaderboards in a child process of the API (one per API process), "
        "so that a rebuild never slows the answers; off: in a thread of the API's process.",
    )
    open_registration: bool = Field(
        default=True, description="Whether anyone may register an account through the API."
    )
    password_reset_minutes: int = Field(
        default=60,
        gt=0,
        description="How long a password-reset code that an organiser or admin issues stays valid.",
    )

    # The evaluation pipeline: heartbeats, the reaper, retries, scoring.
    heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a running evaluation stamps its heartbeat."
    )
    stale_seconds: float = Field(
        default=60.0,
        gt=0,
        description="An evaluation whose heartbeat is older than this is taken as abandoned.",
    )
    max_retries: int = Field(
        default=3, ge=0, description="Re-queues of an abandoned evaluation before it ends as error."
    )
    queued_stale_seconds: float = Field(
        default=1800.0,
        gt=0,
        description="A submission queued this long with no evaluation is enqueued again.",
    )
    reaper_interval_seconds: float = Field(
        default=15.0, gt=0, description="Pause between two passes of the reaper."
    )
    practice_in_flight: int = Field(
        default=1,
        ge=1,
        description=(
            "Practice runs (all teams) sent to the workers at once; they are sent only while "
            "no submission waits for a worker, so a submission never waits behind them."
        ),
    )
    team_in_flight: int = Field(
        default=1,
        ge=1,
        description=(
            "Submissions of one team sent to the workers at once; the team's others wait, "
            "queued, so another team's submission waits behind at most this many of its."
        ),
    )
    platform_retries: int = Field(
        default=6,
        ge=0,
        description="Retries of an evaluation that met a platform fault (with the default "
        "backoff they span about 2 minutes: an engine or database restart is survived).",
    )
    retry_backoff_seconds: float = Field(
        default=2.0, ge=0, description="First retry delay; doubled on each further retry."
    )
    resamples: int = Field(
        default=1000, ge=0, description="Bootstrap resamples for confidence intervals."
    )
    build_wall_seconds: int = Field(
        default=900, gt=0, description="Time limit of building a context or wrapping a model."
    )
    build_memory_mb: int = Field(
        default=4096, gt=0, description="Memory of each step of a participant's build (no swap)."
    )
    build_cpus: float = Field(default=2.0, gt=0, description="CPU quota of each build step.")
    build_processes: int = Field(
        default=512, gt=0, description="Processes and threads a build may run at once."
    )
    build_disk_mb: int = Field(
        default=8192, gt=0, description="What a build's steps may write to disk, in MB."
    )
    build_layer_mb: int = Field(
        default=4096, gt=0, description="Largest layer (and file) a build may make, in MB."
    )
    build_image_mb: int = Field(
        default=12288, gt=0, description="Largest image a build may make, base included, in MB."
    )
    build_package_hosts: str = Field(
        default="pypi.org,files.pythonhosted.org,deb.debian.org,security.debian.org",
        description="Host names (or *.suffix) builds reach through the package proxy when a "
        "challenge's build_network is `packages`; comma-separated.",
    )
    build_blocked_networks: str = Field(
        default="",
        description="Extra networks (CIDR, comma-separated) the package proxy never forwards to, "
        "besides loopback, private, link-local and multicast ranges: your site's own.",
    )
    image_budget_mb: int = Field(
        default=40960,
        gt=0,
        description="Disk each worker host lets submission images use; unpinned images are "
        "evicted, oldest first, above it.",
    )
    scoring_budget_seconds: int = Field(
        default=600, gt=0, description="Time allowed for scoring, counted into the deadline."
    )
    stale_upload_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="An entry of <store>/uploads unchanged this long was left by an upload cut "
        "short (its API process died); it is removed when the API starts and by the reaper.",
    )
    broker_poll_seconds: float = Field(
        default=0.1, gt=0, description="Polling interval of the SQLite broker (no server push)."
    )

    # The image registry (CNCF Distribution): participants push, workers pull by digest.
    registry_enabled: bool = Field(
        default=True,
        description="Run and use the image registry: `podium up` starts it on loopback, "
        "`podium submit --image` pushes to it, workers pull pinned digests from it.",
    )
    registry_port: int = Field(
        default=5050,
        gt=0,
        lt=65536,
        description="Port of the registry `podium up` starts on 127.0.0.1 (5000 is MLflow's UI).",
    )
    registry_url: str = Field(
        default="",
        description="Address clients and worker engines reach the registry at; default "
        "http://127.0.0.1:<registry_port>.",
    )
    registry_engine_host: str = Field(
        default="",
        description="host:port that Docker engines push to and pull from (image references "
        "name it): for the API, the address participants reach; for a worker, the address its "
        "host's engine reaches. Default: host:port of registry_url. The compose stack sets it: "
        "there registry_url is the registry's service name, which no engine resolves.",
    )
    registry_token_minutes: int = Field(
        default=5, gt=0, le=60, description="Lifetime of a registry token issued by the API."
    )
    registry_team_quota_mb: int = Field(
        default=20480,
        gt=0,
        description="Registry storage each team's repository may use (layers it shares with "
        "the runtime images are free); a push token is refused above it.",
    )

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        # frozen model: derived defaults are filled once, here, through object.__setattr__
        home = self.home.expanduser().absolute()
        derived: dict[str, Any] = {"home": home}
        if not self.database_url:
            derived["database_url"] = _sqlite_url(home / "podium.db")
        if not self.broker_url:
            derived["broker_url"] = _sqlite_url(home / "broker.db", "sqla+sqlite")
        if not self.result_backend:
            derived["result_backend"] = (
                self.broker_url
                if self.broker_url.startswith(("redis://", "rediss://"))
                else _sqlite_url(home / "results.db", "db+sqlite")
            )
        if not self.mlflow_tracking_uri:
            derived["mlflow_tracking_uri"] = _sqlite_url(home / "mlflow.db")
        if self.store_dir == Path(""):
            derived["store_dir"] = home / "store"
        if self.sandbox_staging == Path(""):
            derived["sandbox_staging"] = home / "staging"
        if not self.registry_url:
            derived["registry_url"] = f"http://127.0.0.1:{self.registry_port}"
        if not self.registry_engine_host:
            registry_url = derived.get("registry_url", self.registry_url)
            derived["registry_engine_host"] = registry_url.split("://", 1)[-1].rstrip("/")
        for name, value in derived.items():
            object.__setattr__(self, name, value)
        return self

    def get_secret_key(self) -> str:
        """The server secret: the configured one, else the one kept under ``home``.

        The first call on a fresh ``home`` generates it and writes it with mode 0600.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.home / SECRET_KEY_FILE
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        self.home.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
