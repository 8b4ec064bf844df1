"""8-bit greyscale PNG files with nothing but ``zlib`` and ``struct``.

The writer uses filter 0 on every row and a fixed compression level, so the same pixels always
give the same bytes. The reader accepts every filter type, for 8-bit greyscale, non-interlaced
images (what the writer produces). Model-side code carries its own copy of the reader, because
the runtime images do not have this package.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a 2-D ``uint8`` array (rows x columns)."""
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"need a 2-D uint8 array; got {pixels.ndim}-D {pixels.dtype}")
    height, width = pixels.shape
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(kind: int, line: bytearray, previous: bytearray) -> bytearray:
    out = bytearray(line)
    if kind == 0:
        return out
    for i in range(len(out)):
        left = out[i - 1] if i else 0
        up = previous[i]
        corner = previous[i - 1] if i else 0
        add = {0: 0, 1: left, 2: up, 3: (left + up) // 2, 4: _paeth(left, up, corner)}[kind]
        out[i] = (out[i] + add) & 0xFF
    return out


def decode_png(data: bytes) -> np.ndarray:
    """A 2-D ``uint8`` array from 8-bit greyscale PNG bytes.

    Raises:
        ValueError: Not a PNG, or not 8-bit greyscale non-interlaced.
    """
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, idat, width, height = len(_SIGNATURE), b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", payload)
            if (depth, colour, interlace) != (8, 0, 0):
                raise ValueError("only 8-bit greyscale, non-interlaced PNGs are supported")
        elif kind == b"IDAT":
            idat += payload
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(width)
    for row in range(height):
        start = row * (width + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + width]), previous)
        rows.append(bytes(line))
        previous = line
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write ``pixels`` to ``path`` as PNG."""
    path.write_bytes(encode_png(pixels))


def read_png(path: Path) -> np.ndarray:
    """Read an 8-bit greyscale PNG file."""
    return decode_png(path.read_bytes())
