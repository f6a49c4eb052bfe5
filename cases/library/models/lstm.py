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
"""

from __future__ import annotations

from typing import Any

from cases import domains as D
from cases.case import Arg, Case, Sizes

__all__ = ["CASES", "lstm_objective"]


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


CASES = [
    Case(
        "lstm",
        lstm_objective,
        args=(
            Arg("main_params", D.REAL, lambda s: (2 * s[0], 4 * s[1])),
            Arg("extra_params", D.REAL, lambda s: (3, s[1])),
            Arg("state", D.REAL, lambda s: (2 * s[0], s[1]), diff=False),
            Arg("sequence", D.REAL, lambda s: (s[2], s[1]), diff=False),
        ),
        sizes=Sizes(
            check=(2, 3, 4),
            sweep=((2, 14, 1024), (4, 14, 1024), (2, 14, 4096), (4, 14, 4096)),
            names=("layers", "hidden", "T"),
        ),
        tags={"model", "gradbench", "adbench", "control-flow"},
        note="GradBench evals/lstm (ADBench's LSTM with diagonal weights); the sweep is "
             "ADBench's l in {2, 4}, c in {1024, 4096}, b = 14",
    ),
]
