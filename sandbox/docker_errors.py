"""The one boundary where docker SDK, requests and urllib3 errors become sandbox errors.

Everything in `sandbox` that talks to the engine does so inside `translate_docker_errors`, so
callers only ever see the tree in `sandbox.errors`:

    requests/urllib3 connection errors, engine gone mid-stream  -> EngineUnavailable (retry)
    docker.errors.ImageNotFound                                 -> ImageError
    docker.errors.APIError (anything else the engine refused)   -> `api_error` (ImageError for
                                                                   intake, SandboxError otherwise)
    other docker.errors.DockerException                         -> SandboxError
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions
import urllib3.exceptions

from sandbox.errors import EngineUnavailable, ImageError, SandboxError

_ENGINE_DOWN = (
    "the Docker engine is not reachable while {action}; start it (e.g. `dockerd`, or "
    "`systemctl start docker`) and retry"
)
_MAX_EXPLANATION = 500
_CONNECTION_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,
    ConnectionError,
)


@contextmanager
def translate_docker_errors(
    action: str, *, api_error: type[SandboxError] = SandboxError
) -> Iterator[None]:
    """Translate third-party errors raised inside the block into sandbox errors.

    Args:
        action: what was being done, as a participant would read it ("loading your image").
        api_error: the class for an engine refusal (`APIError`): `ImageError` where the input
            came from a participant, the default `SandboxError` where it is the platform's own.

    Raises:
        EngineUnavailable: the engine could not be reached or went away mid-answer.
        ImageError: the image does not exist in the engine.
        SandboxError: (or `api_error`) the engine refused the request; its explanation is kept.
    """
    try:
        yield
    except SandboxError:
        raise
    except docker.errors.ImageNotFound as error:
        raise ImageError(
            f"the image was not found while {action} "
            f"({engine_explanation(error)}); no image is ever pulled: load or "
            "build it on this host first"
        ) from error
    except docker.errors.APIError as error:
        if _is_connection_failure(error):
            raise EngineUnavailable(_ENGINE_DOWN.format(action=action)) from error
        raise api_error(
            f"the Docker engine refused {action}: {engine_explanation(error)}"
        ) from error
    except docker.errors.DockerException as error:
        if _is_connection_failure(error):
            raise EngineUnavailable(_ENGINE_DOWN.format(action=action)) from error
        raise SandboxError(f"Docker failed while {action}: {_clean(str(error))}") from error
    except _CONNECTION_ERRORS as error:
        raise EngineUnavailable(_ENGINE_DOWN.format(action=action)) from error


def connect(base_url: str | None = None, *, timeout_seconds: int = 120) -> docker.DockerClient:
    """Open a client to the engine (`DOCKER_HOST` or the local socket when `base_url` is None).

    Args:
        base_url: e.g. "unix:///var/run/docker.sock"; None reads the environment.
        timeout_seconds: per-request HTTP timeout.

    Returns:
        A connected client whose engine answered a ping.

    Raises:
        EngineUnavailable: no engine answered.
    """
    with translate_docker_errors("connecting to the Docker engine"):
        if base_url is None:
            client = docker.from_env(timeout=timeout_seconds)
        else:
            client = docker.DockerClient(base_url=base_url, timeout=timeout_seconds)
        client.ping()
        return client


def engine_explanation(error: docker.errors.APIError) -> str:
    """The engine's own words for a refusal, without HTTP noise, one line, bounded."""
    explanation = error.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", errors="replace")
    if not explanation and error.response is not None:
        explanation = error.response.reason
    return _clean(str(explanation or error))


def _clean(text: str) -> str:
    text = re.sub(r"^Error response from daemon:\s*", "", text.strip())
    text = " ".join(text.split())  # engine messages can hold newlines and tabs
    if len(text) > _MAX_EXPLANATION:
        text = text[:_MAX_EXPLANATION] + " ..."
    return text


def _is_connection_failure(error: BaseException) -> bool:
    """Whether a docker error is really the engine being unreachable (the SDK wraps those)."""
    seen: BaseException | None = error
    for _ in range(5):  # walk a short cause chain: the SDK wraps requests, which wraps urllib3
        if seen is None:
            return False
        if isinstance(seen, _CONNECTION_ERRORS):
            return True
        if "Error while fetching server API version" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
