"""The experiments' machinery: the report, the registry, ``backprop reproduce``."""
import json

import pytest

import backprop as bp
from backprop import cli, experiments
from backprop.experiments import registry
from backprop.experiments.report import VERDICT, Report


@pytest.fixture
def toy(monkeypatch):
    """A registered experiment 'toy' that draws a random number, tables it and draws a figure."""
    monkeypatch.setattr(registry, "_EXPERIMENTS", dict(registry._EXPERIMENTS))

    @experiments.experiment("toy", "A toy", "Two and two make four.")
    def run(report, quick, seed):
        report.setup(f"quick={quick}, seed={seed}")
        report.result("draw", bp.rand(1).item())
        report.table(["a", "b", "a + b"], [[2, 2, 2 + 2]])
        with report.figure("line.png", "A line") as (axis,):
            axis.plot([0, 1], [0, 1])
        report.verdict(2 + 2 == 4, "2 + 2 = 4")
    return run


def test_report_has_claim_setup_result_and_verdict_last(toy, tmp_path):
    report = experiments.run("toy", out=str(tmp_path), quick=True, seed=3)
    text = (tmp_path / "toy" / "report.md").read_text()
    assert text.startswith("# A toy\n")
    assert "**The lecture's claim.** Two and two make four." in text
    assert "quick=True, seed=3" in text and "| 2 | 2 | 4 |" in text and "![A line](line.png)" in text
    assert text.rstrip().splitlines()[-1] == f"{VERDICT}reproduced.** 2 + 2 = 4"
    assert (tmp_path / "toy" / "line.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "toy" / "results.json").read_text())
    assert saved["reproduced"] is True and saved["figures"] == ["line.png"] and saved["quick"] is True
    assert saved["results"]["draw"] == report.results["draw"]


def test_run_is_seeded_and_leaves_the_global_generator_alone(toy, tmp_path):
    bp.manual_seed(123)
    expected_next = bp.rand(1).item()
    bp.manual_seed(123)
    first = experiments.run("toy", out=str(tmp_path), seed=5).results["draw"]
    assert bp.rand(1).item() == expected_next
    second = experiments.run("toy", out=str(tmp_path), seed=5).results["draw"]
    third = experiments.run("toy", out=str(tmp_path), seed=6).results["draw"]
    assert first == second != third


def test_a_failed_claim_says_not_reproduced(tmp_path):
    report = Report("x", "X", "claim", str(tmp_path))
    report.verdict(False, "measured 3, claimed 4")
    assert report.verdict_line() == f"{VERDICT}not reproduced.** measured 3, claimed 4"
    assert Report("y", "Y", "c", str(tmp_path)).verdict_line().startswith(f"{VERDICT}none.**")


def test_unknown_experiment_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown experiment 'nope'; known: "):
        experiments.get("nope")


def test_registering_two_functions_under_one_name_fails(toy):
    with pytest.raises(ValueError, match="'toy' is registered twice"):
        experiments.experiment("toy", "t", "c")(lambda report, quick, seed: None)


def test_names_follow_the_lectures_order():
    names = experiments.names()
    known = [n for n in registry.ORDER if n in names]
    assert names[:len(known)] == known


def test_cli_runs_lists_and_rejects(toy, tmp_path, capsys):
    assert cli.main(["reproduce", "toy", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "toy: Verdict: reproduced. 2 + 2 = 4" in out and (tmp_path / "toy" / "report.md").exists()
    assert cli.main(["reproduce", "--list"]) == 0
    assert "toy" in capsys.readouterr().out
    assert cli.main(["reproduce", "nope"]) == 2
    assert "unknown experiment 'nope'" in capsys.readouterr().err
    assert cli.main(["reproduce"]) == 2
