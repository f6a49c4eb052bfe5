"""The derivative table's convolution entries: ``conv`` and its two adjoints.

Each of the three primitives (``refengine/conv_primitives.py``) is bilinear, so each is a
``linear=True`` entry (the JVP is the primitive with the tangent in place of one operand) whose
VJPs are the other two: with ``<a, b>`` the sum of ``a * b``,

    <g, conv(x, w)> = <conv_transpose(g, w), x> = <conv_weight(x, g), w>

and every VJP below is one of these identities read for the operand in question. Derivatives of
derivatives therefore stay inside these three primitives, at every order. Registered into the
table of ``refengine/derivatives.py`` (which loads this module), as the linear-algebra entries.
"""

from __future__ import annotations

import refengine.numpy as rnp
from refengine import primitives as P
from refengine.rules import defrule

__all__: list[str] = []  # entries only: importing the module registers them


# conv(x, w) -> y.    x-bar = conv_transpose(g, w);  w-bar = conv_weight(x, g).
defrule(P.conv, linear=True, vjp=(
    lambda g, ans, x, w, **p: P.conv_transpose(g, w, x_shape=rnp.shape(x), **p),
    lambda g, ans, x, w, **p: P.conv_weight(x, g, w_shape=rnp.shape(w), **p),
))
# conv_transpose(g, w) -> x-shaped.  <u, conv_transpose(g, w)> = <g, conv(u, w)> = ...
defrule(P.conv_transpose, linear=True, vjp=(
    lambda u, ans, g, w, *, x_shape, **p: P.conv(u, w, **p),
    lambda u, ans, g, w, *, x_shape, **p: P.conv_weight(u, g, w_shape=rnp.shape(w), **p),
))
# conv_weight(x, g) -> w-shaped.  <v, conv_weight(x, g)> = <g, conv(x, v)> = ...
defrule(P.conv_weight, linear=True, vjp=(
    lambda v, ans, x, g, *, w_shape, **p: P.conv_transpose(g, v, x_shape=rnp.shape(x), **p),
    lambda v, ans, x, g, *, w_shape, **p: P.conv(x, v, **p),
))
