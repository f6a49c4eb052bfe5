"""Explain how automatic differentiation works, on any function, with its own numbers.

    import refengine as rf
    import refengine.numpy as rnp

    e = rf.explain(lambda x, w: rnp.log(x * w), 2.0, 3.0)
    print(e.text)                  # the tape, the rules, the backward and forward passes, ...
    e.to_html("explain.html")      # one page, with the graph and the step-size plot
    e.to_markdown("explain.md")    # Markdown, pictures written beside it

The report shows the forward computation graph (the tape), the derivative rule of each
operation as a formula, the backward pass node by node (the chain rule), the forward pass with
dual numbers, finite differences over step sizes, the complex step and every available
framework side by side, and what each system does at a non-differentiable point (by running
it, and from the divergence table, with its citation).
"""

from refengine.explainer.core import explain, explain_case, is_case_style
from refengine.explainer.formulas import FORMULAS, Formula, formula_for
from refengine.explainer.recording import ExplainError, Recording, record
from refengine.explainer.report import FORMATS, Explanation

__all__ = [
    "FORMATS",
    "FORMULAS",
    "ExplainError",
    "Explanation",
    "Formula",
    "Recording",
    "explain",
    "explain_case",
    "formula_for",
    "is_case_style",
    "record",
]
