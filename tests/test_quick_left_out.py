"""``gradparity run --quick`` runs the in-process frameworks that cost most per case (tinygrad,
MLX) as MXNet: the smoke selection, eager; ``QUICK_LEFT_OUT`` can still leave an adapter out
unless ``--adapters`` names it, and says so."""

from __future__ import annotations

from types import SimpleNamespace

import reports.tasks as tasks
from reports.tasks import QUICK_MODES, QUICK_SMOKE_ONLY, quick_adapters


def _adapters(*names):
    return [SimpleNamespace(name=n) for n in names]


def test_tinygrad_and_mlx_run_the_smoke_selection_eagerly():
    assert {"tinygrad", "mlx", "mxnet"} <= QUICK_SMOKE_ONLY
    assert QUICK_MODES["tinygrad"] == QUICK_MODES["mlx"] == ("eager",)


def test_an_adapter_left_out_gets_a_note(monkeypatch):
    monkeypatch.setattr(tasks, "QUICK_LEFT_OUT", frozenset({"tinygrad"}))
    kept, notes = quick_adapters(_adapters("torch", "tinygrad", "jax"), named=False)
    assert [a.name for a in kept] == ["torch", "jax"]
    assert len(notes) == 1 and "--adapters tinygrad runs it" in notes[0]


def test_named_adapters_all_run(monkeypatch):
    # The control: naming them keeps them (and a selection without them is unchanged).
    monkeypatch.setattr(tasks, "QUICK_LEFT_OUT", frozenset({"tinygrad", "mlx"}))
    chosen = _adapters("tinygrad", "mlx")
    assert quick_adapters(chosen, named=True) == (chosen, [])
    plain = _adapters("torch", "jax")
    assert quick_adapters(plain, named=False) == (plain, [])
