"""ADBench's LSTM objective, as GradBench's ``evals/lstm`` runs it.

A stack of LSTM layers whose weight "matrices" are diagonal (ADBench's quirk: each gate is an
elementwise product with the concatenated [input, hidden, input, hidden]), run over a sequence
and scored by a log-softmax-like normalisation against the next element:

    for t in 0 .. T-2:  y_t = predict(sequence[t]);  total += sum(sequence[t+1] * (y_t -
                        log(sum(exp(y_t)) + 2)))
    objective = -total / ((T - 1) * hidden)

main_params holds (weight, bias) rows per layer, each 4*hidden long (forget, input, output,
change gates); extra_params holds the input scale and the output scale and shift. The state
(hidden and cell per layer) is carried across time steps.

Sizes are GradBench's (l, b, c): l layers, b bits per character (the hidden width), c
characters. Inputs are drawn as GradBench's generator draws them (evals/lstm run.py
``gen_lstm``): main_params, extra_params and state from U(0, 1), and the sequence the bits of
c characters, one row of b bits each. GradBench takes its characters from a text file; here
the character codes are drawn uniformly from [0, 2^b). GradBench's text has b = 14.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "GRADBENCH_SIZES", "lstm_objective"]

BITS = 14
# GradBench evals/lstm run.py's defaults: l x c, ordered by l c, labelled as it does.
GRADBENCH_SIZES: dict[str, tuple[int, int, int]] = {
    f"l={layers},c={chars}": (layers, BITS, chars)
    for layers, chars in sorted(((layers, chars) for layers in (2, 4, 6)
                                 for chars in (1024, 4096, 8192)), key=lambda lc: lc[0] * lc[1])
}


def _cell(xp: Any, weight: Any, bias: Any, hidden: Any, cell: Any, x: Any) -> tuple[Any, Any]:
    n = hidden.shape[0]
    gates = xp.concatenate([x, hidden, x, hidden]) * weight + bias
    forget = xp.special.expit(gates[:n])
    ingate = xp.special.expit(gates[n:2 * n])
    outgate = xp.special.expit(gates[2 * n:3 * n])
    change = xp.tanh(gates[3 * n:])
    cell = cell * forget + ingate * change
    return outgate * xp.tanh(cell), cell


def lstm_objective(xp: Any, main: Any, extra: Any, state: Any, sequence: Any) -> Any:
    layers = main.shape[0] // 2
    hidden = [state[2 * i] for i in range(layers)]
    cells = [state[2 * i + 1] for i in range(layers)]
    steps, width = sequence.shape
    total = 0.0
    for t in range(steps - 1):
        x = sequence[t] * extra[0]
        for i in range(layers):
            hidden[i], cells[i] = _cell(xp, main[2 * i], main[2 * i + 1], hidden[i], cells[i], x)
            x = hidden[i]
        prediction = x * extra[1] + extra[2]
        normalised = prediction - xp.log(xp.sum(xp.exp(prediction)) + 2.0)
        total = total + xp.sum(sequence[t + 1] * normalised)
    return -total / ((steps - 1) * width)


def _sample(rng: np.random.Generator, size: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    layers, bits, chars = size
    main = rng.uniform(size=(2 * layers, 4 * bits))
    extra = rng.uniform(size=(3, bits))
    state = rng.uniform(size=(2 * layers, bits))
    codes = rng.integers(0, 2**bits, size=chars)
    sequence = (codes[:, None] >> np.arange(bits - 1, -1, -1)) & 1  # most significant first
    return main, extra, state, sequence.astype(np.float64)


CASES = [
    Case(
        "lstm",
        lstm_objective,
        args=(
            Arg("main_params", D.REAL, lambda s: (2 * s[0], 4 * s[1])),
            Arg("extra_params", D.REAL, lambda s: (3, s[1])),
            Arg("state", D.REAL, lambda s: (2 * s[0], s[1]), diff=False),
            Arg("sequence", D.ZERO_OR_ONE, lambda s: (s[2], s[1]), diff=False),
        ),
        sampler=_sample,
        sizes=Sizes(check=(2, 3, 4), sweep=tuple(GRADBENCH_SIZES.values()),
                    names=("l", "b", "c"), gradbench=tuple(GRADBENCH_SIZES.items())),
        tags={"model", "gradbench", "adbench", "control-flow"},
        note="GradBench evals/lstm (ADBench's LSTM with diagonal weights); inputs drawn as "
             "GradBench's generator (U(0, 1) parameters and state, a sequence of character "
             "bits, random codes here for its text); the sweep is GradBench's default "
             "l in {2, 4, 6} x c in {1024, 4096, 8192}, b = 14; jax.jit and tf.function do not "
             "time it (cases/timing/untimed.py: compiling the unrolled c-step loop grows "
             "superlinearly, jax.jit 68 s at c = 32, tf.function 328 s at c = 256)",
    ),
]
