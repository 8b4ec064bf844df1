"""The registry's configuration file, rendered from the settings.

Storage is a folder under ``<home>/registry/data``; the registry listens on loopback only (so no
sandbox or build container, whose networks never include the host's loopback, can reach it);
every request needs a token signed by the API (``auth.token``); deletes are on, for garbage
collection; manifests naming foreign layer URLs are refused (a worker would otherwise fetch
them from wherever they point).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from podium.registry.keys import CERT_FILE, ISSUER, SERVICE, TokenSigner
from podium.settings import Settings

BINARY = "docker-registry"
TOKEN_PATH = "/api/v1/registry/token"


@dataclass(frozen=True)
class RegistryFiles:
    """Where one registry keeps its configuration, data, keys and log."""

    folder: Path

    @classmethod
    def under(cls, home: Path) -> RegistryFiles:
        return cls(home / "registry")

    @property
    def config(self) -> Path:
        return self.folder / "config.yml"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def certificate(self) -> Path:
        return self.folder / CERT_FILE

    @property
    def log(self) -> Path:
        return self.folder / "registry.log"


def render_config(
    files: RegistryFiles, *, listen: str, realm: str, secret_key: str
) -> dict[str, Any]:
    """The configuration of a registry listening on ``listen`` whose tokens come from ``realm``."""
    return {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text"},
        "storage": {
            "filesystem": {"rootdirectory": str(files.data)},
            "delete": {"enabled": True},
            "maintenance": {
                "uploadpurging": {"enabled": True, "age": "24h", "interval": "1h", "dryrun": False}
            },
        },
        "http": {
            "addr": listen,
            # signs upload session state; one value for the life of the data folder
            "secret": hashlib.sha256(f"registry-http:{secret_key}".encode()).hexdigest(),
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": {
            "token": {
                "realm": realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(files.certificate),
            }
        },
        # no allow list: a manifest naming a foreign layer URL is refused
        "validation": {"manifests": {"urls": {"allow": []}}},
    }


def write_config(files: RegistryFiles, **options: str) -> Path:
    """Render and write the configuration (see :func:`render_config`); returns its path."""
    files.data.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(render_config(files, **options), sort_keys=False)
    files.config.write_text(text, encoding="utf-8")
    return files.config


def signer_for(settings: Settings) -> TokenSigner:
    """The token signer kept under ``<home>/registry`` (made on first use)."""
    return TokenSigner.load(RegistryFiles.under(settings.home).folder)
