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


@pytest.mark.parametrize("module", [rnp, rnp.linalg, rnp.special, rnp.nn],
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
        "print(positive(1.0) + sinc(0.0))\n"
    )
    # The same refengine as this test imported, whatever the editable install points to.
    root = str(Path(rnp.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.0"
