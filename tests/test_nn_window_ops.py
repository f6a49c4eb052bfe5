"""rnp.nn.conv, max_pool, avg_pool and segment_sum: values against direct loops written from
the definitions, and a clear error for each kind of bad argument. (Their derivatives are
checked with the table's rules, tests/test_derivative_table.py, and as composites,
tests/test_vocabulary.py; across frameworks by the matrix's conv, pool and segment cases.)"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import refengine.numpy as rnp


def _conv_by_loops(x, w, stride, pad, dil, groups):
    """out[n, o, i...] = sum over c in o's group and k of xpad[n, c, s*i + d*k] w[o, c', k]."""
    nd = x.ndim - 2
    xp = np.pad(x, ((0, 0), (0, 0), *pad))
    cin, cout = x.shape[1] // groups, w.shape[0] // groups
    out_shape = [(xp.shape[2 + a] - dil[a] * (w.shape[2 + a] - 1) - 1) // stride[a] + 1
                 for a in range(nd)]
    out = np.zeros((x.shape[0], w.shape[0], *out_shape))
    for n, o in itertools.product(range(x.shape[0]), range(w.shape[0])):
        g = o // cout
        for i in itertools.product(*(range(m) for m in out_shape)):
            total = 0.0
            for c in range(cin):
                for k in itertools.product(*(range(m) for m in w.shape[2:])):
                    at = tuple(stride[a] * i[a] + dil[a] * k[a] for a in range(nd))
                    total += xp[(n, g * cin + c, *at)] * w[(o, c, *k)]
            out[(n, o, *i)] = total
    return out


@pytest.mark.parametrize(("x", "w", "params", "expanded"), [
    ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
     ((2,), ((1, 1),), (2,), 2)),
    ((1, 2, 5, 6), (3, 2, 2, 3), {"stride": (2, 1), "padding": ((1, 0), (0, 2))},
     ((2, 1), ((1, 0), (0, 2)), (1, 1), 1)),
    ((1, 3, 4, 4), (3, 1, 2, 2), {"groups": 3, "dilation": (2, 1)},
     ((1, 1), ((0, 0), (0, 0)), (2, 1), 3)),
])
def test_conv_matches_the_definition(x, w, params, expanded) -> None:
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal(x), rng.standard_normal(w)
    np.testing.assert_allclose(rnp.nn.conv(xv, wv, **params), _conv_by_loops(xv, wv, *expanded),
                               rtol=1e-12, atol=1e-12)


def test_pooling_matches_the_definition() -> None:
    x = np.random.default_rng(1).standard_normal((2, 3, 7))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)), constant_values=-np.inf)
    expected = np.stack([xp[..., 2 * i:2 * i + 3].max(-1) for i in range(4)], axis=-1)
    np.testing.assert_array_equal(rnp.nn.max_pool(x, 3, 2, 1), expected)
    zp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    expected = np.stack([zp[..., 2 * i:2 * i + 3].mean(-1) for i in range(4)], axis=-1)
    np.testing.assert_allclose(rnp.nn.avg_pool(x, 3, 2, 1), expected, rtol=1e-14)


def test_segment_sum_matches_add_at() -> None:
    data, ids = np.random.default_rng(2).standard_normal((6, 2)), np.array([3, 0, 3, 3, 1, 0])
    expected = np.zeros((5, 2))
    np.add.at(expected, ids, data)
    np.testing.assert_allclose(rnp.nn.segment_sum(data, ids, 5), expected, rtol=1e-14)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: rnp.nn.conv(np.ones((1, 4, 5)), np.ones((2, 3, 2))), r"w\.shape\[1\] must be 4"),
    (lambda: rnp.nn.conv(np.ones((1, 4, 5)), np.ones((3, 2, 2)), groups=2),
     "groups=2 must divide both"),
    (lambda: rnp.nn.conv(np.ones((1, 1, 5)), np.ones((1, 1, 2)), stride=0), "stride must be"),
    (lambda: rnp.nn.conv(np.ones((1, 1, 5)), np.ones((1, 1, 2)), padding=(1, 2)),
     "padding must be"),
    (lambda: rnp.nn.conv(np.ones((1, 1, 2)), np.ones((1, 1, 3)), dilation=2), "spans 5"),
    (lambda: rnp.nn.conv(np.ones((1, 5)), np.ones((1, 5))), r"x must be \(N, C, \*spatial\)"),
    (lambda: rnp.nn.max_pool(np.ones((1, 1, 5)), 2, padding=2), "at most half the window"),
    (lambda: rnp.nn.avg_pool(np.ones((1, 1, 2)), 3), "larger than the padded input"),
    (lambda: rnp.nn.segment_sum(np.ones((3, 2)), np.array([0, 5, 1]), 4), r"lie in \[0, 4\)"),
    (lambda: rnp.nn.segment_sum(np.ones((3, 2)), np.array([0.0, 1.0, 1.0]), 4),
     "must be integers"),
])
def test_bad_arguments_are_named(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
