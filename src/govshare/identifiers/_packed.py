"""The packed forms of identifiers: 16-byte blocks in, ``prefix + hex`` strings out, per column.

Block (16 bytes) of a fixed-width identifier (docs/spec/pseudonyms.md section 4): its characters
as 4-bit nibbles, high nibble first (``0`` to ``9`` as themselves, ``X`` as ``0xA``), padded with
``0xF`` nibbles to 18 nibbles (9 bytes), then the 7-byte tag ``"GS" 0x01 <kind> 0x00 0x00 0x00``
(kind 0x01 resident ID, 0x02 mobile number). Strings out: ``prefix`` then lower-case hex of a
fixed-size digest per row, written by the compiled kernel where it is built.
"""

from __future__ import annotations

import binascii
from typing import Final

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from govshare.identifiers._accel import native
from govshare.identifiers._columns import U8, Bool

__all__ = [
    "KIND_BYTES",
    "NIBBLES",
    "hex_strings",
    "pack_blocks",
    "tag",
    "unhex_rows",
    "unpack_blocks",
]

NIBBLES: Final = 18
KIND_BYTES: Final = {"resident_id": 0x01, "mobile": 0x02}
_HEX_CHUNK: Final = 1 << 16  # rows hex-encoded per C call
_UNHEX: Final = np.full(256, 0xFF, dtype=np.uint8)
_UNHEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10, dtype=np.uint8)
_UNHEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_NIBBLE_CHARS: Final = np.frombuffer(b"0123456789X?????", dtype=np.uint8)


def tag(kind: str) -> bytes:
    """The 7-byte tag that fills a block after the identifier's nibbles."""
    return b"GS\x01" + bytes([KIND_BYTES[kind]]) + b"\x00\x00\x00"


def pack_blocks(matrix: U8, valid: Bool, kind: str, ready: U8 | None = None) -> U8:
    """``(n, 16)`` blocks from an ``(n, width ≤ 18)`` ASCII matrix; invalid rows are all zero.

    *ready* are blocks the parser already built (resident IDs); only invalid rows are zeroed.
    """
    if ready is not None:
        if not valid.all():
            ready[~valid] = 0
        return ready
    n, width = matrix.shape
    if width < NIBBLES:  # pad with "?" (0x3F), whose low nibble is the 0xF pad nibble
        padded = np.full((n, NIBBLES), 0x3F, dtype=np.uint8)
        padded[:, :width] = matrix
        matrix = padded
    blocks = np.empty((n, 16), dtype=np.uint8)
    # ASCII digits carry their value in the low nibble; "X" (0x58) needs 8 -> 0xA below.
    blocks[:, :9] = ((matrix[:, 0::2] & 0xF) << 4) | (matrix[:, 1::2] & 0xF)
    is_x = matrix[:, NIBBLES - 1] == ord("X")
    blocks[:, 8] |= is_x.view(np.uint8) << 1
    blocks[:, 9:] = np.frombuffer(tag(kind), dtype=np.uint8)
    if not valid.all():
        blocks[~valid] = 0
    return blocks


def unpack_blocks(blocks: U8, kind: str, width: int) -> tuple[U8, Bool]:
    """Invert :func:`pack_blocks`: the ASCII matrix and whether each block's tag and nibbles fit."""
    tag_ok = (blocks[:, 9:] == np.frombuffer(tag(kind), dtype=np.uint8)).all(axis=1)
    nibbles = np.empty((len(blocks), NIBBLES), dtype=np.uint8)
    nibbles[:, 0::2] = blocks[:, :9] >> 4
    nibbles[:, 1::2] = blocks[:, :9] & 0xF
    body, pad = nibbles[:, :width], nibbles[:, width:]
    ok = tag_ok & (pad == 0xF).all(axis=1) & (body[:, :-1] < 10).all(axis=1) & (body[:, -1] < 11)
    return _NIBBLE_CHARS[np.minimum(body, 15)], ok


def hex_strings(prefix: bytes, digests: bytes | U8, valid: Bool) -> pa.LargeStringArray:
    """Strings ``prefix + hex(digest)`` per row from concatenated equal-size digests; null if invalid.

    Hex is written in chunks of rows, so no full-size temporary copy exists besides the output.
    """
    n = len(valid)
    raw = memoryview(digests) if isinstance(digests, bytes) else digests.reshape(-1).data
    k = raw.nbytes // n if n else 0
    width = len(prefix) + 2 * k
    out = np.empty((n, width), dtype=np.uint8)
    if native is not None and n:
        native.hex_rows(prefix, raw, np.ascontiguousarray(valid), out)
    else:
        hex_rows_numpy(prefix, raw, valid, out)
    null_count = int(n - np.count_nonzero(valid))
    validity = None
    if null_count:
        validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(out), validity, null_count
    )


def hex_rows_numpy(prefix: bytes, raw: memoryview, valid: Bool, out: U8) -> None:
    """NumPy version of the kernel ``hex_rows``: prefix + hex per valid row, zeros elsewhere."""
    n, width = out.shape
    p = len(prefix)
    k = (width - p) // 2
    out[:, :p] = np.frombuffer(prefix, dtype=np.uint8)
    for start in range(0, n, _HEX_CHUNK):
        stop = min(n, start + _HEX_CHUNK)
        hexed = binascii.hexlify(raw[start * k : stop * k])
        out[start:stop, p:] = np.frombuffer(hexed, dtype=np.uint8).reshape(stop - start, 2 * k)
    if not valid.all():
        out[~valid] = 0


def unhex_rows(matrix: U8) -> tuple[U8, Bool]:
    """Bytes from an ``(n, 2k)`` matrix of lower-case hex digits, and whether each row was hex."""
    nibbles = _UNHEX[matrix]
    ok = (nibbles != 0xFF).all(axis=1)
    packed = ((nibbles[:, 0::2] << 4) | (nibbles[:, 1::2] & 0xF)).astype(np.uint8)
    return packed, ok
