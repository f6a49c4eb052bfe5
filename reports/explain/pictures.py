"""Pictures: the graph (Graphviz's ``dot`` when installed, else matplotlib) and the
finite-difference error against the step size (matplotlib).

Both renderers are optional: an explanation needs neither. Each function returns a
``Picture`` with the file it wrote, or none and a note saying what is missing, so a report
without pictures still says why. Graphviz is driven through its ``dot`` program (the DOT text is
written here), so no Python binding is needed; matplotlib is imported on use, through its
object-oriented API (no pyplot global state, no backend switch).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reports.explain.derivative_methods import StepSweep
from reports.explain.display_graph import DisplayGraph

__all__ = ["LEGEND", "RENDERERS", "Picture", "graph_to_dot", "plot_steps", "render_graph"]

LEGEND = ("value: forward value; t: tangent (forward mode); g: cotangent (reverse mode); "
          "each edge carries the cotangent sent back to the operand")

RENDERERS = ("auto", "graphviz", "matplotlib", "text")

_FILL = {"input": "#dbeafe", "op": "#f3f4f6", "output": "#dcfce7", "group": "#fef3c7"}


@dataclass(frozen=True)
class Picture:
    path: Path | None
    renderer: str  # "graphviz", "matplotlib" or "" when none was drawn
    note: str = ""


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def graph_to_dot(graph: DisplayGraph) -> str:
    """The graph in Graphviz's DOT language: values, tangents (t) and cotangents (g) on the
    nodes; on each edge (drawn forward) the cotangent the backward pass sent back along it."""
    out = ["digraph tape {", '  rankdir=TB; node [shape=box, style="rounded,filled", '
           'fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9, '
           'color="#555555", fontcolor="#b91c1c"];',
           f'  labelloc=b; fontname="Helvetica"; fontsize=9; label="{_quote(LEGEND)}";']
    for n in graph.nodes:
        label = "\\n".join(_quote(s) for s in [n.title, *n.lines])
        shape = ', shape=ellipse' if n.kind == "input" else ""
        out.append(f'  "{n.id}" [label="{label}", fillcolor="{_FILL[n.kind]}"{shape}];')
    for e in graph.edges:
        label = f' [label="{_quote(e.label)}"]' if e.label else ""
        out.append(f'  "{e.src}" -> "{e.dst}"{label};')
    out.append("}")
    return "\n".join(out) + "\n"


def render_graph(graph: DisplayGraph, stem: Path, renderer: str = "auto") -> Picture:
    """Draw ``graph`` to ``stem`` + ``.svg`` (graphviz) or ``.png`` (matplotlib)."""
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {RENDERERS}, got {renderer!r}")
    notes = []
    if renderer in ("auto", "graphviz"):
        pic = _graphviz(graph, stem)
        if pic.path is not None or renderer == "graphviz":
            return pic
        notes.append(pic.note)
    if renderer in ("auto", "matplotlib"):
        pic = _matplotlib_graph(graph, stem)
        if pic.path is not None or renderer == "matplotlib":
            return Picture(pic.path, pic.renderer, "; ".join([*notes, pic.note]).strip("; "))
        notes.append(pic.note)
    if renderer == "text":
        notes.append("graph drawing turned off (renderer='text')")
    return Picture(None, "", "; ".join(notes) + "; the graph is shown as text only")


def _graphviz(graph: DisplayGraph, stem: Path) -> Picture:
    dot = shutil.which("dot")
    if dot is None:
        return Picture(None, "", "Graphviz's dot program is not installed")
    path = stem.with_suffix(".svg")
    try:
        subprocess.run([dot, "-Tsvg", "-o", str(path)], input=graph_to_dot(graph), text=True,
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return Picture(None, "", f"Graphviz failed: {exc}")
    return Picture(path, "graphviz")


def _figure(width: float, height: float) -> Any:  # a matplotlib.figure.Figure
    from matplotlib.figure import Figure  # optional dependency, imported on use

    return Figure(figsize=(width, height), dpi=100)


def _layers(graph: DisplayGraph) -> dict[str, int]:
    """Depth of each node (longest path from an input): its row in the drawing."""
    depth = {n.id: 0 for n in graph.nodes}
    for n in graph.nodes:  # nodes are in tape order, so one pass settles every depth
        for e in graph.edges:
            if e.dst == n.id:
                depth[n.id] = max(depth[n.id], depth[e.src] + 1)
    return depth


def _matplotlib_graph(graph: DisplayGraph, stem: Path) -> Picture:
    """Top to bottom, one row per depth; arrows join the boxes' edges (annotations anchored
    to the text boxes themselves, so they adapt to each box's size)."""
    try:
        fig = _figure(1, 1)
    except ImportError:
        return Picture(None, "", "matplotlib is not installed")
    depth = _layers(graph)
    rows: dict[int, list[str]] = {}
    for n in graph.nodes:
        rows.setdefault(depth[n.id], []).append(n.id)
    width = max(len(r) for r in rows.values())
    fig.set_size_inches(max(4.0, 2.8 * width), max(2.5, 1.3 * len(rows)))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    boxes = {}
    for d, ids in rows.items():
        for c, nid in enumerate(ids):
            n = next(m for m in graph.nodes if m.id == nid)
            x = c + (width - len(ids)) / 2
            boxes[nid] = ax.text(
                x, -d, "\n".join([n.title, *n.lines]), ha="center", va="center", fontsize=7,
                bbox={"boxstyle": "round", "facecolor": _FILL[n.kind], "edgecolor": "#888888"})
    for e in graph.edges:
        ax.annotate("", xy=(0.5, 1.0), xycoords=boxes[e.dst], xytext=(0.5, 0.0),
                    textcoords=boxes[e.src],
                    arrowprops={"arrowstyle": "->", "color": "#555555", "shrinkA": 4,
                                "shrinkB": 4})
        if e.label:
            (x0, y0), (x1, y1) = boxes[e.src].get_position(), boxes[e.dst].get_position()
            ax.text((x0 + x1) / 2 + 0.05, (y0 + y1) / 2, e.label, fontsize=6, color="#b91c1c",
                    ha="left", va="center")
    ax.text((width - 1) / 2, -len(rows) + 0.45, LEGEND, ha="center", va="bottom", fontsize=6,
            color="#555555")
    path = stem.with_suffix(".png")
    fig.savefig(path, bbox_inches="tight")
    return Picture(path, "matplotlib")


def plot_steps(sweep: StepSweep, reference: float, reference_error: float, path: Path) -> Picture:
    """Error of the forward, central and complex-step estimates against the step size."""
    if not np.isfinite(reference):
        return Picture(None, "", "no finite-difference reference to measure errors against")
    try:
        fig = _figure(6.4, 4.2)
    except ImportError:
        return Picture(None, "", "matplotlib is not installed: the step-size table is text only")
    ax = fig.add_subplot(1, 1, 1)
    floor = np.finfo(np.float64).eps * max(abs(reference), 1e-300) / 10
    series = [("forward difference", sweep.forward, "o-"), ("central difference", sweep.central,
                                                            "s-")]
    if sweep.complex is not None:
        series.append(("complex step", sweep.complex, "^-"))
    for name, values, style in series:
        err = np.maximum(np.abs(values - reference), floor)  # exact hits drawn at the floor
        ax.loglog(sweep.steps, err, style, label=name, markersize=4)
    if reference_error > 0 and np.isfinite(reference_error):
        ax.axhline(reference_error, color="#888888", linestyle="--", linewidth=1,
                   label="the reference's error bound")
    ax.set_xlabel("step size h")
    ax.set_ylabel("|estimate - reference|")
    ax.set_title("Finite differences: truncation error (right) against round-off (left)",
                 fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return Picture(path, "matplotlib")
