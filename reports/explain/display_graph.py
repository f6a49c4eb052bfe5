"""The tape as a graph to draw: inputs, operations, and the cotangent on every edge.

Large tapes are summarised so that a model stays readable: a run of three or more of the same
elementwise-style operation, each feeding only the next (``tanh(tanh(tanh(...)))``), becomes
one group node; if more than ``max_nodes`` operations remain, the first and last halves are
kept and the middle becomes one node that lists what it holds (counts per operation).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from refengine.tape_recording import Recording
from reports.explain.value_text import compact, shape_of

__all__ = ["DisplayGraph", "GraphEdge", "GraphNode", "build_graph"]


@dataclass
class GraphNode:
    id: str
    title: str  # "v3 = log" / "x" / "tanh x 200"
    lines: list[str]
    kind: str  # "input", "op", "output", "group"
    members: list[int] = field(default_factory=list)  # tape positions it stands for


@dataclass(frozen=True)
class GraphEdge:
    src: str
    dst: str
    label: str  # the cotangent sent back along this edge ("" when none reached it)


@dataclass
class DisplayGraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    total_ops: int
    summarized: bool
    counts: Counter[str]  # operations per primitive, over the whole tape

    def summary(self) -> str:
        shown = sum(1 for n in self.nodes if n.kind in ("op", "output"))
        return (f"{self.total_ops} operations ({_counts(self.counts)}); "
                f"{shown} drawn one by one, the rest grouped")


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in counts.most_common())


def _chains(rec: Recording) -> list[list[int]]:
    """Runs of 3+ nodes of one primitive, each the only consumer of the previous one."""
    consumers: Counter[str] = Counter()
    for node in rec.nodes:
        for o in node.operands:
            if o.label is not None:
                consumers[o.label] += 1
    runs: list[list[int]] = []
    current: list[int] = []
    for k, node in enumerate(rec.nodes):
        traced = [o.label for o in node.operands if o.label is not None]
        prev = rec.nodes[k - 1] if k else None
        follows = (
            prev is not None and current and prev.name == node.name
            and traced == [prev.label] and consumers[prev.label] == 1
        )
        if follows:
            current.append(k)
        else:
            if len(current) >= 3:
                runs.append(current)
            current = [k]
    if len(current) >= 3:
        runs.append(current)
    return runs


def build_graph(rec: Recording, max_nodes: int = 40) -> DisplayGraph:
    """The graph of ``rec``'s tape, summarised to at most about ``max_nodes`` operation nodes."""
    owner: dict[int, str] = {}  # tape position -> display node id
    nodes: list[GraphNode] = []
    for inp in rec.inputs:
        nodes.append(GraphNode(inp.name, inp.name, _value_lines(inp.value, inp.tangent,
                                                                 inp.grad), "input"))
    groups = {run[0]: run for run in _chains(rec)}
    units: list[list[int]] = []
    k = 0
    while k < len(rec.nodes):
        run = groups.get(k, [k])
        units.append(run)
        k = run[-1] + 1
    summarized = len(units) < len(rec.nodes)
    if len(units) > max_nodes:
        keep = max(max_nodes // 2, 1)
        middle = [i for unit in units[keep:len(units) - keep] for i in unit]
        units = [*units[:keep], middle, *units[len(units) - keep:]]
        summarized = True
        middle_id = f"g{middle[0] + 1}"
    else:
        middle_id = None
    for unit in units:
        nodes.append(_unit_node(rec, unit, middle_id))
        for i in unit:
            owner[i] = nodes[-1].id
    edges = _edges(rec, owner)
    return DisplayGraph(nodes, edges, len(rec.nodes), summarized,
                        Counter(n.name for n in rec.nodes))


def _unit_node(rec: Recording, unit: list[int], middle_id: str | None) -> GraphNode:
    first, last = rec.nodes[unit[0]], rec.nodes[unit[-1]]
    is_output = rec.output_label in last.out_labels()
    if len(unit) == 1:
        kind = "output" if is_output else "op"
        return GraphNode(first.label, f"{first.label} = {first.name}",
                         _value_lines(first.out, first.tangent, first.cotangent), kind, unit)
    gid = f"g{unit[0] + 1}"
    if gid == middle_id:
        counts = Counter(rec.nodes[i].name for i in unit)
        return GraphNode(gid, f"{len(unit)} more operations (v{unit[0] + 1}..v{unit[-1] + 1})",
                         [_counts(counts)], "group", unit)
    return GraphNode(gid, f"{first.name} x{len(unit)} (v{unit[0] + 1}..v{unit[-1] + 1})",
                     _value_lines(last.out, last.tangent, last.cotangent),
                     "output" if is_output else "group", unit)


def _value_lines(value: object, tangent: object, cotangent: object) -> list[str]:
    lines = [shape_of(value), "value " + compact(value)]
    if tangent is not None:
        lines.append("t " + compact(tangent))
    if cotangent is not None:
        lines.append("g " + compact(cotangent))
    return lines


def _edges(rec: Recording, owner: dict[int, str]) -> list[GraphEdge]:
    label_owner = {inp.name: inp.name for inp in rec.inputs}
    for k, node in enumerate(rec.nodes):
        for lab in node.out_labels():
            label_owner[lab] = owner[k]
    edges: dict[tuple[str, str], str] = {}
    for k, node in enumerate(rec.nodes):
        dst = owner[k]
        sent = {c.position: c for c in node.sent}
        for o in node.operands:
            if o.label is None:
                continue
            src = label_owner[o.label]
            if src == dst:
                continue  # inside a group
            c = sent.get(o.position)
            label = "" if c is None else f"g {compact(c.value)}"
            # Several edges between two grouped nodes collapse into one, unlabelled.
            edges[(src, dst)] = label if (src, dst) not in edges else ""
    return [GraphEdge(s, d, lab) for (s, d), lab in edges.items()]
