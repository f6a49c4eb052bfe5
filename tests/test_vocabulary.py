"""The op vocabulary of design.md: every name exists in refengine.numpy, and every composite
(a function built from primitives rather than a table entry) is checked like a rule."""

from __future__ import annotations

import numpy as np
import pytest

import refengine.numpy as rnp
from cases.vocabulary import VOCABULARY

from .rule_samples import (
    Sample,
    away_from_zero,
    distinct,
    one,
    operands,
    positive,
    real,
    well_conditioned,
)
from .rulecheck import check_first_order, check_second_order


@pytest.mark.parametrize("op", VOCABULARY, ids=[op.qualified for op in VOCABULARY])
def test_every_vocabulary_name_exists_in_refengine(op) -> None:
    namespace = getattr(rnp, op.module) if op.module else rnp
    assert callable(getattr(namespace, op.name, None)), f"refengine.numpy lacks {op.qualified}"


def _split3(x):
    return tuple(rnp.split(x, 3, axis=1))


def _split_at(x):
    return tuple(rnp.split(x, [1, 3], axis=0))


def _stack(a, b):
    return rnp.stack([a, b], axis=1)


def _take(x):
    return rnp.take(x, np.array([2, 0, 2]), axis=1)


def _take_flat(x):
    return rnp.take(x, np.array([[5, 0], [5, 7]]))


def _take_along(x):
    return rnp.take_along_axis(x, np.array([[0, 2, 2], [1, 1, 0]]), axis=1)


def _repeat_counts(x):
    return rnp.repeat(x, np.array([1, 0, 3]), axis=0)


def _reshape_f(x):
    return rnp.reshape(x, (4, 3), order="F")


def _getitem_mixed(x):
    return x[1:, np.array([0, 0, 2])]


def _norm(ord_, axis=None, keepdims=False):
    def norm(x):
        return rnp.linalg.norm(x, ord=ord_, axis=axis, keepdims=keepdims)

    norm.__name__ = f"norm[{ord_}]"
    return norm


def _call(fn, **params):
    def call(*args):
        return fn(*args, **params)

    call.__name__ = getattr(fn, "__name__", "call") + "".join(
        f"[{k}={v}]" for k, v in params.items()
    )
    return call


COMPOSITES = [
    Sample(_call(rnp.mean, axis=1), one(real(3, 4))),
    Sample(_call(rnp.mean, axis=(0, 2), keepdims=True), one(real(2, 3, 4))),
    Sample(_call(rnp.var, axis=0), one(real(5, 3))),
    Sample(_call(rnp.var, ddof=1), one(real(5, 3))),
    Sample(_call(rnp.std, axis=1, keepdims=True), one(real(3, 5))),
    Sample(_call(rnp.trace), one(real(3, 3))),
    Sample(_call(rnp.trace, offset=1, axis1=1, axis2=2), one(real(2, 3, 4))),
    Sample(_call(rnp.cumsum), one(real(2, 3))),
    Sample(_call(rnp.cumprod, axis=-1), one(away_from_zero(2, 3))),
    Sample(_call(rnp.prod), one(away_from_zero(2, 3))),
    Sample(_call(rnp.amax, axis=0), one(distinct(3, 4))),
    Sample(_call(rnp.swapaxes, axis1=0, axis2=2), one(real(2, 3, 4))),
    Sample(_call(rnp.moveaxis, source=0, destination=-1), one(real(2, 3, 4))),
    Sample(_call(rnp.expand_dims, axis=(0, 2)), one(real(3, 4))),
    Sample(_call(rnp.squeeze, axis=1), one(real(3, 1, 4))),
    Sample(_call(rnp.ravel), one(real(3, 4))),
    Sample(_reshape_f, one(real(2, 6))),
    Sample(_stack, operands(real(3, 2), real(3, 2))),
    Sample(_call(lambda a, b: rnp.hstack([a, b])), operands(real(2, 3), real(2, 1))),
    Sample(_call(lambda a, b: rnp.vstack([a, b])), operands(real(3), real(2, 3))),
    Sample(_split3, one(real(2, 6))),
    Sample(_split_at, one(real(5, 2))),
    Sample(_call(rnp.tile, reps=(2, 1, 3)), one(real(2, 3))),
    Sample(_call(rnp.repeat, repeats=2), one(real(2, 3))),
    Sample(_repeat_counts, one(real(3, 2))),
    Sample(_call(rnp.flip), one(real(2, 3))),
    Sample(_call(rnp.roll, shift=-2), one(real(2, 3))),
    Sample(_call(rnp.diag), one(real(3, 4))),
    Sample(_call(rnp.diag, k=-1), one(real(3))),
    Sample(_call(rnp.pad, pad_width=1), one(real(2, 3))),
    Sample(_take, one(real(2, 3))),
    Sample(_take_flat, one(real(2, 4))),
    Sample(_take_along, one(real(2, 3))),
    Sample(_getitem_mixed, one(real(3, 4))),
    Sample(_call(rnp.sort, axis=0), one(distinct(4, 3))),
    Sample(_call(rnp.sort, axis=None), one(distinct(3, 2))),
    Sample(_call(rnp.outer), operands(real(3), real(2, 2))),
    Sample(_call(rnp.dot), operands(real(3, 4), real(4))),
    Sample(_call(rnp.dot), operands(real(2, 3, 4), real(3, 4, 2))),
    Sample(_call(rnp.dot), operands(real(3), real(3))),
    Sample(_call(rnp.tensordot, axes=2), operands(real(2, 3, 4), real(3, 4, 2))),
    Sample(_call(rnp.tensordot, axes=([0], [1])), operands(real(3, 2), real(4, 3))),
    Sample(_call(lambda a, b: rnp.einsum("ij,kj", a, b)), operands(real(2, 3), real(4, 3))),
    Sample(_call(rnp.clip, a_min=None, a_max=0.5), one(real(7, lo=-1, hi=0.45))),
    Sample(_norm(None), one(real(2, 3))),
    Sample(_norm(1), one(away_from_zero(4))),
    Sample(_norm(np.inf), one(distinct(5))),
    Sample(_norm(-np.inf), one(distinct(5))),
    Sample(_norm(3), one(away_from_zero(4))),
    Sample(_norm(2, axis=1, keepdims=True), one(real(3, 4))),
    Sample(_norm("fro"), one(real(3, 4))),
    Sample(_norm("nuc"), one(well_conditioned(3))),
    Sample(_norm(2, axis=(0, 1)), one(well_conditioned(3))),
    Sample(_norm(1, axis=(0, 1)), one(positive(3, 3))),
    Sample(_norm(np.inf, axis=(0, 1)), one(positive(3, 3))),
    Sample(_call(rnp.special.logsumexp, axis=1), one(real(3, 4))),
    Sample(_call(rnp.special.softmax, axis=-1), one(real(2, 4))),
    Sample(_call(rnp.special.log_softmax, axis=0), one(real(3, 2))),
    Sample(_call(rnp.special.digamma), one(positive(4))),
    Sample(_call(rnp.nn.softplus), one(real(5))),
    Sample(_call(rnp.nn.log_sigmoid), one(real(5))),
    Sample(_call(rnp.nn.gelu), one(real(5))),
    Sample(_call(rnp.nn.conv, stride=2, padding=((1, 0),), groups=2),
           operands(real(2, 4, 7), real(4, 2, 3))),
    Sample(_call(rnp.nn.max_pool, kernel_size=3, stride=2, padding=1), one(distinct(2, 3, 7))),
    Sample(_call(rnp.nn.max_pool, kernel_size=(2, 3), stride=1), one(distinct(1, 2, 4, 5))),
    Sample(_call(rnp.nn.avg_pool, kernel_size=3, stride=2, padding=1), one(real(2, 3, 7))),
    Sample(_call(rnp.nn.avg_pool, kernel_size=(2, 2)), one(real(1, 2, 4, 5))),
    Sample(_call(rnp.nn.segment_sum, segment_ids=np.array([0, 2, 2, 0, 3]), num_segments=5),
           one(real(5, 3))),
    Sample(_call(rnp.linalg.svd, full_matrices=False, compute_uv=False),
           one(well_conditioned(3))),
]
IDS = [f"{i:02d}-{s.id}" for i, s in enumerate(COMPOSITES)]


@pytest.mark.parametrize("sample", COMPOSITES, ids=IDS)
def test_composite_first_order(sample: Sample) -> None:
    check_first_order(sample)


@pytest.mark.parametrize("sample", COMPOSITES, ids=IDS)
def test_composite_second_order(sample: Sample) -> None:
    check_second_order(sample)


@pytest.mark.parametrize(
    ("name", "fn", "args"),
    [
        ("mean", rnp.mean, (np.arange(6.0).reshape(2, 3),)),
        ("var", lambda x: rnp.var(x, axis=0, ddof=1), (np.arange(6.0).reshape(3, 2) ** 2,)),
        ("std", rnp.std, (np.arange(5.0),)),
        ("sort", lambda x: rnp.sort(x, axis=0), (np.array([[3.0, 1.0], [1.0, 2.0]]),)),
        ("tile", lambda x: rnp.tile(x, (2, 2)), (np.arange(3.0),)),
        ("repeat", lambda x: rnp.repeat(x, [2, 1], axis=1), (np.ones((2, 2)),)),
        ("diag", lambda x: rnp.diag(x, 1), (np.arange(3.0),)),
        ("tensordot", lambda a, b: rnp.tensordot(a, b, 1), (np.ones((2, 3)), np.ones((3, 2)))),
        ("norm-nuc", lambda x: rnp.linalg.norm(x, "nuc"), (np.eye(3) * 2.0,)),
        ("softmax", lambda x: rnp.special.softmax(x, axis=1), (np.arange(6.0).reshape(2, 3),)),
        ("einsum-implicit", lambda a: rnp.einsum("ij,jk", a, a), (np.arange(4.0).reshape(2, 2),)),
        ("split", lambda x: rnp.split(x, 2)[1], (np.arange(4.0),)),
    ],
)
def test_values_match_numpy(name, fn, args) -> None:
    import scipy.special as sps

    reference = {
        "mean": lambda x: np.mean(x),
        "var": lambda x: np.var(x, axis=0, ddof=1),
        "std": np.std,
        "sort": lambda x: np.sort(x, axis=0),
        "tile": lambda x: np.tile(x, (2, 2)),
        "repeat": lambda x: np.repeat(x, [2, 1], axis=1),
        "diag": lambda x: np.diag(x, 1),
        "tensordot": lambda a, b: np.tensordot(a, b, 1),
        "norm-nuc": lambda x: np.linalg.norm(x, "nuc"),
        "softmax": lambda x: sps.softmax(x, axis=1),
        "einsum-implicit": lambda a: np.einsum("ij,jk", a, a),
        "split": lambda x: np.split(x, 2)[1],
    }[name]
    np.testing.assert_allclose(fn(*args), reference(*args), rtol=1e-13, atol=1e-14)
