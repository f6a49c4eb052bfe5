"""``Explanation``: the report as text, as Markdown with pictures, as one self-contained HTML
page (pictures inlined), written where the caller says."""

from __future__ import annotations

import base64
import html
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from refengine.tape_recording import Recording
from reports.explain.derivative_methods import Comparison
from reports.explain.display_graph import DisplayGraph
from reports.explain.kink_answers import KinkReport
from reports.explain.pictures import Picture, graph_to_dot, plot_steps, render_graph
from reports.explain.report_sections import INTRO, Section, sections

__all__ = ["FORMATS", "Explanation"]

FORMATS = ("text", "md", "html")


@dataclass
class Explanation:
    """How refengine (and every framework asked) differentiates one function at one point.

    ``text`` is the plain report; ``to_markdown(path)`` and ``to_html(path)`` add the pictures
    (the graph, and finite-difference error against step size). ``recording`` holds every
    number: node values, cotangents, tangents, gradients.
    """

    title: str
    recording: Recording
    graph: DisplayGraph
    comparison: Comparison | None
    kinks: list[KinkReport]
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    max_nodes: int = 40
    renderer: str = "auto"
    # The divergence table's entries naming the case explained that no kink shows (an op off
    # the tape, such as sign, whose derivative is 0).
    case_entries: list[str] = field(default_factory=list)

    def sections(self) -> list[Section]:
        notes = list(self.notes)
        if self.graph.summarized:
            notes.append(f"large graph summarised: {self.graph.summary()}")
        return sections(self.recording, self.comparison, self.kinks, notes, self.max_nodes,
                        self.case_entries)

    @property
    def text(self) -> str:
        head = f"Explaining {self.title}"
        out = [head, "=" * len(head), *textwrap.wrap(INTRO, 96), ""]
        if self.source:
            out += ["f:", *("    " + line for line in self.source.rstrip().splitlines()), ""]
        for s in self.sections():
            out += [s.title, *s.lines, ""]
        return "\n".join(out).rstrip() + "\n"

    def __str__(self) -> str:
        return self.text

    # --- pictures -------------------------------------------------------------------------
    def pictures(self, folder: Path, stem: str) -> tuple[Picture, Picture | None]:
        """Draw the graph and the step-size plot into ``folder``; notes say what is missing."""
        graph = render_graph(self.graph, folder / f"{stem}_graph", self.renderer)
        steps = None
        if self.comparison is not None and self.renderer != "text":
            c = self.comparison
            steps = plot_steps(c.sweep, c.reference, c.reference_error,
                               folder / f"{stem}_steps.png")
        return graph, steps

    # --- Markdown ---------------------------------------------------------------------------
    def to_markdown(self, path: str | Path | None = None) -> str:
        """The report as Markdown. With ``path``, write it there, the pictures beside it
        (``<stem>_graph.svg|png``, ``<stem>_steps.png``), and link them."""
        pictures: tuple[Picture, Picture | None] | None = None
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            pictures = self.pictures(path.parent, path.stem)
        md = self._markdown(pictures)
        if path is not None:
            path.write_text(md, encoding="utf-8")
        return md

    def _markdown(self, pictures: tuple[Picture, Picture | None] | None) -> str:
        out = [f"# Explaining `{self.title}`", "", INTRO, ""]
        if self.source:
            out += ["```python", self.source.rstrip(), "```", ""]
        for s in self.sections():
            out += [f"## {s.title}", ""]
            out += self._md_picture(s.key, pictures)
            out += ["```text", *s.lines, "```", ""]
        return "\n".join(out)

    def _md_picture(self, key: str, pictures: tuple[Picture, Picture | None] | None) -> list[str]:
        if pictures is None:
            return []
        pic = {"tape": pictures[0], "compare": pictures[1]}.get(key)
        if pic is None:
            return []
        if pic.path is None:
            return [f"*(no picture: {pic.note})*", ""]
        alt = "the computation graph" if key == "tape" else "error against step size"
        return [f"![{alt}]({pic.path.name})", ""]

    # --- HTML -------------------------------------------------------------------------------
    def to_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML page (pictures inlined) to ``path``; return it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            pictures = self.pictures(Path(tmp), "explain")
            body = self._html_body(pictures)
        path.write_text(_PAGE.format(title=html.escape(self.title), body=body), encoding="utf-8")
        return path

    def _html_body(self, pictures: tuple[Picture, Picture | None]) -> str:
        out = [f"<h1>Explaining <code>{html.escape(self.title)}</code></h1>",
               f"<p>{html.escape(INTRO)}</p>"]
        if self.source:
            out.append(f"<pre class=src>{html.escape(self.source.rstrip())}</pre>")
        for s in self.sections():
            out.append(f"<h2>{html.escape(s.title)}</h2>")
            pic = {"tape": pictures[0], "compare": pictures[1]}.get(s.key)
            if pic is not None:
                out.append(_html_picture(pic))
                if s.key == "tape" and pic.path is None:
                    out.append("<details><summary>the graph in DOT (paste into any Graphviz "
                               f"viewer)</summary><pre>{html.escape(graph_to_dot(self.graph))}"
                               "</pre></details>")
            out.append(f"<pre>{html.escape(chr(10).join(s.lines))}</pre>")
        return "\n".join(out)


def _html_picture(pic: Picture) -> str:
    if pic.path is None:
        return f"<p class=note>(no picture: {html.escape(pic.note)})</p>"
    data = pic.path.read_bytes()
    if pic.path.suffix == ".svg":
        svg = data.decode("utf-8")
        return f"<div class=pic>{svg[svg.find('<svg'):]}</div>"
    encoded = base64.b64encode(data).decode("ascii")
    return f"<div class=pic><img alt='figure' src='data:image/png;base64,{encoded}'></div>"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Explaining {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; }}
pre {{ background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .82rem; }}
.pic {{ overflow-x: auto; margin: 1rem 0; }}
.note {{ color: #92400e; }}
</style></head>
<body>
{body}
</body></html>
"""
