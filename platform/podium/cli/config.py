"""Where the CLI keeps the server address and the login token.

The file is ``$XDG_CONFIG_HOME/podium/config.json`` (``~/.config/podium/config.json`` when the
variable is unset), readable by its owner only (mode 0600): the token is as good as a password.
``PODIUM_SERVER`` and ``PODIUM_TOKEN`` override what the file says, for scripts and CI.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:8000"
CONFIG_NAME = "config.json"


class ConfigError(Exception):
    """The config file cannot be read or written; the message says which file and what to do."""


@dataclass(frozen=True)
class CliConfig:
    """The server to talk to and the token to show it (None before `podium login`)."""

    server: str = DEFAULT_SERVER
    token: str | None = None


def config_dir() -> Path:
    """The folder of the CLI's config file."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "podium"


def config_path() -> Path:
    """The CLI's config file."""
    return config_dir() / CONFIG_NAME


def normalise_server(url: str) -> str:
    """``url`` without trailing slashes, with ``http://`` added when no scheme is given."""
    url = url.strip().rstrip("/")
    return url if "://" in url else f"http://{url}"


def _read_file(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path} ({type(exc).__name__}); delete it and run `podium login` again"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object; delete it and run `podium login` again")
    return data


def load_config() -> CliConfig:
    """The stored settings, with ``PODIUM_SERVER``/``PODIUM_TOKEN`` taking precedence."""
    stored = _read_file(config_path())
    server = os.environ.get("PODIUM_SERVER") or stored.get("server") or DEFAULT_SERVER
    token = os.environ.get("PODIUM_TOKEN") or stored.get("token") or None
    return CliConfig(
        server=normalise_server(str(server)), token=str(token) if token is not None else None
    )


def save_config(config: CliConfig) -> Path:
    """Write ``config`` atomically to the config file, mode 0600; returns the file."""
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(prefix=".config-", dir=path.parent)  # created 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"server": config.server, "token": config.token}, out, indent=2)
        os.chmod(name, 0o600)
        os.replace(name, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path} ({exc.strerror or exc}); check its folder"
        ) from None
    return path


def forget_token() -> bool:
    """Remove the stored token (the server address stays); True if there was one."""
    path = config_path()
    stored = _read_file(path)
    if not stored.get("token"):
        return False
    server = str(stored.get("server") or DEFAULT_SERVER)
    save_config(CliConfig(server=normalise_server(server), token=None))
    return True
