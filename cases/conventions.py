"""The divergence table: where frameworks knowingly differ from the reference, as data.

Each entry names where (the cases, i.e. the op at a point), who (adapters and a version
range), what is affected (checks, statuses, dtypes, modes), what happens (``behaviour``) and
where that is documented (``citation``: an issue, a documentation page or a source file; for a
behaviour no public source describes, the reproducing case and "found by gradparity, no
public issue found"). A conformance record whose status is ``fail``, ``error`` or
``nonfinite`` and that an entry matches becomes ``divergence-documented`` with the citation
in its message; one that no entry matches stays a failure. Entries are kept narrow on
purpose: a new failure in the same case but another check, status or framework version is
not silently absorbed.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import warnings
from dataclasses import dataclass, replace
from typing import Any

from cases.conformance.check_record import Record
from cases.conformance.nestings import failing_only
from cases.statuses import DIVERGENCE_DOCUMENTED

__all__ = ["COSTLY", "ENTRY_POINT_GROUP", "EVERY", "TABLE", "Costly", "Divergence", "costly",
           "document", "find", "markdown", "plugin_entries", "table", "unbounded",
           "version_matches"]


@dataclass(frozen=True)
class Divergence:
    """One documented divergence.

    ``cases`` are case names or glob patterns; ``adapters`` adapter names, or ``EVERY`` for a
    behaviour every framework shows (plug-in adapters included); ``versions`` a
    specifier on the framework's version (``">=0.4"``, ``">=2.0,<3"``; empty: any);
    ``checks``, ``statuses``, ``dtypes`` and ``modes`` narrow the records it covers (empty:
    any); ``message``, a regular expression, narrows them to one kind of failure (for example
    the precision change of a float32 derivative). ``op`` and ``point`` say what and where in
    words.
    """

    op: str
    point: str
    cases: tuple[str, ...]
    adapters: tuple[str, ...]
    behaviour: str
    citation: str
    checks: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("fail", "nonfinite")
    dtypes: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    versions: str = ""
    message: str = ""  # a regular expression the record's message must contain

    def matches(self, record: Record) -> bool:
        return (
            any(fnmatch.fnmatchcase(record.case, pattern) for pattern in self.cases)
            and (self.adapters == EVERY or record.adapter in self.adapters
                 # an older release side by side ("jax@0.4.38") is its framework's adapter;
                 # ``versions`` tells the releases apart
                 or record.adapter.partition("@")[0] in self.adapters)
            and (not self.checks or record.check in self.checks
                 or _implied(self.checks, record))
            and record.status in self.statuses
            and (not self.dtypes or record.dtype in self.dtypes)
            and (not self.modes or record.mode in self.modes)
            and version_matches(record.framework_version, self.versions)
            and (not self.message or re.search(self.message, record.message) is not None)
        )

    def summary(self) -> str:
        return f"{self.op} at {self.point}: {self.behaviour} [{self.citation}]"


# The transformation checks compare a framework's vectorised VJP and its forward- and
# reverse-mode Jacobians with refengine's VJP and JVP (cases/conformance/transforms.py). Where
# the framework agrees with itself (its vectorised VJP with its own VJP point by point, its
# forward-mode Jacobian with its own reverse-mode one) and only differs from refengine, the
# difference is the one an entry documents for the VJP or JVP: the entry covers those records
# too. A framework that disagrees with itself is not covered: that is a new finding.
_IMPLIED_CHECKS = {"vjp_vs_refengine": ("vmap_grad", "jacfwd_vs_jacrev"),
                   "jvp_vs_refengine": ("jacfwd_vs_jacrev",)}
_SELF_CONSISTENT = re.compile(r"\[vs its own [^:\]]*: pass;")


def _implied(checks: tuple[str, ...], record: Record) -> bool:
    return (any(record.check in _IMPLIED_CHECKS.get(c, ()) for c in checks)
            and _SELF_CONSISTENT.search(record.message) is not None)


def _version(text: str) -> tuple[int, ...]:
    """The leading release numbers of a version string ("2.13.0+cpu" -> (2, 13, 0))."""
    found = re.search(r"\d+(?:\.\d+)*", text)
    return tuple(int(p) for p in found.group(0).split(".")) if found else ()


def version_matches(framework_version: str, spec: str) -> bool:
    """Does ``framework_version`` ("jax 0.10.2") satisfy ``spec`` (">=0.4,<1")?"""
    if not spec.strip():
        return True
    have = _version(framework_version.split(" ", 1)[-1])
    ops = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
           "<": lambda a, b: a < b, "==": lambda a, b: a[:len(b)] == b}
    for part in spec.split(","):
        m = re.fullmatch(r"\s*(>=|<=|==|>|<)\s*([\d.]+)\s*", part)
        if not m:
            raise ValueError(f"bad version specifier {part!r} in {spec!r}")
        want = _version(m.group(2))
        width = max(len(have), len(want))
        if not ops[m.group(1)](_pad(have, width), _pad(want, width)):
            return False
    return True


def _pad(v: tuple[int, ...], n: int) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def find(record: Record, table: Any = None) -> Divergence | None:
    """The first entry of ``table`` (default ``table()``: ``TABLE`` and the plug-ins') that
    documents ``record``."""
    for entry in _installed() if table is None else table:
        if entry.matches(record):
            return entry
    return None


def document(record: Record, table: Any = None) -> Record:
    """``record`` as ``divergence-documented`` when an entry covers it, else unchanged."""
    entry = find(record, table)
    if entry is None:
        return record
    return replace(record, status=DIVERGENCE_DOCUMENTED,
                   message=f"documented divergence: {entry.summary()}. Observed: "
                           f"{record.status}: {record.message}")


# A behaviour every framework shows (the chain rule's 0 * inf, an ill-posed derivative): the
# entry covers every adapter, built in or plug-in, rather than a list of names.
EVERY: tuple[str, ...] = ("*",)
FOUND = "found by gradparity, no public issue found"
# Cases whose precision changes are documented in float32 and again in half precision.
_TORCH_WRAPPED = ("gmm", "llsq", "lstm", "saddle-fixed-steps", "logistic-regression",
                  "det-by-minors", "gaussian-logpdf", "logdet-cholesky")
_AUTOGRAD_FLOAT64 = ("bernoulli-loglik", "custom-vjp-softplus-plain", "exp2", "kmeans",
                     "kmeans-dir", "log10", "log2", "lse",
                     "masked-softmax-neg-inf", "max-*", "min-*", "maximum*", "minimum*",
                     "nn-relu", "op-scalar-base-power", "relu-maximum-at-zero",
                     "relu-nn-at-zero", "scatter-*", "where*", "xlogy*")
# Observed with torch 2.13.0, jax 0.10.2, TensorFlow 2.21.0, HIPS autograd 1.9.1 and this
# refengine (the default pytest matrix of 2026-11-26); each entry lists where it was seen.
TABLE: tuple[Divergence, ...] = (
    # --- precision: float32 derivatives that silently become float64 -------------------------
    Divergence(
        op="x + python float (0-d tensor)", point="any point, float32",
        cases=_TORCH_WRAPPED,
        adapters=("torch",), checks=("float32_vs_float64",), dtypes=("float32",),
        message="returned float64 for float32 inputs",
        behaviour="torch.func.jvp: a 0-d float32 tensor combined with a Python float gets a "
                  "float64 tangent (the zero tangent made for the wrapped number is float64); "
                  "the primal stays float32",
        citation="https://github.com/pytorch/pytorch/issues/90065"),
    Divergence(
        op="rules with NumPy float64 constants or int64 counts", point="any point, float32",
        cases=_AUTOGRAD_FLOAT64,
        adapters=("autograd",), checks=("float32_vs_float64",), dtypes=("float32",),
        message="returned float64 for float32 inputs",
        behaviour="HIPS autograd's float32 JVPs (and some VJPs) come back float64: its rules "
                  "multiply by NumPy float64 scalars (log(2), the count of maxima) which "
                  "NumPy 2 no longer demotes (NEP 50)",
        citation="https://github.com/HIPS/autograd/issues/671; "
                 "https://numpy.org/neps/nep-0050-scalar-promotion.html"),
    # --- half precision (cases.conformance.half; the wider --gp-slow run of 2026-12-07) -----
    Divergence(
        op="rules with NumPy float64 constants or int64 counts", point="any point, float16",
        cases=_AUTOGRAD_FLOAT64, adapters=("autograd",), checks=("half_vs_float64",),
        dtypes=("float16",),
        message="returned float64 for float16 inputs",
        behaviour="HIPS autograd's float16 JVPs come back float64, as its float32 ones do (the "
                  "entry above): float64 scalars in its rules promote under NumPy 2",
        citation="https://github.com/HIPS/autograd/issues/671; "
                 "https://numpy.org/neps/nep-0050-scalar-promotion.html"),
    Divergence(
        op="x + python float (0-d tensor)", point="any point, float16 and bfloat16",
        cases=_TORCH_WRAPPED, adapters=("torch",), checks=("half_vs_float64",),
        dtypes=("float16", "bfloat16"), message="returned float64 for b?float16 inputs",
        behaviour="torch.func.jvp gives the same float64 tangents to float16 and bfloat16 "
                  "0-d tensors combined with a Python float as to float32 ones (the entry "
                  "above)",
        citation="https://github.com/pytorch/pytorch/issues/90065"),
    Divergence(
        op="scipy.special functions (expit, logit, erf, erfc, gammaln, digamma, xlogy, gelu)",
        point="any point, float16",
        cases=("expit", "logit", "erf", "erfc*", "gammaln*", "digamma*", "xlogy*", "nn-gelu",
               "dense-gelu", "swish", "bernoulli-loglik", "dirichlet-logpdf", "log-beta", "gmm",
               "lstm", "transformer-block"),
        adapters=("refengine", "autograd"), checks=("half_vs_float64",), dtypes=("float16",),
        message="returned float64 for float16 inputs",
        behaviour="SciPy's special functions have no float16 loops: NumPy-based AD (refengine, "
                  "HIPS autograd) returns their values, and what is built on them, in float64 "
                  "for float16 inputs (torch, JAX and TensorFlow keep float16)",
        citation=FOUND + " (cases expit, erf, gammaln, ... with --gp-dtypes float16)"),
    Divergence(
        op="values and derivatives beyond float16's range", point="|result| > 65504, float16",
        cases=("digamma-near-zero", "gammaln-large"), adapters=EVERY,
        checks=("value", "vjp_vs_oracle", "jvp_vs_oracle", "half_vs_float64", "finite"),
        dtypes=("float16",), statuses=("nonfinite",),
        behaviour="the exact result (digamma's slope 1.7e5 near 0, gammaln of large x 3.4e5) "
                  "exceeds float16's largest finite number, 65504: inf is its correctly rounded "
                  "value, which every framework computing in float16 returns (refengine and "
                  "autograd return gammaln's value in float64, the entry above)",
        citation="https://numpy.org/doc/stable/reference/generated/numpy.finfo.html "
                 "(float16 max 65504)"),
    Divergence(
        op="non-finite entries in bfloat16", point="sqrt at 0, logsumexp of -inf rows, "
                                                "x ** y with x < 0",
        cases=("sqrt-at-zero", "logsumexp-all-neg-inf", "logsumexp-row-neg-inf",
               "power-negative-base-exponent-gradient"),
        adapters=("torch",), checks=("finite",), dtypes=("bfloat16",), statuses=("nonfinite",),
        behaviour="torch in bfloat16 returns non-finite derivatives that differ from its own "
                  "float64 ones at the same points (sqrt'(0) = -inf where float64 gives +inf; "
                  "NaN gradients of logsumexp over -inf entries and of x ** y with respect to "
                  "y); float16 matches float64 there. Observed; the cause is not established",
        citation=FOUND + " (these cases with --gp-dtypes bfloat16 --gp-slow)"),
    Divergence(
        op="layer normalisation, forward mode", point="a constant row or a single feature, "
                                                      "float16 and bfloat16",
        cases=("nn-layer-norm-at-constant-row", "nn-layer-norm-single"),
        adapters=("torch", "jax", "tensorflow"),
        checks=("value", "vjp_vs_oracle", "jvp_vs_oracle", "half_vs_float64", "finite"),
        dtypes=("float16", "bfloat16"),
        behaviour="at zero variance layer norm's result hangs on its eps (1e-5, a subnormal "
                  "1.0014e-5 in float16) through 1/sqrt(eps) = 316, whose powers exceed "
                  "float16's range: torch's float16 JVP and JAX's float16 VJP and JVP are NaN; "
                  "TensorFlow's values are 3 % (float16) and 20 % (bfloat16) off and its JVPs "
                  "5 % and 90 %; torch's bfloat16 VJP has 0 where float64 rounds to 6.5e-14. "
                  "Their float64 results agree",
        citation=FOUND + " (cases nn-layer-norm-at-constant-row, nn-layer-norm-single, "
                         "--gp-dtypes float16,bfloat16 --gp-slow)"),
    Divergence(
        op="minimum, forward mode, broadcast", point="any point, float16 and bfloat16",
        cases=("minimum-outer",), adapters=("torch",), checks=("jvp_vs_oracle",
                                                                "half_vs_float64"),
        dtypes=("float16", "bfloat16"),
        behaviour="torch.func.jvp of torch.minimum(x[:, None], y[None, :]) in half precision "
                  "does not select the tangent exactly: entries are off by 3 % (float16) and "
                  "22 % (bfloat16), 30 eps, as if the tangents were combined arithmetically "
                  "in the dtype (t_y + (t_x - t_y) * mask); float64, the VJP and the other "
                  "frameworks select exactly",
        citation=FOUND + " (case minimum-outer, --gp-dtypes float16,bfloat16 --gp-slow)"),
    # --- NaN traps: the chain rule multiplies 0 by an infinite local derivative -------------
    Divergence(
        op="where / multiply by 0", point="a branch or factor that is inf or NaN where unused",
        cases=("where-nan-sqrt", "where-division-by-zero", "zero-times-inf"),
        adapters=EVERY,
        behaviour="reverse mode returns NaN: the unselected branch's infinite local derivative "
                  "times its zero cotangent is 0 * inf = NaN (the 'double where' trap); "
                  "TensorFlow returns 0 for some of these entries",
        citation="https://docs.jax.dev/en/latest/faq.html#gradients-contain-nan-where-using-where"),
    Divergence(
        op="hypot, sqrt(x**2), norm, xlogy, power", point="the origin, 0 ** 0, x = y = 0",
        cases=("hypot-at-origin", "sqrt-of-square-at-zero", "norm-zero-vector",
               "norm-distance-coincident", "xlogy-zero-zero", "power-zero-base",
               "power-zero-zero"),
        adapters=EVERY,
        behaviour="where the function has one-sided derivatives but the formula divides by "
                  "zero, frameworks differ: NaN (torch, jax, autograd, refengine for hypot and "
                  "sqrt(x**2)), 0 (refengine for norm, TensorFlow for xlogy), or inf; none "
                  "is a subgradient chosen on purpose except 0",
        citation="refengine/derivatives.py notes; " + FOUND),
    Divergence(
        op="norm", point="entries near 1e-200 (the squares underflow) or an inf entry",
        cases=("norm-tiny-underflow", "norm-vector-inf"),
        adapters=("jax", "tensorflow", "autograd", "mlx"),
        behaviour="the gradient x / norm(x) is computed with an unscaled norm: inf where the "
                  "squares underflow to 0, NaN with an infinite entry; refengine's scaled norm "
                  "is finite",
        citation=FOUND + " (cases norm-tiny-underflow, norm-vector-inf)"),
    # --- conventions at kinks (all inside the subdifferential; the kink check passes) -------
    Divergence(
        op="abs", point="x = 0", cases=("abs-at-zero",), adapters=("jax",),
        behaviour="jax.grad(jnp.abs)(0.0) is 1.0 (a right-derivative convention); refengine, "
                  "torch, TensorFlow and autograd give 0",
        citation="https://github.com/jax-ml/jax/issues/37820"),
    Divergence(
        op="clip", point="x equal to a bound", cases=("clip-at-bounds",),
        adapters=("jax", "autograd"),
        behaviour="at a bound jnp.clip passes half the cotangent (it is built from "
                  "maximum/minimum, which split ties), autograd none; refengine and torch "
                  "pass all of it",
        citation=FOUND + " (case clip-at-bounds; autograd/numpy/numpy_vjps.py defines clip's "
                         "VJP with strict inequalities)"),
    Divergence(
        op="maximum / minimum", point="a tie x == y",
        cases=("maximum-tie", "minimum-tie", "relu-maximum-at-zero"),
        adapters=("tensorflow",),
        behaviour="tf.maximum and tf.minimum give the whole cotangent to x at a tie (their "
                  "gradient selects x >= y); refengine, torch and jax split it in half",
        citation="tensorflow/python/ops/math_grad.py (_MaximumMinimumGrad); " + FOUND),
    Divergence(
        op="relu", point="x = 0", cases=("relu-nn-at-zero",), adapters=("autograd",),
        behaviour="autograd gives relu'(0) = 1 (the whole cotangent at x = 0); refengine, "
                  "torch, jax and TensorFlow give 0",
        citation=FOUND + " (case relu-nn-at-zero)"),
    Divergence(
        op="sort", point="tied entries", cases=("sort-tie",), adapters=("autograd",),
        behaviour="with ties, autograd routes the cotangents of tied entries to a different "
                  "permutation of them than refengine (argsort's tie order)",
        citation=FOUND + " (case sort-tie)"),
    Divergence(
        op="max pooling (nn.max_pool)", point="entries tied for a window's maximum",
        cases=("max-pool-tie", "max-pool-tie-overlapping", "max-pool2d-tie"),
        adapters=("torch", "jax", "tensorflow"), checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="the window's whole cotangent (and tangent) goes to the first tied entry in "
                  "the window's row-major order, in both modes: F.max_pool1d/2d route it to the "
                  "index they return, lax.reduce_window's max selects with >=, tf.nn.max_pool's "
                  "MaxPoolGrad to its argmax; refengine and HIPS autograd (max over the "
                  "gathered windows) split it evenly, the minimum-norm subgradient. Both are "
                  "subgradients (the kink check passes)",
        citation="jax/_src/lax/windowed_reductions.py (_reduce_window_chooser_jvp_rule, "
                 "select_prim=lax.ge_p); pytorch aten/src/ATen/native/cpu/MaxPoolKernel.cpp "
                 "(the first maximum's index); tensorflow/python/ops/nn_grad.py (_MaxPoolGrad); "
                 + FOUND + " for the convention itself (cases max-pool-tie, "
                 "max-pool-tie-overlapping, max-pool2d-tie)"),
    Divergence(
        op="power", point="negative base, derivative in the exponent",
        cases=("power-negative-base-exponent-gradient",), adapters=("tensorflow",),
        behaviour="d(x**y)/dy = x**y log(x) is NaN for x < 0; TensorFlow's pow gradient "
                  "returns 0 there (it replaces log(x) by 0 where x <= 0)",
        citation="tensorflow/python/ops/math_grad.py (_PowGrad); " + FOUND),
    Divergence(
        op="where / multiply / xlogy", point="0 times an infinite derivative",
        cases=("where-nan-sqrt", "zero-times-inf", "xlogy-zero-zero"),
        adapters=("tensorflow",),
        behaviour="TensorFlow returns 0 where refengine (and the chain rule) give NaN or -inf",
        citation=FOUND),
    # --- linear algebra -------------------------------------------------------------------
    Divergence(
        op="cholesky, eigh", point="any matrix: the upper triangle of the input",
        cases=("cholesky", "eigh-lower-triangle", "gaussian-logpdf", "logdet-cholesky"),
        adapters=("torch", "jax", "tensorflow", "autograd"),
        behaviour="the function reads only the lower triangle (so finite differences and "
                  "refengine give 0 for the upper one), but the framework's gradient is that "
                  "of the symmetrised input (A + A^T) / 2: the upper triangle gets half of "
                  "the symmetric gradient",
        citation="https://docs.pytorch.org/docs/stable/generated/torch.linalg.cholesky.html; "
                 "jax.lax.linalg.cholesky(symmetrize_input=True)"),
    Divergence(
        op="eigh", point="repeated eigenvalues",
        cases=("eigh-repeated-values", "eigh-repeated-vectors"), adapters=EVERY,
        statuses=("fail", "nonfinite", "error"),
        behaviour="the eigenvector derivative has 1 / (lambda_i - lambda_j) terms: with a "
                  "repeated eigenvalue each framework returns something different (NaN, inf, "
                  "or large finite numbers); no answer is right",
        citation="https://docs.pytorch.org/docs/stable/generated/torch.linalg.eigh.html "
                 "(gradients are numerically unstable or undefined with repeated eigenvalues)"),
    Divergence(
        op="det", point="a singular matrix", cases=("det-singular",),
        adapters=("torch", "tensorflow", "autograd"), statuses=("fail", "nonfinite", "error"),
        behaviour="the gradient of det is the cofactor matrix, defined everywhere; "
                  "TensorFlow and autograd compute it through the inverse and raise "
                  "('not invertible', 'Singular matrix'), torch's JVP returns 0",
        citation=FOUND + " (case det-singular)"),
    # --- accuracy of special functions and saturating functions ------------------------------
    Divergence(
        op="tanh, expit, softplus, log_sigmoid", point="saturation (|x| >= 10)",
        cases=("tanh-saturation", "expit-saturation", "softplus-saturation",
               "log-sigmoid-saturation", "logaddexp-huge"),
        adapters=EVERY,
        behaviour="derivatives formed as 1 - y**2 or y (1 - y) lose their relative accuracy "
                  "when y rounds to +-1: 0 in float32 where the slope is 2e-9, and only 7-9 "
                  "digits in float64; the frameworks round differently from refengine",
        citation="case notes in cases/library/delicate.py; " + FOUND),
    Divergence(
        op="digamma, gammaln, betaln, polygamma", point="any point, float64",
        cases=("digamma", "gammaln", "log-beta", "dirichlet-logpdf"), adapters=("torch",),
        dtypes=("float64",),
        behaviour="torch's digamma/polygamma agree with SciPy's to ~3e-10 relative, not "
                  "1e-10: a different series, not a wrong rule (the oracle checks pass)",
        citation=FOUND),
    Divergence(
        op="gelu", point="any point, float64",
        cases=("nn-gelu", "dense-gelu", "transformer-block"), adapters=("tensorflow",),
        dtypes=("float64",),
        behaviour="tf.nn.gelu agrees with the erf formula to ~1e-7 relative in float64 "
                  "(value and derivatives), not 1e-10",
        citation=FOUND),
    Divergence(
        op="hypot", point="entries near 1e200",
        cases=("hypot-huge",), adapters=("jax", "tensorflow"),
        statuses=("fail", "nonfinite"),
        behaviour="TensorFlow has no hypot (the adapter's sqrt(x**2 + y**2) overflows to "
                  "inf); jax.jit's hypot derivative at 1e200 is wrong by up to 60 % (eager "
                  "jax is right)",
        citation=FOUND + " (case hypot-huge)"),
    Divergence(
        op="hypot (second order)", point="entries near 1e200",
        cases=("hypot-huge",), adapters=("autograd",), dtypes=("float64",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine"),
        behaviour="HIPS autograd's Hessian of hypot at 1e200 keeps only 1/h: its gradient is "
                  "g x / h, and divide's rule for the denominator, -g x / y**2, overflows "
                  "y**2 to inf above 1.3e154, so the -x^2/h^3 term becomes -0 (first order "
                  "is right)",
        citation="autograd/numpy/numpy_vjps.py (divide's VJP, version 1.9.1); " + FOUND
                 + " (case hypot-huge)"),
    Divergence(
        op="hypot (second order, reverse over reverse)", point="entries near 1e200",
        cases=("hypot-huge",), adapters=("autograd",), dtypes=("float64",),
        checks=("second_order_nestings",), message=failing_only("reverse-over-reverse"),
        behaviour="the entry above, seen by reverse over reverse (autograd's HVP is reverse "
                  "over reverse); autograd has no JVP for hypot, so its other nestings are "
                  "unsupported",
        citation="autograd/numpy/numpy_vjps.py (divide's VJP, version 1.9.1); " + FOUND
                 + " (case hypot-huge)"),
    Divergence(
        op="unsorted_segment_sum (second order)", point="any point",
        cases=("segment-sum-*",), adapters=("tensorflow",), statuses=("error",),
        checks=("second_order_nestings",),
        message=failing_only("forward-over-forward", "reverse-over-reverse"),
        behaviour="tf.math.unsorted_segment_sum's tangent is a tf.IndexedSlices (its JVP is "
                  "built from the gather that is its gradient; the adapter densifies it at "
                  "first order). Forward over forward then fails inside TensorFlow (the outer "
                  "ForwardAccumulator cannot pack it: 'IndexedSlices' object has no attribute "
                  "'_id'), and reverse over reverse through a tanh after it fails in "
                  "_TanhGradGrad ('IndexedSlices' * float); reverse over forward and the HVP "
                  "are right",
        citation="tensorflow/python/eager/forwardprop_util.py (pack_tangents); "
                 "tensorflow/python/ops/math_grad.py (_TanhGradGrad, version 2.21.0); "
                 + FOUND + " (cases segment-sum-*, segment-sum-tanh-squares)"),
    # --- zero factors: rules that divide by x ----------------------------------------------
    Divergence(
        op="cumprod", point="an input with a zero entry", cases=("cumprod-with-zero",),
        adapters=("tensorflow",),
        checks=("vjp_vs_refengine", "jvp_vs_refengine", "vjp_vs_oracle", "jvp_vs_oracle",
                "hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="TensorFlow's cumprod gradient divides by x (div_no_nan(cumsum(prod * g), "
                  "x)), so the derivative with respect to a zero entry is 0 instead of the "
                  "product of the other factors; its JVP (built from the gradient) and every "
                  "second-order nesting inherit it",
        citation="https://github.com/tensorflow/tensorflow/issues/119430; "
                 "tensorflow/python/ops/math_grad.py (_CumprodGrad, version 2.21.0)"),
    # --- second order: a nesting that differentiates a wrong forward-mode rule ---------------
    Divergence(
        op="cumprod (second order)", point="an input with a zero entry",
        cases=("cumprod-with-zero",), adapters=("torch",),
        checks=("second_order_nestings",),
        message=failing_only("forward-over-forward", "reverse-over-forward"),
        behaviour="torch's forward-mode cumprod formula is right, but differentiating it is "
                  "not: forward over forward gives half the second derivative and reverse "
                  "over forward NaN; reverse over reverse and the HVP (forward over reverse) "
                  "are right, so torch's gradgradcheck passes",
        citation="https://github.com/pytorch/pytorch/issues/196701 (forward over forward); "
                 "reverse over forward's NaN: " + FOUND + " (case cumprod-with-zero)"),
    Divergence(
        op="linalg.solve, det, slogdet (second order)", point="any point",
        cases=("solve-vector", "solve-matrix", "det", "det-batched", "slogdet",
               "normal-equations", "ridge-regression"),
        adapters=("torch",), checks=("second_order_nestings",),
        message=failing_only("forward-over-forward", "reverse-over-forward"),
        behaviour="torch's JVP rules of linalg.solve, det and slogdet are right, but "
                  "differentiating them drops a second-order term: forward over forward and "
                  "reverse over forward are off by up to 100 % (solve's forward over forward "
                  "is about half the truth); reverse over reverse and the HVP are right",
        citation="https://github.com/pytorch/pytorch/issues/192540; "
                 "https://github.com/pytorch/pytorch/issues/198017"),
    Divergence(
        op="eigh eigenvectors (second order)", point="distinct eigenvalues",
        cases=("eigh-vectors-squared", "eigh-matrix-exponential"), adapters=("torch",),
        checks=("second_order_nestings",), message=failing_only("reverse-over-forward"),
        statuses=("nonfinite",),
        behaviour="reverse over forward of torch.linalg.eigh's eigenvectors is NaN everywhere, "
                  "though every eigenvalue is distinct: the JVP rule divides by the eigenvalue "
                  "differences and masks the diagonal, whose 1/0 meets a zero cotangent in "
                  "reverse mode (the where trap inside torch's own rule); forward over forward, "
                  "reverse over reverse and the HVP are right",
        citation=FOUND + " (cases eigh-vectors-squared, eigh-matrix-exponential; the hazard "
                         "is named in the review of https://github.com/pytorch/pytorch/pull/"
                         "67837)"),
    Divergence(
        op="norm (second order)", point="entries near 1e-200 (the squares underflow)",
        cases=("norm-tiny-underflow",), adapters=("torch",), dtypes=("float64",),
        checks=("second_order_nestings",),
        message=failing_only("reverse-over-forward", "reverse-over-reverse"),
        statuses=("nonfinite",),
        behaviour="torch's first derivatives of norm at 1e-200 are right (it scales), and so "
                  "are forward over forward and the HVP, but reverse mode over its first "
                  "derivatives is NaN where the second derivative is 0",
        citation=FOUND + " (case norm-tiny-underflow)"),
    Divergence(
        op="power (second order)", point="negative base, whole exponent not differentiated",
        cases=("power-negative-base-whole-exponent",), adapters=("torch",),
        checks=("second_order_nestings",), message=failing_only("reverse-over-forward"),
        statuses=("nonfinite",),
        behaviour="torch's JVP rule of pow(x, y) carries the exponent's term x**y log(x), "
                  "NaN for x < 0, masked because y has no tangent; reverse over forward "
                  "differentiates through the mask and returns NaN (first order, forward over "
                  "forward, reverse over reverse and the HVP are right)",
        citation=FOUND + " (case power-negative-base-whole-exponent)"),
    Divergence(
        op="x * w in a loop (forward over forward)",
        point="late in a long process (after many nested ForwardAccumulators)",
        cases=("loop-stack-states", "lstm", "multiply", "op-multiply", "index-integer",
               "recursion", "stack-last-axis", "where-equal-floor", "eigh-matrix-exponential"),
        adapters=("tensorflow",), modes=("eager",),
        checks=("second_order_nestings",), message=failing_only("forward-over-forward"),
        behaviour="eager TensorFlow's nested ForwardAccumulators give a wrong f''[v, v] for "
                  "this case after the matrix has run a few hundred cases in the same process "
                  "(in that state a bare x * w with tangents on both is wrong too); in a fresh "
                  "process, and under tf.function, it is right. Then TensorFlow has traced "
                  "Mul's forward-mode function 33 times, past the 32 exact-shape traces "
                  "(forwardprop._TRACE_COUNT_LIMIT) after which it relaxes shapes; a full matrix "
                  "run met the same in 13 more cases (wrong values, or an error in "
                  "__forward___forward__jvp_relaxed_shapes); a minimal reproduction was not "
                  "found. The TensorFlow adapter resets that counter before each nested "
                  "forward call, which made the default run independent of its order; the "
                  "full matrix's long-lived workers (hundreds of cases each, 2026-12-07, "
                  "local:2) still met it in the other cases listed here, each right in a fresh "
                  "process (their workers are now replaced every 40 tasks)",
        citation=FOUND + " (case loop-stack-states, in the matrix's order); possibly related: "
                         "https://github.com/tensorflow/tensorflow/issues/127753"),
    Divergence(
        op="sqrt (second order)", point="x = 0 (the slope is +inf)",
        cases=("sqrt-at-zero",), adapters=("tensorflow",), checks=("second_order_nestings",),
        message=failing_only("forward-over-forward"),
        behaviour="where sqrt'' does not exist (its one-sided limit is -inf), TensorFlow's "
                  "forward over forward returns NaN; refengine, torch and jax return -inf, "
                  "and TensorFlow's other nestings -inf too",
        citation=FOUND + " (case sqrt-at-zero)"),
    # --- HIPS autograd: rules that raise ----------------------------------------------------
    Divergence(
        op="pad, var(axis=tuple), trace(axis1), einsum 'ii', repeat(counts), broadcast_to, "
           "where/norm/scatter with broadcasting, sort JVP, clip's bounds",
        point="any point",
        cases=("pad", "pad-asymmetric-value", "var-axes01", "trace-batched-axes12",
               "einsum-trace", "repeat-counts", "broadcast-to-row", "where-broadcast",
               "norm-axis1-keepdims", "scatter-set-where", "sort", "sort-axis0-weighted",
               "clip-array-bounds"),
        adapters=("autograd",), statuses=("error", "fail"),
        behaviour="HIPS autograd 1.9 raises inside its own rules (pad_vjp() missing 'mode', "
                  "NameError 'np' in var's JVP, unexpected keyword 'axis1', einsum with a "
                  "repeated output index, 'Can't handle extra leading dims', non-broadcastable "
                  "output operands, KeyError for clip's bounds)",
        citation="autograd/numpy/numpy_vjps.py and numpy_jvps.py (version 1.9.1); " + FOUND),
    # --- MXNet 1.9 (mx.nd with mxnet.autograd), run out of process (adapters.remote) ---
    Divergence(
        op="max, min (reductions)", point="tied maxima (minima)",
        cases=("max-reduction-tie", "min-reduction-tie", "max-axis-tie", "max-*-at-tie",
               "min-*-at-tie"),
        adapters=("mxnet",), checks=("vjp_vs_refengine",), statuses=("fail",),
        behaviour="every tied entry gets the whole gradient (max over four equal entries: "
                  "[1, 1, 1, 1], four times the derivative, not a subgradient); the others "
                  "split it evenly",
        citation="apache/mxnet src/operator/tensor/broadcast_reduce_op_value.cc: _backward_max "
                 "is ReduceAxesBackwardUseInOut<cpu, mshadow_op::eq> (ograd times x == max); "
                 "reproduced by max-reduction-tie; " + FOUND),
    Divergence(
        op="maximum, minimum", point="x == y",
        cases=("maximum-tie", "minimum-tie", "relu-maximum-at-zero", "maximum-at-tie",
               "minimum-at-tie"),
        adapters=("mxnet",), checks=("vjp_vs_refengine",), statuses=("fail",),
        behaviour="the whole gradient goes to the first argument (maximum's backward masks "
                  "x >= y and x < y), none to the second; refengine splits it evenly",
        citation="apache/mxnet src/operator/tensor/elemwise_binary_broadcast_op_extended.cc: "
                 "_backward_broadcast_maximum is BinaryBroadcastBackwardUseIn<cpu, "
                 "mshadow_op::ge, mshadow_op::lt>; reproduced by maximum-tie; " + FOUND),
    Divergence(
        op="cholesky", point="any matrix: the upper triangle of the input",
        cases=("cholesky", "gaussian-logpdf", "logdet-cholesky"), adapters=("mxnet",),
        behaviour="as torch, jax, TensorFlow and autograd: nd.linalg.potrf reads the lower "
                  "triangle, but its gradient is that of the symmetrised input, so the upper "
                  "triangle gets half of the symmetric gradient where refengine and finite "
                  "differences give 0",
        citation="apache/mxnet src/operator/tensor/la_op_inline.h (potrf's backward copies "
                 "the lower triangle to the upper, CopyLowerToUpper); case cholesky"),
    Divergence(
        op="det", point="a singular matrix", cases=("det-singular",), adapters=("mxnet",),
        checks=("vjp_vs_refengine", "kink"),
        behaviour="the gradient of det is the cofactor matrix, nonzero at this singular "
                  "matrix; nd.linalg.det's gradient there is 0 in every entry",
        citation=FOUND + " (case det-singular)"),
    Divergence(
        op="erf, gammaln (and betaln, Dirichlet's log density built on it)",
        point="any point, float64",
        cases=("erf", "gammaln", "gammaln-large", "log-beta", "dirichlet-logpdf"),
        adapters=("mxnet",), dtypes=("float64",), checks=("vjp_vs_refengine",),
        behaviour="MXNet's float64 derivatives of erf and gammaln agree with refengine's "
                  "(SciPy's) to 3e-8 to 7e-8 relative, not 1e-10, as if computed in single "
                  "precision; the finite-difference checks pass",
        citation=FOUND + " (cases erf, gammaln)"),
    Divergence(
        op="nn.gelu (mx.nd.LeakyReLU act_type='gelu')", point="any point, float64",
        cases=("nn-gelu", "dense-gelu", "transformer-block"), adapters=("mxnet",),
        dtypes=("float64",), checks=("value", "vjp_vs_refengine"),
        behaviour="MXNet's float64 gelu and its derivative agree with the erf form to 1e-9 to "
                  "1e-8 relative, not 1e-10, as if computed in single precision (as its erf "
                  "and gammaln derivatives); the finite-difference checks pass",
        citation=FOUND + " (cases nn-gelu, transformer-block)"),
    Divergence(
        op="max pooling (nn.max_pool, mx.nd.Pooling pool_type='max')",
        point="entries tied for a window's maximum",
        cases=("max-pool-tie", "max-pool-tie-overlapping", "max-pool2d-tie"),
        adapters=("mxnet",), checks=("vjp_vs_refengine",), statuses=("fail",),
        behaviour="every entry tied for a window's maximum gets the window's whole cotangent "
                  "(three tied entries: three times the derivative, not a subgradient), as "
                  "MXNet's max reduction does; torch, JAX and TensorFlow give it to the first, "
                  "refengine splits it evenly",
        citation=FOUND + " (cases max-pool-tie, max-pool2d-tie)"),
    Divergence(
        op="pad (mx.np.pad, mode constant)", point="constant_values other than 0",
        cases=("pad-asymmetric-value",), adapters=("mxnet",), checks=("value",),
        statuses=("fail",),
        behaviour="mx.np.pad ignores constant_values: pad(ones, ((0, 0), (2, 1)), "
                  "constant_values=0.5) pads with 0 (the gradient, which the constant does not "
                  "enter, is right)",
        citation=FOUND + " (case pad-asymmetric-value)"),
    Divergence(
        op="var (nd.moments) in a hybridized graph", point="any point, inference (no record)",
        cases=("layer-norm", "transformer-block", "var-*", "std-*", "variance-nearly-*"),
        adapters=("mxnet",), modes=("jit",),
        checks=("value", "finite", "float32_vs_float64"),
        statuses=("fail", "nonfinite"),
        behaviour="a hybridized block (a CachedOp) that uses nd.moments' variance returns wrong "
                  "values when called outside autograd.record (x / sqrt(var + eps): 0.254 "
                  "where 0.579 is right, or NaN), and right ones while recording; a user's own "
                  "HybridBlock with F.moments does the same, so the derivatives (recorded) "
                  "are right and the inference value is not",
        citation=FOUND + " (case layer-norm, MXNet jit; a three-line HybridBlock reproduces "
                 "it, README)"),
    Divergence(
        op="norm", point="entries near 1e-200 (the squares underflow)",
        cases=("norm-tiny-underflow",), adapters=("mxnet",), dtypes=("float64",),
        checks=("value", "vjp_vs_refengine"),
        behaviour="nd.norm scales: its value (1.4e-199) and gradient x / norm(x) are right, "
                  "where NumPy's float64 norm underflows to 0 and refengine, taking that 0, "
                  "gives the zero gradient of its norm-at-zero convention (the oracle check "
                  "passes); here MXNet is the accurate one",
        citation=FOUND + " (case norm-tiny-underflow)"),
    Divergence(
        op="log_softmax", point="a confident row (logit margin 40), float32",
        cases=("cross-entropy-confident",), adapters=("mxnet",), dtypes=("float32",),
        checks=("value", "vjp_vs_refengine", "vjp_vs_oracle", "float32_vs_float64"),
        behaviour="in float32 nd.log_softmax([40, 0, 0]) gives +1.43e-6 for the first entry "
                  "(a log-probability above 0) where -4e-18 rounds to -0; the loss and its "
                  "gradient inherit the 1.4e-6 (float64 is exact)",
        citation=FOUND + " (case cross-entropy-confident)"),
    # --- complex numbers ------------------------------------------------------------------
    Divergence(
        op="complex gradients (the convention)",
        point="any complex input",
        cases=("*",), adapters=("torch", "tensorflow"), checks=("complex_convention",),
        dtypes=("complex64", "complex128"),
        message=r"returns the complex gradient as the conjugate of refengine's \(measured, as "
                r"declared",
        behaviour="for a real L(z), z = x + iy, torch's .grad and TensorFlow's GradientTape "
                  "return dL/dx + i dL/dy, the conjugate of refengine's dL/dx - i dL/dy (HIPS "
                  "autograd's and JAX's); for a complex output and cotangent u, "
                  "vjp(u) = conj(vjp_refengine(conj(u))). The adapters declare it "
                  "(complex_convention = 'conjugate') and the check measures it: converted, "
                  "every entry agrees with refengine's; a framework that changed convention "
                  "would fail",
        citation="https://docs.pytorch.org/docs/stable/notes/autograd.html#autograd-for-"
                 "complex-numbers; https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook."
                 "html#complex-numbers-and-differentiation; "
                 "https://github.com/tensorflow/tensorflow/issues/3348"),
    Divergence(
        op="abs of a complex z (second order)",
        point="z = 0",
        cases=("complex-abs-at-zero",), adapters=("jax",),
        checks=("hvp_vs_refengine", "second_order_nestings"),
        behaviour="|z| has no second derivative at z = 0 (its curvature grows as 1/|z|); "
                  "jax's Hessian of |x + iy| there is the identity, refengine's, torch's, "
                  "TensorFlow's and autograd's is 0 (first order, 0, agrees everywhere)",
        citation=FOUND + " (case complex-abs-at-zero)"),
    # --- issue 17: the new ops and the library's boundary points (Boundary, -at- cases) -----
    Divergence(
        op="cummax", point="an entry tying the earlier running maximum",
        cases=("cummax-*-at-tie",), adapters=("torch", "jax", "mlx", "tinygrad"),
        checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="torch.cummax and mx.cummax give the tied outputs' cotangent to the later "
                  "entry (its index is the last maximum), jax.lax.cummax splits it evenly (a "
                  "scan of max), and so does tinygrad's Tensor.cummax (a MAX reduction per "
                  "prefix, whose gradient divides among the tied entries); "
                  "refengine, TensorFlow's scan of tf.maximum and autograd give it to the "
                  "earlier one. All are subgradients (the kink check passes)",
        citation=FOUND + " (cases cummax-axis1-at-tie, cummax-axis0-at-tie)"),
    Divergence(
        op="logsumexp", point="a slice whose entries are all -inf",
        cases=("logsumexp-row-neg-inf",), adapters=EVERY, checks=("kink",),
        statuses=("nonfinite",),
        behaviour="every framework (and refengine) returns NaN for the whole -inf row: the "
                  "derivative is softmax, exp(-inf - (-inf)) = NaN; the derivative of "
                  "exp(logsumexp(x)) = sum(exp(x)) there is exp(x) = 0. The finite rows are "
                  "right",
        citation=FOUND + " (case logsumexp-row-neg-inf)"),
    Divergence(
        op="sinc", point="x = 0", cases=("sinc-at-zero",), adapters=("autograd",),
        statuses=("nonfinite", "fail"),
        behaviour="autograd's sinc rule (cos(pi x) - sinc(x)) / x is 0/0 = NaN at 0 in every "
                  "derivative; the derivative is 0 (JAX's Maclaurin rule and refengine agree)",
        citation="autograd/numpy/numpy_vjps.py (sinc's VJP); " + FOUND),
    Divergence(
        op="sinc", point="x = 0", cases=("sinc-at-zero",), adapters=("tensorflow",),
        statuses=("nonfinite", "fail"),
        behaviour="tf.experimental.numpy.sinc is where(x == 0, 1, sin(pi x) / (pi x)): its "
                  "VJP (and HVP) at 0 is NaN, the where trap (0 cotangent times 0/0); its JVP "
                  "is right",
        citation="tensorflow/python/ops/numpy_ops/np_math_ops.py (sinc); " + FOUND),
    Divergence(
        op="sinc", point="x = 0", cases=("sinc-at-zero",), adapters=("torch",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        statuses=("nonfinite", "fail"),
        behaviour="torch's sinc derivative is masked to 0 at x = 0 (right at first order), so "
                  "its derivative there, the second derivative -pi^2/3, comes out 0; the "
                  "forward-mode nestings give NaN",
        citation="pytorch tools/autograd/derivatives.yaml (sinc: masked_fill_(self == 0, 0)); "
                 + FOUND),
    Divergence(
        op="nn.layer_norm (torch.nn.functional.layer_norm)", point="any point",
        cases=("nn-layer-norm", "nn-layer-norm-at-*"), adapters=("torch",),
        checks=("second_order_nestings",),
        behaviour="torch 2.13's forward-over-forward and reverse-over-forward of F.layer_norm "
                  "are wrong (every entry; e.g. -0.416 where the same formula written out "
                  "gives -0.351); first order, the HVP and reverse-over-reverse are right",
        citation=FOUND + " (case nn-layer-norm; torch.func.jvp over torch.func.jvp)"),
    Divergence(
        op="nn.layer_norm (tf.nn.moments + tf.nn.batch_normalization)", point="any point",
        cases=("nn-layer-norm", "nn-layer-norm-at-*"), adapters=("tensorflow",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="tf.nn.moments computes the variance around stop_gradient(mean): first "
                  "derivatives are right (d var / d mean is 0 at the mean), second derivatives "
                  "are not",
        citation="tensorflow/python/ops/nn_impl.py (moments: 'stop_gradient does not change "
                 "the gradient that gets backpropagated to the mean from the variance'); "
                 + FOUND),
    Divergence(
        op="nn.layer_norm (jax.nn.standardize)", point="a constant row, float32",
        cases=("nn-layer-norm-at-constant-row",), adapters=("jax",), dtypes=("float32",),
        checks=("hvp_vs_refengine", "float32_vs_float64"),
        behaviour="jax.nn.standardize's default variance is mean(x^2) - mean(x)^2 "
                  "(algorithm='fast'): on a constant row it cancels, and the float32 HVP "
                  "(scale 1/sqrt(eps) = 316) is off by 1e-3 relative",
        citation="jax/_src/nn/functions.py (standardize: 'fast' can suffer from catastrophic "
                 "cancellation)"),
    Divergence(
        op="nn.softmax_cross_entropy (tf.nn.softmax_cross_entropy_with_logits)",
        point="any point", cases=("nn-softmax-cross-entropy*",), adapters=("tensorflow",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="the fused kernel's logits gradient is softmax - labels, which assumes the "
                  "labels sum to 1; its gradient rule takes the second derivative as "
                  "softmax's w.r.t. the logits only, so the mixed logits-labels term "
                  "(softmax * sum(labels) - labels differentiated in labels) is lost",
        citation="tensorflow/python/ops/nn_grad.py (_SoftmaxCrossEntropyWithLogitsGrad: "
                 "'Second derivative is just softmax derivative w.r.t. logits'); " + FOUND),
    Divergence(
        op="std", point="a constant slice (std = 0)", cases=("std-*-at-constant",),
        adapters=("jax", "tensorflow", "autograd", "mxnet", "mlx", "tinygrad"),
        behaviour="the gradient (x - mean) / (n std) is 0/0 = NaN in every entry, at first and "
                  "second order; torch and refengine return 0 (a subgradient: std is the norm "
                  "of the centred input, a cone at a constant)",
        citation="the zero-norm NaN of jax-ml/jax#21723 and #4177, HIPS/autograd#151, "
                 "met through std; " + FOUND + " (cases std-*-at-constant)"),
    Divergence(
        op="std, linalg.norm", point="a constant slice, the zero vector",
        cases=("std-*-at-constant", "norm-vector-2-at-zero"), adapters=("torch",),
        checks=("second_order_nestings",), statuses=("nonfinite",),
        behaviour="torch's first derivative there is 0, but its reverse-over-forward (and, for "
                  "the norm, reverse-over-reverse) is NaN",
        citation=FOUND + " (cases std-all-at-constant, norm-vector-2-at-zero)"),
    Divergence(
        op="linalg.norm (2-norm)", point="the zero vector", cases=("norm-vector-2-at-zero",),
        adapters=("jax", "tensorflow", "autograd", "mxnet", "mlx"),
        behaviour="x / norm(x) = 0/0 = NaN; torch and refengine return 0",
        citation="https://github.com/jax-ml/jax/issues/21723; "
                 "https://github.com/HIPS/autograd/issues/151"),
    Divergence(
        op="linalg.norm (1-norm)", point="the zero vector", cases=("norm-vector-1-at-zero",),
        adapters=("jax",), checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="sum(abs(x)) with jnp.abs's derivative 1 at 0: the gradient is all ones (a "
                  "subgradient); refengine, torch and TensorFlow give 0",
        citation="https://github.com/jax-ml/jax/issues/37820"),
    Divergence(
        op="prod", point="one zero, or two zeros in a slice (smooth points)",
        cases=("prod-*-at-one-zero", "prod-*-at-two-zeros"), adapters=("autograd",),
        statuses=("nonfinite", "fail"),
        behaviour="autograd's prod VJP is g * prod / x: 0/0 = NaN at a zero entry, in the "
                  "first derivative and every second order one; the derivative there is the "
                  "product of the other entries (0 with two zeros)",
        citation="autograd/numpy/numpy_vjps.py (grad_prod: 'g * ans / x'); " + FOUND),
    Divergence(
        op="prod", point="one zero, or two zeros in a slice (smooth points)",
        cases=("prod-*-at-one-zero", "prod-*-at-two-zeros"), adapters=("mxnet",),
        checks=("vjp_vs_refengine", "vjp_vs_oracle", "finite"), statuses=("nonfinite", "fail"),
        behaviour="MXNet's gradient of prod at a zero entry is not finite (0/0), as autograd's; "
                  "the derivative there is the product of the other entries (0 with two zeros)",
        citation=FOUND + " (cases prod-*-at-one-zero, prod-*-at-two-zeros)"),
    Divergence(
        op="prod", point="one zero, or two zeros in a slice (smooth points)",
        cases=("prod-*-at-one-zero", "prod-*-at-two-zeros"), adapters=("tensorflow",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="TensorFlow's first derivative of reduce_prod is right at zeros (exclusive "
                  "cumulative products), but its second derivative loses the terms through "
                  "the zero: the HVP is 0 where it is not",
        citation="tensorflow/python/ops/math_grad.py (_ProdGrad via cumprod; _CumprodGrad "
                 "divides by x with div_no_nan); " + FOUND),
    Divergence(
        op="cbrt", point="x = 0 (an infinite slope)", cases=("cbrt-at-zero",),
        adapters=("torch", "tensorflow"), statuses=("nonfinite", "fail"),
        behaviour="neither framework has a cbrt; the adapters' composite sign(x) * |x|^(1/3) "
                  "(as users write it) gives 0 * inf = NaN at 0, where refengine and jnp.cbrt "
                  "give the slope +inf",
        citation=FOUND + " (case cbrt-at-zero)"),
    Divergence(
        op="cbrt", point="x = 0 (second derivative)", cases=("cbrt-at-zero",),
        adapters=("jax",), checks=("hvp_vs_refengine", "finite", "second_order_nestings"),
        statuses=("nonfinite", "fail"),
        behaviour="jnp.cbrt's second derivatives at 0 are infinite (the HVP +inf, the nestings "
                  "-inf); refengine's are NaN (-2/9 x^(-5/3) has no limit: -inf from above, "
                  "+inf from below)",
        citation=FOUND + " (case cbrt-at-zero)"),
    Divergence(
        op="arctan2", point="the origin (a jump: no subgradient)",
        cases=("arctan2-at-origin",), adapters=EVERY,
        statuses=("nonfinite", "fail"),
        behaviour="arctan2's derivative x / (x^2 + y^2) is 0/0: NaN in refengine, jax, "
                  "TensorFlow and autograd; torch returns 0 (so it also differs from "
                  "refengine's NaN)",
        citation=FOUND + " (case arctan2-at-origin)"),
    Divergence(
        op="maximum / minimum", point="a tie x == y (the boundary point of the binary cases)",
        cases=("maximum-at-tie", "minimum-at-tie"), adapters=("tensorflow",),
        behaviour="as maximum-tie: tf.maximum and tf.minimum give the whole cotangent to x",
        citation="tensorflow/python/ops/math_grad.py (_MaximumMinimumGrad); " + FOUND),
    Divergence(
        op="sort", point="rows with a tie (forward mode)", cases=("sort-at-tie",),
        adapters=("autograd",), statuses=("error",),
        behaviour="HIPS autograd 1.9's sort JVP raises IndexError on a 2-d input, at the tie "
                  "as at the random point (the sort entry above)",
        citation="autograd/numpy/numpy_jvps.py (version 1.9.1); " + FOUND),
    Divergence(
        op="nn.layer_norm (torch.nn.functional.layer_norm)", point="one entry per row",
        cases=("nn-layer-norm-single",), adapters=("torch",),
        checks=("vjp_vs_refengine", "vjp_vs_oracle", "float32_vs_float64",
                "second_order_nestings"),
        behaviour="the forward value is exactly 0 (x - mean), but torch's backward recomputes "
                  "the normalised input in a form that does not cancel: d/dw is 1e-13 "
                  "(float64) where it is exactly 0 (the scale is 1/sqrt(eps) = 316); the "
                  "forward-mode nestings are wrong as at every point (the entry above)",
        citation=FOUND + " (case nn-layer-norm-single)"),
    Divergence(
        op="cummax (a tf.scan of tf.maximum)", point="any point, forward mode under tf.function",
        cases=("cummax-*",), adapters=("tensorflow",), modes=("jit",), statuses=("error",),
        behaviour="TensorFlow has no cumulative maximum; the composite tf.scan(tf.maximum, x) "
                  "differentiates in reverse mode everywhere and in forward mode eagerly, but "
                  "forward mode (JVP, and the HVP and nestings built on it) through tf.scan "
                  "inside tf.function raises TypeError ('dtype variant is not compatible with "
                  "int64')",
        citation=FOUND + " (cases cummax-axis1, cummax-single under --gp-slow)"),
    # --- issue 17: transformations (vmap_grad, jacfwd_vs_jacrev; cases.conformance.transforms)
    Divergence(
        op="max pooling (nn.max_pool), vectorised and as full Jacobians",
        point="entries tied for a window's maximum",
        cases=("max-pool-tie", "max-pool-tie-overlapping", "max-pool2d-tie"),
        adapters=("torch", "jax", "tensorflow"), checks=("vmap_grad", "jacfwd_vs_jacrev"),
        message=r"\[vs its own [^:]*: pass;",
        behaviour="the convention of their VJP and JVP (the entry above: the window's whole "
                  "cotangent or tangent goes to the first tied entry) holds under the "
                  "vectorising map and in both Jacobians: each agrees with the framework's own "
                  "plain derivative and differs from refengine's even split",
        citation="the max pooling entry's citations; " + FOUND + " for the transformations "
                 "(cases max-pool-tie, max-pool-tie-overlapping, max-pool2d-tie)"),
    Divergence(
        op="sqrt, full Jacobians", point="an input entry at 0 (sqrt'(0) = +inf)",
        cases=("sqrt-at-zero",), adapters=EVERY, checks=("jacfwd_vs_jacrev",),
        statuses=("fail", "nonfinite"),
        behaviour="a zero tangent (forward mode) or cotangent (reverse mode) meets sqrt'(0) = "
                  "inf, and 0 * inf = NaN lands on entries whose true value is 0, in a place "
                  "that depends on the mode: refengine, torch, autograd and TensorFlow give NaN "
                  "in the forward-mode Jacobian's row of that output (d sqrt(x_0) / d x_j, j != "
                  "0) and 0 in the reverse-mode one, so their two Jacobians disagree; eager JAX "
                  "gives NaN in both (the reverse-mode one in the column of x_0); under jax.jit "
                  "both are 0 (XLA's simplification), which then disagrees with refengine's NaN",
        citation=FOUND + " (case sqrt-at-zero; jax.jacfwd(jnp.sqrt) at [0, 1, 2] eager and "
                 "jitted)"),
    Divergence(
        op="0 * inf in full Jacobians", point="an input entry where a partial derivative is "
        "infinite or undefined (cbrt'(0), the gradient of logsumexp over a -inf row, x ** y "
        "with respect to y at x < 0)",
        cases=("cbrt-at-zero", "logsumexp-row-neg-inf", "power-negative-base-exponent-gradient"),
        adapters=EVERY, checks=("jacfwd_vs_jacrev",), statuses=("fail", "nonfinite"),
        behaviour="the forward-mode Jacobian pushes basis tangents whose zero entries meet the "
                  "infinite (or NaN) partial: 0 * inf = NaN lands in every output that entry "
                  "feeds, while reverse mode's cotangents meet it only in the entry's own "
                  "column; so the forward- and reverse-mode Jacobians of refengine, torch, "
                  "autograd and TensorFlow disagree there (jax.jit's too, on two of the three), "
                  "and on cbrt-at-zero jax.jit, whose XLA simplification drops the zero "
                  "tangents, gives 0 where refengine's forward mode gives NaN (the sqrt entry "
                  "above, for more cases)",
        citation="https://docs.jax.dev/en/latest/faq.html#gradients-contain-nan-where-using-"
                 "where (0 * inf in the chain rule); " + FOUND + " (cases cbrt-at-zero, "
                 "logsumexp-row-neg-inf, power-negative-base-exponent-gradient, --gp-slow)"),
    Divergence(
        op="tf.scan and tf.while_loop under tf.vectorized_map (and the forward-mode Jacobian "
           "built on it)",
        point="any point", cases=("cummax-*", "scan-*", "while-until-large"),
        adapters=("tensorflow",), checks=("vmap_grad", "jacfwd_vs_jacrev"), statuses=("error",),
        message=r"dtype.*variant.*is not compatible|list with 0 elements",
        behaviour="pfor cannot vectorise the TensorList that tf.scan and tf.while_loop keep "
                  "their states in: it raises TypeError \"`dtype` <dtype: 'variant'> is not "
                  "compatible with 0 of dtype int64\" (tf.scan, cummax) or InvalidArgumentError "
                  "\"Trying to access element 0 in a list with 0 elements\" (a while loop), "
                  "though each derivative runs one point at a time",
        citation="https://github.com/tensorflow/tensorflow/issues/41789; "
                 "https://github.com/tensorflow/tensorflow/issues/46559 (the same family: "
                 "scan and while_loop inside vectorized_map); tensorflow/python/ops/parallel_for/"
                 "pfor.py (version 2.21.0)"),
    Divergence(
        op="einsum (a trace, 'ii->') under tf.vectorized_map",
        point="any point", cases=("einsum-trace",), adapters=("tensorflow",),
        checks=("vmap_grad", "jacfwd_vs_jacrev"), statuses=("error",),
        message="Output subscripts contain a label appearing more than once|vectorizing the "
                "jacobian",
        behaviour="the gradient of a trace is an einsum 'i->ii' (a diagonal matrix); pfor "
                  "batches it to 'ai->aii', which tf.einsum refuses ('Output subscripts "
                  "contain a label appearing more than once'), so the batched VJP and "
                  "tape.jacobian fail where the plain VJP is right",
        citation="tensorflow/python/ops/special_math_ops.py (einsum) and parallel_for/pfor.py "
                 "(version 2.21.0); " + FOUND + " (case einsum-trace)"),
    Divergence(
        op="max pooling (nn.max_pool) padded with -inf, under tf.vectorized_map",
        point="windows that overlap the -inf padding", cases=("max-pool1d",),
        adapters=("tensorflow",), checks=("vmap_grad",), statuses=("fail",),
        message=r"\[vs its own VJP one point at a time: fail",
        behaviour="the VJP of tf.nn.max_pool1d over an input padded with -inf (tf.pad) gives "
                  "different cotangents under tf.vectorized_map than one point at a time: 5 of "
                  "108 entries in a batch of 3 (2 x 3 x 6 inputs, window 3, stride 2, padding 1; "
                  "without the padding all agree). Silently wrong: the vectorised result moves "
                  "cotangent to other entries",
        citation=FOUND + " (case max-pool1d; reproduced with tf.vectorized_map of a "
                 "GradientTape VJP, TensorFlow 2.21)"),
    Divergence(
        op="max pooling (nn.max_pool), forward-mode Jacobian under tf.vectorized_map",
        point="a one-entry window", cases=("max-pool-single-element",),
        adapters=("tensorflow",), checks=("jacfwd_vs_jacrev",), statuses=("fail",),
        behaviour="a ForwardAccumulator JVP of tf.nn.max_pool1d with window 1 is 1 eagerly "
                  "and 0 inside tf.vectorized_map (the basis of the forward-mode Jacobian): "
                  "pfor drops the tangent of a one-entry window. Silently wrong",
        citation=FOUND + " (case max-pool-single-element; reproduced with tf.vectorized_map "
                 "of a ForwardAccumulator JVP, TensorFlow 2.21)"),
    Divergence(
        op="forward over forward (nested tf.autodiff.ForwardAccumulator), eager",
        point="GradBench's bundle adjustment, any point", cases=("ba",),
        adapters=("tensorflow",), modes=("eager",), checks=("second_order_nestings",),
        message=failing_only("forward-over-forward"),
        behaviour="f''[v, v] of ba is wrong in a fresh process (12 of 18 entries, rel. error "
                  "up to 4 %; both sizes) while the other nestings and every first-order check "
                  "pass. Narrowed through the adapter to take(cams)[:, 0:3] * take(points) "
                  "computed beside the rotation angle sqrt(sum(rot^2)): wrong by 2.6 against "
                  "the exact bilinear value, which refengine gives; the same ops written "
                  "directly in TensorFlow (tf.gather, slicing, tf.sqrt, nested "
                  "ForwardAccumulators) give the exact value, so the trigger is not isolated",
        citation=FOUND + " (case ba, --gp-slow); possibly the trace state of entry 'x * w in "
                 "a loop (forward over forward)' above"),
    # --- tinygrad 0.14 (in process; issue 22: what a user found, reproduced by the matrix) ---
    Divergence(
        op="special.erf (and the exact nn.gelu built on it)", point="any point",
        cases=("erf", "nn-gelu", "dense-gelu", "transformer-block", "gelu-*"),
        adapters=("tinygrad",),
        checks=("value", "vjp_vs_refengine", "vjp_vs_oracle", "hvp_vs_refengine",
                "hvp_vs_oracle", "second_order_nestings", "float32_vs_float64"),
        behaviour="Tensor.erf is Abramowitz and Stegun's 7.1.26 polynomial (|error| <= 1.5e-7) "
                  "in every dtype, differentiated as that polynomial: float64 values are off "
                  "by ~1.3e-7, first derivatives by ~1e-7, and the second derivative by 0.5 % "
                  "(float32 HVP of erf: -0.02245 where -0.02232)",
        citation="tinygrad/mixin/elementwise.py (Tensor.erf, 'aands page_299 7.1.26'); "
                 "reproduced by erf; found by a user (issue 22) and by gradparity"),
    Divergence(
        op="sort (and topk, which tinygrad computes by sorting)", point="tied entries",
        cases=("sort-tie", "sort-at-tie", "sort-*-at-tie", "topk-*-at-tie*"),
        adapters=("tinygrad",),
        checks=("vjp_vs_refengine", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="Tensor.sort is a bitonic network of maximum/minimum, whose gradients split a "
                  "tie evenly: tied entries share their output cotangents; refengine (and "
                  "torch, JAX) route each output's cotangent to one input (the sort "
                  "permutation)",
        citation="tinygrad/mixin/op.py (Tensor.sort: 'Performs a bitonic sort', "
                 "x_top.maximum(x_bottom)); reproduced by sort-tie; found by a user (issue 22)"),
    Divergence(
        op="special.logsumexp", point="every entry -inf (of the whole array or of one row)",
        cases=("logsumexp-all-neg-inf", "logsumexp-row-neg-inf"),
        adapters=("tinygrad",), checks=("value", "finite"), statuses=("nonfinite",),
        behaviour="Tensor.logsumexp subtracts the (detached) maximum first: -inf - (-inf) is "
                  "NaN, where NumPy and SciPy give -inf (and exp of it 0)",
        citation="tinygrad/mixin/op.py (Tensor.logsumexp: (self - m).exp().sum().log() + m); "
                 "reproduced by logsumexp-all-neg-inf; found by a user (issue 22)"),
    Divergence(
        op="arcsin, arccos, arctan", point="any point (float64)",
        cases=("arcsin", "arccos", "arctan"), adapters=("tinygrad",), dtypes=("float64",),
        behaviour="Tensor.asin is Abramowitz and Stegun's 4.4.46 polynomial (|error| <= 2e-8) "
                  "in every dtype, and acos and atan are built on it: float64 values are off "
                  "by ~2e-8 (arcsin: 6.7e-7 relative near 0.03), and the derivatives, which "
                  "differentiate the polynomial, by as much",
        citation="tinygrad/mixin/elementwise.py (Tensor.asin, 'aands page_81 4.4.46'; acos = "
                 "pi/2 - asin, atan = asin(x / sqrt(1 + x^2))); " + FOUND),
    Divergence(
        op="prod (second order)", point="two zero entries",
        cases=("prod-*-at-two-zeros",), adapters=("tinygrad",),
        checks=("hvp_vs_oracle", "hvp_vs_refengine", "second_order_nestings"),
        behaviour="tinygrad's rule for a product reduction returns, for a zero entry when two "
                  "are zero, the constant 0: right at first order, but the mixed second "
                  "derivative through the two zeros (the product of the others: -69.3 in the "
                  "case) is lost, and the HVP there is 0",
        citation="tinygrad/mixin/gradient.py (reduce_gradient, Ops.MUL: "
                 "zero_count.eq(1).where(..., 0)); " + FOUND + " (cases prod-*-at-two-zeros)"),
    Divergence(
        op="special.logsumexp (and log_softmax, cross entropy)",
        point="confident logits (a loss near 5e-15)", cases=("cross-entropy-confident",),
        adapters=("tinygrad",),
        behaviour="Tensor.logsumexp is log(sum(exp(x - max))) + max: log of 1 + 5e-15 loses "
                  "what log1p keeps, so the loss is 4.66e-15 where NumPy gives 5.33e-15 "
                  "(float64) and the derivatives at that scale are off by 12 to 40 %; in "
                  "float32 they round to 0. Absolute errors stay below 1e-14",
        citation="tinygrad/mixin/op.py (Tensor.logsumexp); " + FOUND +
                 " (case cross-entropy-confident, --gp-slow)"),
    Divergence(
        op="TinyJit", point="a quantity that launches no kernels (the VJP of a reshape or "
        "squeeze: a view of the cotangent)",
        cases=("*",), adapters=("tinygrad",), modes=("jit",), checks=("determinism",),
        statuses=("fail",), message="didn't JIT anything",
        behaviour="TinyJit runs the function plainly on its first call and captures kernels on "
                  "the second; with none to capture it raises JitError \"didn't JIT anything!\" "
                  "there, so the quantity works once and is refused the next time (the other "
                  "checks record it as unsupported)",
        citation="tinygrad/engine/jit.py (TinyJit.__call__: 'didn't JIT anything!'); "
                 + FOUND + " (cases reshape, squeeze-all under --gp-slow)"),
    Divergence(
        op="linalg.qr", point="R's entries below the diagonal",
        cases=("qr-r-squared",), adapters=("tinygrad",), checks=("value",),
        behaviour="Tensor.qr applies Householder reflections to the whole matrix and returns "
                  "R as computed: its below-diagonal entries are rounding residue (~1e-16 in "
                  "float64, ~1e-8 in float32), where NumPy's LAPACK R has exact zeros; "
                  "qr-r-squared squares them (1e-32), outside a tolerance relative to 0. The "
                  "derivatives agree with refengine's",
        citation="tinygrad/mixin/op.py (Tensor.qr); " + FOUND + " (case qr-r-squared)"),
    # --- MLX 0.32 (its Linux CPU build, in process) ---
    Divergence(
        op="exp, sin, cos, erf in float64 (and everything built on them)",
        point="any point, float64", cases=("*",), adapters=("mlx",), dtypes=("float64",),
        message=r"rel error [0-9.]+e-(0[5-9]|1[01])\b",
        behaviour="MLX's CPU backend computes exp, sin, cos and erf of a float64 array with its "
                  "float32 SIMD approximations: exp(1.0) is 2.71828175 (3e-8 relative), so "
                  "float64 values and derivatives through them agree with NumPy's to 1e-9 to "
                  "1e-6, not 1e-10 (narrowed to failures of that size); log, tanh and sqrt are "
                  "exact",
        citation="https://github.com/ml-explore/mlx/issues/3047 (open); "
                 "https://github.com/ml-explore/mlx/issues/4158"),
    Divergence(
        op="maximum, minimum (and relu as maximum(x, 0))", point="x == y",
        cases=("maximum-tie", "minimum-tie", "relu-maximum-at-zero", "maximum-at-tie",
               "minimum-at-tie"),
        adapters=("mlx",), checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="the whole derivative goes to the second argument, none to the first, in "
                  "both modes; refengine splits it evenly, MXNet gives it to the first",
        citation=FOUND + " (mx.vjp of mx.maximum at x = y = 1: [0], [1]; case maximum-tie)"),
    Divergence(
        op="clip", point="x equal to a bound", cases=("clip-at-bounds",), adapters=("mlx",),
        checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="at either bound mx.clip passes none of the derivative (as autograd); "
                  "refengine and torch pass all of it, jnp.clip half",
        citation=FOUND + " (case clip-at-bounds)"),
    Divergence(
        op="max, min (reductions)", point="tied maxima (minima)",
        cases=("max-reduction-tie", "min-reduction-tie", "max-axis-tie", "max-*-at-tie",
               "min-*-at-tie"),
        adapters=("mlx",), checks=("jvp_vs_refengine", "adjoint"),
        behaviour="the two modes disagree: the VJP splits the cotangent evenly among tied "
                  "entries (refengine's convention), the JVP takes the tangent of one tied "
                  "entry (max of [3, 3, 1] along [1, 10, 100]: 1, not 5.5), so <u, J v> != "
                  "<J^T u, v>",
        citation=FOUND + " (case max-reduction-tie)"),
    Divergence(
        op="max, min (reductions, and what uses them: logsumexp, kmeans)",
        point="any point, forward over forward", cases=("*",),
        adapters=("mlx",), checks=("second_order_nestings",), statuses=("error",),
        message=r"Cannot calculate JVP with respect to indices",
        behaviour="the JVP of max gathers the tangent at the arg-maximum; differentiating that "
                  "JVP again raises ValueError '[gather_axis] Cannot calculate JVP with respect "
                  "to indices' (the other nestings run)",
        citation=FOUND + " (cases max-reduction-tie, lse, kmeans)"),
    Divergence(
        op="any smooth function through exp, sin, cos or erf (float64 HVP vs finite "
           "differences of MLX's own gradient)",
        point="any point (in float32 too: the oracle differentiates the float64 gradient)",
        cases=("*",), adapters=("mlx",),
        checks=("hvp_vs_oracle",), message=r"of its own float64 gradient",
        behaviour="the HVP's oracle differentiates MLX's own float64 gradient numerically, and "
                  "that gradient, computed with float32-accurate exp/sin/cos/erf (the entry "
                  "above), is only float32-smooth: its finite differences are noise (nn-gelu: "
                  "-0.894 where the HVP, which agrees with refengine's, is -1.516); "
                  "hvp_vs_refengine still checks these HVPs exactly",
        citation="https://github.com/ml-explore/mlx/issues/3047 (the float32 approximations); "
                 + FOUND + " (cases nn-gelu, swish, mlp-classifier)"),
    Divergence(
        op="grad (nested: mx.grad inside the differentiated function)",
        point="GradBench's particle and saddle", cases=("particle", "saddle"),
        adapters=("mlx",),
        checks=("vjp_vs_refengine", "jvp_vs_refengine", "vjp_vs_oracle", "jvp_vs_oracle",
                "hvp_vs_refengine", "hvp_vs_oracle", "second_order_nestings"),
        behaviour="particle's derivative with respect to w (through ~350 Euler steps, each "
                  "force a nested mx.grad of a potential that closes over w) is 0 in both "
                  "modes, where it is 4.97; saddle's first derivatives are right but its "
                  "second derivatives are 0. Isolated: a Python bool of the nested gradient's "
                  "result (particle's crossing test, the descents' stopping tests) evaluates "
                  "it inside the outer transformation, and the outer gradient then is 0: "
                  "d/dw of mx.grad(lambda p: sum((p - w)**2))(1.0) is -2, and 0 once "
                  "bool(g > 100) has looked at it (tests/test_mlx.py). The same looks without "
                  "nesting, or at values before the nested mx.grad, are harmless",
        citation=FOUND + " (cases particle, saddle; reduced to five lines in "
                 "tests/test_mlx.py); https://github.com/ml-explore/mlx/issues/610 (an eval "
                 "inside mx.vjp zeroed its gradient, fixed for the non-nested case)"),
    Divergence(
        op="exp in float64", point="arguments past float32's range (exp(x), x > 88.7)",
        cases=("exp-near-overflow",), adapters=("mlx",), dtypes=("float64",),
        behaviour="MLX's CPU exp of a float64 array goes through its float32 approximation "
                  "(the entry on exp, sin, cos above), which overflows at x = 88.7: exp(705) "
                  "is inf where float64 holds 9.4e306, and so are its derivatives",
        citation="https://github.com/ml-explore/mlx/issues/3047 (the float32 approximations); "
                 + FOUND + " (case exp-near-overflow)"),
    Divergence(
        op="cos, exp in float64, where the formula cancels", point="x near 0",
        cases=("one-minus-cos-over-square", "expm1-near-zero"), adapters=("mlx",),
        dtypes=("float64",),
        behaviour="(1 - cos x) / x^2 near 0 divides the float32-accurate cos (above) by x^2: "
                  "its float64 derivatives are off by 0.2 to 0.7 %; expm1's forward-over-forward "
                  "second derivative is right, but finite differences of MLX's own float64 JVP "
                  "are float32 noise there",
        citation="https://github.com/ml-explore/mlx/issues/3047; " + FOUND +
                 " (cases one-minus-cos-over-square, expm1-near-zero)"),
    Divergence(
        op="cumprod (second order)", point="a zero entry", cases=("cumprod-with-zero",),
        adapters=("mlx",), checks=("second_order_nestings",), statuses=("fail", "nonfinite"),
        behaviour="first derivatives and the HVP are right; reverse over reverse returns NaN "
                  "in every entry where refengine, torch and JAX agree with finite "
                  "differences (observed; the cause is not established)",
        citation=FOUND + " (case cumprod-with-zero, --gp-slow)"),
    Divergence(
        op="topk", point="a tie at the k-th place", cases=("topk-*-at-tie-at-k",),
        adapters=("mlx",), checks=("vjp_vs_refengine", "jvp_vs_refengine"),
        behaviour="mx.topk (a partition) keeps a different one of the entries tied for the "
                  "k-th place than refengine does, and the derivative goes to the one it keeps "
                  "(the VJP is 0 where refengine's is -1.8). Either is a subgradient",
        citation=FOUND + " (case topk-2-at-tie-at-k)"),
    Divergence(
        op="linalg.solve", point="any point, reverse mode",
        cases=("solve-*", "normal-equations", "ridge-regression", "gaussian-logpdf"),
        adapters=("mlx",), statuses=("error",),
        message=r"Cannot calculate VJP with respect to indices",
        behaviour="mx.linalg.solve's VJP raises ValueError '[gather_axis] Cannot calculate "
                  "VJP with respect to indices. Use stop_gradient on indices' (a gather inside "
                  "MLX's solve, whose indices it tries to differentiate); the value is right, "
                  "and forward mode has no rule ('Not implemented for LUF': unsupported)",
        citation=FOUND + " (cases solve-vector, solve-matrix, normal-equations, "
                 "ridge-regression, gaussian-logpdf under --gp-slow)"),
    # --- control flow and derivative control (cases/library/transformations.py) --------------
    Divergence(
        op="xp.while_loop (jax.lax.while_loop)", point="any point, reverse mode",
        cases=("while-until-large",), adapters=("jax",), statuses=("error",),
        message="Reverse-mode differentiation does not work for lax.while_loop",
        behaviour="lax.while_loop has a JVP but no transpose: the VJP, the HVP and the "
                  "nestings through reverse mode raise ValueError; the JVP is right (the "
                  "Python loop, case while-until-large-plain, differentiates in both modes "
                  "where it can run)",
        citation="https://docs.jax.dev/en/latest/_autosummary/jax.lax.while_loop.html "
                 "(reverse-mode differentiation is not supported)"),
    Divergence(
        op="xp.custom_vjp (jax.custom_vjp)", point="any point, forward mode",
        cases=("custom-vjp-softplus", "custom-vjp-implicit-sqrt"), adapters=("jax",),
        statuses=("error",), message="can't apply forward-mode autodiff",
        behaviour="a jax.custom_vjp function has no forward mode: the JVP, the adjoint check, "
                  "the HVP (forward over reverse) and the forward nestings raise TypeError; "
                  "torch's autograd.Function without a jvp staticmethod and HIPS autograd's "
                  "defvjp-only primitive also refuse forward mode (recorded unsupported), "
                  "TensorFlow's ForwardAccumulator and refengine differentiate the function "
                  "itself instead",
        citation="https://docs.jax.dev/en/latest/notebooks/Custom_derivative_rules_for_Python_"
                 "code.html (custom_vjp functions do not support forward mode)"),
    Divergence(
        op="xp.scan, xp.fori_loop, xp.while_loop (tf.scan, tf.while_loop)",
        point="any point, forward mode under tf.function",
        cases=("scan-rnn", "scan-tuple-carry", "fori-horner", "while-until-large",
               "custom-vjp-implicit-sqrt", "custom-vjp-implicit-sqrt-plain"),
        adapters=("tensorflow",), modes=("jit",), statuses=("error",),
        message="variant|StagingError",
        behaviour="forward mode through TensorFlow's loops inside tf.function fails: the JVP "
                  "(and the adjoint check and HVP built on it) through tf.scan raises TypeError "
                  "('dtype variant is not compatible with int64', as cummax's), the HVP "
                  "(forward over reverse) through tf.while_loop a StagingError; reverse mode "
                  "is right, and eager TensorFlow is right in both modes",
        citation=FOUND + " (cases scan-rnn, fori-horner, while-until-large under --gp-slow)"),
    Divergence(
        op="forward over forward (nested tf.autodiff.ForwardAccumulator), eager",
        point="after forward mode failed inside tf.function earlier in the process",
        cases=("scan-tuple-carry", "scan-tuple-carry-plain"), adapters=("tensorflow",),
        modes=("eager",), checks=("second_order_nestings",), message="forward-over-forward",
        behaviour="once a JVP through tf.scan has raised inside tf.function (the entry above: "
                  "scan-rnn under jit, as --gp-slow runs it first), eager forward-over-forward "
                  "of these cases comes out wrong (rel. error 0.2 to 2.8) while every other "
                  "check passes; in a fresh process they pass (reproduced with run_case: "
                  "scan-rnn eager, scan-rnn jit, then scan-tuple-carry eager): state left "
                  "behind by the failed trace",
        citation=FOUND + " (cases scan-rnn then scan-tuple-carry, --gp-slow)"),
    Divergence(
        op="xp.checkpoint (torch.utils.checkpoint, use_reentrant=False)",
        point="any point, under torch.func.grad/vjp", cases=("checkpoint-*",),
        adapters=("torch",), statuses=("error",), message="saved tensor hooks",
        behaviour="non-reentrant checkpointing is built on saved-tensor hooks, which "
                  "torch.func's grad and vjp refuse: the HVP (jvp over grad) and the "
                  "reverse-over-forward and reverse-over-reverse nestings raise RuntimeError; "
                  "the tape's VJP (torch.autograd.grad) and torch.func.jvp are right",
        citation="https://github.com/pytorch/pytorch/issues/122729; "
                 "https://github.com/pytorch/pytorch/issues/141845"),
)


@dataclass(frozen=True)
class Costly:
    """A combination whose derivatives are right but whose cost makes it unfit for the default
    run: measured, with the reason and a citation. The pytest matrix collects it only with
    ``--gp-slow``; the command line leaves it out of ``--quick``. It is data, like ``TABLE``:
    nothing is skipped without an entry that says why."""

    cases: tuple[str, ...]
    adapters: tuple[str, ...]
    modes: tuple[str, ...]
    measured: str
    citation: str
    # Measured not to finish in any reasonable time (an XLA compile past 15 minutes): the full
    # matrix and --gp-slow leave it out too, saying why, unless the case is named exactly
    # (--cases NAME, --gp-cases NAME). One such combination would bound a whole run.
    unbounded: bool = False

    def matches(self, case: str, adapter: str, mode: str) -> bool:
        return (any(fnmatch.fnmatchcase(case, pattern) for pattern in self.cases)
                and adapter in self.adapters and mode in self.modes)


def costly(case: str, adapter: str, mode: str) -> Costly | None:
    """The ``COSTLY`` entry for this combination, or None."""
    for entry in COSTLY:
        if entry.matches(case, adapter, mode):
            return entry
    return None


def unbounded(case: str, adapter: str, mode: str) -> Costly | None:
    """The ``COSTLY`` entry for this combination when it is measured not to finish."""
    entry = costly(case, adapter, mode)
    return entry if entry is not None and entry.unbounded else None


# The boundary points' cases (cases/library/boundaries.py and order.py), by name: a test holds
# this list equal to the cases tagged "boundary".
BOUNDARY_CASES = (
    "std-*-at-constant", "var-all-at-constant", "max-*-at-tie", "min-*-at-tie",
    "prod-*-at-one-zero", "prod-*-at-two-zeros", "sort-at-tie", "arctan2-at-origin",
    "cbrt-at-zero", "maximum-at-tie", "minimum-at-tie", "norm-vector-*-at-zero",
    "cummax-*-at-tie", "topk-*-at-tie-*", "median-*-at-*", "sinc-at-zero", "nan*-at-nan",
    "nn-layer-norm-at-*", "nn-softmax-cross-entropy-at-*",
)

COSTLY: tuple[Costly, ...] = (
    Costly(
        cases=("particle",), adapters=("jax", "tensorflow"), modes=("eager",),
        measured="the force is a nested gradient taken at each of ~350 Euler steps, so every "
                 "derivative is ~350 nested tapes dispatched op by op: eager JAX took 113 s for "
                 "one dtype's checks, eager TensorFlow had not finished its HVP-vs-oracle check "
                 "(finite differences of the gradient: dozens of such calls) after 12 minutes "
                 "(float64, jax 0.10.2, TensorFlow 2.21, this machine; torch 8 s, refengine "
                 "3 s). Neither can jit it: the loop's trip count depends on the values.",
        citation="https://docs.jax.dev/en/latest/faq.html (op-by-op dispatch overhead without "
                 "jit); https://www.tensorflow.org/guide/function (eager runs op by op)",
    ),
    Costly(
        cases=("rk4-lotka-volterra",), adapters=("jax",), modes=("jit",),
        measured="jax.jit unrolls the 40 Python-loop RK4 steps and XLA's CPU compile time grows "
                 "superlinearly with their number: the VJP of 5 steps compiled in 8 s, of 10 "
                 "steps in 57 s (float32, jax 0.10.2, this machine); 40 steps had not finished "
                 "after 15 minutes. Eager JAX computes the same derivatives in about a second.",
        citation="https://github.com/jax-ml/jax/issues/2777 (slow compile, exponential in "
                 "unrolled loop length; the advice there: lax.scan, or no jit)",
        # the first full matrix (session 12): one worker 51 minutes in this compile, seen
        # with py-spy, when the run was stopped
        unbounded=True,
    ),
    Costly(
        cases=BOUNDARY_CASES, adapters=("jax", "tensorflow"), modes=("eager", "jit"),
        measured="the 41 boundary points (the -at- cases of Boundary, issue 17) cost 135 s of "
                 "checks over the default combinations, 79 s of them in jax.jit float64 (43 s, "
                 "one XLA compilation per case and quantity) and eager TensorFlow float64 "
                 "(36 s); refengine, torch and autograd check them all in 37 s. The default "
                 "run checks them there; --gp-slow on JAX and TensorFlow too (2-core machine, "
                 "2026-12-07, jax 0.10.2, TensorFlow 2.21)",
        citation="https://docs.jax.dev/en/latest/faq.html (op-by-op dispatch overhead without "
                 "jit); https://www.tensorflow.org/guide/function (eager runs op by op)",
    ),
    Costly(
        cases=("particle", "saddle"), adapters=("mxnet",), modes=("eager",),
        measured="MXNet can take their values (a nested autograd.grad on a leaf copy at each "
                 "of ~350 Euler steps, or ~48,000 ascent steps) but not their derivatives "
                 "(autograd.grad differentiates with respect to leaf variables only: "
                 "unsupported, said so), so only the value is checked and timed, and that cost "
                 "a quick run 19 s (particle) and 13 s (saddle) of CPU, checks and timing "
                 "(float64, MXNet 1.9.1 out of process, this 2-core machine under load; the "
                 "quick run's MXNet share went from 14 to 40 CPU s with them). "
                 "tests/test_mxnet.py checks both with --gp-slow.",
        citation="apache/mxnet src/imperative/imperative.cc (Imperative::Backward checks "
                 "each variable is a leaf with a gradient: 'Cannot differentiate with respect "
                 "to the i-th variable because it does not require gradient'); " + FOUND,
    ),
)



def markdown(entries: tuple[Divergence, ...] | None = None) -> str:
    """The table as Markdown (op, point, frameworks, behaviour, citation): the README shows
    it so, and a test keeps the two equal."""
    rows = ["| op | point | frameworks | behaviour | citation |", "|---|---|---|---|---|"]
    for e in TABLE if entries is None else entries:
        frameworks = "every framework" if e.adapters == EVERY else ", ".join(e.adapters)
        if e.versions:
            frameworks += f" ({e.versions})"
        narrowed = [*e.checks, *(d for d in e.dtypes if d not in e.point), *e.modes]
        point = e.point + (f" (only {', '.join(narrowed)})" if narrowed else "")
        cells = (e.op, point, frameworks, e.behaviour, e.citation)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


# --- entries from installed packages -----------------------------------------------------------
ENTRY_POINT_GROUP = "gradparity.conventions"


def table() -> tuple[Divergence, ...]:
    """The divergence table a run consults: ``TABLE``, then the entries installed packages
    declare under the entry-point group ``gradparity.conventions``."""
    return _installed()


def _installed() -> tuple[Divergence, ...]:  # ``find``'s parameter ``table`` hides ``table()``
    return (*TABLE, *plugin_entries())


@functools.cache
def plugin_entries() -> tuple[Divergence, ...]:
    """Entries from the ``gradparity.conventions`` entry points (read once per process). An
    entry point names a ``Divergence``, an iterable of them, or a zero-argument callable
    returning either; one that fails to load is a warning naming it, and adds nothing."""
    from importlib import metadata

    found: list[Divergence] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.extend(_entries_from(ep.load()))
        except Exception as exc:
            warnings.warn(f"{ENTRY_POINT_GROUP} entry point {ep.name!r} ({ep.value}) failed to "
                          f"load and adds no entries: {type(exc).__name__}: {exc}", stacklevel=2)
    return tuple(found)


def _entries_from(loaded: Any) -> list[Divergence]:
    if callable(loaded) and not isinstance(loaded, Divergence):
        loaded = loaded()
    entries = [loaded] if isinstance(loaded, Divergence) else list(loaded)
    bad = [type(e).__name__ for e in entries if not isinstance(e, Divergence)]
    if bad:
        raise TypeError(f"expected cases.conventions.Divergence entries, got {', '.join(bad)}")
    for e in entries:
        if isinstance(e.adapters, str) or isinstance(e.cases, str):
            raise TypeError(f"entry {e.op!r}: cases and adapters are tuples of names, not a "
                            "string")
        version_matches("x 1", e.versions)  # a malformed version specifier fails here, named
    return entries
