"""Each entry of the derivative table as a formula a reader can check by hand.

The rules in ``refengine/derivatives.py`` are code; this module keeps, for every entry, the
same rule written as mathematics, in one notation:

- ``out`` is the primitive's output; operands have the names the rule's code gives them;
- ``g`` is the cotangent arriving at the output (d loss / d out), ``g_x`` what the VJP sends
  to operand ``x``;
- ``t_x`` is the tangent of operand ``x`` (forward mode), ``t_out`` the output's tangent.

The map is kept by hand (a lambda's source says ``1.0 / x``, not what it means), and a test
holds it to the table: every entry has a formula, with one VJP per operand and ``None``
exactly where the table marks an operand as data. The table's own note (the convention at a
non-differentiable point) is read from the primitive at report time, never copied here.
"""

from __future__ import annotations

from dataclasses import dataclass

from refengine import rules

__all__ = ["FORMULAS", "Formula", "formula_for", "rule_location"]


@dataclass(frozen=True)
class Formula:
    """One table entry as mathematics.

    ``operands`` name the operands (``variadic``: one name standing for x_0, x_1, ...);
    ``vjp`` has one right-hand side per operand (``None`` for data), for ``g_<operand>``;
    ``jvp`` is the right-hand side for ``t_out``; ``derivative`` is the textbook statement.
    """

    out: str
    operands: tuple[str, ...]
    vjp: tuple[str | None, ...]
    jvp: str
    derivative: str = ""
    variadic: bool = False

    def vjp_line(self, position: int) -> str:
        """``g_x = ...`` for the operand at ``position``."""
        i = 0 if self.variadic else position
        name = f"{self.operands[0]}_{position}" if self.variadic else self.operands[i]
        rhs = self.vjp[i]
        if rhs is None:
            return f"{name}: no derivative (data)"
        return f"g_{name} = {rhs.replace('{i}', str(position))}"

    def lines(self) -> list[str]:
        """The entry as a few lines: definition, derivative, VJP per operand, JVP."""
        head = f"out = {self.out}"
        if self.derivative:
            head += f";  {self.derivative}"
        vjps = [
            f"{n}: no derivative (data)" if r is None else f"g_{n} = {r.replace('{i}', 'i')}"
            for n, r in zip(self.operands, self.vjp)
        ]
        return [head, "reverse: " + ";  ".join(vjps), f"forward: t_out = {self.jvp}"]


def _unary(expr: str, d: str) -> Formula:
    """out = expr(x) with d out / dx = d: VJP g * d, JVP t_x * d."""
    return Formula(expr, ("x",), (f"g * {d}",), f"t_x * {d}", f"d out/dx = {d}")


def _binary(expr: str, dx: str, dy: str, names: tuple[str, str] = ("x", "y")) -> Formula:
    a, b = names
    return Formula(
        expr, names, (f"g * {dx}", f"g * {dy}"), f"t_{a} * {dx} + t_{b} * {dy}",
        f"d out/d{a} = {dx}, d out/d{b} = {dy}",
    )


FORMULAS: dict[str, Formula] = {
    # --- elementwise, one argument ------------------------------------------------------------
    "negative": Formula("-x", ("x",), ("-g",), "-t_x", "d out/dx = -1"),
    "abs": _unary("|x|", "sign(x)"),
    "exp": _unary("exp(x)", "exp(x) = out"),
    "exp2": _unary("2^x", "out * ln(2)"),
    "expm1": _unary("exp(x) - 1", "out + 1"),
    "log": _unary("log(x)", "(1 / x)"),
    "log2": _unary("log2(x)", "1 / (x * ln(2))"),
    "log10": _unary("log10(x)", "1 / (x * ln(10))"),
    "log1p": _unary("log(1 + x)", "1 / (1 + x)"),
    "sqrt": _unary("sqrt(x)", "0.5 / out"),
    "cbrt": _unary("x^(1/3)", "1 / (3 * out^2)"),
    "square": _unary("x^2", "2 * x"),
    "reciprocal": _unary("1 / x", "-out^2"),
    "sin": _unary("sin(x)", "cos(x)"),
    "cos": _unary("cos(x)", "-sin(x)"),
    "tan": _unary("tan(x)", "(1 + out^2)"),
    "arcsin": _unary("arcsin(x)", "1 / sqrt(1 - x^2)"),
    "arccos": _unary("arccos(x)", "-1 / sqrt(1 - x^2)"),
    "arctan": _unary("arctan(x)", "1 / (1 + x^2)"),
    "sinh": _unary("sinh(x)", "cosh(x)"),
    "cosh": _unary("cosh(x)", "sinh(x)"),
    "tanh": _unary("tanh(x)", "(1 - out^2)"),
    "arcsinh": _unary("arcsinh(x)", "1 / sqrt(x^2 + 1)"),
    "arccosh": _unary("arccosh(x)", "1 / sqrt(x^2 - 1)"),
    "arctanh": _unary("arctanh(x)", "1 / (1 - x^2)"),
    "expit": _unary("1 / (1 + exp(-x))", "out * (1 - out)"),
    "logit": _unary("log(x / (1 - x))", "1 / (x * (1 - x))"),
    "erf": _unary("erf(x)", "2/sqrt(pi) * exp(-x^2)"),
    "erfc": _unary("1 - erf(x)", "-2/sqrt(pi) * exp(-x^2)"),
    "gammaln": _unary("log|Gamma(x)|", "digamma(x)"),
    "polygamma": _unary("polygamma(n, x)", "polygamma(n + 1, x)"),
    "relu": _unary("max(x, 0)", "[x > 0]"),
    # --- elementwise, two arguments -----------------------------------------------------------
    "add": Formula("x + y", ("x", "y"), ("g", "g"), "t_x + t_y", "d out/dx = d out/dy = 1"),
    "subtract": Formula("x - y", ("x", "y"), ("g", "-g"), "t_x - t_y",
                        "d out/dx = 1, d out/dy = -1"),
    "multiply": _binary("x * y", "y", "x"),
    "divide": _binary("x / y", "(1 / y)", "(-out / y)"),
    "power": _binary("x^y", "y * x^(y - 1)", "out * log(x)"),
    # [x > y] is 1 where it holds, else 0: at a tie each side gets half.
    "maximum": _binary("max(x, y)", "([x > y] + [x == y] / 2)", "([y > x] + [x == y] / 2)"),
    "minimum": _binary("min(x, y)", "([x < y] + [x == y] / 2)", "([y < x] + [x == y] / 2)"),
    "arctan2": _binary("arctan(y / x) (quadrant-aware)", "x / (x^2 + y^2)", "(-y / (x^2 + y^2))",
                       names=("y", "x")),
    "hypot": _binary("sqrt(x^2 + y^2)", "x / out", "y / out"),
    "logaddexp": _binary("log(exp(x) + exp(y))", "exp(x - out)", "exp(y - out)"),
    "xlogy": _binary("x * log(y)", "log(y)", "x / y"),
    # --- selection ----------------------------------------------------------------------------
    "where": Formula("c ? x : y", ("c", "x", "y"), (None, "where(c, g, 0)", "where(c, 0, g)"),
                     "where(c, t_x, t_y)", "the selected branch gets the derivative"),
    "clip": Formula(
        "min(max(x, lo), hi)", ("x", "lo", "hi"),
        ("g * [lo <= x <= hi]", "g * [x < lo]", "g * [x > hi]"),
        "t_x * [lo <= x <= hi] + t_lo * [x < lo] + t_hi * [x > hi]",
        "out follows whichever of x, lo, hi it equals",
    ),
    # --- reductions ---------------------------------------------------------------------------
    "sum": Formula("sum(x, axis)", ("x",), ("g broadcast back over the summed axes",),
                   "sum(t_x, axis)", "d out/dx_i = 1 for every summed entry"),
    "prod": Formula("prod(x, axis)", ("x",), ("g * (product of the other entries)",),
                    "sum(t_x * product of the other entries, axis)",
                    "d out/dx_i = product of the entries other than x_i"),
    "max": Formula("max(x, axis)", ("x",), ("g * [x == out] / (number of ties)",),
                   "sum(t_x * [x == out] / (number of ties), axis)",
                   "the maximal entry (shared equally by ties) gets the derivative"),
    "min": Formula("min(x, axis)", ("x",), ("g * [x == out] / (number of ties)",),
                   "sum(t_x * [x == out] / (number of ties), axis)",
                   "the minimal entry (shared equally by ties) gets the derivative"),
    "cumsum": Formula("cumsum(x, axis)", ("x",), ("reverse cumsum of g along the axis",),
                      "cumsum(t_x, axis)", "out_j = sum of x_i for i <= j"),
    "cumprod": Formula("cumprod(x, axis)", ("x",),
                       ("reverse cumsum of (g * out), divided by x (a division-free "
                        "recurrence where x has zeros)",),
                       "out * cumsum(t_x / x, axis)", "out_j = product of x_i for i <= j"),
    "logsumexp": Formula("log(sum(exp(x), axis))", ("x",), ("g * exp(x - out)",),
                         "sum(t_x * exp(x - out), axis)", "d out/dx = softmax(x)"),
    # --- structure (linear maps: the VJP is the transposed map) -------------------------------
    "reshape": Formula("reshape(x, shape)", ("x",), ("reshape(g, x.shape)",),
                       "reshape(t_x, shape)"),
    "transpose": Formula("transpose(x, axes)", ("x",), ("transpose(g, inverse of axes)",),
                         "transpose(t_x, axes)"),
    "broadcast_to": Formula("broadcast_to(x, shape)", ("x",),
                            ("g summed over the broadcast axes",), "broadcast_to(t_x, shape)"),
    "concatenate": Formula("concatenate(x_0, x_1, ..., axis)", ("x",),
                           ("the slice of g where x_{i} sits",),
                           "concatenate of the operands' tangents (zeros for constants)",
                           variadic=True),
    "getitem": Formula("x[index]", ("x",),
                       ("zeros like x with g added at index (repeated indices accumulate)",),
                       "t_x[index]"),
    "scatter_add": Formula("zeros(shape) with v added at index", ("v",), ("g[index]",),
                           "scatter_add(t_v, index)"),
    "flip": Formula("flip(x, axis)", ("x",), ("flip(g, axis)",), "flip(t_x, axis)"),
    "roll": Formula("roll(x, shift, axis)", ("x",), ("roll(g, -shift, axis)",),
                    "roll(t_x, shift, axis)"),
    "tril": Formula("tril(x, k)", ("x",), ("tril(g, k)",), "tril(t_x, k)"),
    "triu": Formula("triu(x, k)", ("x",), ("triu(g, k)",), "triu(t_x, k)"),
    "diagonal": Formula("diagonal(x, offset)", ("x",), ("zeros like x with g on the diagonal",),
                        "diagonal(t_x, offset)"),
    "pad": Formula("pad(x, pad_width, value)", ("x",), ("the unpadded centre of g",),
                   "pad(t_x, pad_width, 0)"),
    "astype": Formula("x cast to dtype", ("x",), ("g cast back to x's dtype",),
                      "t_x cast to dtype"),
    # --- contractions -------------------------------------------------------------------------
    "matmul": Formula("a @ b", ("a", "b"), ("g @ b^T", "a^T @ g"), "t_a @ b + a @ t_b",
                      "the product rule for matrices"),
    "einsum": Formula("einsum(spec, x_0, x_1, ...)", ("x",),
                      ("einsum of g with the other operands onto x_{i}'s indices",),
                      "sum over i of einsum(spec, ..., t_x_i, ...)", "multilinear in each "
                      "operand", variadic=True),
    # --- linear algebra -----------------------------------------------------------------------
    "inv": Formula("a^-1", ("a",), ("-out^T @ g @ out^T",), "-out @ t_a @ out",
                   "d(a^-1) = -a^-1 da a^-1"),
    "solve": Formula("a^-1 b", ("a", "b"), ("-solve(a^T, g) @ out^T", "solve(a^T, g)"),
                     "solve(a, t_b - t_a @ out)", "d out = a^-1 (db - da out)"),
    "det": Formula("det(a)", ("a",), ("g * out * inv(a)^T",), "out * trace(solve(a, t_a))",
                   "Jacobi's formula"),
    "slogdet": Formula("(sign, log|det(a)|)", ("a",), ("g_logabsdet * inv(a)^T",),
                       "(0, trace(solve(a, t_a)))", "the sign is piecewise constant"),
    "cholesky": Formula(
        "L with L L^T = a (lower triangle read)", ("a",),
        ("lower triangle of sym(L^-T Phi(L^T g) L^-1), Phi = lower triangle, diagonal halved",),
        "L Phi(L^-1 t_a L^-T)", "from d(L L^T) = dL L^T + L dL^T"),
    "eigh": Formula(
        "(w, V) with a = V diag(w) V^T", ("a",),
        ("V (diag(g_w) + F * (V^T g_V)) V^T, F_ij = 1 / (w_j - w_i)",),
        "(diag(V^T t_a V), V (F * (V^T t_a V)))", "first-order perturbation theory"),
    "qr": Formula(
        "(Q, R) with a = Q R", ("a",),
        ("(g_Q + Q copyltu(M)) R^-T, M = R g_R^T - g_Q^T Q",),
        "(Q (S - C) + t_a R^-1, (C - S) R), C = Q^T t_a R^-1, S = skew(lower(C))",
        "from da = dQ R + Q dR"),
    "svd": Formula(
        "(U, s, Vh) with a = U diag(s) Vh", ("a",),
        ("U (F*(U^T g_U - g_U^T U) S + diag(g_s) + S F*(V^T g_V - g_V^T V)) Vh, "
         "F_ij = 1 / (s_j^2 - s_i^2) (+ terms for non-square a)",),
        "(dU, diag(U^T t_a V), dVh) from U^T t_a V", "first-order perturbation theory"),
    "norm2": Formula("sqrt(sum(x^2, axis))", ("x",), ("g * x / out (0 where out == 0)",),
                     "sum(t_x * x / out, axis)", "d out/dx = x / |x|"),
    # --- complex numbers (refengine/derivatives_complex.py; cotangents pair as Re(g * dz)) ----
    "real": Formula("Re(z)", ("z",), ("g + 0j",), "Re(t_z)"),
    "imag": Formula("Im(z)", ("z",), ("-i g",), "Im(t_z)"),
    "conj": Formula("conj(z)", ("z",), ("conj(g)",), "conj(t_z)"),
    "fftn": Formula("fftn(x, axes)", ("x",), ("fftn(g, axes) (the DFT matrix is symmetric)",),
                    "fftn(t_x, axes)"),
    "ifftn": Formula("ifftn(x, axes)", ("x",), ("ifftn(g, axes)",), "ifftn(t_x, axes)"),
    "rfft": Formula("rfft(x, axis)", ("x",), ("Re(fft(g zero-padded to n, axis))",),
                    "rfft(t_x, axis)"),
    "irfft": Formula("irfft(x, n, axis)", ("x",),
                     ("w * conj(rfft(g, dual norm)), w = 1 at frequency 0 (and n/2), else 2",),
                     "irfft(t_x, n, axis)", "the Hermitian spectrum counts x_j twice"),
    # --- special functions of x (refengine/derivatives_special.py); orders are static ---------
    "erfinv": _unary("erfinv(x)", "sqrt(pi)/2 * exp(out^2)"),
    "erfcinv": _unary("erfcinv(x)", "-sqrt(pi)/2 * exp(out^2)"),
    "jn": _unary("J_n(x)", "(J_{n-1}(x) - J_{n+1}(x)) / 2"),
    "yn": _unary("Y_n(x)", "(Y_{n-1}(x) - Y_{n+1}(x)) / 2"),
    "iv": _unary("I_v(x)", "(I_{v-1}(x) + I_{v+1}(x)) / 2"),
    "ive": _unary("I_v(x) exp(-|x|)", "((ive_{v-1}(x) + ive_{v+1}(x)) / 2 - sign(x) * out)"),
    "gammainc": _unary("P(a, x)", "x^(a-1) exp(-x) / Gamma(a)"),
    "gammaincc": _unary("Q(a, x) = 1 - P(a, x)", "(-x^(a-1) exp(-x) / Gamma(a))"),
    "betainc": _unary("I_x(a, b)", "x^(a-1) (1-x)^(b-1) / B(a, b)"),
    "erfcx": _unary("exp(x^2) erfc(x)", "(2 x out - 2/sqrt(pi))"),
    "exp1": _unary("E_1(x) = integral from x to inf of exp(-t)/t", "(-exp(-x) / x)"),
    "expi": _unary("Ei(x) = -(integral from -x to inf of exp(-t)/t)", "exp(x) / x"),
    "expn": _unary("E_n(x)", "(-E_{n-1}(x); -out (1 + 1/x) for n = 0)"),
    "dawsn": _unary("exp(-x^2) (integral from 0 to x of exp(t^2))", "(1 - 2 x out)"),
    "sici": Formula("(Si(x), Ci(x))", ("x",), ("g_si * sin(x)/x + g_ci * cos(x)/x",),
                    "(t_x sin(x)/x, t_x cos(x)/x)", "the integrands"),
    "fresnel": Formula("(S(x), C(x))", ("x",),
                       ("g_S * sin(pi x^2 / 2) + g_C * cos(pi x^2 / 2)",),
                       "(t_x sin(pi x^2 / 2), t_x cos(pi x^2 / 2))", "the integrands"),
    "owens_t": _binary("T(h, a)", "(-exp(-h^2/2) erf(a h / sqrt 2) / (2 sqrt(2 pi)))",
                       "exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))", names=("h", "a")),
    "spence": _unary("integral from 1 to z of log(t) / (1 - t)", "log(z) / (1 - z) (-1 at z = 1)"),
    "zeta": _unary("zeta(x, q), in q", "(-x zeta(x + 1, q))"),
    "stdtr": _unary("Student's t CDF with df degrees of freedom",
                    "Gamma((df+1)/2) / (Gamma(df/2) sqrt(df pi)) (1 + x^2/df)^(-(df+1)/2)"),
    "sqrtm": Formula("X with X X = a (principal root)", ("a",),
                     ("Y solving X^T Y + Y X^T = g",), "dX solving X dX + dX X = t_a",
                     "from d(X X) = dX X + X dX"),
    "odeint": Formula("y(t_k) for y' = f(y, t, *args), y(t_0) = y0; operands x_0 = y0, "
                      "x_1 = t, x_2, ... = args", ("x",),
                      ("the adjoint a' = -a^T df/d(y, t, args), solved backwards from each t_k "
                       "(a jumps by g_k there); its part for x_{i}",),
                      "the sensitivity s' = df/dy s + df/dx_i t_x_i (t_0 and t_k move y along f)",
                      "the adjoint and sensitivity equations", variadic=True),
    # --- convolution (refengine/derivatives_conv.py): bilinear, each VJP one of the others --------
    "conv": Formula("conv(x, w) (channels first, stride, padding, dilation, groups)", ("x", "w"),
                    ("conv_transpose(g, w)", "conv_weight(x, g)"),
                    "conv(t_x, w) + conv(x, t_w)", "bilinear: <g, conv(x, w)> = "
                    "<conv_transpose(g, w), x> = <conv_weight(x, g), w>"),
    "conv_transpose": Formula("the adjoint of conv(., w) applied to g", ("g", "w"),
                              ("conv(g_out, w)", "conv_weight(g_out, g)"),
                              "conv_transpose(t_g, w) + conv_transpose(g, t_w)", "bilinear"),
    "conv_weight": Formula("the adjoint of conv(x, .) applied to g", ("x", "g"),
                           ("conv_transpose(g, g_out)", "conv(x, g_out)"),
                           "conv_weight(t_x, g) + conv_weight(x, t_g)", "bilinear"),
}


def formula_for(name: str) -> Formula:
    """The formula of table entry ``name``; a KeyError names the missing entry."""
    try:
        return FORMULAS[name]
    except KeyError:
        raise KeyError(
            f"no formula for primitive {name!r} in reports/explain/formulas.py; add one "
            "next to its neighbours (tests/test_explain_formulas.py checks the map)"
        ) from None


def rule_location(name: str) -> str:
    """Where the rule lives, ``refengine/derivatives.py:LINE`` (or derivatives_linalg.py,
    derivatives_complex.py)."""
    return rules.rule_location(name)
