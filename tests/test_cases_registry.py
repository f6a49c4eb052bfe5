"""The registry: lookup, selection, the register decorator, the validation that rejects bad
cases (each error naming the case and what is wrong), and third-party entry points."""

from __future__ import annotations

import subprocess
import sys
import warnings
from importlib import metadata
from typing import Any

import numpy as np
import pytest

import cases
from cases import Arg, Case, Kink, RegistrationError, Registry, Sizes, Tolerance
from cases import domains as D
from cases import registry as registry_module


def _fresh() -> Registry:
    return Registry(library=False, plugins=False)


def _case(name: str = "mine", fn: Any = None, **fields: Any) -> Case:
    return Case(name, fn or (lambda xp, x: xp.sum(xp.sin(x))), **fields)


# --- lookup and selection ------------------------------------------------------------------------
def test_get_unknown_name_lists_the_closest_names() -> None:
    with pytest.raises(KeyError) as info:
        cases.get("gmmm")
    message = str(info.value)
    assert "'gmmm'" in message and "gmm" in message.split("closest:")[1]


def test_get_returns_the_registered_case() -> None:
    assert cases.get("gmm").name == "gmm"


def test_select_by_names_tags_and_pattern() -> None:
    assert [c.name for c in cases.select(names=["sin", "gmm"])] == ["sin", "gmm"]
    kinks = cases.select(tags="kink")
    assert kinks and all("kink" in c.tags for c in kinks)
    either = {c.name for c in cases.select(tags={"kink", "trap"})}
    assert either == {c.name for c in cases.all() if c.tags & {"kink", "trap"}}
    sums = cases.select(pattern="sum-axis*")
    assert {c.name for c in sums} == {"sum-axis0", "sum-axis0-keepdims", "sum-axis1",
                                      "sum-axis1-keepdims", "sum-axis2", "sum-axis2-keepdims",
                                      "sum-axis-neg1"}
    assert [c.name for c in cases.select(tags="model", pattern="g*")] == ["gmm"]
    assert cases.select() == cases.all()


def test_select_rejects_unknown_names_and_tags() -> None:
    with pytest.raises(KeyError, match="closest: gmm"):
        cases.select(names=["gmm", "gmmm"])
    with pytest.raises(KeyError, match="kink"):
        cases.select(tags="kinks")


def test_importing_cases_loads_nothing_until_first_lookup() -> None:
    code = ("import sys, cases; print('cases.library' in sys.modules); cases.get('sin'); "
            "print('cases.library' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=str(registry_module.__file__).rsplit("/cases/", 1)[0])
    assert out.stdout.split() == ["False", "True"]


# --- registration ---------------------------------------------------------------------------
def test_register_a_case_and_the_decorator_forms() -> None:
    reg = _fresh()
    reg.register(_case("plain"))

    @reg.register
    def cube_sum(xp: Any, x: Any) -> Any:
        """Sum of cubes."""
        return xp.sum(x**3)

    @reg.register(tags={"mine"}, args=(Arg("x", D.POSITIVE),), output_shape=lambda n: (n,))
    def log_of(xp: Any, x: Any) -> Any:
        return xp.log(x)

    assert isinstance(cube_sum, Case) and cube_sum.name == "cube-sum"
    assert cube_sum.note == "Sum of cubes." and cube_sum.args == (Arg("x"),)
    assert float(cube_sum(np, np.array([1.0, 2.0]))) == 9.0  # the Case still calls like fn
    assert [c.name for c in reg.all()] == ["plain", "cube-sum", "log-of"]
    assert reg.ops_used("log-of") == {"log"}
    assert reg.select(tags="mine") == [log_of]


def test_global_register_decorator_then_cleanup() -> None:
    @cases.register(tags={"test-only"})
    def test_only_square_sum(xp: Any, x: Any) -> Any:
        return xp.sum(xp.square(x))

    try:
        assert cases.get("test-only-square-sum") is test_only_square_sum
    finally:
        registry_module.REGISTRY.remove("test-only-square-sum")
    with pytest.raises(KeyError):
        cases.get("test-only-square-sum")


def test_duplicate_names_are_rejected() -> None:
    reg = _fresh()
    reg.register(_case("twice"))
    with pytest.raises(RegistrationError, match=r"'twice'.*already registered"):
        reg.register(_case("twice"))
    with pytest.raises(RegistrationError, match=r"'sin'.*already registered"):
        cases.register(_case("sin"))


@pytest.mark.parametrize(
    ("fn", "op"),
    [
        (lambda xp, x: xp.sum(xp.logical_and(x > 0, x < 1) * x), "logical_and"),
        (lambda xp, x: xp.linalg.pinv(xp.outer(x, x))[0], "linalg.pinv"),
        (lambda xp, x: x.sum(), ".sum"),
        (lambda xp, x: np.sum(np.sin(x)), "numpy"),
        (lambda xp, x: xp.sum(x * xp.pi), "pi"),
        (lambda xp, x: xp.sum(abs(x)), "abs()"),
        (lambda xp, x: xp.sum(xp.where((x > 0) & (x < 1), x, 0.0)), "operator &"),
        (lambda xp, x: float(xp.sum(x)) * x[0], "float()"),
    ],
    ids=["name", "linalg-name", "method", "numpy-function", "constant", "builtin-abs",
         "operator-and", "float"],
)
def test_ops_outside_the_vocabulary_are_rejected_naming_case_and_op(fn, op) -> None:
    with pytest.raises(RegistrationError) as info:
        _fresh().register(_case("outsider", fn))
    message = str(info.value)
    assert "'outsider'" in message and op in message and "vocabulary" in message


def test_a_sampler_that_violates_its_own_domain_is_rejected() -> None:
    def negative_sampler(rng: np.random.Generator, n: int) -> tuple[np.ndarray]:
        return (-rng.uniform(1, 2, size=n),)

    bad = _case("liar", lambda xp, x: xp.sum(xp.log(-x)), args=(Arg("x", D.POSITIVE),),
                sampler=negative_sampler)
    with pytest.raises(RegistrationError, match=r"'liar'.*violates its own domain.*'x'"):
        _fresh().register(bad)


def test_float32_rounding_out_of_a_domain_is_caught() -> None:
    # 1 - 1e-9 is inside (-1, 1) in float64 but rounds to exactly 1 in float32.
    edge = D.Domain("edgy", "(-1, 1) at its edge", lambda rng, s: np.full(s, 1 - 1e-9),
                    D.UNIT_INTERVAL.test)
    bad = _case("edge", lambda xp, x: xp.sum(xp.arctanh(x)), args=(Arg("x", edge),))
    with pytest.raises(RegistrationError, match=r"'edge'.*\(float32\)"):
        _fresh().register(bad)
    _fresh().register(_case("edge", bad.fn, args=bad.args, dtypes=("float64",)))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"output_shape": (2,)}, r"returned shape \(\), but output_shape declares \(2,\)"),
        ({"kinks": (Kink("x", (0,), 0.0, "abs-at-zero"),)}, r"kink says x\[\(0,\)\] = 0.0"),
        ({"kinks": (Kink("y", (0,), 0.0),)}, "kink names input 'y'"),
        ({"kinks": (Kink("x", (99,), None),)}, "outside input 'x'"),
        ({"tolerances": (Tolerance(1e-3, 0.0, " "),)}, "gives no reason"),
        ({"requires": {"hessian"}}, "unknown capabilities"),
        ({"dtypes": ("float16",)}, "dtypes must be"),
        ({"args": (Arg("x", diff=False),)}, "no input is differentiated"),
        ({"args": (Arg("x"), Arg("x"))}, "input names repeat"),
        ({"tags": {"Bad Tag"}}, "tag 'Bad Tag'"),
        ({"sizes": Sizes(check=3), "args": (Arg("x", shape=lambda n: (n, 2)),)}, None),
    ],
)
def test_declarations_are_validated(fields, match) -> None:
    case = _case("declared", **fields)
    if match is None:
        _fresh().register(case)  # a valid variation, for contrast
        return
    with pytest.raises(RegistrationError, match=match):
        _fresh().register(case)


def test_bad_names_and_failing_functions_are_rejected() -> None:
    with pytest.raises(RegistrationError, match="lowercase"):
        _fresh().register(_case("Has Space"))
    with pytest.raises(RegistrationError, match=r"'broken'.*evaluating under NumPy failed"):
        _fresh().register(_case("broken", lambda xp, x: xp.matmul(x, xp.ones_like(x)[:2])))
    with pytest.raises(RegistrationError, match="not a tuple"):
        _fresh().register(_case("pair", lambda xp, x: (x, x)))
    with pytest.raises(TypeError, match="expects a Case"):
        _fresh().add("sin")  # type: ignore[arg-type]


def test_python_branching_on_values_needs_the_data_dependent_tag() -> None:
    def branchy(xp: Any, x: Any) -> Any:
        return xp.sum(x) if xp.sum(x) > 0 else -xp.sum(x)

    with pytest.raises(RegistrationError, match="'data-dependent'"):
        _fresh().register(_case("branchy", branchy))
    _fresh().register(_case("branchy", branchy, tags={"data-dependent"}))


def test_xp_grad_needs_requires_grad() -> None:
    def nested(xp: Any, x: Any) -> Any:
        return xp.sum(xp.grad(lambda y: xp.sum(y * y * x))(x))

    with pytest.raises(RegistrationError, match="requires=\\{'grad'\\}"):
        _fresh().register(_case("nested", nested))
    reg = _fresh()
    reg.register(_case("nested", nested, requires={"grad"}))
    assert reg.ops_used("nested") >= {"grad", "sum"}


# --- entry points ---------------------------------------------------------------------------
PLUGIN_CASE = Case("plugin-single", lambda xp, x: xp.sum(xp.tanh(x)))
PLUGIN_LIST = [Case("plugin-listed", lambda xp, x: xp.sum(xp.cosh(x)))]


def plugin_factory() -> list[Case]:
    return [Case("plugin-made", lambda xp, x: xp.sum(xp.sinh(x)))]


def _entry_point(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=registry_module.ENTRY_POINT_GROUP)


def test_entry_points_load_lazily_and_a_broken_one_warns(monkeypatch) -> None:
    module = __name__
    points = [
        _entry_point("single", f"{module}:PLUGIN_CASE"),
        _entry_point("listed", f"{module}:PLUGIN_LIST"),
        _entry_point("factory", f"{module}:plugin_factory"),
        _entry_point("broken", "gradparity_no_such_module:CASES"),
    ]
    calls = []

    def fake_entry_points(group: str) -> list[metadata.EntryPoint]:
        calls.append(group)
        return points

    monkeypatch.setattr(registry_module.metadata, "entry_points", fake_entry_points)
    reg = Registry(library=False, plugins=True)
    assert calls == []  # nothing loads at construction
    with pytest.warns(cases.PluginWarning, match="plugin 'broken'.*gradparity_no_such_module"):
        names = [c.name for c in reg.all()]
    assert calls == [registry_module.ENTRY_POINT_GROUP]
    assert names == ["plugin-single", "plugin-listed", "plugin-made"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.all()  # loaded once: no second warning
    assert calls == [registry_module.ENTRY_POINT_GROUP]


PLUGIN_BAD = Case("plugin-bad", lambda xp, x: x.sum())


def test_a_plugin_case_that_fails_validation_warns_naming_plugin_case_and_op(monkeypatch) -> None:
    monkeypatch.setattr(registry_module.metadata, "entry_points",
                        lambda group: [_entry_point("sloppy", f"{__name__}:PLUGIN_BAD")])
    reg = Registry(library=False, plugins=True)
    with pytest.warns(cases.PluginWarning, match=r"'sloppy'.*'plugin-bad'.*'\.sum'"):
        assert reg.all() == []


def test_a_library_that_fails_validation_loads_nothing_and_keeps_failing(monkeypatch) -> None:
    import cases.library

    good = Case("fine", lambda xp, x: xp.sum(x))
    bad = Case("bad", lambda xp, x: x.mean())
    monkeypatch.setattr(cases.library, "CASES", [good, bad])
    reg = Registry(library=True, plugins=False)
    for _ in range(2):
        with pytest.raises(RegistrationError, match=r"'bad'.*'\.mean'"):
            reg.all()
    monkeypatch.setattr(cases.library, "CASES", [good])
    assert [c.name for c in reg.all()] == ["fine"]
