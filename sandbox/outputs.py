"""The run's ``/output``: a size-capped staging area on the host, and a safe copy out of it.

Where the worker may mount (root on a Docker host), ``/output`` is backed by its own tmpfs of the
output cap's size, so a disk-fill attack hits ENOSPC inside the container and never the host's
disk. Elsewhere it is a plain folder and the cap is checked after the run (``fsize`` still bounds
each file). Copying out never follows links and takes regular files and folders only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
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
    skipped: int  # links, devices and fifos, which are never copied


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
            f"uid={SANDBOX_UID},gid={SANDBOX_UID},nosuid,nodev"
        )
        if os.geteuid() == 0:
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", opts, "podium-output", str(self.path)],
                capture_output=True,
                check=False,
            )
            self.mounted = done.returncode == 0
        if not self.mounted:
            with contextlib.suppress(PermissionError):
                os.chown(self.path, SANDBOX_UID, SANDBOX_UID)
            self.path.chmod(0o700 if os.geteuid() == 0 else 0o777)

    def summarise(self) -> OutputSummary:
        """Count bytes and files without following links."""
        total = files = skipped = 0
        for entry in _walk(self.path):
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISREG(mode):
                total += entry.stat(follow_symlinks=False).st_size
                files += 1
            elif not stat.S_ISDIR(mode):
                skipped += 1
        return OutputSummary(total, files, skipped)

    def copy_to(self, dest: Path) -> None:
        """Copy regular files and folders into ``dest``; links and special files are left out."""
        dest.mkdir(parents=True, exist_ok=True)
        for entry in _walk(self.path):
            rel = Path(entry.path).relative_to(self.path)
            mode = entry.stat(follow_symlinks=False).st_mode
            target = dest / rel
            if stat.S_ISDIR(mode):
                target.mkdir(exist_ok=True)
            elif stat.S_ISREG(mode):
                _copy_regular(Path(entry.path), target)

    def remove(self) -> None:
        """Unmount and delete the staging folder; safe to call twice."""
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
            self.mounted = False
        shutil.rmtree(self.path.parent, ignore_errors=True)


def _walk(root: Path) -> list[os.DirEntry[str]]:
    entries: list[os.DirEntry[str]] = []
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                entries.append(entry)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return entries


def _copy_regular(source: Path, target: Path) -> None:
    # O_NOFOLLOW: the file could have been swapped for a link since it was listed.
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
