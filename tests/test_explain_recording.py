"""The explained passes are the engine's passes: the backward walk that
refengine.tape_recording keeps must reproduce rf.grad / rf.vjp bit for bit, and the recorded
tangents rf.jvp."""

from __future__ import annotations

import numpy as np
import pytest

import refengine as rf
import refengine.numpy as rnp
from refengine.tape_recording import ExplainError, record
from reports.explain import explain

RNG = np.random.default_rng(7)
_A = RNG.standard_normal((3, 3))
SPD = _A @ _A.T + 3 * np.eye(3)


def _bcast(x, b):
    return rnp.sum(rnp.sin(x + b) * b)  # b broadcast over x's rows: its cotangent is summed


def _repeated(x):
    return rnp.sum(x[np.array([0, 0, 2, 2, 2])] ** 3)  # repeated indices accumulate


def _matrix(a, b):
    return rnp.sum(rnp.linalg.solve(a, b)) + rnp.linalg.det(a) + rnp.sum(rnp.linalg.inv(a))


def _eigh(a):
    w, v = rnp.linalg.eigh(a)  # a multiple-output node, one output unused in places
    return rnp.sum(w**2) + rnp.sum(v[:, 0] ** 2)


def _shared(x):
    y = rnp.tanh(x)
    return rnp.sum(y * y + rnp.exp(y))  # y feeds three nodes: its cotangents add up


def _float32(x, w):
    return rnp.sum(rnp.tanh(x @ w))


def _selection(x):
    return rnp.sum(rnp.where(x > 0, rnp.sqrt(rnp.abs(x)), x**2)) + rnp.max(x)


FUNCTIONS = {
    "broadcasting": (_bcast, (RNG.standard_normal((4, 3)), RNG.standard_normal(3))),
    "repeated-indices": (_repeated, (RNG.standard_normal(4),)),
    "matrix": (_matrix, (SPD, RNG.standard_normal(3))),
    "eigh": (_eigh, (SPD,)),
    "shared-value": (_shared, (RNG.standard_normal(5),)),
    "float32": (_float32, (RNG.standard_normal((2, 3)).astype(np.float32),
                           RNG.standard_normal(3).astype(np.float32))),
    "selection": (_selection, (RNG.standard_normal(5),)),
}


def _exactly(got, want) -> bool:
    return all(np.array_equal(g, w) and g.dtype == w.dtype for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_backward_walk_reproduces_rf_grad_bit_for_bit(name):
    f, args = FUNCTIONS[name]
    argnums = tuple(range(len(args)))
    rec = record(f, args, argnums=argnums, names=[f"a{i}" for i in argnums])
    assert _exactly(rec.grads, rf.grad(f, argnums)(*args))
    # ... and through the public entry point too
    e = explain(f, *args, frameworks=())
    assert _exactly(e.recording.grads, rf.grad(f, argnums)(*args))


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_forward_tangents_reproduce_rf_jvp_bit_for_bit(name):
    f, args = FUNCTIONS[name]
    rng = np.random.default_rng(1)
    tangents = [rng.standard_normal(np.shape(a)).astype(np.asarray(a).dtype) for a in args]
    argnums = tuple(range(len(args)))
    rec = record(f, args, argnums=argnums, names=[f"a{i}" for i in argnums], tangents=tangents)
    _, want = rf.jvp(f, args, tangents)
    assert np.array_equal(rec.output_tangent, want)
    assert all(n.tangent is not None for n in rec.nodes)


def test_vector_output_with_a_cotangent_reproduces_rf_vjp():
    f = lambda x: rnp.cumsum(rnp.exp(x) * x)
    x = RNG.standard_normal(4)
    u = RNG.standard_normal(4)
    rec = record(f, (x,), argnums=(0,), names=["x"], cotangent=u)
    _, vjp_fn = rf.vjp(f, x)
    assert _exactly(rec.grads, vjp_fn(u))


def test_every_step_is_recorded_and_the_node_cotangents_chain():
    rec = record(lambda x, w: rnp.log(x * w), (2.0, 3.0), argnums=(0, 1), names=["x", "w"])
    mul, log = rec.nodes
    assert (mul.name, log.name) == ("multiply", "log")
    assert log.cotangent == 1.0
    assert [(c.target, float(c.value)) for c in log.sent] == [("v1", 1 / 6)]
    assert mul.cotangent == log.sent[0].value  # what log sent is what multiply received
    assert [(c.target, float(c.value)) for c in mul.sent] == [("x", 0.5), ("w", 1 / 3)]
    # tangents default to 1 (record) and log applies t * (1 / x)
    assert (float(mul.tangent), float(log.tangent)) == (5.0, 5.0 * (1 / 6))


def test_broadcast_contributions_are_marked():
    rec = record(_bcast, FUNCTIONS["broadcasting"][1], argnums=(0, 1), names=["x", "b"])
    add = rec.nodes[0]
    assert {c.target: c.unbroadcast for c in add.sent} == {"x": False, "b": True}


def test_data_inputs_and_constant_outputs():
    f = lambda x, idx: rnp.sum(x[idx])
    rec = record(f, (RNG.standard_normal(3), np.array([0, 0])), argnums=(0,), names=["x", "idx"])
    assert list(rec.data) == ["idx"]
    assert np.array_equal(rec.grads[0], [2.0, 0.0, 0.0])
    rec = record(lambda x: rnp.ones(3).sum(), (np.ones(2),), argnums=(0,), names=["x"])
    assert rec.nodes == [] and rec.output_label is None
    assert np.array_equal(rec.grads[0], np.zeros(2))


def test_bad_inputs_are_explained_errors():
    with pytest.raises(ExplainError, match="cotangent"):
        record(lambda x: x * 2.0, (np.ones(3),), argnums=(0,), names=["x"])
    with pytest.raises(ExplainError, match="one array"):
        record(lambda x: (x, x), (np.ones(3),), argnums=(0,), names=["x"])
    with pytest.raises(ExplainError, match="float32/float64"):
        record(lambda x: x, (np.arange(3),), argnums=(0,), names=["x"])
    with pytest.raises(ExplainError, match="no float argument"):
        explain(lambda i: i, np.arange(3), frameworks=())
