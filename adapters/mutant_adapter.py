"""Negative controls: refengine with one entry of its derivative table deliberately wrong.

A conformance suite is only worth what it catches. A mutant adapter is refengine with one rule
perturbed, selected by name::

    from adapters.mutant_adapter import from_name
    bad = from_name("refengine-mutant:sin:scale")        # sin's rule times 1.001
    from_name("refengine-mutant:multiply:sign:1")        # d/dy of x * y negated
    from_name("refengine-mutant:divide:swap")            # d/dx and d/dy rules exchanged
    from_name("refengine-mutant:exp:order2")             # right values, wrong 2nd derivative
    from_name("refengine-mutant:cumprod:order2fwd")      # wrong forward over forward only

(``cases.conformance.run_matrix`` and the pytest option ``--gp-adapters`` accept these names.)

Kinds: ``scale`` multiplies the rule by 1.001; ``sign`` negates it; ``swap`` exchanges the
rules of the first two differentiable arguments; ``scale``, ``sign`` and ``swap`` change the
VJP and the JVP rule alike, so the adjoint identity still holds and only comparisons with an
independent reference can notice. ``order2`` multiplies the VJP rule by a factor that is
exactly 1 but whose derivative is not, so first derivatives stay bit for bit right and only
second derivatives (the HVP, forward over reverse, and reverse over reverse) are wrong.
``order2fwd`` does the same to the JVP rule, with a factor whose derivative is not 0 only
along an outer forward-mode trace: every first derivative, the HVP and the reverse-over-forward
and reverse-over-reverse nestings stay bit for bit right, and only forward over forward is
wrong (the shape of torch 2.13's cumprod bug, a forward-mode formula whose own forward
derivative is wrong). ``scale``, ``sign``, ``order2`` and ``order2fwd`` act on one argument's
rule (the trailing number, default the first).

The perturbation is applied around each of the adapter's own calls and undone afterwards, so
the genuine refengine in the same process (the reference the mutant is compared with) never
sees it. These adapters are not registered in ``adapters.names()``: the matrix over "every
adapter" must not contain a deliberately broken one.

The transformations of a derivative (``vmap_grad``, ``jacfwd_vs_jacrev``, ``inputs_unchanged``)
have negative controls of their own, refengine with one transformation broken
(``TransformMutant``, ``BROKEN_PREFIX``)::

    from_name("refengine-broken:vmap-wrong-element")   # the last batch element's VJP taken
                                                        # at the first element's point
    from_name("refengine-broken:jacfwd-scaled")        # one forward-mode Jacobian entry x 1.001
    from_name("refengine-broken:mutates-input")        # the VJP adds 1 to its own input array
    from_name("refengine-broken:mutates-caller-input") # ... to the caller's NumPy array

refengine has no vectorising map, so these adapters' ``vmap_vjp`` is a loop of refengine
VJPs over the batch (right, except in ``vmap-wrong-element``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from adapters.refengine_adapter import RefengineAdapter

__all__ = ["BROKEN_KINDS", "BROKEN_PREFIX", "KINDS", "PREFIX", "SCALE", "Mutation",
           "MutantAdapter", "TransformMutant", "from_name", "mutations"]

PREFIX = "refengine-mutant:"
KINDS = ("scale", "sign", "swap", "order2", "order2fwd")
BROKEN_PREFIX = "refengine-broken:"
BROKEN_KINDS = ("looped-vmap", "vmap-wrong-element", "jacfwd-scaled", "mutates-input",
                "mutates-caller-input")
SCALE = 1.001
_instances: dict[str, MutantAdapter | TransformMutant] = {}


def _rules(prim: Any) -> tuple[Any, Any]:
    return prim.vjp, prim.jvp


def _positions(prim: Any) -> list[int]:
    """Argument positions that have a rule (variadic primitives: the first two)."""
    if callable(prim.vjp):
        return [0, 1]
    return [i for i, r in enumerate(prim.vjp) if r is not None]


def _stopped(x: Any) -> Any:
    """The plain value under any number of tracers (a constant for every trace)."""
    from refengine.primitive import Tracer

    while isinstance(x, Tracer):
        x = x._value  # refengine's own rules unwrap this way (derivatives._has_zero)
    return x


def _perturb(rule: Callable[..., Any], kind: str, arg: int) -> Callable[..., Any]:
    if kind == "scale":
        return lambda *a, **k: rule(*a, **k) * SCALE
    if kind == "sign":
        return lambda *a, **k: -rule(*a, **k)
    if kind == "order2fwd":
        def order2fwd(t: Any, ans: Any, *args: Any, **k: Any) -> Any:
            import numpy as np

            import refengine.numpy as rnp
            from refengine.traces import DualTracer

            x = args[arg]
            # A JVP rule's operands carry an outer trace only while the JVP itself is being
            # differentiated; only an outer forward-mode (dual) trace gets the extra factor,
            # so no other computation changes by a single bit.
            if not isinstance(x, DualTracer):
                return rule(t, ans, *args, **k)
            zero = rnp.where(np.isfinite(_stopped(x)), x - x._value, 0.0)
            factor = 1.0 + 1e-3 * rnp.sum(zero)
            out = rule(t, ans, *args, **k)
            # a multiple-result primitive (eigh, qr, svd) has one tangent per result
            return tuple(o * factor for o in out) if isinstance(out, tuple) else out * factor

        return order2fwd

    def order2(d: Any, ans: Any, *args: Any, **k: Any) -> Any:
        import numpy as np

        import refengine.numpy as rnp

        x, x0 = args[arg], _stopped(args[arg])
        # (x - stop(x)) is exactly 0 (0 also where x is not finite), so the value is bit for
        # bit the rule's; its derivative along x is 1, so the rule's own derivative gains
        # 0.001 * rule * sum(dx).
        zero = rnp.where(np.isfinite(x0), x - x0, 0.0)
        return rule(d, ans, *args, **k) * (1.0 + 1e-3 * rnp.sum(zero))

    return order2


def _fingerprint(f: Any) -> Any:
    """Equal for two rules written identically (``add``: both arguments get ``g``)."""
    code = getattr(f, "__code__", None)
    if code is None:
        return id(f)
    cells = tuple(
        _fingerprint(c.cell_contents) if callable(c.cell_contents) else repr(c.cell_contents)
        for c in (f.__closure__ or ())
    )
    return (code.co_code, code.co_consts, code.co_names, cells)


@dataclass(frozen=True)
class Mutation:
    """One perturbed rule: primitive name, kind, argument position."""

    primitive: str
    kind: str
    arg: int = 0

    @property
    def name(self) -> str:
        suffix = "" if self.kind == "swap" or self.arg == 0 else f":{self.arg}"
        return f"{PREFIX}{self.primitive}:{self.kind}{suffix}"

    @property
    def args(self) -> tuple[int, ...]:
        """The argument positions whose rules change."""
        prim = _table()[self.primitive]
        return tuple(_positions(prim)[:2]) if self.kind == "swap" else (self.arg,)

    def equivalent(self) -> bool:
        """A swap of two identical rules changes nothing (``add``)."""
        if self.kind != "swap":
            return False
        prim = _table()[self.primitive]
        if callable(prim.vjp):
            return False
        a, b = _positions(prim)[:2]
        return all(_fingerprint(r[a]) == _fingerprint(r[b]) for r in _rules(prim))

    def _mutate(self, rules: Any, reverse: bool) -> Any:
        if (self.kind == "order2" and not reverse) or (self.kind == "order2fwd" and reverse):
            # order2 wrongs a VJP rule's derivative (seen by the HVP, forward over reverse, and
            # by reverse over reverse); order2fwd a JVP rule's forward derivative (seen by
            # forward over forward only).
            return rules
        if callable(rules):  # variadic: position -> rule
            if self.kind == "swap":
                return lambda i: rules(1 - i) if i in (0, 1) else rules(i)
            return lambda i: _perturb(rules(i), self.kind, i) if i == self.arg else rules(i)
        rules = list(rules)
        if self.kind == "swap":
            a, b = _positions_of(rules)[:2]
            rules[a], rules[b] = rules[b], rules[a]
        else:
            rules[self.arg] = _perturb(rules[self.arg], self.kind, self.arg)
        return tuple(rules)

    @contextmanager
    def applied(self) -> Iterator[None]:
        prim = _table()[self.primitive]
        saved = _rules(prim)
        prim.vjp, prim.jvp = self._mutate(saved[0], True), self._mutate(saved[1], False)
        try:
            yield
        finally:
            prim.vjp, prim.jvp = saved


def _positions_of(rules: list[Any]) -> list[int]:
    return [i for i, r in enumerate(rules) if r is not None]


def _table() -> dict[str, Any]:
    from refengine.derivatives import TABLE

    return TABLE


def mutations(kinds: tuple[str, ...] = ("scale", "sign", "swap")) -> list[Mutation]:
    """Every mutation of the table: ``scale``/``sign``/``order2``/``order2fwd`` for each
    argument's rule, ``swap`` for each primitive with two differentiable arguments (equivalent
    swaps, where both rules are the same function, are left out)."""
    out = []
    for name, prim in _table().items():
        if not prim.vjp:
            continue
        positions = _positions(prim)
        for kind in kinds:
            if kind == "swap":
                if len(positions) >= 2 and not Mutation(name, "swap").equivalent():
                    out.append(Mutation(name, "swap"))
                continue
            out.extend(Mutation(name, kind, arg) for arg in positions)
    return out


def parse(name: str) -> Mutation:
    """``"refengine-mutant:sin:scale"`` (optionally ``:<argument>``) -> Mutation."""
    if not name.startswith(PREFIX):
        raise ValueError(f"a mutant adapter's name starts with {PREFIX!r}: {name!r}")
    parts = name[len(PREFIX):].split(":")
    if len(parts) not in (2, 3) or parts[1] not in KINDS:
        raise ValueError(f"expected {PREFIX}<primitive>:<{'|'.join(KINDS)}>[:<argument>], "
                         f"got {name!r}")
    table = _table()
    if parts[0] not in table or not table[parts[0]].vjp:
        raise ValueError(f"refengine has no differentiable primitive {parts[0]!r}; "
                         f"choose from {', '.join(n for n, p in table.items() if p.vjp)}")
    positions = _positions(table[parts[0]])
    arg = int(parts[2]) if len(parts) == 3 else positions[0]
    if parts[1] == "swap":
        arg = 0  # a swap exchanges the first two rules; no argument to name
    if (parts[1] != "swap" and arg not in positions) or (parts[1] == "swap" and len(positions) < 2):
        raise ValueError(f"{parts[0]} has rules for arguments {positions}; {name!r} does not fit")
    return Mutation(parts[0], parts[1], arg)


class MutantAdapter(RefengineAdapter):
    """refengine with ``mutation`` applied during each of its own calls."""

    def __init__(self, mutation: Mutation, device: str = "cpu") -> None:
        super().__init__(device=device)
        self.mutation = mutation
        self.name = mutation.name

    def _compile(
        self, call: Callable[..., Any], mode: str
    ) -> tuple[Callable[..., Any], Callable[[], int] | None]:
        inner, traces = super()._compile(call, mode)

        def run(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            with self.mutation.applied():
                return inner(inputs, direction)

        return run, traces


class TransformMutant(RefengineAdapter):
    """refengine with one transformation of a derivative broken (module docstring);
    ``looped-vmap`` breaks nothing: its vectorised VJP is a right loop (the control's
    control)."""

    def __init__(self, kind: str, device: str = "cpu") -> None:
        if kind not in BROKEN_KINDS:
            raise ValueError(f"unknown broken transformation {kind!r}; choose from "
                             f"{', '.join(BROKEN_KINDS)}")
        super().__init__(device=device)
        self.kind = kind
        self.name = BROKEN_PREFIX + kind

    def _to_native(self, array: Any) -> Any:
        if self.kind == "mutates-caller-input":
            return array  # no copy: the caller's own array
        return super()._to_native(array)

    def _vmap_vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        import numpy as np

        vjp = super()._vjp(f, argnums)

        def call(inputs: tuple[Any, ...], cotangents: Any) -> Any:
            results = []
            n = len(cotangents)
            for b in range(n):
                at = 0 if (self.kind == "vmap-wrong-element" and b == n - 1) else b
                point = tuple(x[at] if i in argnums else x for i, x in enumerate(inputs))
                results.append(vjp(point, cotangents[b])[1])
            return tuple(np.stack([r[j] for r in results]) for j in range(len(argnums)))

        return call

    def _jacfwd(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        call = super()._jacfwd(f, argnums)
        if self.kind != "jacfwd-scaled":
            return call

        def scaled(inputs: tuple[Any, ...], direction: Any = None) -> Any:
            first, *rest = call(inputs, direction)
            first = first.copy()
            first.reshape(-1)[0] *= SCALE
            return (first, *rest)

        return scaled

    def _vjp(self, f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., Any]:
        call = super()._vjp(f, argnums)
        if not self.kind.startswith("mutates-"):
            return call

        def mutating(inputs: tuple[Any, ...], cotangent: Any) -> Any:
            out = call(inputs, cotangent)
            x = inputs[argnums[0]]
            x += 1.0  # in place: the array the adapter was given
            return out

        return mutating


def from_name(name: str) -> MutantAdapter | TransformMutant:
    """The mutant adapter called ``name`` (one shared instance per name)."""
    if name not in _instances:
        if name.startswith(BROKEN_PREFIX):
            _instances[name] = TransformMutant(name[len(BROKEN_PREFIX):])
        else:
            _instances[name] = MutantAdapter(parse(name))
    return _instances[name]
