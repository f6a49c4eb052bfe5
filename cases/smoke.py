"""The smoke selection: the cases a cheap run covers on a costly combination (the default
pytest run's smoke tiers, a quick run's out-of-process adapters). Its own module, with no
imports, so that the pytest plugin and the command line share it at no cost."""

__all__ = ["HALF_SMOKE", "SMOKE_TAGS", "is_smoke"]

SMOKE_TAGS = frozenset({"model", "kink", "nn"})
# Half precision (float16, bfloat16) in the default pytest run: these cases, every adapter
# in its eager mode and JAX in jit (eager JAX is --gp-slow in every dtype); everything else
# in half is --gp-slow. A reduction (sum-all: who accumulates in float32), a contraction
# (matmul), a stable log-sum-exp and an elementwise chain (tanh).
HALF_SMOKE = frozenset({"sum-all", "matmul", "logsumexp", "tanh"})


def is_smoke(tags: object) -> bool:
    """Whether a case with these tags is in the smoke selection."""
    return bool(SMOKE_TAGS & set(tags))  # type: ignore[call-overload]
