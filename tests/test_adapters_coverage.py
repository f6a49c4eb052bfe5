"""Coverage tables: complete over the vocabulary, honest about composites, and true to ``xp``."""

from __future__ import annotations

from typing import Any

import pytest

import adapters
from adapters.namespace import COMPOSITE, MISSING, NATIVE
from adapters.outcomes import Unsupported
from adapters.vocabulary import qualified_names

from .adapter_support import require

ALL = ["numpy", "refengine", "torch", "jax", "tensorflow", "autograd"]

# What the README states; a change here is a change to document.
COMPOSITES = {
    "numpy": {"nn.relu", "nn.softplus", "nn.gelu", "nn.log_sigmoid"},
    "refengine": set(),
    "torch": {"cbrt"},
    "jax": set(),
    "tensorflow": {"exp2", "log2", "log10", "cbrt", "hypot", "logaddexp", "special.logit"},
    "autograd": {"special.xlogy", "special.softmax", "special.log_softmax", "nn.relu",
                 "nn.softplus", "nn.gelu", "nn.log_sigmoid"},
}
# NumPy and autograd have no convolution, pooling or segment sum: composites.
for _name in ("numpy", "autograd"):
    COMPOSITES[_name] |= {"nn.conv", "nn.max_pool", "nn.avg_pool", "nn.segment_sum"}
# Issue 17's names (one block, so merges stay local): cummax and topk have no NumPy function,
# the nn composites no function in NumPy, autograd or JAX, and TensorFlow has no cummax,
# median or layer-norm function.
ISSUE17_COMPOSITES = {
    "numpy": {"topk", "nn.layer_norm", "nn.softmax_cross_entropy"},
    "jax": {"nn.softmax_cross_entropy"},
    "tensorflow": {"cummax", "median", "nn.layer_norm"},
    "autograd": {"cummax", "topk", "nn.layer_norm", "nn.softmax_cross_entropy"},
}
for _name, _extra in ISSUE17_COMPOSITES.items():
    COMPOSITES[_name] = COMPOSITES[_name] | _extra
# Issue 17's transforms (one block, so merges stay local): loops run in Python where a
# framework has none; NumPy (values only) has none of the six.
LOOPS = {"scan", "fori_loop", "while_loop"}
TRANSFORM_COMPOSITES = {
    "numpy": LOOPS | {"checkpoint", "stop_gradient", "custom_vjp"},
    "torch": LOOPS,
    "autograd": LOOPS,
}
for _name, _extra in TRANSFORM_COMPOSITES.items():
    COMPOSITES[_name] = COMPOSITES[_name] | _extra
MISSING_NAMES = {"numpy": {"grad"}}


def _lookup(xp: Any, qualified: str) -> Any:
    for part in qualified.split("."):
        xp = getattr(xp, part)
    return xp


def test_the_vocabulary_names_each_op_once() -> None:
    """Coverage is keyed by qualified name: a name listed twice would be counted twice."""
    assert len(set(qualified_names())) == len(qualified_names())


def test_cases_see_the_adapters_vocabulary() -> None:
    """One table: ``cases.vocabulary`` re-exports it rather than holding a copy."""
    import adapters.vocabulary
    import cases.vocabulary

    assert cases.vocabulary.VOCABULARY is adapters.vocabulary.VOCABULARY
    assert cases.vocabulary.qualified_names() == adapters.vocabulary.qualified_names()


@pytest.mark.parametrize("name", ALL)
def test_coverage_is_complete(name: str) -> None:
    coverage = require(name).coverage()
    assert sorted(coverage) == sorted(qualified_names())
    assert set(coverage.values()) <= {NATIVE, COMPOSITE, MISSING}


@pytest.mark.parametrize("name", ALL)
def test_composites_and_missing_names_are_the_documented_ones(name: str) -> None:
    coverage = require(name).coverage()
    assert {n for n, w in coverage.items() if w == COMPOSITE} == COMPOSITES[name]
    assert {n for n, w in coverage.items() if w == MISSING} == MISSING_NAMES.get(name, set())


@pytest.mark.parametrize("name", ALL)
def test_xp_serves_exactly_what_coverage_claims(name: str) -> None:
    adapter = require(name)
    for qualified, word in adapter.coverage().items():
        if word == MISSING:
            with pytest.raises(Unsupported):
                _lookup(adapter.xp, qualified)
        else:
            assert callable(_lookup(adapter.xp, qualified)), qualified


def test_a_name_outside_the_table_is_unsupported_not_a_crash() -> None:
    xp = require("numpy").xp
    with pytest.raises(Unsupported, match=r"no xp\.linalg\.pinv"):
        _ = xp.linalg.pinv
    assert not hasattr(xp, "grad")  # Unsupported is an AttributeError


def test_coverage_counts_add_up() -> None:
    counts = adapters.coverage_counts()
    assert counts, "no adapter available"
    for name, by_word in counts.items():
        assert sum(by_word.values()) == len(qualified_names()), name


def test_one_table_builder_for_names_renames_overrides_and_composites() -> None:
    """How every adapter's table is built: a written function wins over the module's own."""
    import math
    import types

    from adapters.namespace import by_name, table_from_names

    def sqrt(x: float) -> float:
        return math.sqrt(x)

    def cbrt(x: float) -> float:
        return math.copysign(abs(x) ** (1 / 3), x)

    module = types.SimpleNamespace(sin=math.sin, asin=math.asin, sqrt=math.pow)
    table = table_from_names(module, "sin sqrt", "m.", renames={"arcsin": "asin"},
                             overrides=by_name(sqrt), composites=by_name(cbrt))
    assert table == {"m.sin": (math.sin, NATIVE), "m.sqrt": (sqrt, NATIVE),
                     "m.arcsin": (math.asin, NATIVE), "m.cbrt": (cbrt, COMPOSITE)}
