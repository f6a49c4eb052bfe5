"""adapters.check_grads as an interface: importing adapters stays cheap, the framework is read
from the arguments (or refused clearly), and a third-party adapter gets check_grads from its
own _jvp/_vjp hooks without writing anything new."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import adapters
from adapters.refengine_adapter import RefengineAdapter
from adapters.user_check import FrameworkChoiceError, framework_of, from_hooks
from adapters.user_check.driver import leaf_paths
from refengine.check import GradientCheckError, NotCheckedWarning
from refengine.tree import tree_leaves


def test_importing_adapters_imports_no_framework_and_not_the_checker() -> None:
    code = textwrap.dedent("""
        import sys
        import adapters
        assert callable(adapters.check_grads)
        assert callable(adapters.get("torch").check_grads)
        loaded = [m for m in ("torch", "jax", "tensorflow", "autograd", "adapters.user_check",
                              "refengine.check", "refengine.numeric") if m in sys.modules]
        print(loaded)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_leaf_paths_follow_the_order_the_checker_flattens_in() -> None:
    args = ({"b": 1.0, "a": (2.0, [3.0])}, 4.0)
    assert leaf_paths(args) == ["args[0]['a'][0]", "args[0]['a'][1][0]", "args[0]['b']",
                                "args[1]"]
    assert tree_leaves(args) == [2.0, 3.0, 1.0, 4.0]


def test_the_framework_comes_from_the_arguments_or_is_refused_with_the_way_out() -> None:
    with pytest.raises(FrameworkChoiceError, match=r"adapters.get\('autograd'\).check_grads"):
        framework_of((np.ones(3), 2.0))
    with pytest.raises(TypeError, match="tuple of f's arguments"):
        framework_of(np.ones(3))
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    assert framework_of(({"w": torch.ones(2)}, np.ones(2))) == "torch"
    with pytest.raises(FrameworkChoiceError, match=r"args\[0\] is a torch array, args\[1\] is "
                                                   r"a jax array"):
        framework_of((torch.ones(2), jnp.ones(2)))


def test_an_adapter_refuses_another_frameworks_arrays() -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"it is a torch array: use adapters\.check_grads"):
        adapters.get("refengine").check_grads(lambda x: x, (torch.ones(2),))


# --- a third-party adapter ---------------------------------------------------------------------


class ToyAdapter(RefengineAdapter):
    """A plug-in's adapter: its own name and framework module, refengine's builders."""

    name = "toy"
    framework = "refengine.numpy"  # not a framework adapters.user_check knows


class NestingToyAdapter(ToyAdapter):
    def user_ad(self) -> object:
        return from_hooks(self, nests=True)  # refengine's builders nest


def _f(x: np.ndarray) -> object:
    import refengine.numpy as rnp

    return rnp.sin(x) * rnp.sum(x ** 2)


def test_a_third_party_adapter_is_checked_at_first_order_from_its_hooks() -> None:
    x = np.linspace(-1, 1, 4)
    with pytest.warns(NotCheckedWarning, match="nests=True"):
        results = ToyAdapter().check_grads(_f, (x,))
    assert [(c.check, c.checked) for c in results] == [
        ("JVP of _f", True), ("VJP of _f", True), ("JVP of JVP of _f", False),
        ("VJP of JVP of _f", False), ("JVP of VJP of _f", False), ("VJP of VJP of _f", False)]
    assert all(c.passed for c in results)


def test_a_third_party_adapter_whose_builders_nest_is_checked_at_second_order() -> None:
    results = NestingToyAdapter().check_grads(_f, (np.linspace(-1, 1, 4),))
    assert len(results) == 6 and all(c.checked and c.passed for c in results)


@pytest.mark.parametrize("kind, check", [("scale", "JVP of _f"), ("order2", "JVP of VJP of _f")])
def test_a_third_party_adapter_with_a_wrong_rule_fails(kind: str, check: str) -> None:
    from adapters.mutant_adapter import parse

    with parse(f"refengine-mutant:sin:{kind}").applied(), pytest.raises(GradientCheckError) as e:
        NestingToyAdapter().check_grads(_f, (np.linspace(-1, 1, 4),))
    assert e.value.comparison.check == check
