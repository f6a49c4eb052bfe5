"""The op vocabulary: the one list of names a case may call on ``xp``, and the contract
between cases and adapters.

Each entry gives the name (with its sub-namespace: ``linalg``, ``special``, ``nn``), the
signature as NumPy (or SciPy) spells it, the domain on which it is differentiable, and whether it
is differentiable at all. Adapters map every name to their framework (a name an adapter's table
lacks is ``missing`` for it); refengine implements every name; cases use nothing else
(registration traces each case to check). It lives here, under the adapters, because
dependencies point one way: ``cases.vocabulary`` re-exports it.

Besides these functions, cases may use the array interface shared by every framework: the
operators ``+ - * / ** @`` and unary ``-``, comparisons, indexing (slices, integer arrays,
boolean masks, ``None``, ``...``), ``.shape``, ``.ndim``, ``.dtype`` and ``.T``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BINARY",
    "COMPLEX",
    "CONSTRUCTION",
    "LINALG",
    "NESTED",
    "NN",
    "NN_COMPOSITES",
    "NO_NUMPY_FUNCTION",
    "OPTIONAL",
    "ORDER_AND_NAN",
    "PIECEWISE_CONSTANT",
    "REDUCTIONS",
    "SELECTION",
    "SPECIAL",
    "STRUCTURE",
    "TAKES_FUNCTIONS",
    "TRANSFORMS",
    "UNARY",
    "VOCABULARY",
    "Op",
    "array_names",
    "names",
    "qualified_names",
]


@dataclass(frozen=True)
class Op:
    name: str
    signature: str
    domain: str = "real"
    module: str = ""  # "", "linalg", "special", "nn" or "fft"
    differentiable: bool = True

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}" if self.module else self.name


def _ops(module: str, spec: str, differentiable: bool = True) -> list[Op]:
    """One line per op: ``name | signature | domain``."""
    out = []
    for line in spec.strip().splitlines():
        name, signature, domain = (part.strip() for part in line.split("|"))
        out.append(Op(name, signature, domain, module, differentiable))
    return out


UNARY = _ops("", """
negative   | negative(x)   | real
abs        | abs(x)        | real; kink at 0
exp        | exp(x)        | real
exp2       | exp2(x)       | real
expm1      | expm1(x)      | real
log        | log(x)        | positive
log2       | log2(x)       | positive
log10      | log10(x)      | positive
log1p      | log1p(x)      | (-1, inf)
sqrt       | sqrt(x)       | positive; infinite slope at 0
cbrt       | cbrt(x)       | away from zero
square     | square(x)     | real
reciprocal | reciprocal(x) | away from zero
sin        | sin(x)        | real
cos        | cos(x)        | real
tan        | tan(x)        | (-pi/2, pi/2)
arcsin     | arcsin(x)     | (-1, 1)
arccos     | arccos(x)     | (-1, 1)
arctan     | arctan(x)     | real
sinh       | sinh(x)       | real
cosh       | cosh(x)       | real
tanh       | tanh(x)       | real
arcsinh    | arcsinh(x)    | real
arccosh    | arccosh(x)    | (1, inf)
arctanh    | arctanh(x)    | (-1, 1)
""")

PIECEWISE_CONSTANT = _ops("", """
sign          | sign(x)              | real; zero derivative
floor         | floor(x)             | real; zero derivative
ceil          | ceil(x)              | real; zero derivative
round         | round(x, decimals=0) | real; zero derivative
greater       | greater(x, y)        | boolean result
greater_equal | greater_equal(x, y)  | boolean result
less          | less(x, y)           | boolean result
less_equal    | less_equal(x, y)     | boolean result
equal         | equal(x, y)          | boolean result
not_equal     | not_equal(x, y)      | boolean result
argmax        | argmax(x, axis=None) | integer result
argmin        | argmin(x, axis=None) | integer result
""", differentiable=False)

BINARY = _ops("", """
add       | add(x, y)       | real, broadcasting
subtract  | subtract(x, y)  | real, broadcasting
multiply  | multiply(x, y)  | real, broadcasting
divide    | divide(x, y)    | y away from zero
power     | power(x, y)     | x positive (x real for integer y)
maximum   | maximum(x, y)   | real; kink at ties
minimum   | minimum(x, y)   | real; kink at ties
arctan2   | arctan2(y, x)   | away from the origin
hypot     | hypot(x, y)     | away from the origin
logaddexp | logaddexp(x, y) | real
""")

SELECTION = _ops("", """
where | where(condition, x, y) | condition is boolean data
clip  | clip(x, a_min, a_max)  | real; kinks at the bounds
""")

REDUCTIONS = _ops("", """
sum     | sum(x, axis=None, keepdims=False)          | real
mean    | mean(x, axis=None, keepdims=False)         | real
prod    | prod(x, axis=None, keepdims=False)         | real
max     | max(x, axis=None, keepdims=False)          | real; kink at ties
min     | min(x, axis=None, keepdims=False)          | real; kink at ties
var     | var(x, axis=None, ddof=0, keepdims=False)  | real
std     | std(x, axis=None, ddof=0, keepdims=False)  | not constant along axis
cumsum  | cumsum(x, axis=None)                       | real
cumprod | cumprod(x, axis=None)                      | real
trace   | trace(x, offset=0, axis1=0, axis2=1)       | real
""")

STRUCTURE = _ops("", """
reshape         | reshape(x, shape)                            | real
transpose       | transpose(x, axes=None)                      | real
swapaxes        | swapaxes(x, axis1, axis2)                    | real
moveaxis        | moveaxis(x, source, destination)             | real
expand_dims     | expand_dims(x, axis)                         | real
squeeze         | squeeze(x, axis=None)                        | real
broadcast_to    | broadcast_to(x, shape)                       | real
concatenate     | concatenate(arrays, axis=0)                  | real
stack           | stack(arrays, axis=0)                        | real
split           | split(x, indices_or_sections, axis=0)        | real
tile            | tile(x, reps)                                | real
repeat          | repeat(x, repeats, axis=None)                | real
flip            | flip(x, axis=None)                           | real
roll            | roll(x, shift, axis=None)                    | real
tril            | tril(x, k=0)                                 | real
triu            | triu(x, k=0)                                 | real
diagonal        | diagonal(x, offset=0, axis1=0, axis2=1)      | real
diag            | diag(v, k=0)                                 | real
pad             | pad(x, pad_width, constant_values=0)         | real (mode constant)
take            | take(x, indices, axis=None)                  | indices are integer data
take_along_axis | take_along_axis(x, indices, axis)            | indices are integer data
sort            | sort(x, axis=-1)                             | real; kink at ties
outer           | outer(a, b)                                  | real
einsum          | einsum(subscripts, *operands)                | real
matmul          | matmul(a, b)                                 | real
dot             | dot(a, b)                                    | real
tensordot       | tensordot(a, b, axes=2)                      | real
""")

CONSTRUCTION = _ops("", """
asarray    | asarray(a, dtype=None)        | a NumPy constant (dtype: a framework dtype)
zeros_like | zeros_like(x)                 | constant
ones_like  | ones_like(x)                  | constant
eye        | eye(n, dtype=None)            | constant
arange     | arange(n)                     | constant
""", differentiable=False)

LINALG = _ops("linalg", """
inv      | inv(a)                                            | nonsingular
solve    | solve(a, b)                                       | a nonsingular
det      | det(a)                                            | real; adjugate at singular a
slogdet  | slogdet(a)                                        | nonsingular; sign is constant
cholesky | cholesky(a)                                       | symmetric positive definite
eigh     | eigh(a)                                           | symmetric, distinct eigenvalues
qr       | qr(a)                                             | full rank, m >= n
svd      | svd(a, full_matrices=False, compute_uv=True)      | distinct nonzero singular values
norm     | norm(x, ord=None, axis=None, keepdims=False)      | away from zero
""")

SPECIAL = _ops("special", """
expit       | expit(x)                      | real
logit       | logit(x)                      | (0, 1)
erf         | erf(x)                        | real
erfc        | erfc(x)                       | real
gammaln     | gammaln(x)                    | positive
digamma     | digamma(x)                    | positive
xlogy       | xlogy(x, y)                   | y positive
logsumexp   | logsumexp(x, axis=None, keepdims=False) | real
softmax     | softmax(x, axis=None)         | real
log_softmax | log_softmax(x, axis=None)     | real
""")

# conv: 1-d and 2-d, channels first as torch.nn.functional.conv1d/conv2d: x (N, C, L) or
# (N, C, H, W), w (O, C // groups, *k), out (N, O, *out); a cross-correlation (no kernel flip);
# stride and dilation an int or one per axis, padding (zeros) an int, one per axis or (lo, hi).
# max_pool, avg_pool: the same layout, as torch's max_pool1d/2d and avg_pool1d/2d: stride
# defaults to the window; padding (at most half the window) is -inf for max, zeros counted in
# avg's mean (count_include_pad=True).
# segment_sum: jax.ops.segment_sum's name (no NumPy one): out[j] sums the rows of data whose id
# is j, repeated ids accumulating (a scatter-add along the first axis); ids in [0, num_segments).
NN = _ops("nn", """
relu        | relu(x)        | real; kink at 0
softplus    | softplus(x)    | real
gelu        | gelu(x)        | real (the exact, erf form)
log_sigmoid | log_sigmoid(x) | real
conv        | conv(x, w, stride=1, padding=0, dilation=1, groups=1) | bilinear; layout above
max_pool    | max_pool(x, kernel_size, stride=None, padding=0)    | real; kink at ties in a window
avg_pool    | avg_pool(x, kernel_size, stride=None, padding=0)    | real; linear
segment_sum | segment_sum(data, segment_ids, num_segments)        | linear; ids are integer data
""")

# Complex numbers (cases that opt in to complex64/complex128): the parts, the conjugate, the
# argument, and the discrete Fourier transform along one axis. real/imag/conj/angle of a real
# array are NumPy's too (the array itself, zeros, itself, 0 or pi).
COMPLEX = _ops("", """
real  | real(x)  | complex or real
imag  | imag(x)  | complex or real
conj  | conj(x)  | complex or real
angle | angle(x) | complex away from zero; jump across the negative real axis
""") + _ops("fft", """
fft  | fft(x, n=None, axis=-1)  | complex or real
ifft | ifft(x, n=None, axis=-1) | complex or real
""")

# Issue 17's order statistics, NaN-ignoring reductions, sinc and the two nn composites.
# ``cummax`` and ``topk`` have no NumPy function (NumPy spells them np.maximum.accumulate and
# -np.sort(-x)[..., :k]); every other name is NumPy's. Adapters without a function of that
# name build one (NO_NUMPY_FUNCTION).
ORDER_AND_NAN = _ops("", """
cummax  | cummax(x, axis=-1)                    | real; kink at ties with an earlier maximum
topk    | topk(x, k)                            | real (largest first, last axis); kink at ties
median  | median(x, axis=None, keepdims=False)  | real; kink at ties among the middle values
sinc    | sinc(x)                               | real (sin(pi x) / (pi x), 1 at 0)
nanmean | nanmean(x, axis=None, keepdims=False) | real or NaN; a NaN entry has derivative 0
nansum  | nansum(x, axis=None, keepdims=False)  | real or NaN; a NaN entry has derivative 0
""")
NO_NUMPY_FUNCTION = ("cummax", "topk")

NN_COMPOSITES = _ops("nn", """
layer_norm            | layer_norm(x, weight=None, bias=None, eps=1e-5) | real; over the last axis
softmax_cross_entropy | softmax_cross_entropy(logits, labels)           | labels: probabilities
""")

# Nested derivatives (GradBench's saddle and particle): a derivative inside the function being
# differentiated. An optional capability: a case that calls it declares requires={"grad"}, and
# an adapter without it reports the case unsupported instead of failing.
NESTED = _ops("", """
grad | grad(f)(x) | nested AD: xp.grad(f)(x) for scalar f; optional capability
""")

# Control flow and derivative control (issue 17): lax.scan's, lax.fori_loop's and
# lax.while_loop's contracts, jax.checkpoint's, stop_gradient's and jax.custom_vjp's (the
# contracts in full: refengine/control.py). Each adapter maps them to its framework's own
# (lax.scan, tf.scan, torch.utils.checkpoint, torch.autograd.Function, tf.custom_gradient,
# autograd's primitive + defvjp, ...); a framework without one runs the loop in Python, which is
# what its users write (a composite), and a framework without rematerialisation runs f as it
# is (a composite: the derivatives are the same, only the memory differs).
TRANSFORMS = _ops("", """
scan          | scan(f, init, xs=None, length=None) | f(carry, x) -> (carry, y); returns (carry, ys)
fori_loop     | fori_loop(lower, upper, body, init) | body(i, carry) -> carry; Python int bounds
while_loop    | while_loop(cond, body, init)        | body(carry) while cond(carry)
checkpoint    | checkpoint(f)                       | f rematerialised in the backward pass
stop_gradient | stop_gradient(x)                    | the identity, with a zero derivative
custom_vjp    | custom_vjp(f, fwd, bwd)             | fwd(*a) -> (out, res); bwd(res, g) -> cts
""")
# The names whose arguments include functions (a recording or wrapping namespace lifts them).
TAKES_FUNCTIONS: frozenset[str] = frozenset(
    {"scan", "fori_loop", "while_loop", "checkpoint", "custom_vjp"})

VOCABULARY: tuple[Op, ...] = tuple(
    UNARY + PIECEWISE_CONSTANT + BINARY + SELECTION + REDUCTIONS + STRUCTURE + CONSTRUCTION
    + LINALG + SPECIAL + NN + COMPLEX + NESTED + ORDER_AND_NAN + NN_COMPOSITES + TRANSFORMS
)

# Names that are optional capabilities rather than array functions: not every namespace has
# them (refengine serves grad from refengine.grad, not refengine.numpy).
OPTIONAL: frozenset[str] = frozenset(op.qualified for op in NESTED)


def names() -> list[str]:
    return [op.name for op in VOCABULARY]


def qualified_names() -> list[str]:
    """``sin``, ``linalg.inv``, ``special.expit``, ``nn.relu``, ..."""
    return [op.qualified for op in VOCABULARY]


def array_names(module: str = "") -> tuple[str, ...]:
    """The names of one sub-namespace (``""``: the main one; ``"linalg"``, ``"special"``,
    ``"nn"``, ``"fft"``), unqualified, without the optional capabilities and the transforms
    (``TRANSFORMS``: no array library has them under NumPy's names): what a framework that
    spells the whole vocabulary as NumPy does provides under those names."""
    return tuple(op.name for op in VOCABULARY
                 if op.module == module and op.qualified not in OPTIONAL
                 and op not in TRANSFORMS)
