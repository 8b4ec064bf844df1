"""Follow the builder's stream: keep the log, and check each step against the Dockerfile check.

The legacy builder prints ``Step i/n : TEXT`` before each step and `` ---> ID`` after it. Each
step must be the instruction :mod:`sandbox.dockerfile` read (a parser difference would let a
build reach what the check refused), and the image a ``FROM`` step resolves to must be an
allowed base or an earlier stage's result. A refusal is noted here; the watching thread stops
the build at once and withholds its log.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.dockerfile import DockerfileCheck, step_matches
from sandbox.logtail import TailBuffer

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.S)
_IMAGE_LINE = re.compile(r"^ ---> ([0-9a-f]{12})\s*$")


def short_id(image_id: str) -> str:
    """The 12-hex id the builder prints for an image."""
    return image_id.removeprefix("sha256:")[:12]


class StepReader:
    """What one build printed, and whether it stayed within the check.

    Args:
        check: the accepted Dockerfile.
        bases: allowed base name -> its short id on this engine.
        extra_steps: steps the builder adds after the Dockerfile's (1 when labels are set).
        log_kb: the tail of the build log that is kept.
    """

    def __init__(
        self, check: DockerfileCheck, bases: dict[str, str], extra_steps: int, log_kb: int
    ) -> None:
        self.check, self.bases, self.extra_steps = check, bases, extra_steps
        self.log = TailBuffer(log_kb * 1024)
        self.made: list[str] = []  # short ids of the images the steps made, in order
        self.results: list[str] = []  # full ids the builder announced (each stage's last)
        self.refusal: str | None = None  # why the stream check refused the build
        self.error: str | None = None  # the builder's own error
        self._step = 0
        self._awaiting_base = False

    def record(self, chunk: dict[str, Any]) -> None:
        """Take one decoded chunk of the builder's answer."""
        if "stream" in chunk:
            text = str(chunk["stream"])
            self.log.write(text.encode("utf-8", errors="replace"))
            self._follow(text)
        elif "error" in chunk or "errorDetail" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = str(detail.get("message") or chunk.get("error") or "unknown error")
            self.error = self.error or message
            self.log.write(f"ERROR: {message}\n".encode())
        elif isinstance(chunk.get("aux"), dict) and "ID" in chunk["aux"]:
            self.results.append(str(chunk["aux"]["ID"]))
        elif "status" in chunk:
            self.log.write(f"{chunk['status']}\n".encode())

    def _follow(self, text: str) -> None:
        step = _STEP.match(text.strip())
        if step:
            self._start_step(int(step.group(1)), int(step.group(2)), step.group(3))
            return
        made = _IMAGE_LINE.match(text)
        if made is None:
            return
        if self._awaiting_base:
            self._awaiting_base = False
            stages = {short_id(result) for result in self.results}
            if made.group(1) not in {*self.bases.values(), *stages}:
                self.refusal = (
                    f"your Dockerfile's step {self._step} started from an image that is not "
                    f"one of the allowed bases; write FROM with one of {', '.join(self.bases)}"
                )
            return
        self.made.append(made.group(1))

    def _start_step(self, index: int, total: int, said: str) -> None:
        ours = self.check.instructions
        ours_too = index <= len(ours)
        if total != len(ours) + self.extra_steps or (
            ours_too and not step_matches(said, ours[index - 1])
        ):
            self.refusal = (
                "the build engine read your Dockerfile differently from the platform "
                f"(step {index} of {total}); write it plainly, without unusual spacing, "
                "escapes or line endings"
            )
        self._step = index
        self._awaiting_base = ours_too and ours[index - 1].keyword == "FROM"
