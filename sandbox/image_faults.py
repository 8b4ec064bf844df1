"""Whose fault it is when an image cannot start: the one place that tells the image's from ours.

An image can make the engine refuse to create or start its container: a missing or
non-executable ENTRYPOINT/CMD, an exec format error, a missing interpreter or loader, a WORKDIR
that cannot be used, a VOLUME over a path the runtime owns, a malformed ENV entry. Those are the
participant's mistakes and end as ``invalid_image`` with a message a student can act on; every
other refusal stays a ``SandboxError`` (the platform's fault, retried).

What the engine answers was read off Docker 20.10 with runc 1.1 and with gVisor's runsc
(Debian's 2022 build), which word the same faults differently and at different moments:

    fault                     runc                                        runsc
    missing program           start: exec: "/x": stat /x: no such file   start: failed to load /x:
                                                                           no such file or directory
    not on PATH               start: executable file not found in $PATH   start: error finding
                                                                           executable "x" in PATH
    not executable / a folder start: exec: "/x": permission denied        start: failed to load /x:
                                                                           permission denied
    exec format error         exits 1, stderr "exec /x: exec format       start: failed to load /x:
                              error"                                       exec format error
    missing #! interpreter    exits 1, stderr "exec /x: no such file or   start: failed to load /x:
    or ELF loader             directory"                                   no such file or directory
    WORKDIR relative          start: Cwd must be an absolute path         (runs)
    WORKDIR is a file         create: Cannot mkdir: /x is not a directory (same)
    WORKDIR unreachable       (runs)                                      start: failed to find
                                                                           initial working directory
    VOLUME over /proc, /dev,  start: error mounting ... to rootfs at      mostly runs; /etc/hosts:
    /etc/hosts, in /input     "/x" (or: unable to setup user)             "cannot read client sync
                                                                           file" (opaque)
    VOLUME relative or /      create: invalid mount config                (same)
    ENV "=x"                  start: environment variable name can't be  (runs)
                              empty

What a config alone shows is refused before anything is created (:func:`config_problem`), so
an opaque refusal never has to be guessed at; the rest is recognised in the engine's words
(:func:`refusal_problem`, :func:`exec_failure`).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

# Paths the sandbox mounts itself; an image's VOLUME there is already covered.
OWN_MOUNTS = ("/input", "/output", "/tmp")
_RUNTIME_OWNED = ("/proc", "/sys", "/dev")
_ENGINE_FILES = ("/etc/hosts", "/etc/hostname", "/etc/resolv.conf")
_HOW_RUN = (
    "the platform runs your image's own ENTRYPOINT/CMD as user 65534 (nobody) on a read-only "
    "root filesystem"
)

_MISSING = (
    "the program your image starts, {prog}, could not be found: it is not in the image, or "
    "the interpreter of its #! line or the loader and libraries it needs are missing; "
    "check the path in ENTRYPOINT/CMD and that the image installs what the program needs"
)
_NOT_ON_PATH = (
    "the program your image starts, {prog}, is not on the image's PATH; give its full path "
    "in ENTRYPOINT/CMD (e.g. /usr/local/bin/python)"
)
_NOT_EXECUTABLE = (
    "the program your image starts, {prog}, cannot be executed: it is a folder, or it lacks "
    "the execute permission for other users (add `RUN chmod 755 {prog}` to your Dockerfile); "
    + _HOW_RUN
)
_EXEC_FORMAT = (
    "the program your image starts, {prog}, is not a program this machine can run (exec "
    "format error): build the image for linux/amd64, and start scripts with a #! line"
)
_WORKDIR = (
    "your image's WORKDIR {path} cannot be used as the working folder: it must be an absolute "
    "path to a folder that exists in the image and that user 65534 may enter"
)
_VOLUME = (
    "your image declares VOLUME {path}, which the sandbox cannot mount: {why}; remove that "
    "VOLUME line (write scratch files to /tmp and predictions to /output)"
)
_ENV = (
    "your image's ENV holds an entry the runtime refuses ({entry}); every entry must be "
    "NAME=value with a non-empty NAME"
)

# (pattern, message) in the order they are tried; `prog` and `path` are taken from the match.
_REFUSALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r'exec: "(?P<prog>[^"]*)": executable file not found in \$PATH'), _NOT_ON_PATH),
    (re.compile(r'error finding executable "(?P<prog>[^"]*)" in PATH'), _NOT_ON_PATH),
    (re.compile(r'exec: "(?P<prog>[^"]*)": stat [^:]*: no such file or directory'), _MISSING),
    (re.compile(r'exec: "(?P<prog>[^"]*)": permission denied'), _NOT_EXECUTABLE),
    (re.compile(r'exec: "(?P<prog>[^"]*)": exec format error'), _EXEC_FORMAT),
    (re.compile(r"failed to load (?P<prog>.+?): no such file or directory"), _MISSING),
    (re.compile(r"failed to load (?P<prog>.+?): permission denied"), _NOT_EXECUTABLE),
    (re.compile(r"failed to load (?P<prog>.+?): exec format error"), _EXEC_FORMAT),
    (re.compile(r"Cwd must be an absolute path"), _WORKDIR),
    (re.compile(r'failed to find initial working directory "(?P<path>[^"]*)"'), _WORKDIR),
    (re.compile(r"Cannot mkdir: (?P<path>.+?) is not a directory"), _WORKDIR),
    (re.compile(r'chdir to cwd \("(?P<path>[^"]*)"\)'), _WORKDIR),
    (re.compile(r"environment variable name can't be empty"), _ENV),
)
_MOUNT_REFUSED = re.compile(r'error mounting "[^"]*" to rootfs at "(?P<path>[^"]*)"')
# runc's own words when execve fails after the container started (it exits 1 and says so).
_EXEC_AFTER_START = re.compile(
    r"exec (?P<prog>.+): (?P<why>exec format error|no such file or directory|permission denied)\n?"
)
_AFTER_START = {
    "exec format error": _EXEC_FORMAT,
    "no such file or directory": _MISSING,
    "permission denied": _NOT_EXECUTABLE,
}


def config_problem(image: str, config: dict[str, Any], *, own_command: bool) -> str | None:
    """What in an image's config stops it from running, before anything is created.

    Args:
        image: the name the caller gave (for the message).
        config: the image's ``Config`` as the engine reports it.
        own_command: the caller runs its own command (the image's ENTRYPOINT/CMD do not matter).

    Returns:
        A message for the participant, or None when the config looks runnable.
    """
    if not own_command and not config.get("Entrypoint") and not config.get("Cmd"):
        return (
            f"the image {image} has no ENTRYPOINT or CMD, so there is nothing to run; add one "
            "that reads /input and writes your predictions to /output"
        )
    workdir = str(config.get("WorkingDir") or "")
    if workdir and not workdir.startswith("/"):
        return _WORKDIR.format(path=_quoted(workdir))
    for entry in config.get("Env") or []:
        if str(entry).startswith("=") or "\x00" in str(entry):
            return _ENV.format(entry=_quoted(str(entry)))
    for volume in config.get("Volumes") or {}:
        why = _volume_problem(str(volume))
        if why:
            return _VOLUME.format(path=_quoted(str(volume)), why=why)
    return None


def masked_volumes(config: dict[str, Any]) -> list[str]:
    """The image's VOLUME paths the sandbox must cover (normalised, its own mounts left out)."""
    found = {posixpath.normpath(str(v)) for v in (config.get("Volumes") or {})}
    return sorted(v for v in found if v not in OWN_MOUNTS)


def refusal_problem(explanation: str) -> str | None:
    """The participant's message for an engine refusal the image caused, or None if not.

    Args:
        explanation: the engine's own words (``APIError.explanation``).
    """
    for pattern, message in _REFUSALS:
        found = pattern.search(explanation)
        if found:
            fields = found.groupdict()
            return message.format(
                prog=_quoted(fields.get("prog") or "?"),
                path=_quoted(fields.get("path") or "?"),
                entry="an empty name",
            )
    mount = _MOUNT_REFUSED.search(explanation)
    if mount and posixpath.normpath(mount["path"]) not in OWN_MOUNTS:
        return _VOLUME.format(path=_quoted(mount["path"]), why="the runtime refused to mount it")
    return None


def exec_failure(exit_code: int, stdout_bytes: int, stderr_text: str) -> str | None:
    """runc reports a failed execve after start as exit 1 and one stderr line; recognise it."""
    if exit_code != 1 or stdout_bytes:
        return None
    found = _EXEC_AFTER_START.fullmatch(stderr_text)
    if not found:
        return None
    return _AFTER_START[found["why"]].format(prog=_quoted(found["prog"]))


def _volume_problem(volume: str) -> str | None:
    if not volume.startswith("/"):
        return "it is not an absolute path"
    path = posixpath.normpath(volume)
    if path == "/":
        return "it is the root folder"
    if any(path == p or path.startswith(p + "/") for p in _RUNTIME_OWNED):
        return f"/{path.split('/')[1]} belongs to the kernel and the runtime"
    if path in _ENGINE_FILES:
        return "the engine writes that file itself"
    if path.startswith("/input/"):
        return "/input is mounted read-only with the challenge's data"
    return None


def _quoted(text: str) -> str:
    """Names from an image are untrusted: bounded, one line, control bytes shown escaped."""
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= 200 else text[:200] + "..."
