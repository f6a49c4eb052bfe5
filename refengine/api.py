"""The public transformations, JAX style: grad, value_and_grad, vjp, jvp, jacobian, jacfwd,
hessian, hvp.

Inputs may be NumPy float arrays, Python floats, or nested tuples/lists/dicts of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import refengine.numpy as rnp
from refengine.primitive import Tracer, dtype_of
from refengine.traces import ForwardTrace, ReverseTrace, expand
from refengine.tree import partial_in, tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacobian", "jvp", "value_and_grad", "vjp"]

Argnums = int | Sequence[int]


_DIFFERENTIABLE = frozenset(
    np.dtype(t) for t in (np.float16, np.float32, np.float64, np.complex64, np.complex128)
)


def _as_input(x: Any, fname: str, i: int | None = None) -> Any:
    """Validate one differentiated leaf: float16/float32/float64 and complex64/complex128 arrays,
    Python floats and complex numbers only. (float16: NumPy's ufuncs compute it, rounding each
    result; the conformance matrix checks refengine in it. bfloat16 has no matmul/linalg loops
    in NumPy, so it is not accepted.)"""
    if type(x) is np.ndarray or isinstance(x, Tracer):
        value = x
    elif isinstance(x, float):
        value = np.asarray(x, dtype=np.float64)
    elif isinstance(x, complex):
        value = np.asarray(x, dtype=np.complex128)
    elif isinstance(x, (np.ndarray, np.generic)):
        value = np.asarray(x)
    elif isinstance(x, (bool, int)):
        raise TypeError(
            f"{_what(fname, i)} is the Python {type(x).__name__} {x!r}; only floating-point "
            f"values can be differentiated. Pass {float(x)!r} instead, or leave it out of "
            "argnums."
        )
    else:
        raise TypeError(
            f"{_what(fname, i)} is a {type(x).__name__}; refengine differentiates NumPy "
            "float32/float64 (or complex64/complex128) arrays, Python floats, and "
            "tuples/lists/dicts of them. Convert it "
            "with np.asarray."
        )
    dtype = value.dtype
    if dtype not in _DIFFERENTIABLE:
        kind = {"i": "an integer", "u": "an unsigned integer", "b": "a boolean"}.get(
            dtype.kind, "an unsupported"
        )
        raise TypeError(
            f"{_what(fname, i)} has dtype {dtype}: {kind} array cannot be differentiated. "
            "Convert it with .astype(np.float64) (or float32, float16), or leave it out of "
            "argnums."
        )
    return value


def _what(fname: str, i: int | None) -> str:
    return fname if i is None else f"{fname}: argument {i}"


def _flatten_inputs(primals: Sequence[Any], fname: str) -> tuple[list[list[Any]], list[Any]]:
    leaves_per_arg, structures = [], []
    for i, p in enumerate(primals):
        leaves, structure = ([p], None) if type(p) is np.ndarray else tree_flatten(p)
        leaves_per_arg.append([_as_input(x, fname, i) for x in leaves])
        structures.append(structure)
    return leaves_per_arg, structures


def _output(x: Any) -> Any:
    return x if isinstance(x, Tracer) else np.asarray(x)


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Run ``f`` on ``primals``, recording a tape; return the output and ``vjp_fn``.

    ``vjp_fn(cotangent)`` returns a tuple with one cotangent per primal, each with that
    primal's structure, shapes and dtypes. It can be called any number of times.
    """
    return _vjp(f, primals, once=False)


def _vjp(
    f: Callable[..., Any], primals: Sequence[Any], *, once: bool
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """``vjp``; with ``once``, ``vjp_fn`` may be called only once (it consumes the tape)."""
    leaves_per_arg, structures = _flatten_inputs(primals, "rf.vjp")
    trace = ReverseTrace()
    boxed = [[trace.new_input(x) for x in leaves] for leaves in leaves_per_arg]
    try:
        out = f(*[_unflatten(s, b) for s, b in zip(structures, boxed)])
    finally:
        trace.alive = False
    out_leaves, out_structure = ([out], None) if isinstance(out, Tracer) else tree_flatten(out)
    out_vars = [x._var if isinstance(x, Tracer) and x._trace is trace else None for x in out_leaves]
    values = [x._value if v is not None else x for x, v in zip(out_leaves, out_vars)]

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        ct_leaves = [cotangent] if isinstance(cotangent, np.ndarray | np.generic) else (
            tree_flatten(cotangent)[0])
        if len(ct_leaves) != len(values):
            raise ValueError(
                f"vjp_fn: the cotangent has {len(ct_leaves)} arrays but f returned "
                f"{len(values)}; pass one cotangent per output, in the same structure"
            )
        seeds: dict[Any, Any] = {}
        for k, (ct, value, var) in enumerate(zip(ct_leaves, values, out_vars)):
            ct = _check_cotangent(ct, value, k)
            if var is not None:
                seeds[var] = ct if var not in seeds else seeds[var] + ct
        leftover = trace.backward(seeds, consume=once)
        grads = []
        for box, structure in zip(boxed, structures):
            arg_grads = []
            for b in box:
                c = leftover.get(b._var)
                # An output that does not depend on this input: zeros of its shape and dtype.
                arg_grads.append(_full(c, b.shape) if c is not None else np.zeros(b.shape, b.dtype))
            grads.append(_unflatten(structure, arg_grads))
        return tuple(grads)

    return _unflatten(out_structure, [_output(v) for v in values]), vjp_fn


def _unflatten(structure: Any, leaves: list[Any]) -> Any:
    return leaves[0] if structure is None else tree_unflatten(structure, leaves)


def _full(c: Any, shape: tuple[int, ...]) -> Any:
    """An input's cotangent in full (the tape may leave it compact), as a writable array."""
    if isinstance(c, Tracer):
        return expand(c, shape)
    c = np.asarray(c)
    if c.shape == shape:
        return c
    out = np.empty(shape, c.dtype)
    out[...] = c
    return out


def _check_cotangent(ct: Any, value: Any, k: int) -> Any:
    if (
        type(ct) is np.ndarray
        and isinstance(value, (np.ndarray, np.generic))
        and ct.shape == value.shape
        and ct.dtype == value.dtype
    ):
        return ct
    ct = _shaped_like(
        ct, value, f"vjp_fn: cotangent {k}", f"output {k}", "a cotangent", "its output's"
    )
    out_dtype = dtype_of(value)
    if dtype_of(ct) != out_dtype:
        allowed = "fiubc" if out_dtype.kind == "c" else "fiub"
        if dtype_of(ct).kind not in allowed or out_dtype.kind not in "fc":
            raise TypeError(f"vjp_fn: cotangent {k} has dtype {dtype_of(ct)}, output {out_dtype}")
        ct = rnp.astype(ct, out_dtype)  # the cotangent lives in the output's dtype
    return ct


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[Any, Any]:
    """Forward mode: push ``tangents`` through ``f`` alongside ``primals`` (dual numbers)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("rf.jvp(f, primals, tangents): primals and tangents must be tuples")
    if len(primals) != len(tangents):
        raise ValueError(
            f"rf.jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent "
            "per primal"
        )
    leaves_per_arg, structures = _flatten_inputs(primals, "rf.jvp")
    trace = ForwardTrace()
    boxed = []
    for i, (leaves, t) in enumerate(zip(leaves_per_arg, tangents)):
        t_leaves, _ = tree_flatten(t)
        if len(t_leaves) != len(leaves):
            raise ValueError(f"rf.jvp: tangent {i} does not have the structure of primal {i}")
        boxed.append(
            [trace.new_input(x, _check_tangent(tx, x, i)) for x, tx in zip(leaves, t_leaves)]
        )
    try:
        out = f(*[_unflatten(s, b) for s, b in zip(structures, boxed)])
    finally:
        trace.alive = False
    out_leaves, out_structure = ([out], None) if isinstance(out, Tracer) else tree_flatten(out)
    values, out_tangents = [], []
    for x in out_leaves:
        if isinstance(x, Tracer) and x._trace is trace:
            values.append(_output(x._value))
            out_tangents.append(_output(x._tangent))
        else:
            values.append(_output(x))
            out_tangents.append(np.zeros(rnp.shape(x), dtype_of(x)))
    return tree_unflatten(out_structure, values), tree_unflatten(out_structure, out_tangents)


def _shaped_like(v: Any, like: Any, what: str, other: str, kind: str, whose: str) -> Any:
    """``v`` (a cotangent or a tangent) as an array, or a tracer as it is, if it has the shape
    of ``like``; a ValueError naming both otherwise."""
    if not isinstance(v, Tracer):
        v = np.asarray(v)
    if rnp.shape(v) != rnp.shape(like):
        raise ValueError(
            f"{what} has shape {rnp.shape(v)} but {other} has shape {rnp.shape(like)}; "
            f"{kind} must have {whose} shape"
        )
    return v


def _check_tangent(t: Any, x: Any, i: int) -> Any:
    t = _shaped_like(t, x, f"rf.jvp: tangent {i}", "its primal", "a tangent", "its primal's")
    if dtype_of(t) != dtype_of(x):
        if dtype_of(t).kind == "c" and dtype_of(x).kind != "c":
            raise TypeError(
                f"rf.jvp: tangent {i} is complex ({dtype_of(t)}) but its primal is real "
                f"({dtype_of(x)}); a real input moves along real directions only. Pass a real "
                "tangent, or make the primal complex."
            )
        t = rnp.astype(t, dtype_of(x))  # the tangent lives in the primal's dtype
    return t


def _normalize_argnums(argnums: Argnums, n_args: int, fname: str) -> tuple[int, ...]:
    """``argnums`` as non-negative positions, in the order given (a position may repeat: as in
    JAX, each repeat gets the same derivative)."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums: tuple[Any, ...] = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        nums = tuple(argnums)
    else:
        raise TypeError(
            f"{fname}: argnums={argnums!r} is a {type(argnums).__name__}; give the position of "
            "the argument to differentiate as an int (argnums=0) or several as a tuple of ints "
            "(argnums=(0, 2))"
        )
    if not nums:
        raise ValueError(f"{fname}: argnums is empty; name at least one argument")
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(
                f"{fname}: argnums={argnums!r} holds the {type(a).__name__} {a!r}; argument "
                "positions are ints"
            )
        if not -n_args <= a < n_args:
            raise ValueError(
                f"{fname}: argnums={argnums!r} is out of range: the function was called with "
                f"{n_args} positional argument(s)"
            )
    return tuple(a % n_args for a in nums)


def _distinct(nums: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """The distinct positions in ``nums`` (each differentiated once: an argument given twice to
    the function would be two inputs, and each would get only part of the derivative), and,
    where some repeat, where each of ``nums`` is among them."""
    distinct = tuple(dict.fromkeys(nums))
    return distinct, None if distinct == nums else tuple(distinct.index(a) for a in nums)


def _repeated(results: tuple[Any, ...], where: tuple[int, ...] | None) -> tuple[Any, ...]:
    """One derivative per requested position, from those of the distinct positions; a repeat
    gets its own copy (so that changing one in place leaves the other as it is)."""
    if where is None:
        return results
    seen: set[int] = set()
    out = []
    for k in where:
        out.append(tree_map(_copied, results[k]) if k in seen else results[k])
        seen.add(k)
    return tuple(out)


def _copied(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """``f``'s value and its gradient with respect to the arguments at ``argnums``."""

    # per number of arguments: the distinct positions, where each requested one is among them
    normalized: dict[int, tuple[tuple[int, ...], Any, bool]] = {}

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        known = normalized.get(len(args))
        if known is None:
            nums, where = _distinct(_normalize_argnums(argnums, len(args), "rf.grad"))
            known = normalized[len(args)] = (nums, where, nums == tuple(range(len(args))))
        nums, where, every_argument = known
        everything = every_argument and not kwargs
        g, diff = (f, args) if everything else partial_in(f, args, nums, kwargs)
        out, vjp_fn = _vjp(g, diff, once=True)
        if isinstance(out, (tuple, list, dict)) or rnp.shape(out) != ():
            shape = "a container" if isinstance(out, (tuple, list, dict)) else rnp.shape(out)
            raise ValueError(
                f"rf.grad needs f to return a scalar (shape ()), but it returned {shape}. "
                "Reduce it (e.g. .sum()), or use rf.vjp with a cotangent or rf.jacobian."
            )
        if dtype_of(out).kind != "f":
            holomorphic = (
                " For a holomorphic f, rf.grad(lambda z: rnp.real(f(z))) is f'(z) (autograd's "
                "convention; see refengine/derivatives_complex.py)"
                if dtype_of(out).kind == "c" else ""
            )
            raise TypeError(
                f"rf.grad needs f to return a float, but it returned dtype {dtype_of(out)}."
                + holomorphic
            )
        grads = vjp_fn(np.ones((), dtype_of(out)))
        return out, grads[0] if isinstance(argnums, int) else _repeated(grads, where)

    return wrapped


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of scalar-valued ``f`` with respect to the arguments at ``argnums``."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


def _differentiated(
    f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], argnums: Argnums,
    fname: str,
) -> tuple[Callable[..., Any], list[Any], Callable[[Any], Any]]:
    """``f`` as a function of the distinct arguments at ``argnums`` only, their values, and
    what makes the result of the derivatives of those: one per requested position."""
    nums, where = _distinct(_normalize_argnums(argnums, len(args), fname))

    def result(derivatives: Any) -> Any:
        return derivatives[0] if isinstance(argnums, int) else _repeated(tuple(derivatives), where)

    return *partial_in(f, args, nums, kwargs), result


def _single_array(out: Any, fname: str) -> Any:
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(f"{fname} needs f to return one array, not a {type(out).__name__}")
    return out


def jacobian(
    f: Callable[..., Any], argnums: Argnums = 0, *, holomorphic: bool = False
) -> Callable[..., Any]:
    """Reverse-mode Jacobian: one VJP per output entry; shape ``out.shape + in.shape``.

    A complex output needs ``holomorphic=True`` (as JAX's jacrev): one VJP per entry sees only
    its real part, so the rows are the complex derivative f'(z) only where f is holomorphic."""

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, result = _differentiated(f, args, kwargs, argnums, "rf.jacobian")
        out, vjp_fn = vjp(g, *diff)
        out = _single_array(out, "rf.jacobian")
        out_shape, dtype = rnp.shape(out), dtype_of(out)
        if dtype.kind == "c" and not holomorphic:
            raise TypeError(_not_holomorphic("rf.jacobian", "output", dtype))
        n_out = int(np.prod(out_shape))
        rows = [vjp_fn(np.eye(n_out, dtype=dtype)[k].reshape(out_shape)) for k in range(n_out)]
        jacs = tuple(
            _assembled([r[j] for r in rows], 0, out_shape, rnp.shape(x), dtype_of(x))
            for j, x in enumerate(diff)
        )
        return result(jacs)

    return wrapped


def jacfwd(
    f: Callable[..., Any], argnums: Argnums = 0, *, holomorphic: bool = False
) -> Callable[..., Any]:
    """Forward-mode Jacobian: one JVP per input entry; shape ``out.shape + in.shape``.

    A complex input needs ``holomorphic=True`` (as JAX's jacfwd): one JVP per entry moves only
    its real part, so the columns are the complex derivative f'(z) only where f is
    holomorphic."""

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g, diff, result = _differentiated(f, args, kwargs, argnums, "rf.jacfwd")
        zeros = [np.zeros(rnp.shape(x), dtype_of(_as_input(x, "rf.jacfwd"))) for x in diff]
        complex_in = next((z.dtype for z in zeros if z.dtype.kind == "c"), None)
        if complex_in is not None and not holomorphic:
            raise TypeError(_not_holomorphic("rf.jacfwd (and rf.hessian)", "input", complex_in))
        jacs = []
        for j, x in enumerate(diff):
            in_shape, dtype = rnp.shape(x), dtype_of(x)
            n_in = int(np.prod(in_shape))
            columns = []
            out = None
            for k in range(n_in):
                tangents = list(zeros)
                tangents[j] = np.eye(n_in, dtype=dtype)[k].reshape(in_shape)
                out, t_out = jvp(g, diff, tangents)
                columns.append(_single_array(t_out, "rf.jacfwd"))
            if out is None:
                out = _single_array(g(*diff), "rf.jacfwd")
            jacs.append(_assembled(columns, -1, rnp.shape(out), in_shape, dtype_of(out)))
        return result(jacs)

    return wrapped


def _not_holomorphic(fname: str, what: str, dtype: np.dtype) -> str:
    return (
        f"{fname}: a {dtype} {what} makes the derivative a real-linear map, which a complex "
        "matrix holds only for a holomorphic f. Pass holomorphic=True if f is holomorphic (the "
        "matrix is then f'(z)); otherwise use rf.vjp/rf.jvp/rf.hvp (autograd's convention), "
        "or split f into real and imaginary parts."
    )


def _assembled(
    pieces: list[Any], axis: int, out_shape: tuple[int, ...], in_shape: tuple[int, ...],
    empty_dtype: np.dtype,
) -> Any:
    """A Jacobian of shape ``out_shape + in_shape`` from its rows (reverse mode: one per output
    entry, stacked on axis 0) or its columns (forward mode: one per input entry, axis -1);
    zeros of ``empty_dtype`` when there are none (an empty output or input)."""
    if not pieces:
        return np.zeros(out_shape + in_shape, empty_dtype)
    return rnp.reshape(rnp.stack(pieces, axis=axis), out_shape + in_shape)


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Forward-over-reverse Hessian of scalar ``f``; shape ``in.shape + in.shape``."""
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise TypeError(
            f"rf.hessian: argnums={argnums!r}; rf.hessian differentiates one argument, so "
            "argnums is an int. For several, concatenate them into one array argument first."
        )
    return jacfwd(jacobian(f, argnums), argnums)


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, ...]:
    """Hessian-vector product of scalar ``f`` (forward over reverse), one entry per primal."""
    everything = tuple(range(len(primals)))
    return jvp(grad(f, everything), primals, tangents)[1]
