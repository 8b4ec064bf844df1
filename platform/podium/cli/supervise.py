"""Children of `podium up`: started in their own process group, kept alive, stopped for sure.

Each child gets a session of its own, so a signal a service manager sends to `podium up`'s
process group (``kill -- -PGID``) reaches `podium up` alone, which then stops its children in
order: SIGTERM to the child (a worker finishes or gives back its current evaluation), and after a
grace period SIGKILL to the child's whole group (a Celery worker whose pool children died can
otherwise wait in warm shutdown for ever). A :class:`Supervisor` restarts a child that dies,
with exponential backoff; one that stays up a while gets its backoff reset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 20.0
HEALTHY_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 60.0

Child = subprocess.Popen[bytes]


def start_child(command: list[str], log_path: Path, env: dict[str, str] | None = None) -> Child:
    """Start ``command`` in its own session, its output appended to ``log_path``."""
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_child(child: Child, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM the child; if it lingers past ``grace_seconds``, SIGKILL its whole group."""
    if child.poll() is not None:
        _kill_group(child)  # its own children may outlive it
        return
    child.terminate()
    try:
        child.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        log.warning("process %s did not stop within %.0f s: killing it", child.pid, grace_seconds)
    _kill_group(child)
    child.wait()


def _kill_group(child: Child) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


class Supervisor(threading.Thread):
    """Keeps one child alive: when it exits, start it again after a growing pause.

    Args:
        start: makes the child (called again for every restart).
        name: what the child is, for the messages.
        report: where a restart is announced (the console of `podium up`).
    """

    def __init__(
        self,
        start: Callable[[], Child],
        name: str,
        report: Callable[[str], None] = log.warning,
        *,
        backoff_seconds: float = 1.0,
    ) -> None:
        super().__init__(name=f"supervise-{name}", daemon=True)
        self._start, self._label, self._report = start, name, report
        self._first_backoff = backoff_seconds
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.child = start()
        self.restarts = 0

    def run(self) -> None:
        backoff, started = self._first_backoff, time.monotonic()
        while not self._stopping.wait(0.5):
            code = self.child.poll()
            if code is None:
                if time.monotonic() - started > HEALTHY_SECONDS:
                    backoff = self._first_backoff
                continue
            self._report(
                f"the {self._label} stopped (exit code {code}); starting it again in {backoff:g} s"
            )
            if self._stopping.wait(backoff):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                _kill_group(self.child)
                self.child = self._start()
                self.restarts += 1
            started, backoff = time.monotonic(), min(backoff * 2, MAX_BACKOFF_SECONDS)

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Stop supervising, then stop the child for sure."""
        with self._lock:
            self._stopping.set()
        self.join(timeout=5)
        stop_child(self.child, grace_seconds)
