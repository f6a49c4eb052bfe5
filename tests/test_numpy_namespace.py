"""refengine.numpy's namespaces are whole: every name their ``__all__`` lists exists, and
``from refengine.numpy import *`` works (it failed while ``__all__`` named a missing
``positive``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import refengine.numpy as rnp
import refengine.scipy as rsp


@pytest.mark.parametrize("module", [rnp, rnp.linalg, rnp.special, rnp.nn, rnp.fft, rsp,
                                    rsp.linalg, rsp.signal, rsp.integrate, rsp.stats,
                                    *(getattr(rsp.stats, d) for d in rsp.stats.__all__)],
                         ids=lambda m: m.__name__)
def test_every_name_in_all_exists(module) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == [], f"{module.__name__}.__all__ names what it lacks: {missing}"


def test_import_star_works() -> None:
    code = (
        "from refengine.numpy import *\n"
        "from refengine.numpy.linalg import *\n"
        "from refengine.numpy.special import *\n"
        "from refengine.numpy.nn import *\n"
        "from refengine.numpy.fft import *\n"
        "from refengine.scipy.special import *\n"
        "from refengine.scipy.linalg import *\n"
        "from refengine.scipy.stats.norm import *\n"
        "print(positive(1.0) + sinc(0.0))\n"
    )
    # The same refengine as this test imported, whatever the editable install points to.
    root = str(Path(rnp.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.0"


def _autograd_rows():
    pytest.importorskip("autograd")
    from .numpy_coverage import autograd_composites, autograd_coverage

    return [*autograd_coverage(), autograd_composites()]


def test_autograd_numpy_is_covered_whole() -> None:
    rows = {c.namespace: c for c in _autograd_rows()}
    for namespace in ("autograd.numpy", "autograd.numpy.linalg", "autograd.numpy.fft",
                      "autograd.numpy (composites)", "autograd.scipy.special",
                      "autograd.scipy.linalg", "autograd.scipy.signal",
                      "autograd.scipy.integrate", "autograd.scipy.stats"):
        missing = rows[namespace].missing
        assert missing == [], f"refengine lacks {namespace}'s {missing}"


def test_covered_names_are_refengines_own() -> None:
    """A name counts as covered only if it differentiates: a bare NumPy function there (as
    ``rnp.full`` and ``rnp.linspace`` were) would raise on a traced argument."""
    from refengine.primitive import Primitive

    namespaces = {"autograd.numpy": rnp, "autograd.numpy.linalg": rnp.linalg,
                  "autograd.scipy.special": rnp.special, "autograd.numpy (composites)": rnp,
                  "autograd.numpy.fft": rnp.fft,
                  "autograd.scipy.linalg": rsp.linalg, "autograd.scipy.signal": rsp.signal,
                  "autograd.scipy.integrate": rsp.integrate, "autograd.scipy.stats": rsp.stats}
    for row in _autograd_rows():
        ours = namespaces.get(row.namespace)
        for name in row.covered:
            obj = ours
            for part in name.split("."):  # stats names are distribution.function
                obj = getattr(obj, part)
            home = getattr(obj, "__module__", None) or type(obj).__module__
            assert isinstance(obj, Primitive) or home.startswith("refengine"), (
                f"{row.namespace}.{name} is {home}'s own in refengine"
            )


def test_readme_coverage_table_has_the_measured_autograd_rows() -> None:
    from .numpy_coverage import table_rows

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for line in table_rows(_autograd_rows()):
        assert f"  {line}\n" in readme, f"README's coverage table lacks the measured row {line}"
