"""``--shard K/N`` and ``gradparity merge`` (reports.shards): shares that are deterministic,
balanced by measured cost, and together cover every unit exactly once; a merged folder that
reports as one unsharded run; merges refused for other versions or a unit held twice.
refengine on a few cases keeps each run about a second."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reports import commands
from reports.cli import EXIT_OK, EXIT_RUN_FOLDER, EXIT_USAGE, main
from reports.render import summary_markdown
from reports.rundir import RunFolder
from reports.selection import SelectionError
from reports.shards import assign, case_costs, parse_shard

CASES = "sin,cos,exp,op-add,op-multiply,tanh,sum-all"
CHECK = ["check", "--cases", CASES, "--adapters", "refengine", "--dtypes", "float64",
         "--jobs", "1", "--quiet"]


@pytest.fixture(autouse=True)
def no_plots(monkeypatch):
    monkeypatch.setattr(commands, "render", lambda folder: {})  # records and summaries only


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One unsharded run, and the three shards of the same selection balanced by its costs."""
    root = tmp_path_factory.mktemp("shards")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(commands, "render", lambda folder: {})
        assert main([*CHECK, "--out", str(root / "whole")]) == EXIT_OK
        for k in (1, 2, 3):
            assert main([*CHECK, "--shard", f"{k}/3", "--costs", str(root / "whole"),
                         "--out", str(root / f"shard{k}")]) == EXIT_OK
    return root


def units(path: Path) -> list[tuple]:
    lines = (path / "commits.jsonl").read_text().splitlines()
    return [tuple(u) for line in lines for u in json.loads(line)["checks"]]


def after_the_header(text: str) -> str:
    """A summary from its first table on (the header names the folder, date and command)."""
    return text[text.index("## At a glance"):]


def test_shards_cover_every_unit_exactly_once_and_merge_reports_as_one_run(runs) -> None:
    every = units(runs / "whole")
    shares = [units(runs / f"shard{k}") for k in (1, 2, 3)]
    assert all(shares)  # seven cases, three shares: none is empty
    together = [u for share in shares for u in share]
    assert sorted(together) == sorted(every) and len(set(together)) == len(together)
    cases = [{u[0] for u in share} for share in shares]
    assert not (cases[0] & cases[1] or cases[0] & cases[2] or cases[1] & cases[2])
    merged = runs / "merged"
    assert main(["merge", *(str(runs / f"shard{k}") for k in (1, 2, 3)), "--out",
                 str(merged), "--quiet"]) == EXIT_OK
    assert sorted(units(merged)) == sorted(every)
    whole, joined = RunFolder.open(runs / "whole"), RunFolder.open(merged)
    assert after_the_header(summary_markdown(joined)) == after_the_header(
        summary_markdown(whole))
    env = joined.environment()
    assert env["selection"] == whole.environment()["selection"]  # the unsharded run's
    assert [m["shard"] for m in env["merged_from"]] == ["1/3", "2/3", "3/3"]
    assert "merged from" in summary_markdown(joined)


def test_a_merge_of_other_versions_or_of_a_unit_twice_is_refused(runs, tmp_path,
                                                                 capsys) -> None:
    other = tmp_path / "shard2"
    shutil.copytree(runs / "shard2", other)
    env = json.loads((other / "environment.json").read_text())
    env["adapters"]["refengine"] = {"refengine": "0.0.9"}
    (other / "environment.json").write_text(json.dumps(env))
    shards = [str(runs / "shard1"), str(other), str(runs / "shard3")]
    out = tmp_path / "merged"
    assert main(["merge", *shards, "--out", str(out)]) == EXIT_RUN_FOLDER
    err = capsys.readouterr().err
    assert "refengine (refengine)" in err and "0.0.9" in err and "--allow-mixed-versions" in err
    assert not (out / "environment.json").exists()
    assert main(["merge", *shards, "--out", str(out), "--allow-mixed-versions",
                 "--quiet"]) == EXIT_OK
    twice = [str(runs / "shard1"), str(runs / "shard1")]
    assert main(["merge", *twice, "--out", str(tmp_path / "twice")]) == EXIT_RUN_FOLDER
    assert "both hold check" in capsys.readouterr().err


def test_shares_are_deterministic_and_balanced_by_cost() -> None:
    costs = {"a": 8.0, "b": 5.0, "c": 4.0, "d": 3.0, "e": 2.0, "f": 1.0}
    shares = assign(costs, 2)
    assert shares == assign(dict(reversed(costs.items())), 2)  # the order given: no matter
    loads = [sum(costs[c] for c in share) for share in shares]
    assert sorted(loads) == [11.5 - 0.5, 11.5 + 0.5]  # 11 and 12 of 23
    assert assign({"a": 1.0}, 3) == [["a"], [], []]


def test_costs_come_from_the_records_with_a_fallback_for_what_they_lack(runs) -> None:
    from types import SimpleNamespace

    from reports.selection import select

    args = SimpleNamespace(cases="sin,erf", tags=None, adapters="refengine", modes=None,
                           dtypes="float64")
    selection = select(args)
    measured = case_costs(selection, runs / "whole")
    assert measured["sin"] > 0 and measured["erf"] > 0  # erf: not in the records
    whole = RunFolder.open(runs / "whole").conformance()
    assert measured["sin"] == pytest.approx(whole.loc[whole["case"] == "sin", "seconds"].sum())
    assert case_costs(selection, None) == {"sin": 1.0, "erf": 1.0}  # no records at all


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "2"])
def test_a_bad_shard_is_refused(text) -> None:
    with pytest.raises(SelectionError, match="K/N"):
        parse_shard(text)


def test_costs_without_shard_is_a_usage_error(tmp_path, capsys) -> None:
    assert main([*CHECK, "--costs", str(tmp_path), "--out", str(tmp_path / "r")]) == EXIT_USAGE
    assert "--costs balances --shard" in capsys.readouterr().err
