"""``refengine.scipy``: SciPy-named differentiable functions, as HIPS autograd's
``autograd.scipy``: ``special`` (the same module as ``refengine.numpy.special``), ``stats``,
``linalg``, ``signal`` and ``integrate``. Importing it imports no SciPy: SciPy loads on the
first call that needs it.
"""

import sys

from refengine.numpy import special
from refengine.scipy import integrate, linalg, signal, stats

# ``import refengine.scipy.special`` finds the one module, not a copy of it.
sys.modules[f"{__name__}.special"] = special

__all__ = ["integrate", "linalg", "signal", "special", "stats"]
