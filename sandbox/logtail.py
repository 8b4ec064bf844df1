"""Keep the last N bytes of a stream, however much flows through: memory stays flat."""

from __future__ import annotations

import re

# Control bytes other than newline and tab could rewrite a terminal or hide text in a page.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TailBuffer:
    """A byte ring that remembers how much it dropped.

    Args:
        cap_bytes: how many of the latest bytes to keep.
    """

    def __init__(self, cap_bytes: int) -> None:
        self.cap_bytes = cap_bytes
        self.total_bytes = 0
        self._data = bytearray()

    def write(self, chunk: bytes) -> None:
        """Add a chunk; trims from the front once over the cap (amortised O(chunk))."""
        self.total_bytes += len(chunk)
        if len(chunk) >= self.cap_bytes:
            self._data = bytearray(chunk[-self.cap_bytes :])
            return
        self._data += chunk
        if len(self._data) > 2 * self.cap_bytes:
            del self._data[: len(self._data) - self.cap_bytes]

    @property
    def dropped_bytes(self) -> int:
        """Bytes that were counted but are no longer kept."""
        return self.total_bytes - min(len(self._data), self.cap_bytes)

    def text(self) -> str:
        """The kept tail as safe text: invalid UTF-8 replaced, control bytes shown escaped."""
        kept = bytes(self._data[-self.cap_bytes :])
        body = kept.decode("utf-8", errors="replace")
        body = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", body)
        if self.dropped_bytes:
            return f"[... {self.dropped_bytes} bytes truncated ...]\n{body}"
        return body
