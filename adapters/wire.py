"""The out-of-process adapters' wire format: length-prefixed pickles of plain Python values,
with NumPy arrays as (dtype, shape, bytes) triples.

Both ends may run different NumPy releases (MXNet's environment needs NumPy < 1.24, the
harness NumPy 2): NumPy 2 pickles an array by reference to ``numpy._core``, a module NumPy
1.23 does not have, so arrays never travel as NumPy objects. Everything else is a tuple, list,
dict, str, bytes, int, float, bool or None, which any Python 3 reads back. A frame is an
8-byte big-endian length and that many bytes of pickle (protocol 4).
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import time
from typing import Any

import numpy as np

__all__ = ["WireError", "WireTimeoutError", "decode", "encode", "read_frame", "write_frame"]

_ARRAY = "__gradparity_ndarray__"
_HEADER = struct.Struct(">Q")
_PROTOCOL = 4


class WireError(ConnectionError):
    """The other end went away (end of file) or did not answer in time."""


class WireTimeoutError(WireError):
    """The deadline passed."""


def encode(value: Any) -> Any:
    """``value`` with every NumPy array and scalar replaced by a plain triple."""
    if isinstance(value, (np.ndarray, np.generic)):
        a = np.asarray(value)  # tobytes() is C order whatever the strides
        return (_ARRAY, a.dtype.str, tuple(a.shape), a.tobytes())
    if isinstance(value, tuple):
        return tuple(encode(v) for v in value)
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    """The inverse of ``encode``: arrays come back as writable NumPy arrays."""
    if isinstance(value, tuple):
        if len(value) == 4 and value[0] == _ARRAY:
            _, dtype, shape, data = value
            return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
        return tuple(decode(v) for v in value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    return value


def write_frame(fd: int, value: Any, deadline: float | None = None) -> None:
    """Send ``encode(value)`` on the file descriptor ``fd``; raise WireError when the reader
    is gone or, with a ``deadline`` (``time.monotonic()``), stops reading."""
    payload = pickle.dumps(encode(value), protocol=_PROTOCOL)
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        _wait(fd, deadline, write=True)
        try:
            sent = os.write(fd, data)
        except (BrokenPipeError, BlockingIOError) as exc:
            if isinstance(exc, BlockingIOError):
                continue
            raise WireError("the other end closed the pipe") from exc
        data = data[sent:]


def read_frame(fd: int, deadline: float | None = None) -> Any:
    """The next value from ``fd``; None at a clean end of file before a frame starts."""
    header = _read_exactly(fd, _HEADER.size, deadline, allow_eof=True)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    body = _read_exactly(fd, length, deadline, allow_eof=False)
    return decode(pickle.loads(body))


def _read_exactly(fd: int, n: int, deadline: float | None, allow_eof: bool) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        _wait(fd, deadline, write=False)
        try:
            chunk = os.read(fd, min(n - got, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            if allow_eof and got == 0:
                return None
            raise WireError("the other end closed the pipe mid-frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _wait(fd: int, deadline: float | None, write: bool) -> None:
    if deadline is None:
        return
    left = deadline - time.monotonic()
    ready = select.select([], [fd], [], max(left, 0)) if write else \
        select.select([fd], [], [], max(left, 0))
    if not any(ready):
        raise WireTimeoutError("no answer in time")
