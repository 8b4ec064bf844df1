"""The run's ``/output``: a size-capped staging area on the host, and a safe copy out of it.

Where the worker may mount (root on a Docker host), ``/output`` is backed by its own tmpfs of the
output cap's size, so a disk-fill attack hits ENOSPC inside the container and never the host's
disk. Elsewhere it is a plain folder and the cap is checked after the run (``fsize`` still bounds
each file). Copying out never follows links and takes regular files and folders only.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SANDBOX_UID = 65534  # nobody: the participant's processes run as this user, whatever the image says
# The tmpfs is a little larger than the caps, so that going over them is measurable.
_SLACK_BYTES = 1 << 20
_SLACK_FILES = 16


@dataclass(frozen=True)
class OutputSummary:
    """What the run left in ``/output``."""

    total_bytes: int
    files: int
    skipped: int  # links, devices, fifos and unreadable names, which are never copied
    problem: str | None = None  # why the tree could not be taken as it is (the run's fault)


class OutputTreeError(Exception):
    """The run left a tree the worker will not walk (too deep, too long a path, unreadable)."""


class OutputStage:
    """One run's staging folder for ``/output``.

    Args:
        root: folder under which run folders are made (one per run).
        run_id: the run's unique id.
        cap_bytes: the output cap in bytes.
        max_files: the output cap in files.
    """

    def __init__(self, root: Path, run_id: str, cap_bytes: int, max_files: int) -> None:
        self.path = root / run_id / "output"
        self.empty = root / run_id / "empty"  # mounted read-only over an image's VOLUMEs
        self.cap_bytes = cap_bytes
        self.max_files = max_files
        self.mounted = False

    def create(self) -> None:
        """Make the folder, on its own tmpfs when this process may mount one."""
        self.path.mkdir(parents=True, exist_ok=False)
        self.empty.mkdir(mode=0o555)
        size = self.cap_bytes + _SLACK_BYTES
        # The inode cap stops a flood of tiny files before the byte cap would notice it.
        opts = (
            f"size={size},nr_inodes={self.max_files + _SLACK_FILES},mode=0700,"
            f"uid={SANDBOX_UID},gid={SANDBOX_UID}"
        )
        if os.geteuid() == 0:
            self.mounted = _mount_tmpfs(self.path, opts)
        if not self.mounted:
            with contextlib.suppress(PermissionError):
                os.chown(self.path, SANDBOX_UID, SANDBOX_UID)
            self.path.chmod(0o700 if os.geteuid() == 0 else 0o777)

    def summarise(self) -> OutputSummary:
        """Count bytes and files without following links; never raises for what the run wrote."""
        tally = _Tally(self.max_files)
        try:
            _walk(self.path, tally.visit)
        except OutputTreeError as error:
            return OutputSummary(tally.total, tally.files, tally.skipped, str(error))
        return OutputSummary(tally.total, tally.files, tally.skipped)

    def copy_to(self, dest: Path) -> None:
        """Copy regular files and folders into ``dest``; links and special files are left out.

        Call after :meth:`summarise` found no problem. Errors writing ``dest`` (the worker's
        own disk) propagate as ``OSError``.
        """
        dest.mkdir(parents=True, exist_ok=True)

        def visit(parent_fd: int, parts: tuple[str, ...], st: os.stat_result) -> bool:
            target = dest.joinpath(*parts)
            if stat.S_ISDIR(st.st_mode):
                target.mkdir(exist_ok=True)
            elif stat.S_ISREG(st.st_mode):
                _copy_regular(parent_fd, parts[-1], target)
            return True

        _walk(self.path, visit)

    def remove(self) -> None:
        """Unmount and delete the staging folder; safe to call twice."""
        if self.mounted:
            _unmount(self.path)
            self.mounted = False
        shutil.rmtree(self.path.parent, ignore_errors=True)


_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _mount_tmpfs(path: Path, opts: str) -> bool:
    """mount(2) directly: a ``mount`` process per run costs about 10 ms, the call 0.1 ms."""
    libc = _libc()
    if libc is not None:
        flags = _MS_NOSUID | _MS_NODEV
        if libc.mount(b"podium-output", os.fsencode(path), b"tmpfs", flags, opts.encode()) == 0:
            return True
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{opts},nosuid,nodev", "podium-output", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _unmount(path: Path) -> None:
    libc = _libc()
    if libc is not None and libc.umount2(os.fsencode(path), _MNT_DETACH) == 0:
        return
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


# Past these the tree is refused as it is: paths stay far below PATH_MAX on the host, and
# the walk holds at most _MAX_DEPTH folder descriptors at once.
MAX_DEPTH = 32
MAX_PATH_BYTES = 1024
_TOP = "write predictions.csv at the top of /output"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

# visit(parent folder's fd, path parts from /output, lstat) -> whether to go on
Visit = Callable[[int, tuple[str, ...], os.stat_result], bool]


class _Tally:
    """Counts for :meth:`OutputStage.summarise`; stops the walk once over the file cap."""

    def __init__(self, max_files: int) -> None:
        self.max_files = max_files
        self.total = self.files = self.skipped = self.folders = 0

    def visit(self, parent_fd: int, parts: tuple[str, ...], st: os.stat_result) -> bool:
        if stat.S_ISREG(st.st_mode):
            self.total += st.st_size
            self.files += 1
        elif stat.S_ISDIR(st.st_mode):
            self.folders += 1
            if self.folders > self.max_files:
                raise OutputTreeError(
                    f"your container left more than {self.max_files} folders in /output; {_TOP}"
                )
        else:
            self.skipped += 1
        return self.files <= self.max_files  # over the cap: the verdict needs no exact count


def _walk(root: Path, visit: Visit) -> None:
    """Walk ``root`` by folder descriptors (no path ever grows past MAX_PATH_BYTES).

    Entries whose names are not printable UTF-8 are counted as skipped, never visited.

    Raises:
        OutputTreeError: the tree is deeper or its paths longer than the limits, or a folder
            of it cannot be read.
    """
    fd = os.open(root, _DIR_FLAGS)
    try:
        _walk_folder(fd, (), visit)
    finally:
        os.close(fd)


def _walk_folder(fd: int, parts: tuple[str, ...], visit: Visit) -> bool:
    try:
        with os.scandir(fd) as it:
            entries = [(e.name, e.stat(follow_symlinks=False)) for e in it]
    except OSError as error:
        raise OutputTreeError(
            f"the folder /output/{'/'.join(parts)} could not be read ({error.strerror}); {_TOP}"
        ) from error
    for name, st in sorted(entries):
        path = (*parts, name)
        if not _printable(name):
            # counted like links: never copied, never shown
            if not visit(fd, path, _SKIPPED):
                return False
            continue
        _check_depth(path)
        if not visit(fd, path, st):
            return False
        if stat.S_ISDIR(st.st_mode) and not _descend(fd, path, visit):
            return False
    return True


def _descend(parent_fd: int, path: tuple[str, ...], visit: Visit) -> bool:
    try:
        fd = os.open(path[-1], _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as error:
        raise OutputTreeError(
            f"the folder /output/{'/'.join(path)} could not be opened ({error.strerror}); {_TOP}"
        ) from error
    try:
        return _walk_folder(fd, path, visit)
    finally:
        os.close(fd)


def _check_depth(path: tuple[str, ...]) -> None:
    if len(path) > MAX_DEPTH:
        raise OutputTreeError(
            f"your container left folders nested more than {MAX_DEPTH} deep in /output; {_TOP}"
        )
    if sum(len(p.encode()) + 1 for p in path) > MAX_PATH_BYTES:
        raise OutputTreeError(
            f"your container left a path longer than {MAX_PATH_BYTES} bytes in /output; {_TOP}"
        )


def _printable(name: str) -> bool:
    try:
        name.encode("utf-8")  # names that are not UTF-8 arrive with surrogate escapes
    except UnicodeEncodeError:
        return False
    return name.isprintable()


# An lstat result that is neither a file nor a folder, for entries that are never visited.
_SKIPPED = os.stat_result((stat.S_IFIFO, 0, 0, 0, 0, 0, 0, 0, 0, 0))


def _copy_regular(parent_fd: int, name: str, target: Path) -> None:
    # O_NOFOLLOW: the file could have been swapped for a link since it was listed.
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except OSError as error:
        message = f"the file /output/.../{name} could not be read ({error.strerror}); {_TOP}"
        raise OutputTreeError(message) from error
    with os.fdopen(fd, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
