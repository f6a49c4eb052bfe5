"""Peak memory of one call above what existed before it, and the method that measured it.

Measured after the timing samples, never during them (tracing allocations slows calls).

- ``tracemalloc``: engines whose arrays are NumPy arrays (NumPy, refengine, HIPS autograd):
  NumPy reports every data buffer to tracemalloc, so the peak counts arrays and Python
  objects exactly.
- an allocator's own statistics where a framework keeps them (device memory:
  ``torch.cuda.max_memory_allocated``, TensorFlow's ``get_memory_info`` on a GPU). On the CPU
  none of them keeps any (measured here: JAX's ``memory_stats()`` is None, TensorFlow's
  ``get_memory_info("CPU:0")`` reads 0).
- ``rss-hwm``: otherwise, the process's peak resident set during the call: freed heap is
  returned to the system first (``malloc_trim``), the kernel's high-water mark is reset
  (``/proc/self/clear_refs``), and the peak is ``VmHWM`` after the call minus ``VmRSS``
  before. Page-granular, and it sees everything the process touched (thread stacks, code
  pages): an upper bound, close for large arrays. In an isolated run each adapter has its
  own process, so nothing of another framework is in it.
"""

from __future__ import annotations

import ctypes
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

from cases.timing.timing_record import NOT_MEASURED

__all__ = ["TRACEMALLOC_ADAPTERS", "peak_memory", "rss_peak", "tracemalloc_peak"]

TRACEMALLOC_ADAPTERS = frozenset({"numpy", "refengine", "autograd"})


def peak_memory(adapter: Any, call: Callable[[], Any]) -> tuple[int | None, str]:
    """``(peak_bytes, method)`` of one ``call()`` made through ``adapter``."""
    if adapter.name in TRACEMALLOC_ADAPTERS and adapter.device == "cpu":
        return tracemalloc_peak(call), "tracemalloc"
    allocator = _allocator_peak(adapter, call)
    if allocator is not None:
        return allocator
    peak = rss_peak(call)
    return (peak, "rss-hwm") if peak is not None else (None, NOT_MEASURED)


def tracemalloc_peak(call: Callable[[], Any]) -> int:
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        call()
        return max(0, tracemalloc.get_traced_memory()[1] - before)
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def rss_peak(call: Callable[[], Any]) -> int | None:
    """Peak RSS growth during ``call()`` in bytes; None where the kernel does not allow it."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        before = _status_kib("VmRSS")
    except OSError:
        return None
    call()
    return max(0, _status_kib("VmHWM") - before) * 1024


def _allocator_peak(adapter: Any, call: Callable[[], Any]) -> tuple[int, str] | None:
    device = getattr(adapter, "device", "cpu")
    if adapter.name == "torch" and device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        call()
        return max(0, torch.cuda.max_memory_allocated() - before), "torch.cuda.max_memory_allocated"
    if adapter.name == "tensorflow" and device == "gpu":
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")
        before = tf.config.experimental.get_memory_info("GPU:0")["current"]
        call()
        peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
        return max(0, peak - before), "tf.config.experimental.get_memory_info"
    return None
