"""The layout cases/__init__.py states, read from the imports (lazy ones included): the case
model and the library import no framework or harness, the two harnesses not each other, and
nothing under cases/ imports reports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1] / "cases"
FRAMEWORKS = ("torch", "jax", "tensorflow", "autograd")
CASE_MODEL = ("case.py", "domains", "vocabulary.py", "vocabulary_trace.py", "registry.py",
              "statuses.py")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _modules(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        path = CASES / part
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _offending(paths: list[Path], forbidden: tuple[str, ...],
               allowed: tuple[str, ...] = ()) -> list[str]:
    return [f"{path} imports {name}"
            for path in paths for name in sorted(_imports(path))
            if any(name == f or name.startswith(f + ".") for f in forbidden)
            and name not in allowed]


# The op vocabulary is the contract between cases and adapters; it lives in the lower layer
# (adapters.vocabulary), and the case model reads it from there and nothing else of adapters.
ALLOWED = {"case-model": ("adapters.vocabulary",)}


@pytest.mark.parametrize(("parts", "forbidden"), [
    (("",), ("reports",)),
    (CASE_MODEL, ("adapters", "cases.conformance", "cases.timing", "cases.conventions",
                  "cases.pytest_plugin", *FRAMEWORKS)),
    (("library",), ("adapters", "refengine", "cases.conformance", "cases.timing",
                    "cases.conventions", "cases.registry", *FRAMEWORKS)),
    (("conformance",), ("cases.timing",)),
    (("timing",), ("cases.conformance", "cases.conventions", "cases.pytest_plugin")),
], ids=["no-reports", "case-model", "library", "conformance", "timing"])
def test_cases_imports_follow_the_layout(request: pytest.FixtureRequest, parts: tuple[str, ...],
                                         forbidden: tuple[str, ...]) -> None:
    paths = _modules(*parts)
    assert paths
    allowed = ALLOWED.get(request.node.callspec.id, ())
    assert _offending(paths, forbidden, allowed) == []


def test_the_layout_check_sees_lazy_and_dotted_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import cases.timingx\n\ndef lazy():\n"
                      "    from cases.timing.run import run_timings\n")
    assert _offending([module], ("cases.timing",)) == [f"{module} imports cases.timing.run"]
    assert _offending([module], ("cases.timing",), ("cases.timing.run",)) == []
    assert _offending([module], ("cases",), ("cases.timing.run",)) == [
        f"{module} imports cases.timingx"]
