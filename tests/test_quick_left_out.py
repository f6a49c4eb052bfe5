"""``gradparity run --quick`` leaves the costly in-process frameworks (tinygrad, MLX) out unless
``--adapters`` names them, and says so."""

from __future__ import annotations

from types import SimpleNamespace

from reports.tasks import QUICK_LEFT_OUT, quick_adapters


def _adapters(*names):
    return [SimpleNamespace(name=n) for n in names]


def test_quick_leaves_tinygrad_and_mlx_out_with_a_note():
    assert {"tinygrad", "mlx"} <= QUICK_LEFT_OUT
    kept, notes = quick_adapters(_adapters("torch", "tinygrad", "mlx", "jax"), named=False)
    assert [a.name for a in kept] == ["torch", "jax"]
    assert len(notes) == 2 and "--adapters tinygrad runs it" in notes[0]


def test_named_adapters_all_run():
    # The control: naming them keeps them (and a selection without them is unchanged).
    chosen = _adapters("tinygrad", "mlx")
    assert quick_adapters(chosen, named=True) == (chosen, [])
    plain = _adapters("torch", "jax")
    assert quick_adapters(plain, named=False) == (plain, [])
