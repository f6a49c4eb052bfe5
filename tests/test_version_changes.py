"""Two versions of one framework side by side (issue 22): an older JAX in its own environment
(``python -m adapters.environments jax@0.4.38``), labelled by version, and the report of what
changed between it and the installed JAX.

The unit tests (a synthetic frame, the naming, the unavailable reason) cost nothing. The
end-to-end test needs the older JAX's environment (634 MB, ~64 s to make on the shared 2-core
machine), which ``.ci/run`` makes; elsewhere it skips with the command that makes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adapters
from adapters import environments
from reports.version_changes import version_changes

OLD = "jax@0.4.38"


def _frame(rows):
    columns = ["case", "adapter", "mode", "dtype", "check", "status", "max_rel_err",
               "framework_version", "message"]
    return pd.DataFrame(rows, columns=columns)


def _pair(case, check, new, old, err_new=0.0, err_old=0.0):
    return [(case, "jax", "jit", "float64", check, new, err_new, "jax 0.10.2", ""),
            (case, OLD, "jit", "float64", check, old, err_old, "jax 0.4.38", "")]


def test_a_status_change_and_a_precision_change_are_listed_and_the_rest_is_not():
    frame = _frame([*_pair("abs-at-zero", "kink", "divergence-documented", "pass"),
                    *_pair("erf", "vjp_vs_refengine", "pass", "pass", 1e-16, 3e-12),
                    *_pair("sin", "value", "pass", "pass", 1e-16, 2e-16),
                    *_pair("exp", "value", "pass", "pass", np.nan, np.nan)])
    changes = version_changes(frame, "jax", OLD)
    assert changes.compared == 4
    assert list(changes.changed["case"]) == ["abs-at-zero", "erf"]
    assert "| abs-at-zero | jit | float64 | kink | divergence-documented" in changes.markdown
    assert "jax 0.10.2 vs jax 0.4.38" in changes.markdown


def test_identical_versions_show_no_change():
    # The negative control: the same records under both labels differ nowhere.
    frame = _frame([*_pair("abs-at-zero", "kink", "pass", "pass", 1e-3, 1e-3)])
    assert version_changes(frame, "jax", OLD).changed.empty


def test_bad_input_names_the_problem():
    frame = _frame(_pair("abs-at-zero", "kink", "pass", "pass"))
    with pytest.raises(ValueError, match=r"no records of adapter .jax@9.*jax, jax@0\.4\.38"):
        version_changes(frame, "jax", "jax@9")
    with pytest.raises(ValueError, match=r"factor must be > 1"):
        version_changes(frame, "jax", OLD, factor=1)


def test_a_versioned_name_is_its_framework_in_its_own_environment(tmp_path, monkeypatch):
    assert environments.versioned(OLD) == ("jax", "0.4.38")
    assert environments.versioned("jax") is None
    assert OLD not in adapters.names()  # a default run does not pay for it
    monkeypatch.setattr(environments, "ROOT", tmp_path)  # no environment there
    monkeypatch.delenv(environments.ENVS_VARIABLE, raising=False)
    adapter = adapters._out_of_process(OLD, "cpu")
    assert adapter.name == OLD and adapter.adapter == "jax"
    status = adapter.available()
    assert not status and f"python -m adapters.environments {OLD}" in status.reason


@pytest.fixture(scope="module")
def old_jax():
    adapter = adapters.get(OLD)
    status = adapter.available()
    if not status:
        pytest.skip(f"{OLD} unavailable ({status.reason}); `python -m adapters.environments "
                    f"{OLD}` makes it (634 MB, ~64 s)")
    if not adapters.get("jax").available():
        pytest.skip("jax is not installed")
    return adapter


def test_two_jax_releases_in_one_run_and_what_changed(old_jax):
    import cases
    from cases.conformance import run_case
    from reports.schema import conformance_frame

    records = []
    for name in ("abs-at-zero", "relu-maximum-at-zero", "sin"):
        for adapter in (adapters.get("jax"), old_jax):
            records += run_case(cases.get(name), adapter, "jit", checks=["value", "kink"])
    frame = conformance_frame(records)
    assert set(frame.loc[frame["adapter"] == OLD, "framework_version"]) == {"jax 0.4.38"}
    changes = version_changes(frame, "jax", OLD)
    assert changes.compared == len(records) // 2
    print(changes.markdown)


def test_any_release_gradparity_envs_points_at_is_an_adapter(monkeypatch):
    monkeypatch.setenv(environments.ENVS_VARIABLE, "jax@0.1=/nonexistent/bin/python")
    adapter = adapters.get("jax@0.1")
    assert adapter.name == "jax@0.1" and adapter.python == "/nonexistent/bin/python"
    assert not adapter.available()  # its worker cannot start, and says so
    with pytest.raises(adapters.UnknownAdapterError, match="no adapter named 'jax@9'"):
        adapters.get("jax@9")


def test_the_summary_has_a_what_changed_section_only_beside_an_older_release():
    from reports.render import _version_sections

    both = _frame(_pair("abs-at-zero", "kink", "fail", "pass"))
    (section, _) = _version_sections(both)
    assert section.startswith("## What changed: jax vs jax@0.4.38")
    assert _version_sections(both[both["adapter"] == "jax"]) == []  # the control
