"""The report: text, pages with pictures, summaries of large graphs, kinks, comparisons, and
degradation when the optional renderers are missing."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import numpy as np
import pytest

import refengine.numpy as rnp
from reports.explain import explain
from reports.explain import pictures as render_module

RNG = np.random.default_rng(3)


def _mlp(w, x):
    h = rnp.tanh(w @ x)
    return rnp.sum(rnp.abs(h - 0.5) + rnp.maximum(x[np.array([0, 0, 1])], 0.0))


@pytest.fixture(scope="module")
def small():
    x = RNG.standard_normal(3)
    x[1] = 0.0  # maximum(x[1], 0.0) ties: a kink
    return explain(_mlp, RNG.standard_normal((3, 3)), x, frameworks=())


def _mentions_every_node(text: str, e) -> None:
    for node in e.recording.nodes:
        assert f"{node.label} = {node.name}" in text, node.label
    for inp in e.recording.inputs:
        assert inp.name in text


def test_text_report_answers_the_question(small):
    text = small.text
    assert "neither numerical differentiation" in text and "dual numbers" in text
    _mentions_every_node(text, small)
    # the chain rule with this function's own names, and the rule's table note
    assert "g_v1 += g_v2 * (1 - v2^2)" in text
    assert "abs'(0) = 0" in text
    assert "result: df/dw" in text and "result: J v" in text


def test_log_of_a_product_reads_as_the_chain_rule():
    text = explain(lambda x, w: rnp.log(x * w), 2.0, 3.0, frameworks=()).text
    assert text.startswith("Explaining lambda x, w: rnp.log(x * w)")
    assert "g_v1 += g_v2 * (1 / v1)  = 0.16666666666666666" in text
    assert "g_x += g_v1 * w  = 0.5" in text
    assert "t_v1 = t_x * w + t_w * x  = 5.0" in text
    assert "no operation sits at a non-differentiable point" in text


def test_comparison_rows_and_step_sweep(small):
    comp = small.comparison
    assert np.isfinite(comp.reference)
    rows = {r.method.split(",")[0]: r for r in comp.rows}
    rev = rows["refengine reverse mode (tape): (J^T u) . v"]
    assert rev.error <= comp.reference_error + 1e-9
    assert len(comp.sweep.steps) == 15 and comp.sweep.steps[0] == 0.1
    central = np.abs(comp.sweep.central - comp.reference)
    assert central[4] < central[0] and central[4] < central[-1]  # truncation vs round-off


def test_a_wrong_complex_step_is_called_out():
    # |x + ih| is real: the complex step says 0 where the derivative is sign(x) = 1
    comp = explain(lambda x: rnp.sum(rnp.abs(x) * x), np.array([1.5, 2.0]),
                   frameworks=()).comparison
    assert any("complex-analytic" in n for n in comp.notes)
    smooth = explain(lambda x: rnp.sum(rnp.exp(x) * x), np.array([1.5, 2.0]), frameworks=())
    assert not any("complex" in n for n in smooth.comparison.notes)
    row = next(r for r in smooth.comparison.rows if r.method.startswith("complex step"))
    assert row.error <= 1e-14 * abs(smooth.comparison.reference)


def test_kinks_report_refengine_convention(small):
    (kink,) = small.kinks
    assert kink.prim == "maximum" and "tie" in kink.what
    assert kink.by_system()["refengine"] == "g_v5 = 0.5"


def test_pages_exist_and_mention_every_node(small, tmp_path):
    page = small.to_html(tmp_path / "out" / "e.html")
    html = page.read_text(encoding="utf-8")
    _mentions_every_node(html, small)
    assert html.startswith("<!DOCTYPE html>")
    if shutil.which("dot") or importlib.util.find_spec("matplotlib"):
        assert "<svg" in html or "base64" in html
    else:
        assert "no picture" in html
    md = small.to_markdown(tmp_path / "md" / "e.md")
    _mentions_every_node(md, small)
    assert (tmp_path / "md" / "e.md").read_text(encoding="utf-8") == md
    linked = [p.name for p in (tmp_path / "md").iterdir() if p.suffix in (".svg", ".png")]
    for name in linked:
        assert f"]({name})" in md
    assert "e_steps.png" in linked or "matplotlib is not installed" in md


def test_large_graphs_are_summarised():
    def chain(x):
        for _ in range(200):
            x = rnp.tanh(x)
        return rnp.sum(rnp.exp(x) * x)

    e = explain(chain, RNG.standard_normal(4), frameworks=(), max_nodes=12)
    assert e.graph.summarized and len(e.graph.nodes) <= 12
    assert any(n.title.startswith("tanh x") for n in e.graph.nodes)  # the run, grouped
    text = e.text
    assert "operations not listed" in text and "large graph summarised" in text
    assert text.count("= tanh(") < 20  # not 200 lines


def test_many_distinct_ops_collapse_in_the_middle():
    def mlp(x, *ws):
        for w in ws:
            x = rnp.tanh(w @ x + 0.1)
        return rnp.sum(x**2)

    ws = [RNG.standard_normal((4, 4)) for _ in range(10)]
    e = explain(mlp, RNG.standard_normal(4), *ws, frameworks=(), max_nodes=10)
    ops = [n for n in e.graph.nodes if n.kind != "input"]
    assert len(ops) <= 11 and any("more operations" in n.title for n in ops)
    drawn = sum(len(n.members) for n in ops)
    assert drawn == len(e.recording.nodes)  # every node is somewhere in the picture


def _block_renderers(monkeypatch):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)


def test_missing_renderers_degrade_to_text_with_a_note(small, tmp_path, monkeypatch):
    _block_renderers(monkeypatch)
    html = small.to_html(tmp_path / "e.html").read_text(encoding="utf-8")
    assert "Graphviz&#x27;s dot program is not installed" in html
    assert "matplotlib is not installed" in html
    assert "digraph tape" in html  # the DOT source, for any viewer
    _mentions_every_node(html, small)
    md = small.to_markdown(tmp_path / "e.md")
    assert "no picture" in md and not list(tmp_path.glob("*.png"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_draws_svg(small, tmp_path):
    pic = render_module.render_graph(small.graph, tmp_path / "g", "graphviz")
    assert pic.renderer == "graphviz" and pic.path.read_text().lstrip().startswith("<?xml")


def test_matplotlib_draws_the_graph_and_the_steps(small, tmp_path):
    pytest.importorskip("matplotlib")
    pic = render_module.render_graph(small.graph, tmp_path / "g", "matplotlib")
    assert pic.renderer == "matplotlib" and pic.path.suffix == ".png"
    c = small.comparison
    steps = render_module.plot_steps(c.sweep, c.reference, c.reference_error, tmp_path / "s.png")
    assert steps.path.stat().st_size > 1000


def test_frameworks_run_the_case_style_function():
    pytest.importorskip("autograd")
    f = lambda xp, x: xp.sum(xp.abs(x) * xp.exp(x))
    x = np.array([0.5, 0.0, -1.0])
    e = explain(f, x, frameworks=("autograd",))
    row = next(r for r in e.comparison.rows if r.method.startswith("autograd"))
    assert row.grad_diff is not None and row.grad_diff <= 1e-15
    (kink,) = e.kinks
    systems = kink.by_system()
    assert set(systems) >= {"refengine"} and any(s.startswith("autograd") for s in systems)


def test_unavailable_frameworks_become_notes():
    e = explain(lambda xp, x: xp.sum(x * x), np.ones(2), frameworks=("no-such-framework",))
    assert any("no-such-framework" in n for n in e.notes)
    assert [r for r in e.comparison.rows if "no-such" in r.method] == []


def test_importing_explain_imports_no_framework_and_no_matplotlib():
    code = ("import sys, refengine, reports.explain; "
            "bad = [m for m in ('torch', 'jax', 'tensorflow', 'autograd', 'matplotlib', "
            "'adapters', 'cases') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="renderer"):
        explain(lambda x: x * x, 1.0, renderer="svg")
    with pytest.raises(ValueError, match="max_nodes"):
        explain(lambda x: x * x, 1.0, max_nodes=1)
