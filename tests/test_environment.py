"""The installed stack: every framework imports in CI, and refengine imports none of them."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

FRAMEWORKS = ["torch", "jax", "tensorflow", "autograd", "tinygrad", "mlx.core"]


@pytest.mark.parametrize("module", FRAMEWORKS)
def test_framework_imports_in_ci(module: str) -> None:
    if not os.environ.get("GRADPARITY_REQUIRE_FRAMEWORKS"):
        pytest.skip("set GRADPARITY_REQUIRE_FRAMEWORKS=1 (as .ci/run does) to require it")
    importlib.import_module(module)  # an ImportError here fails CI, by design


def test_torch_is_the_pinned_cpu_build() -> None:
    if not os.environ.get("GRADPARITY_REQUIRE_FRAMEWORKS"):
        pytest.skip("checked in CI only")
    import torch

    assert torch.__version__.startswith("2.13.0"), torch.__version__
    assert not torch.cuda.is_available() or torch.version.cuda is None


def test_import_refengine_imports_no_framework() -> None:
    code = (
        "import sys, refengine, refengine.numpy, refengine.numpy.linalg;"
        "bad = [m for m in ('torch', 'jax', 'tensorflow', 'autograd', 'tinygrad', 'mlx')"
        " if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import refengine pulled in {out.stdout.strip()}"
