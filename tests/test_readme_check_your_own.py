"""The README's "Check your own gradients" examples run as written and say what they claim."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Check your own gradients")
    return text[start : text.index("### What it gets right", start)]


def _python_blocks() -> dict[str, str]:
    """Runnable examples by the framework they import (the signature block is not code)."""
    blocks = re.findall(r"```python\n(.*?)```", _section(), re.S)
    named = {}
    for block in blocks:
        if "*, order" in block or "def test_my_layer" in block:
            continue
        first = block.splitlines()[0]
        name = next(n for n in ("torch", "jax", "tensorflow", "autograd") if n in first)
        named[name] = block
    return named


def test_every_framework_has_an_example() -> None:
    assert set(_python_blocks()) == {"torch", "jax", "tensorflow", "autograd"}


@pytest.mark.parametrize("framework", ["torch", "jax", "tensorflow", "autograd"])
def test_the_example_runs_and_reports_what_the_readme_says(framework, capsys) -> None:
    pytest.importorskip(framework)
    code = _python_blocks()[framework]
    # The example's last expression is the check; keep its results to compare with the text.
    lines = code.rstrip().splitlines()
    k = max(i for i, line in enumerate(lines) if "check_grads(" in line)
    if not lines[k].startswith("print"):
        lines[k] = f"results = {lines[k].split('#')[0].strip()}"
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile("\n".join(lines), f"README:{framework}", "exec"), namespace)
    if framework == "torch":
        out = capsys.readouterr().out
        assert "6 checks: 2 passed, 0 failed, 4 not checked" in out
        return
    results = namespace["results"]
    passed = sum(r.checked and r.passed for r in results)
    not_checked = sum(not r.checked for r in results)
    expected = {"jax": (6, 0), "tensorflow": (6, 0), "autograd": (2, 4)}[framework]
    assert (passed, not_checked) == expected


def test_the_torch_example_fails_with_a_wrong_backward() -> None:
    pytest.importorskip("torch")
    from refengine.check import GradientCheckError

    code = _python_blocks()["torch"].replace("return 3 * x ** 2 * g", "return 3.003 * x ** 2 * g")
    assert "3.003" in code
    with pytest.raises(GradientCheckError, match=r"VJP of loss .* at argument 0"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README:torch-wrong", "exec"), {})
