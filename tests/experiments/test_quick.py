"""Every experiment of ``backprop reproduce`` runs in quick mode, reproduces its claim, and writes its report."""
import json

import pytest

from backprop import experiments
from backprop.experiments.report import VERDICT


@pytest.mark.parametrize("name", experiments.names())
def test_quick_run_writes_its_report_and_reproduces_the_claim(name, tmp_path):
    report = experiments.run(name, out=str(tmp_path), quick=True)
    folder = tmp_path / name
    lines = (folder / "report.md").read_text().rstrip().splitlines()
    assert lines[0] == f"# {report.title}" and lines[-1].startswith(VERDICT)
    saved = json.loads((folder / "results.json").read_text())
    assert saved["figures"], f"{name} drew no figure"
    for figure in saved["figures"]:
        assert (folder / figure).read_bytes()[:4] == b"\x89PNG"
    assert report.reproduced, report.verdict_line()


def test_every_experiment_the_issue_names_is_registered():
    assert set(experiments.registry.ORDER) <= set(experiments.names())
