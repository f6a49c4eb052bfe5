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

It sits above everything it shows: refengine records its own passes
(``refengine.tape_recording``) and knows nothing of this package, which reaches the frameworks
through ``adapters`` and the divergence table through ``cases``, both on first need.
``rf.explain`` finds ``explain`` here through the ``refengine.explain`` entry point that
gradparity declares (``refengine.explain_entry``).
"""

from refengine.tape_recording import ExplainError, Recording, record
from reports.explain.assemble import explain, explain_case, is_case_style
from reports.explain.explanation import FORMATS, Explanation
from reports.explain.formulas import FORMULAS, Formula, formula_for

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
