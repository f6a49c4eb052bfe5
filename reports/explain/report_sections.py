"""The explanation as text sections, shared by the text, Markdown and HTML reports.

Each rule is printed with the node's own names substituted (``g_v1 += g_v2 * (1 / v1)``), so
the backward pass reads as the chain rule applied to this function, not as a generic table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from refengine.tape_recording import NodeRecord, Recording
from reports.explain.derivative_methods import Comparison
from reports.explain.formulas import formula_for, rule_location
from reports.explain.kink_answers import KinkReport
from reports.explain.value_text import describe_params, shape_of, summarize

__all__ = ["INTRO", "Section", "sections"]

INTRO = (
    "refengine differentiates by automatic differentiation: neither numerical differentiation "
    "(no step size, no truncation error) nor symbolic differentiation (no formula for the "
    "derivative of f is ever built). While f runs, each primitive operation is recorded on a "
    "tape with its operands and result (the forward pass). Reverse mode walks the tape "
    "backwards and applies each operation's rule from the derivative table to the cotangent "
    "arriving at it: the chain rule, one operation at a time. Forward mode carries a tangent "
    "beside every value instead (dual numbers). Each rule is an exact formula evaluated on "
    "numbers, so both are exact up to floating-point rounding. Below, g_v is the cotangent of "
    "v (the derivative of u . f with respect to v) and t_v its tangent (the derivative of v "
    "along the direction given to the inputs)."
)


@dataclass(frozen=True)
class Section:
    key: str  # "inputs", "tape", "rules", "backward", "forward", "compare", "kinks", "notes"
    title: str
    lines: list[str]


def _shown(nodes: list[NodeRecord], cap: int) -> tuple[list[NodeRecord], list[NodeRecord]]:
    """The nodes listed one by one (first and last halves when there are more than cap)."""
    if len(nodes) <= cap:
        return nodes, []
    half = max(cap // 2, 1)
    return [*nodes[:half], *nodes[-half:]], nodes[half:-half]


def _with_gap(nodes: list[NodeRecord], cap: int,
              render: Callable[[NodeRecord], list[str]]) -> list[str]:
    shown, hidden = _shown(nodes, cap)
    half = len(shown) // 2 if hidden else len(shown)
    lines = [line for n in shown[:half] for line in render(n)]
    if hidden:
        counts = Counter(n.name for n in hidden)
        what = ", ".join(f"{k} x{v}" for k, v in counts.most_common())
        lo, hi = sorted((hidden[0].index + 1, hidden[-1].index + 1))
        lines.append(f"  ... {len(hidden)} operations not listed (v{lo}..v{hi}: {what}) ...")
        lines += [line for n in shown[half:] for line in render(n)]
    return lines


def _operand_text(node: NodeRecord, i: int) -> str:
    o = node.operands[i]
    if o.label is not None:
        return o.label
    if o.data_name is not None:
        return o.data_name
    if i in node.prim.data_args:
        return f"<data {shape_of(o.value)}>"
    return summarize(o.value, max_entries=3)


def _call_text(node: NodeRecord) -> str:
    args = ", ".join(_operand_text(node, i) for i in range(len(node.operands)))
    params = describe_params(node.params)
    return f"{node.label} = {node.name}({args}{'; ' + params if params else ''})"


def _substitute(text: str, node: NodeRecord) -> str:
    """Put the node's names into a table formula: operands, ``out``, ``g`` and ``t_x``."""
    f = formula_for(node.name)
    names: dict[str, str] = {"out": node.label, "g": f"g_{node.label}"}
    if not f.variadic:
        for name, o in zip(f.operands, node.operands):
            value = o.label or o.data_name
            if value is None and np.ndim(o.value) == 0:
                value = summarize(o.value)
            if value is not None:
                names[name] = value
                names[f"t_{name}"] = f"t_{o.label}" if o.label else "0"
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in names) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], text)


def _tape_lines(rec: Recording, cap: int) -> list[str]:
    width = min(max((len(_call_text(n)) for n in rec.nodes), default=10), 60)

    def render(n: NodeRecord) -> list[str]:
        mark = "   <- output" if rec.output_label in n.out_labels() else ""
        return [f"  {_call_text(n):<{width}}  {shape_of(n.out):<16} = {summarize(n.out)}{mark}"]

    lines = [f"  {i.name} = {summarize(i.value)}   ({shape_of(i.value)}, input)"
             for i in rec.inputs]
    lines += [f"  {k}: {summarize(v)}   ({shape_of(v)}, data, not differentiated)"
              for k, v in rec.data.items()]
    lines += _with_gap(rec.nodes, cap, render)
    if rec.output_label is None:
        lines.append("  the output does not depend on the inputs: every derivative is 0")
    if rec.dropped:
        names = sorted({name for name, _ in rec.dropped})
        lines.append(f"  also applied, with zero derivative and so not on the tape: "
                     f"{', '.join(names)}")
    return lines


def _rule_lines(rec: Recording) -> list[str]:
    lines = ["  (g: the cotangent arriving at the output; t_x: the tangent of operand x;",
             "  [condition] is 1 where it holds and 0 elsewhere)"]
    for name in dict.fromkeys(n.name for n in rec.nodes):
        f = formula_for(name)
        prim = next(n.prim for n in rec.nodes if n.name == name)
        body = f.lines()
        lines.append(f"  {name}   [{rule_location(name)}]")
        lines += [f"      {b}" for b in body]
        if prim.note:
            lines.append(f"      note: {prim.note}")
    return lines


def _backward_lines(rec: Recording, cap: int) -> list[str]:
    lines = [f"  seed: g_{rec.output_label} = {summarize(rec.cotangent)}"
             + ("   (d f / d f = 1)" if rec.cotangent.shape == () else "   (the cotangent u)")]

    def render(n: NodeRecord) -> list[str]:
        if n.cotangent is None:
            return [f"  {n.label} = {n.name}(...): no cotangent reaches it (skipped)"]
        out = [f"  {_call_text(n)}    g_{n.label} = {summarize(n.cotangent)}"]
        f = formula_for(n.name)
        for c in n.sent:
            rule = f.vjp_line(c.position).split(" = ", 1)[-1]
            rhs = _substitute(rule, n)
            note = "   (summed over broadcast axes)" if c.unbroadcast else ""
            out.append(f"      g_{c.target} += {rhs}  = {summarize(c.value)}{note}")
        return out

    lines += _with_gap(rec.nodes[::-1], cap, render)
    grads = ", ".join(f"df/d{i.name} = {summarize(i.grad)}" for i in rec.inputs)
    lines.append(f"  result: {grads}")
    return lines


def _forward_lines(rec: Recording, cap: int) -> list[str]:
    if any(n.tangent is None for n in rec.nodes):
        return ["  f did not repeat the same operations in a second run (is it random?): "
                "the tangents cannot be matched to the tape"]
    lines = [f"  t_{i.name} = {summarize(i.tangent)}   (the direction, given)" for i in rec.inputs]

    def render(n: NodeRecord) -> list[str]:
        rule = _substitute(formula_for(n.name).jvp, n)
        return [f"  {n.label} = {n.name}: value {summarize(n.out)}",
                f"      t_{n.label} = {rule}  = {summarize(n.tangent)}"]

    lines += _with_gap(rec.nodes, cap, render)
    lines.append(f"  result: J v = {summarize(rec.output_tangent)}")
    return lines


def _compare_lines(comp: Comparison) -> list[str]:
    ref = comp.reference
    lines = ["  u^T J v, computed every way. Error: the distance from the reference, the estimate",
             "  of refengine.numeric (for finite differences, at the step that turned out best",
             "  in hindsight)."]
    lines.append(f"  {'method':<58} {'value':>24} {'error':>9}  gradient vs refengine")
    lines.append(f"  {'reference (' + comp.reference_method + ')':<58} {ref:>24.17g} "
                 f"{'+-' + format(comp.reference_error, '.1e'):>9}")
    for r in comp.rows:
        diff = "" if r.grad_diff is None else f"max |diff| {r.grad_diff:.1e}"
        value = f"{'-':>24}" if r.note else f"{r.value:>24.17g}"  # a note: it did not run
        err = f"{r.error:>9.1e}" if np.isfinite(r.error) else f"{'-':>9}"
        lines.append(f"  {r.method:<58} {value} {err}  {diff}{r.note}".rstrip())
    lines += _agreement(comp)
    sw = comp.sweep
    lines += ["", "  finite differences by step size (error against the reference):",
              f"  {'h':>7} {'forward':>22} {'error':>9} {'central':>22} {'error':>9}"
              + (f" {'complex step':>22} {'error':>9}" if sw.complex is not None else "")]
    for k, h in enumerate(sw.steps):
        row = f"  {h:>7.0e} {sw.forward[k]:>22.15g} {abs(sw.forward[k] - ref):>9.1e}"
        row += f" {sw.central[k]:>22.15g} {abs(sw.central[k] - ref):>9.1e}"
        if sw.complex is not None:
            row += f" {sw.complex[k]:>22.15g} {abs(sw.complex[k] - ref):>9.1e}"
        lines.append(row)
    lines += ["  Truncation error shrinks with h (like h forward, h^2 central) until round-off,",
              "  about eps |f| / h, takes over; the complex step subtracts nothing, so it keeps",
              "  every digit as h shrinks."]
    lines += [f"  note: {n}" for n in comp.notes]
    return lines


def _agreement(comp: Comparison) -> list[str]:
    """One sentence answering "do all frameworks do it the same way?" for this function."""
    ran = [r for r in comp.rows if r.grad_diff is not None]
    if not ran:
        return []
    scale = max((abs(r.value) for r in ran if np.isfinite(r.value)), default=1.0)
    same = [r for r in ran if r.grad_diff <= 1e-12 * max(scale, 1.0)]
    names = ", ".join(r.method.split(" ")[0] for r in ran if r not in same)
    tried = sum(1 for r in comp.rows if r.method.endswith("(reverse)"))
    who = "Every framework" if len(ran) == tried else f"Every framework that ran ({len(ran)} " \
        f"of {tried})"
    if not names:
        return [f"  {who} computed the same gradient as refengine's tape, to within rounding:",
                "  each records the operations and applies one rule per operation (reverse "
                "mode)."]
    return [f"  Different gradients from refengine's: {names} (see the kinks below; an "
            "error above is the framework's own)."]


def _kink_lines(kinks: list[KinkReport], case_entries: list[str]) -> list[str]:
    lines = [] if kinks else [
        "  no operation sits at a non-differentiable point of its own at these inputs"]
    for k in kinks:
        lines.append(f"  {k.node} = {k.prim}: {k.what}")
        if k.note:
            lines.append(f"      refengine's table: {k.note}")
        for a in k.answers:
            lines.append(f"      {a.system:<22} {a.answer or a.flag}".rstrip())
            if a.flag and a.answer:
                lines.append(f"          -> {a.flag}")
            lines += [f"          divergence table: {d}" for d in a.documented]
        if k.table and not k.entries:
            lines.append(f"      divergence table: no entry for {k.prim} at this point")
    if case_entries:
        lines.append("  the divergence table's entries for this case not shown above:")
        lines += [f"      {d}" for d in case_entries]
    return lines


def sections(
    rec: Recording, comp: Comparison | None, kinks: list[KinkReport], notes: Iterable[str],
    cap: int, case_entries: Iterable[str] = (),
) -> list[Section]:
    out = [
        Section("tape", "1. Forward pass: the tape (the computation graph, in execution order)",
                _tape_lines(rec, cap)),
        Section("rules", "2. The derivative rule of each operation (refengine/derivatives.py)",
                _rule_lines(rec)),
        Section("backward", "3. Backward pass (reverse mode): the chain rule, node by node",
                _backward_lines(rec, cap)),
        Section("forward", "4. Forward mode (dual numbers): a value and a tangent per node",
                _forward_lines(rec, cap)),
    ]
    if comp is not None:
        out.append(Section("compare", "5. The same derivative, every way: finite differences, "
                           "complex step, forward, reverse, frameworks", _compare_lines(comp)))
    out.append(Section("kinks", "6. Non-differentiable points: what each system does there",
                       _kink_lines(kinks, list(case_entries))))
    notes = list(notes)
    if notes:
        out.append(Section("notes", "Notes", [f"  - {n}" for n in notes]))
    return out
