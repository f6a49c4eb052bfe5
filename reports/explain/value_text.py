"""Numbers for people: short summaries of values, cotangents and tangents."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["compact", "describe_params", "shape_of", "summarize"]


def summarize(x: Any, *, max_entries: int = 6, precision: int | None = None) -> str:
    """A scalar exactly (the shortest repr that round-trips), a small array in full, a large
    one as shape and range: the report shows the bits where they fit, a digest where not."""
    if x is None:
        return "-"
    if isinstance(x, tuple):
        return "(" + ", ".join(summarize(v, max_entries=max_entries) for v in x) + ")"
    a = np.asarray(x)
    if a.dtype.kind == "b":
        return str(a.tolist()) if a.size <= max_entries else f"[{a.sum()} of {a.size} True]"
    if a.ndim == 0:
        v = a[()]
        return str(v) if precision is None else np.format_float_positional(
            v, precision=precision, unique=True, trim="-")
    if a.size <= max_entries:
        text = np.array2string(a, precision=precision or 6, separator=", ",
                               max_line_width=10_000)
        return " ".join(text.split())  # one line, even for a matrix
    if a.dtype.kind not in "fiuc" or a.size == 0:
        return f"<{a.dtype} array of shape {a.shape}>"
    finite = a[np.isfinite(a)] if a.dtype.kind in "fc" else a
    bad = a.size - finite.size
    if finite.size == 0:
        return f"<shape {a.shape}: no finite entry>"
    parts = [f"shape {a.shape}", f"min {finite.min():.4g}", f"mean {finite.mean():.4g}",
             f"max {finite.max():.4g}"]
    if bad:
        parts.append(f"{bad} non-finite")
    return "[" + ", ".join(parts) + "]"


def compact(x: Any) -> str:
    """A few characters for a picture: 4 significant digits, or the range of a large array."""
    if x is None:
        return "-"
    if isinstance(x, tuple):
        return "(" + ", ".join(compact(v) for v in x) + ")"
    a = np.asarray(x)
    if a.dtype.kind not in "fiu" or a.size == 0:
        return summarize(a, max_entries=3)
    if a.ndim == 0:
        return f"{a[()]:.4g}"
    if a.size <= 3:
        return "[" + ", ".join(f"{v:.4g}" for v in a.ravel()) + "]"
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if finite.size == 0:
        return "all non-finite"
    text = f"{finite.min():.3g} .. {finite.max():.3g}"
    return text + (f" ({a.size - finite.size} non-finite)" if finite.size < a.size else "")


def shape_of(x: Any) -> str:
    if isinstance(x, tuple):
        return "(" + ", ".join(shape_of(v) for v in x) + ")"
    a = np.asarray(x)
    return f"{a.dtype}{list(a.shape)}"


def describe_params(params: dict[str, Any]) -> str:
    """Static parameters (axis, shape, index) as a short ``key=value`` list."""
    out = []
    for k, v in params.items():
        out.append(f"{k}={_param(v)}")
    return ", ".join(out)


def _param(v: Any) -> str:
    if isinstance(v, np.ndarray):
        return summarize(v, max_entries=4) if v.dtype.kind != "b" else f"mask{list(v.shape)}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_param(p) for p in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, slice):
        parts = ["" if p is None else str(p) for p in (v.start, v.stop, v.step)]
        return ":".join(parts[:2] if v.step is None else parts)
    if v is Ellipsis:
        return "..."
    if isinstance(v, np.dtype) or isinstance(v, type):
        return str(np.dtype(v))
    return repr(v)
