"""``refengine.scipy``: SciPy-named differentiable functions, as HIPS autograd's
``autograd.scipy``: ``special`` (the same module as ``refengine.numpy.special``) and
``stats``. Importing it imports no SciPy: SciPy loads on the first special function called.
"""

from refengine.numpy import special
from refengine.scipy import stats

__all__ = ["special", "stats"]
