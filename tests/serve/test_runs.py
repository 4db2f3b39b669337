"""backprop.serve.runs on run directories written by the commands' own writers: `backprop train` (a tiny MLP, two
epochs), backprop.rl.run.train (tabular Q-learning, five episodes) and the experiments' Report."""
import json
import os
import shutil
import time

import pytest

pytest.importorskip("markdown_it")

from backprop.cli import main  # noqa: E402
from backprop.experiments import Report  # noqa: E402
from backprop.serve import runs  # noqa: E402
from backprop.train import load_checkpoint  # noqa: E402


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Runs written once by the real commands, copied by ``root`` for each test to change as it likes."""
    base = tmp_path_factory.mktemp("written")
    assert main(["train", "--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "2", "--progress", "none",
                 "--out", str(base / "mlp")]) == 0
    report = Report("demo", "A demonstration", "1 + 1 = 2.", str(base / "reproduce" / "demo"))
    report.setup("Add one and one.")
    report.verdict(False, "the sum is 3")
    report.write()
    try:
        from backprop.rl import run
    except ImportError:  # gymnasium missing: no rl run
        return base
    run.train("q_learning", "FrozenLake-v1", episodes=5, checkpoint_every=2, out=str(base / "rl" / "q"))
    return base


@pytest.fixture
def root(written, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(written, root, symlinks=True)
    return root


def _age(directory, seconds):
    """Make every file of ``directory`` look ``seconds`` old."""
    then = time.time() - seconds
    for entry in directory.iterdir():
        os.utime(entry, (then, then))


def test_the_runs_of_each_command_are_listed(root):
    (root / "notes").mkdir()
    (root / "notes" / "todo.txt").write_text("not a run")
    (root / ".hidden").mkdir()
    shutil.copytree(root / "mlp", root / ".hidden" / "mlp")
    _age(root / "reproduce" / "demo", 60)
    listed = runs.list_runs(root)
    kinds = {run["name"]: (run["kind"], run["status"]) for run in listed}
    expected = {"mlp": ("train", "finished"), "reproduce/demo": ("experiment", "finished")}
    if (root / "rl").exists():
        expected["rl/q"] = ("rl", "finished")
    assert kinds == expected
    assert listed[-1]["name"] == "reproduce/demo"  # the oldest last
    assert [run["modified"] for run in listed] == sorted((run["modified"] for run in listed), reverse=True)
    test = json.loads((root / "mlp" / "test.json").read_text())
    [mlp] = [run for run in listed if run["name"] == "mlp"]
    assert mlp["summary"] == {"model": "mlp", "dataset": "digits", "epochs": "2/2",
                              "test_accuracy": test["test_accuracy"]}


def test_a_train_run_in_detail(root):
    run = runs.run_detail(root, "mlp")
    state = load_checkpoint(str(root / "mlp" / "checkpoint.safetensors"))
    history = json.loads((root / "mlp" / "history.json").read_text())
    assert run["name"] == "mlp" and run["kind"] == "train" and run["status"] == "finished"
    assert {key: run["settings"][key] for key in state["config"]} == state["config"]
    assert run["settings"]["test_accuracy"] == json.loads((root / "mlp" / "test.json").read_text())["test_accuracy"]
    assert run["x"] == "epoch" and run["curves"]["epoch"] == [1, 2]
    assert run["curves"]["loss"] == [row["loss"] for row in history]
    assert run["curves"]["val_accuracy"] == [row["val_accuracy"] for row in history]
    model = {entry["name"]: entry["shape"] for entry in run["checkpoint"] if entry["name"].startswith("model.")}
    assert model == {f"model.{key}": list(value.shape) for key, value in state["model"].items()}
    assert model["model.1.weight"] == [8, 64]
    assert "/files/mlp/learning_curves.png" in run["figures"]
    assert '<img src="/files/mlp/learning_curves.png"' in run["report_html"]
    assert "<table>" in run["report_html"] and "<h1>mlp on digits</h1>" in run["report_html"]


def test_a_training_run_shows_its_new_epochs(root):
    """A run still training: no report yet, history.json rewritten after each epoch (as the Trainer writes it)."""
    (root / "mlp" / "report.md").unlink()
    history = json.loads((root / "mlp" / "history.json").read_text())
    assert runs.run_detail(root, "mlp")["status"] == "running"
    assert runs.run_detail(root, "mlp")["curves"]["epoch"] == [1, 2]
    history.append({**history[-1], "epoch": 3, "loss": 0.125})
    (root / "mlp" / "history.json").write_text(json.dumps(history, indent=1))
    run = runs.run_detail(root, "mlp")
    assert run["curves"]["epoch"] == [1, 2, 3] and run["curves"]["loss"][-1] == 0.125
    assert run["report_html"] is None


def test_a_run_that_stopped_before_its_report_failed(root):
    (root / "mlp" / "report.md").unlink()
    _age(root / "mlp", runs.RUNNING_SECONDS + 10)
    assert runs.run_detail(root, "mlp")["status"] == "failed"


def test_images_added_later_leave_a_run_finished(root):
    """`backprop attack` writes its grids beside a finished run's checkpoint, after the report."""
    _age(root / "mlp", 600)
    (root / "mlp" / "attack-fgsm-eps0.1.png").write_bytes(b"png")
    assert runs.run_detail(root, "mlp")["status"] == "finished"


def test_a_resumed_run_is_running_again(root):
    """--resume: the old report stays while the history and checkpoint change again."""
    _age(root / "mlp", 600)
    os.utime(root / "mlp" / "history.json")
    assert runs.run_detail(root, "mlp")["status"] == "running"


def test_an_rl_run(root):
    if not (root / "rl").exists():
        pytest.skip("gymnasium is not installed")
    saved = json.loads((root / "rl" / "q" / "returns.json").read_text())
    run = runs.run_detail(root, "rl/q")
    assert run["kind"] == "rl" and run["status"] == "finished" and run["x"] == "episode"
    assert run["curves"] == {"return": saved["returns"], "moving_average": saved["moving_average"],
                             "episode": [1, 2, 3, 4, 5]}
    assert run["settings"]["agent"] == "q_learning" and run["settings"]["env"] == "FrozenLake-v1"
    assert run["checkpoint"] == [{"name": "state.q", "shape": [16, 4]}]  # FrozenLake: 16 states, 4 actions
    assert run["figures"] == ["/files/rl/q/returns.png"]
    saved["interrupted"] = True
    (root / "rl" / "q" / "returns.json").write_text(json.dumps(saved))
    assert runs.run_detail(root, "rl/q")["status"] == "failed"


def test_an_rl_run_still_training_shows_its_last_checkpoints_returns(root):
    if not (root / "rl").exists():
        pytest.skip("gymnasium is not installed")
    saved = json.loads((root / "rl" / "q" / "returns.json").read_text())
    (root / "rl" / "q" / "returns.json").unlink()
    # what the run had written after episode 4 (checkpoint_every=2): the checkpoint alone
    state = load_checkpoint(str(root / "rl" / "q" / "checkpoint.safetensors"))
    run = runs.run_detail(root, "rl/q")
    assert run["kind"] == "rl" and run["status"] == "running"
    assert run["curves"]["return"] == state["returns"] == saved["returns"]
    _age(root / "rl" / "q", runs.RUNNING_SECONDS + 10)
    assert runs.run_detail(root, "rl/q")["status"] == "failed"


def test_an_experiment_and_its_verdict(root):
    run = runs.run_detail(root, "reproduce/demo/")
    assert run["kind"] == "experiment" and run["status"] == "finished"
    assert run["verdicts"] == [{"name": "demo", "reproduced": False, "summary": "the sum is 3"}]
    assert "<strong>Verdict: not reproduced.</strong> the sum is 3" in run["report_html"]
    [demo] = [entry for entry in runs.list_runs(root) if entry["name"] == "reproduce/demo"]
    assert demo["summary"] == {"title": "A demonstration", "reproduced": False}


def test_a_report_runs_no_html_and_its_links_stay_inside(root):
    (root / "mlp" / "report.md").write_text(
        "# report\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) ![up](../../secret.png) ![fig](sub%20dir/fig%201.png) "
        "![peer](../reproduce/demo/x.png) [web](https://example.org/a.png) [top](#report)\n")
    html = runs.run_detail(root, "mlp")["report_html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror" in html
    assert 'href="javascript' not in html
    assert 'src="#"' in html  # out of the root: no link
    assert 'src="/files/mlp/sub%20dir/fig%201.png"' in html
    assert 'src="/files/reproduce/demo/x.png"' in html
    assert 'href="https://example.org/a.png"' in html and 'href="#report"' in html


@pytest.mark.parametrize("name", ["nothing", "reproduce", "mlp/report.md", "", "."])
def test_what_is_no_run_is_a_lookup_error(root, name):
    (root / "empty").mkdir()
    with pytest.raises(LookupError):
        runs.run_detail(root, name)


def test_files_being_written_do_not_break_the_listing(root):
    (root / "mlp" / "history.json").write_text('[{"epoch": 1, "loss"')  # cut short (older writers, a full disk)
    (root / "mlp" / "checkpoint.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{")
    run = runs.run_detail(root, "mlp")
    assert run["checkpoint"] == [] and run["curves"] == {} and run["settings"]["test_loss"] > 0
    assert [entry["name"] for entry in runs.list_runs(root) if entry["kind"] == "train"] == ["mlp"]


def test_a_missing_root_has_no_runs(tmp_path):
    assert runs.list_runs(tmp_path / "missing") == []


# ---------------------------------------------------------------------------------------------------- resolve
def test_resolve_finds_files_under_the_root(root):
    assert runs.resolve(root, "mlp/report.md") == (root / "mlp" / "report.md").resolve()
    (root / "alias").symlink_to(root / "mlp")
    assert runs.resolve(root, "alias/report.md") == (root / "mlp" / "report.md").resolve()


@pytest.mark.parametrize("relative", ["..", "../secret.txt", "mlp/../../secret.txt", "/etc/passwd", "mlp/\0",
                                      "..\\secret.txt", "\\etc\\passwd", "out", "out/secret.txt", "mlp/out/x"])
def test_resolve_refuses_every_way_out(root, relative):
    (root.parent / "secret.txt").write_text("outside")
    (root / "out").symlink_to(root.parent)
    (root / "mlp" / "out").symlink_to("/")
    with pytest.raises(ValueError, match="not a path under the runs directory"):
        runs.resolve(root, relative)
