"""refengine stands alone: it imports nothing built on it, and ``import refengine`` loads no
explainer; ``rf.explain`` reaches the explainer through the ``refengine.explain`` entry point."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine import explain_entry
from reports.explain import Explanation
from reports.explain import explain as reports_explain

ROOT = Path(__file__).resolve().parents[1]
UPPER = ("adapters", "cases", "reports")


def _imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module ``tree`` imports, at any depth (inside functions too), with its line:
    import statements, and ``importlib.import_module``/``__import__`` of a literal name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                found.append((node.lineno, str(first.value)))
    return found


def test_no_refengine_module_imports_a_layer_built_on_it():
    modules = sorted((ROOT / "refengine").rglob("*.py"))
    assert len(modules) > 20  # the walk found the package
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for line, name in _imported_names(ast.parse(path.read_text(encoding="utf-8")))
        if name.split(".")[0] in UPPER
    ]
    assert wrong == []


def test_the_import_reader_sees_imports_inside_functions():
    source = ("def f():\n    from cases.conventions import TABLE\n"
              "def g():\n    import importlib\n    importlib.import_module('adapters')\n")
    assert {name for _, name in _imported_names(ast.parse(source))} == {
        "cases.conventions", "importlib", "adapters"}


def test_import_refengine_loads_no_explainer_and_no_scipy():
    # What a user of grad and refengine.numpy never needs is loaded on first use: the
    # explainer (above refengine), SciPy's special functions, and the checker's oracle.
    code = ("import sys, refengine, refengine.numpy; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('reports', 'adapters', 'cases', 'matplotlib', 'scipy') or m in "
            "('refengine.tape_recording', 'refengine.check', 'refengine.numeric')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_checker_loads_on_first_use():
    from refengine.check import GradientCheckError, check_grads

    assert rf.check_grads is check_grads and rf.GradientCheckError is GradientCheckError
    assert {"check_grads", "GradientCheckError", "grad"} <= set(dir(rf))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        rf.no_such_name  # noqa: B018


def test_special_functions_still_compute_with_scipy_loaded_on_first_call():
    import scipy.special as sps

    x = np.array([0.3, 0.7])
    assert np.array_equal(rnp.special.erf(x), sps.erf(x))
    assert np.array_equal(rf.grad(lambda t: rnp.sum(rnp.special.gammaln(t)))(x), sps.digamma(x))


# --- rf.explain through the entry point --------------------------------------------------------
def _declared() -> list[importlib.metadata.EntryPoint]:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    group = table["project"]["entry-points"][explain_entry.ENTRY_POINT_GROUP]
    return [importlib.metadata.EntryPoint(name, value, explain_entry.ENTRY_POINT_GROUP)
            for name, value in group.items()]


@pytest.fixture
def installed(monkeypatch):
    """``install(*entry_points)``: what ``importlib.metadata`` reports for the group; the
    explainer is looked up afresh."""
    monkeypatch.setattr(explain_entry, "_explainer", None)

    def install(*eps: importlib.metadata.EntryPoint) -> None:
        def entry_points(*, group: str):
            assert group == explain_entry.ENTRY_POINT_GROUP
            return importlib.metadata.EntryPoints(eps)

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)

    return install


def test_pyproject_declares_the_explainer_for_rf_explain():
    (ep,) = _declared()
    assert ep.load() is reports_explain


def test_rf_explain_runs_the_declared_explainer(installed):
    installed(*_declared())
    f = lambda x, w: rnp.log(x * w)
    e = rf.explain(f, 2.0, 3.0, frameworks=())
    assert isinstance(e, Explanation)
    assert e.text == reports_explain(f, 2.0, 3.0, frameworks=()).text
    assert [float(g) for g in e.recording.grads] == [0.5, 1 / 3]


def test_rf_explain_without_an_explainer_says_how_to_install_one(installed):
    installed()
    with pytest.raises(explain_entry.ExplainerNotFoundError, match=r"pip install -e \."):
        rf.explain(lambda x: x * x, 1.0)


def test_two_explainers_are_not_chosen_between_silently(installed):
    (ep,) = _declared()
    other = importlib.metadata.EntryPoint("other", "json:dumps", ep.group)
    installed(ep, other)
    with pytest.raises(explain_entry.ExplainerNotFoundError, match="more than one"):
        rf.explain(lambda x: x * x, 1.0)


def test_use_explainer_hands_one_over(installed):
    installed()  # none installed: the one handed over is used, nothing is looked up
    calls = []
    explain_entry.use_explainer(lambda f, *args, **options: calls.append((args, options)))
    rf.explain(lambda x: x, 1.0, frameworks=())
    assert calls == [((1.0,), {"frameworks": ()})]
