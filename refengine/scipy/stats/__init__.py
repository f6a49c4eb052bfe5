"""``refengine.scipy.stats``: the distributions HIPS autograd differentiates, with SciPy's
names, signatures and values (``norm.logpdf(x, loc=0, scale=1)``), built from refengine's
primitives, so every derivative (second order included) follows from the table.

A parameter whose derivative has no closed form (a gamma distribution's shape in its cdf,
t's degrees of freedom in its cdf, a Poisson count) may be a number or a plain array, and a
traced one raises a ``TypeError`` naming it, as in ``refengine.numpy.special``. Outside a
distribution's support the values are SciPy's (``-inf`` log-densities, a cdf of 0 or 1) with a
zero derivative.
"""

from refengine.scipy.stats import (
    beta,
    chi2,
    dirichlet,
    gamma,
    multivariate_normal,
    norm,
    poisson,
    t,
)

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]
