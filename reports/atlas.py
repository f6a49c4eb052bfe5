"""The convention atlas as a picture: at each kink or trap point, what each framework returns.

One row per point (a case with a kink check, one where a record matched the divergence
table, or one with an undocumented failure), one column per framework, each cell the
convention the kink check found (zero, left, right, average, NaN, ...) or, where no kink check
ran, the value the framework returned at the worst entry of the documented or failing record,
coloured by what it is. Points where every framework returns the same are listed apart,
below the picture: the picture is where they differ. Each cell's hover text (SVG ``<title>``)
has the record's message and the cell links to its records in the table; each row that met an
entry of the divergence table has a numbered footnote with its behaviour and citation.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["KIND_COLOURS", "AtlasRow", "atlas_html", "atlas_rows", "convention_kind",
           "documented_entry"]

# Colour per kind of cell. Conventions first (what the kink check names), then what a
# record without a convention shows.
KIND_COLOURS = {
    "zero": "#9ecae1", "left": "#c7e9c0", "right": "#fdd0a2", "average": "#dadaeb",
    "inside": "#e5f5e0", "smooth": "#f0f0f0", "inf": "#fdae6b", "nan": "#fb6a4a",
    "other": "#fcbba1", "mixed": "#bcbddc",
    "agrees": "#ffffff", "differs": "#fdd49e", "fail": "#cb181d", "unsupported": "#d9d9d9",
}
_DOCUMENTED = "divergence-documented"
_FAILING = ("fail", "error", "nonfinite")
_CHECK_ORDER = ("kink", "vjp_vs_refengine", "jvp_vs_refengine", "value", "adjoint",
                "vjp_vs_oracle", "jvp_vs_oracle")


def convention_kind(convention: str) -> str:
    """The one kind a convention string names (``x[1]:right; x[4]:zero`` -> ``mixed``,
    ``x[0]:undefined:zero`` -> ``zero``): the last word of each entry."""
    kinds = {part.rsplit(":", 1)[-1].strip().lower() for part in convention.split(";")
             if part.strip()}
    if len(kinds) != 1:
        return "mixed" if kinds else "other"
    kind = kinds.pop()
    return kind if kind in KIND_COLOURS else "other"


def _short(convention: str) -> str:
    """``x[1]:right; x[4]:right; y[1]:zero`` -> ``2 right, 1 zero``; one kind: that kind."""
    kinds = pd.Series([p.rsplit(":", 1)[-1].strip() for p in convention.split(";") if p.strip()])
    if kinds.nunique() == 1:
        return str(kinds.iloc[0])
    return ", ".join(f"{n} {kind}" for kind, n in kinds.value_counts().items())


def documented_entry(message: str):
    """The divergence-table entry a documented record's message cites (``None`` for a
    message from another version of the table)."""
    from cases.conventions import table

    text = str(message).removeprefix("documented divergence: ")
    return next((e for e in table() if text.startswith(e.summary())), None)


def _value(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3g}"


def _differs(got: float, expected: float) -> str:
    """A documented value that differs from the reference: its relative distance when the
    two agree to the digits a cell shows (gelu: 8e-9), else both values."""
    scale = abs(expected)
    if math.isfinite(got) and math.isfinite(expected) and scale > 0 and \
            abs(got - expected) < 1e-2 * scale:
        return f"off by {abs(got - expected) / scale:.1e} rel."
    return f"{_value(got)} (ref {_value(expected)})"


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str
    hover: str
    documented: bool


@dataclass(frozen=True)
class AtlasRow:
    case: str
    cells: dict[str, Cell]   # adapter -> cell
    entries: tuple           # divergence-table entries met here
    differ: bool             # do the frameworks' cells differ?


def _pick(group: pd.DataFrame) -> pd.Series:
    """The record that speaks for one adapter at one point: a kink check, else the first
    documented or failing record (in check order), else any."""
    order = {c: i for i, c in enumerate(_CHECK_ORDER)}
    ranked = group.assign(
        _bad=~group["status"].isin([_DOCUMENTED, *_FAILING]),
        _kink=group["check"] != "kink",
        _order=group["check"].map(lambda c: order.get(c, len(order))),
        _f64=group["dtype"] != "float64")
    return ranked.sort_values(["_kink", "_bad", "_f64", "_order"]).iloc[0]


def _cell(group: pd.DataFrame) -> Cell:
    if (group["status"] == "unsupported").all():
        return Cell("unsupported", "unsupported", str(group["message"].iloc[0]), False)
    group = group[group["status"] != "unsupported"]
    record = _pick(group)
    documented = bool((group["status"] == _DOCUMENTED).any())
    status = record["status"]
    convention = str(record["convention"]) if pd.notna(record["convention"]) else ""
    where = f"{record['adapter']}/{record['mode']} {record['dtype']} {record['check']}"
    hover = f"{where}: {status}"
    if convention:
        hover += f"; convention {convention}"
    if record["message"] and pd.notna(record["message"]):
        hover += f"\n{record['message']}"
    if record["check"] == "kink" and convention:
        text = _short(convention)
        return Cell({"nan": "NaN"}.get(text, text), convention_kind(convention), hover,
                    documented)
    if status in _FAILING:
        return Cell(f"{status} ({_value(record['got'])})", "fail", hover, False)
    if status == _DOCUMENTED:
        got = record["got"]
        kind = ("nan" if isinstance(got, float) and math.isnan(got)
                else "inf" if isinstance(got, float) and math.isinf(got) else "differs")
        text = _value(got)
        if kind == "differs":
            text = _differs(got, record["expected"])
        return Cell(text, kind, hover, True)
    return Cell("agrees", "agrees", hover + " (agrees with the reference)", False)


def atlas_rows(conformance: pd.DataFrame) -> list[AtlasRow]:
    """The atlas's rows: points where the frameworks differ first (by case name), then those
    where every framework returns the same."""
    if conformance.empty:
        return []
    convention = conformance["convention"].astype(object).fillna("").astype(str)
    kinks = set(conformance.loc[(conformance["check"] == "kink") & (convention != ""), "case"])
    cited = set(conformance.loc[conformance["status"] == _DOCUMENTED, "case"])
    failing = set(conformance.loc[conformance["status"].isin(_FAILING), "case"])
    frame = conformance[conformance["case"].isin(kinks | cited | failing)]
    frame = frame.assign(convention=convention)
    rows = []
    for case, group in frame.groupby("case", sort=True):
        cells = {adapter: _cell(records) for adapter, records in group.groupby("adapter")}
        entries = []
        for message in group.loc[group["status"] == _DOCUMENTED, "message"]:
            entry = documented_entry(message)
            if entry is not None and entry not in entries:
                entries.append(entry)
        shown = {c.text for c in cells.values() if c.kind != "unsupported"}
        rows.append(AtlasRow(case, cells, tuple(entries), len(shown) > 1 or bool(entries)))
    return sorted(rows, key=lambda r: (not r.differ, r.case))


_ROW_H, _LABEL_W, _CELL_W, _HEAD_H = 22, 290, 150, 28


def _svg(rows: list[AtlasRow], adapters: list[str], notes: dict[str, list[int]]) -> str:
    width = _LABEL_W + _CELL_W * len(adapters)
    legend_y = _HEAD_H + _ROW_H * len(rows) + 14
    height = legend_y + 2 * _ROW_H
    out = [f'<svg id="atlas" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="11" role="img" '
           'aria-label="convention atlas">']
    for j, adapter in enumerate(adapters):
        x = _LABEL_W + _CELL_W * j + _CELL_W / 2
        out.append(f'<text x="{x}" y="18" text-anchor="middle" font-weight="bold">'
                   f'{html.escape(adapter)}</text>')
    for i, row in enumerate(rows):
        y = _HEAD_H + _ROW_H * i
        marks = "".join(f"[{n}]" for n in notes.get(row.case, []))
        out.append(f'<text x="{_LABEL_W - 6}" y="{y + 15}" text-anchor="end">'
                   f'{html.escape(row.case)} <tspan fill="#2171b5">{marks}</tspan></text>')
        for j, adapter in enumerate(adapters):
            x = _LABEL_W + _CELL_W * j
            cell = row.cells.get(adapter)
            if cell is None:
                continue
            text = cell.text if len(cell.text) <= 22 else cell.text[:21] + "…"
            stroke = ' stroke="#08306b" stroke-width="2"' if cell.documented else \
                ' stroke="#bbb"'
            colour = "#fff" if cell.kind == "fail" else "#000"
            link = html.escape(f"#records?case={row.case}&adapter={adapter}")
            out.append(f'<a href="{link}"><g class="atlas-cell"><title>'
                       f'{html.escape(row.case)} · {html.escape(cell.hover)}</title>'
                       f'<rect x="{x + 1}" y="{y + 1}" width="{_CELL_W - 2}" '
                       f'height="{_ROW_H - 2}" fill="{KIND_COLOURS[cell.kind]}"{stroke}/>'
                       f'<text x="{x + _CELL_W / 2}" y="{y + 15}" text-anchor="middle" '
                       f'fill="{colour}">{html.escape(text)}</text></g></a>')
    x = 4
    for k, (kind, colour) in enumerate(KIND_COLOURS.items()):
        yy = legend_y + (k // 7) * _ROW_H
        xx = x + (k % 7) * 120
        out.append(f'<rect x="{xx}" y="{yy}" width="14" height="14" fill="{colour}" '
                   f'stroke="#999"/><text x="{xx + 18}" y="{yy + 11}">{kind}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _shown(row: AtlasRow) -> str:
    texts = [c.text for c in row.cells.values() if c.kind != "unsupported"]
    return texts[0] if texts else "unsupported"


def atlas_html(conformance: pd.DataFrame) -> str:
    """The atlas section: the picture of the points where frameworks differ, its footnotes
    (behaviour and citation per divergence-table entry), and the points where they agree."""
    rows = atlas_rows(conformance)
    if not rows:
        return "<p>No kink or trap checks in this run.</p>"
    differ = [r for r in rows if r.differ]
    agree = [r for r in rows if not r.differ]
    adapters = sorted({a for r in differ for a in r.cells},
                      key=lambda a: (a != "refengine", a))
    notes: dict[str, list[int]] = {}
    numbered: list = []
    for row in differ:
        for entry in row.entries:
            if entry not in numbered:
                numbered.append(entry)
            notes.setdefault(row.case, []).append(numbered.index(entry) + 1)
    parts = ["<p>At each kink or trap point where the frameworks differ (or one matched the "
             "divergence table): the convention the kink check found (zero, left, right, "
             "average of the one-sided derivatives, inside the subdifferential, NaN, ...) or, "
             "where no kink check ran, the value returned at the worst entry (<em>agrees</em>: "
             "every check passed against the reference). A thick border marks a documented "
             "divergence; hover over a cell for its record's message, click it for its records "
             "in the table below, and see the numbered notes for the citation.</p>"]
    if differ:
        parts.append(_svg(differ, adapters, notes))
    if numbered:
        parts.append('<ol class="atlas-notes">' + "".join(
            f"<li><b>{html.escape(e.op)} at {html.escape(e.point)}</b>: "
            f"{html.escape(e.behaviour)}. Source: {html.escape(e.citation)}</li>"
            for e in numbered) + "</ol>")
    if agree:
        same = ", ".join(f"{html.escape(r.case)} ({html.escape(_shown(r))})" for r in agree)
        parts.append(f"<p>Every framework returns the same at these {len(agree)} points: "
                     f"{same}.</p>")
    return "\n".join(parts)
