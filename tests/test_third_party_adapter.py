"""A third-party adapter and case package, installed in a temporary folder, as a new user
writes one from the README (issue 22's eight problems, each checked here).

The package is real, not monkeypatched into the registry: ``gradparity_fdplug`` (an adapter for
``fdengine``, a toy framework whose tensors take only their own tensors as index arrays and
which reads its backend from the environment at import), ``gradparity_fdplug_cases`` (a case
registered with ``@cases.register``) and a ``*.dist-info`` folder whose ``entry_points.txt``
declares them under ``gradparity.adapters``, ``gradparity.cases`` and
``gradparity.conventions``, on a ``sys.path`` entry so that ``importlib.metadata`` finds them.
One subprocess (a fresh registry) runs ``gradparity list``, ``gradparity check`` and the pytest
plugin against it and reports what it saw; the tests below read that report. The adapter's
derivatives are refengine's (exact), its forward mode is declined, and its ``nn.relu`` has its
own convention at 0, which its own divergence entry documents.

Cost, measured on this 2-core machine: about 4 s of CPU (10 s wall with the machine's load
average at 12): one subprocess that validates the case library once, checks 4 cases and then
2 (float64) on the plug-in, and runs 2 cases under the pytest plugin. torch, JAX, TensorFlow
and autograd are made unimportable there, so that `gradparity list adapters`, which asks every
adapter whether its framework imports, does not import them (19 s of the first version).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import adapters
from adapters.contract import AdapterHooks

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("torch", "jax", "tensorflow", "autograd")

FRAMEWORK = '''
"""fdengine: a toy framework. Its tensors index with fdengine tensors only (as tinygrad's
do), and it reads its backend and thread count from the environment when imported."""
import os

import numpy as np

__version__ = "0.3.1"
BACKEND_AT_IMPORT = os.environ.get("FDENGINE_BACKEND")
THREADS_AT_IMPORT = os.environ.get("FDENGINE_THREADS")


class Tensor(np.ndarray):
    def __getitem__(self, key):
        parts = key if isinstance(key, tuple) else (key,)
        for p in parts:
            if isinstance(p, list) or (type(p) is np.ndarray and p.ndim >= 1):
                raise TypeError("fdengine tensors take fdengine tensors as index arrays, "
                                f"not {type(p).__name__}")
        plain = tuple(np.asarray(p) if isinstance(p, Tensor) else p for p in parts)
        return super().__getitem__(plain if isinstance(key, tuple) else plain[0])


def tensor(array):
    return np.array(array, copy=True).view(Tensor)
'''

ADAPTER = '''
"""gradparity_fdplug: gradparity's adapter for fdengine, written from the README."""
import os
from typing import Any

from adapters import Unsupported, threads
from adapters.base import BaseAdapter, table_from_names
from cases.conventions import Divergence


class FdAdapter(BaseAdapter):
    name = "fdplug"
    framework = "fdengine"
    imported_version = True

    def prepare_environment(self) -> None:
        os.environ["FDENGINE_BACKEND"] = "refengine"
        os.environ["FDENGINE_THREADS"] = str(threads.requested())

    def _load(self):
        import refengine as rf
        import refengine.numpy as rnp
        from adapters.numpy_adapter import numpy_like_table
        from adapters.vocabulary import array_names

        def relu(x):  # fdengine's own convention: relu'(0) = 1
            return rnp.where(x >= 0, x, 0.0)

        return {**numpy_like_table(rnp), **table_from_names(rf, "grad"),
                **table_from_names(rnp.special, array_names("special"), "special."),
                **table_from_names(rnp.nn, array_names("nn"), "nn.", overrides={"relu": relu})}

    def index_types(self) -> tuple[type, ...]:
        import fdengine

        return (fdengine.Tensor,)

    def _to_native(self, array):
        import fdengine

        return fdengine.tensor(array)

    def _vjp(self, f, argnums):
        import refengine as rf
        from adapters.base import partial_in

        def call(inputs, cotangent):
            g, diff = partial_in(f, inputs, argnums)
            out, pullback = rf.vjp(g, *diff)
            return out, pullback(cotangent)

        return call

    def _jvp(self, f, argnums):
        raise Unsupported("fdplug: fdengine has no forward mode")

    def _hvp(self, f, argnums):
        raise NotImplementedError("fdengine has no second order")

    def _value_and_grad(self, f, argnums):
        import refengine as rf

        vg = rf.value_and_grad(f, argnums=argnums)
        return lambda inputs, _direction=None: vg(*inputs)


class BareFdAdapter(FdAdapter):
    """Without the indexing hook, and with a tanh that is 0.1 % off: a negative control."""

    name = "fdplug-bare"

    def index_types(self) -> tuple[type, ...]:
        return ()

    def _load(self):
        table = dict(super()._load())
        tanh = table["tanh"][0]
        table["tanh"] = (lambda x: tanh(x) * 1.001, "native")
        return table


DIVERGENCES = (
    Divergence(
        op="nn.relu", point="x = 0", cases=("relu-nn-at-zero",), adapters=("fdplug",),
        behaviour="fdengine gives relu'(0) = 1", citation="fdengine's manual, section 4"),
)
'''

CASES = '''
import cases


@cases.register(tags=("fdplug",))
def my_loss(xp, x):
    return xp.sum(xp.tanh(x) ** 2)
'''

ENTRY_POINTS = '''
[gradparity.adapters]
fdplug = gradparity_fdplug:FdAdapter
fdplug-bare = gradparity_fdplug:BareFdAdapter

[gradparity.cases]
fdplug = gradparity_fdplug_cases

[gradparity.conventions]
fdplug = gradparity_fdplug:DIVERGENCES
'''

CONFORMANCE_TEST = '''
def test_conformance(gradparity):
    gradparity.verify()
'''

# Runs in the subprocess: every command a user would run, and what each said, as JSON.
DRIVER = '''
import contextlib, io, json, sys, time
from pathlib import Path

out = {"seconds": {}}
_start = [time.perf_counter()]

def lap(name):
    now = time.perf_counter()
    out["seconds"][name] = round(now - _start[0], 2)
    _start[0] = now

def cli(*argv):
    from reports.cli import main
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        status = main(list(argv))
    return {"status": status, "stdout": o.getvalue(), "stderr": e.getvalue()}

def records(folder):
    from reports.rundir import RunFolder
    frame = RunFolder.open(folder).conformance()
    return frame[["case", "adapter", "check", "status", "message"]].to_dict("records")

import adapters
plugin = adapters.get("fdplug")
out["lazy"] = "fdengine" not in sys.modules
out["available"] = bool(plugin.available())
import fdengine
out["env_at_import"] = [fdengine.BACKEND_AT_IMPORT, fdengine.THREADS_AT_IMPORT]
from adapters.contract import AdapterHooks
out["hooks"] = isinstance(plugin, AdapterHooks)
lap("adapter")

import cases
out["get_underscore"] = cases.get("my_loss").name
out["list_adapters"] = cli("list", "adapters")
out["list_cases"] = cli("list", "cases", "--tags", "fdplug")
lap("list")
tmp = Path(sys.argv[1])
common = ("--dtypes", "float64", "--jobs", "1", "--quiet")
out["check"] = cli("check", "--adapters", "fdplug", "--cases",
                   "my_loss,where-nan-sqrt,relu-nn-at-zero,index-pairs",
                   "--out", str(tmp / "run-ok"), *common)
out["check_records"] = records(tmp / "run-ok")
out["summary"] = (tmp / "run-ok" / "summary.md").read_text()
lap("check")
out["bare"] = cli("check", "--adapters", "fdplug-bare", "--cases", "my_loss,index-pairs",
                  "--out", str(tmp / "run-bare"), *common)
out["bare_records"] = records(tmp / "run-bare")
lap("check_bare")
out["typo"] = cli("check", "--adapters", "fdplug", "--cases", "my_losss",
                  "--out", str(tmp / "run-typo"), *common)

from cases.conformance import run_case
out["undocumented"] = [
    r.status for name in ("where-nan-sqrt", "relu-nn-at-zero")
    for r in run_case(cases.get(name), "fdplug", "eager", "float64", conventions=())]
lap("typo_and_run_case")

import pytest
for key, names in (("pytest", "my_loss,where-nan-sqrt"), ("pytest_typo", "my_lossy")):
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        status = pytest.main([str(tmp / "test_conformance.py"), "-q", "-rA",
                              "-p", "no:cacheprovider",
                              "--rootdir", str(tmp), "-c", str(tmp / "pytest.ini"),
                              "--gp-adapters", "fdplug", "--gp-cases", names,
                              "--gp-dtypes", "float64"])
    out[key] = {"status": int(status), "output": o.getvalue() + e.getvalue()}
    lap("pytest_" + key)
print(json.dumps(out))
'''


def _install(site: Path) -> None:
    """The package as pip would leave it: modules and a dist-info folder on one path entry."""
    (site / "fdengine.py").write_text(FRAMEWORK)
    (site / "gradparity_fdplug.py").write_text(ADAPTER)
    (site / "gradparity_fdplug_cases.py").write_text(CASES)
    info = site / "gradparity_fdplug-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gradparity-fdplug\n"
                                   "Version: 0.1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("third_party")
    site = tmp / "site"
    site.mkdir()
    _install(site)
    (tmp / "test_conformance.py").write_text(CONFORMANCE_TEST)
    (tmp / "pytest.ini").write_text("[pytest]\n")
    # `gradparity list adapters` asks every adapter whether its framework imports; importing
    # torch, JAX and TensorFlow would be most of this test's cost, so here they are missing.
    blocked = tmp / "blocked"
    for name in BLOCKED:
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(
            f"raise ImportError('{name} is left out of this test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site), str(blocked)]),
           "TF_CPP_MIN_LOG_LEVEL": "3", "GRADPARITY_THREADS": "1"}
    env.pop("GRADPARITY_REQUIRE", None)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(DRIVER), str(tmp)],
                          capture_output=True, text=True, env=env, cwd=tmp, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _statuses(records: list[dict[str, Any]], case: str) -> dict[str, str]:
    return {r["check"]: r["status"] for r in records if r["case"] == case}


def test_the_plugin_is_discovered_listed_and_run(seen: dict[str, Any]) -> None:
    print("seconds per step:", seen["seconds"])
    assert seen["available"]
    listed = seen["list_adapters"]["stdout"]
    assert "fdplug" in listed and "fdengine 0.3.1" in listed
    assert "my-loss" in seen["list_cases"]["stdout"]
    assert seen["check"]["status"] == 0, seen["check"]
    assert _statuses(seen["check_records"], "my-loss")["value"] == "pass"
    assert _statuses(seen["check_records"], "my-loss")["vjp_vs_refengine"] == "pass"


def test_1_a_declined_quantity_is_unsupported_not_error(seen: dict[str, Any]) -> None:
    records = seen["check_records"]
    assert not [r for r in records if r["status"] == "error"], records
    declined = [r for r in records if r["case"] == "my-loss" and r["status"] == "unsupported"]
    checks = {r["check"] for r in declined}
    # forward mode (Unsupported from _jvp), the HVP (NotImplementedError from _hvp) and the
    # other nestings (BaseAdapter's default builders)
    assert {"jvp_vs_refengine", "jvp_vs_oracle", "adjoint", "hvp_vs_oracle",
            "second_order_nestings"} <= checks, checks
    messages = " ".join(r["message"] for r in declined)
    assert "fdengine has no forward mode" in messages
    assert "fdengine has no second order" in messages


def test_2_the_indexing_hook_translates_numpy_index_arrays(seen: dict[str, Any]) -> None:
    hooked = _statuses(seen["check_records"], "index-pairs")
    assert hooked["value"] == "pass" and hooked["vjp_vs_refengine"] == "pass", hooked
    # The negative control: the same adapter without the hook cannot index.
    bare = [r for r in seen["bare_records"] if r["case"] == "index-pairs"
            and r["check"] == "value"]
    assert bare and bare[0]["status"] == "error"
    assert "fdengine tensors take fdengine tensors" in bare[0]["message"]


def test_3_divergences_every_framework_and_the_plugins_own(seen: dict[str, Any]) -> None:
    records = seen["check_records"]
    where = [r for r in records if r["case"] == "where-nan-sqrt"
             and r["status"] == "divergence-documented"]
    assert where and all("0 * inf = NaN" in r["message"] for r in where)  # the EVERY entry
    relu = [r for r in records if r["case"] == "relu-nn-at-zero"
            and r["status"] == "divergence-documented"]
    assert relu and all("fdengine's manual" in r["message"] for r in relu)  # the plug-in's
    # Without the table the same records are failures: the entries are what documents them.
    assert {"fail", "nonfinite"} & set(seen["undocumented"])


def test_3_every_framework_entries_name_no_list_of_adapters() -> None:
    from cases.conventions import EVERY, TABLE, markdown
    from reports.explain.documented_divergences import applies_to_run

    every = [e for e in TABLE if e.adapters == EVERY]
    assert any(e.cases == ("where-nan-sqrt", "where-division-by-zero", "zero-times-inf")
               for e in every)
    # explain: each applies to a plug-in in a dtype it covers (a half-precision entry: float16)
    assert all(applies_to_run(e, "someone-elses", "", (tuple(e.dtypes) or ("float64",))[0])
               for e in every)
    assert markdown(tuple(every)).count("| every framework |") == len(every)


def test_4_the_environment_is_prepared_before_the_framework_is_imported(
        seen: dict[str, Any]) -> None:
    assert seen["lazy"]  # adapters.get() imported the plug-in, not its framework
    assert seen["env_at_import"] == ["refengine", "1"]


def _members() -> set[str]:
    """The protocol's methods and attributes (not what typing.Protocol adds)."""
    return ({n for n, v in vars(AdapterHooks).items()
             if inspect.isfunction(v) and not n.startswith("__")}
            | set(AdapterHooks.__annotations__))


def test_5_the_contract_is_a_public_protocol_and_documented() -> None:
    assert "AdapterHooks" in adapters.__all__ and adapters.AdapterHooks is AdapterHooks
    assert {"_load", "_vjp", "sync", "index", "prepare_environment", "name"} <= _members()
    for name in adapters.names():  # every built-in adapter provides the whole contract
        cls = type(adapters.get(name))
        if getattr(adapters.get(name), "remote", False):  # the class its worker runs
            module, attr = adapters._BUILTIN[name].split(":")
            cls = getattr(importlib.import_module(module), attr)
        assert not [m for m in _members() if not hasattr(cls, m)], name
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Writing an adapter", 1)[1].split("\n## ", 1)[0]
    for member in sorted(_members()):
        assert f"`{member}" in section, f"README's 'Writing an adapter' omits {member}"
    for group in ("gradparity.adapters", "gradparity.cases", "gradparity.conventions"):
        assert group in section


def test_5_the_plugin_satisfies_the_protocol(seen: dict[str, Any]) -> None:
    assert seen["hooks"]


def test_6_underscore_names_are_found_and_typos_get_the_closest_name(
        seen: dict[str, Any]) -> None:
    assert seen["get_underscore"] == "my-loss"
    assert any(r["case"] == "my-loss" for r in seen["check_records"])  # --cases my_loss
    assert seen["typo"]["status"] == 2 and "'my-loss'" in seen["typo"]["stderr"]
    assert seen["pytest"]["status"] == 0, seen["pytest"]["output"][-2000:]
    assert "PASSED test_conformance.py::test_conformance[my-loss-fdplug-eager-float64-value]" \
        in seen["pytest"]["output"]  # --gp-cases my_loss
    assert seen["pytest_typo"]["status"] != 0
    assert "closest: my-loss" in seen["pytest_typo"]["output"]


def test_7_the_summary_names_the_plugins_framework_version(seen: dict[str, Any]) -> None:
    line = next(x for x in seen["summary"].splitlines() if x.startswith("- versions:"))
    assert "fdengine 0.3.1" in line


def test_8_quiet_still_says_where_and_how_many_when_it_fails(seen: dict[str, Any]) -> None:
    bare = seen["bare"]
    assert bare["status"] == 1
    assert "run folder:" in bare["stdout"] and "undocumented failures:" in bare["stdout"]
    assert "statuses:" not in bare["stdout"]  # the rest stays quiet
    assert seen["check"]["stdout"] == ""  # a run that worked prints nothing
