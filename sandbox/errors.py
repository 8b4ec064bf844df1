"""The sandbox's one error tree.

    SandboxError                 anything the sandbox package raises
    ├── EngineUnavailable        the Docker engine cannot be reached (a platform fault: retry)
    ├── ArchiveError             an uploaded archive is unsafe or malformed (participant fault)
    ├── ImageError               an image cannot be loaded, built or used (the participant's fault)
    │   └── BuildError           a build context failed to build; carries the build log tail
    ├── Cancelled                a build was stopped because its submission was cancelled
    └── RuntimeImageError        the platform's runtime images cannot be built (an operator fault)

Docker SDK and requests errors are translated into these at the boundary (`sandbox.docker_errors`),
so callers never see a third-party exception. Every message says what was wrong and what to do.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base class: `str(error)` is a message a participant or operator can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EngineUnavailable(SandboxError):
    """The Docker engine did not answer; nothing was run. Safe to retry later."""


class ArchiveError(SandboxError):
    """An archive was refused before anything was written outside its target folder."""


class ImageError(SandboxError):
    """An image archive or image is unusable (several images, too large, no entrypoint, ...)."""


class BuildError(ImageError):
    """A build context failed to build or ran past its time limit."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class Cancelled(SandboxError):
    """The work was stopped on request (a cancelled submission); nothing of it was kept."""


class RuntimeImageError(SandboxError):
    """A runtime base image could not be built; the message says which step failed."""
