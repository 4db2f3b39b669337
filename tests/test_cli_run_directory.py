"""``backprop train`` and the run directory: a run is never replaced without a word (``--overwrite`` removes the old
run's files and only those), ``--resume`` refuses options that contradict its checkpoint (naming each, with the
checkpoint's value) and says which ones it applies; ``--early-stopping`` needs a validation set."""
import json
import os

import pytest

from backprop.cli import main
from backprop.train import load_checkpoint

TINY = ["--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "2", "--no-augment", "--progress", "none"]


@pytest.fixture(autouse=True)
def quick_report(monkeypatch):
    """The runs of these tests skip the report's figures (seconds of matplotlib each): what they test is the run
    directory's files, which the module's one real run (``finished``) has all of."""
    from backprop.train import run

    def finish(trainer, test_loader, info):
        return {"test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
                "parameters": 0}

    monkeypatch.setattr(run, "finish", finish)


def _one_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def _snapshot(directory):
    return {name: (directory / name).read_bytes() if (directory / name).is_file() else "a folder"
            for name in sorted(os.listdir(directory))}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished run of 2 epochs, with an attack grid beside it (as `backprop attack` writes) and a user's file."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    (out / "attack-fgsm-eps0.1.png").write_bytes(b"an old grid")
    (out / "notes.txt").write_text("mine")
    (out / "figures").mkdir()
    return out


def test_training_into_a_finished_run_is_refused_with_a_hint(finished, capsys):
    before = _snapshot(finished)
    assert main(["train", *TINY, "--out", str(finished)]) == 2
    assert _one_line(capsys) == (f"backprop train: {finished} holds a finished run (checkpoint of 2 epochs); use "
                                 f"--resume to go on, --overwrite to replace it, or --name NEW")
    assert _snapshot(finished) == before


def test_an_unfinished_run_is_refused_too(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    state = load_checkpoint(str(out / "checkpoint.safetensors"))
    state["config"]["epochs"] = 5  # as a run killed after its first epoch of five
    from backprop.train import save_checkpoint

    save_checkpoint(state, str(out / "checkpoint.safetensors"))
    capsys.readouterr()
    assert main(["train", *TINY, "--out", str(out)]) == 2
    assert "holds an unfinished run (checkpoint of epoch 1 of 5)" in _one_line(capsys)


def test_overwrite_removes_the_old_runs_files_and_nothing_else(finished, tmp_path, capsys):
    out = tmp_path / "run"
    import shutil

    shutil.copytree(finished, out)
    (out / ".tmp-abc123.safetensors").write_bytes(b"left by a killed run")  # an earlier version's temporary name
    (out / ".tmp-history.json.k2j4x.json").write_text("[")                 # files.atomic_write's
    (out / ".tmp-notes.txt.k2j4x.txt").write_text("a user's file's")       # not the run's
    assert main(["train", *TINY, "--epochs", "1", "--seed", "5", "--out", str(out), "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert f"--overwrite: removed 12 files of the previous run from {out}" in printed
    assert not (out / "attack-fgsm-eps0.1.png").exists() and not (out / ".tmp-abc123.safetensors").exists()
    assert not (out / ".tmp-history.json.k2j4x.json").exists()
    assert (out / "notes.txt").read_text() == "mine" and (out / "figures").is_dir()
    assert (out / ".tmp-notes.txt.k2j4x.txt").exists()
    state = load_checkpoint(str(out / "checkpoint.safetensors"))
    assert state["epoch"] == 1 and state["config"]["seed"] == 5  # the new run's
    assert len(json.loads((out / "history.json").read_text())) == 1


def test_overwrite_of_an_empty_directory_is_a_plain_run(tmp_path, capsys):
    assert main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path), "--overwrite"]) == 0
    assert "--overwrite" not in capsys.readouterr().out


def test_resume_and_overwrite_together_are_a_usage_error(finished, capsys):
    assert main(["train", "--resume", "--overwrite", "--out", str(finished)]) == 2
    assert "--resume goes on with the run, --overwrite replaces it: choose one" in _one_line(capsys)


@pytest.mark.parametrize("argv, named", [
    (["--lr", "0.01"], "--lr 0.01 (the checkpoint's: --lr 0.002)"),
    (["--model", "cnn"], "--model cnn (the checkpoint's: --model mlp)"),
    (["--dataset", "spirals"], "--dataset spirals (the checkpoint's: --dataset digits)"),
    (["--optimizer", "sgd"], "--optimizer sgd (the checkpoint's: --optimizer adam)"),
    (["--batch-size", "64"], "--batch-size 64 (the checkpoint's: --batch-size 32)"),
    (["--model-option", "hidden=[16]"], "--model-option hidden=[16] (the checkpoint's: hidden=[8])"),
    (["--model-option", "dropout=0.5"], "--model-option dropout=0.5 (the checkpoint's: no dropout)"),
    (["--epochs", "1"], "--epochs 1 (the checkpoint has done 2)"),
    (["--seed", "3"], "--seed 3 (the checkpoint's: --seed 0)"),
    (["--early-stopping", "2"], "--early-stopping 2 (the checkpoint's: no --early-stopping)"),
    (["--nesterov"], "--nesterov (the checkpoint's: no --nesterov)"),
    (["--milestones", "3", "4"], "--milestones 3 4 (the checkpoint's: no --milestones)"),
])
def test_resume_refuses_options_that_contradict_the_checkpoint(finished, argv, named, capsys):
    before = _snapshot(finished)
    assert main(["train", "--resume", "--out", str(finished), *argv]) == 2
    line = _one_line(capsys)
    assert line.startswith("backprop train: --resume goes on with the run of ") and named in line, line
    assert line.endswith("leave it out, or train a new run with --name NEW")
    assert _snapshot(finished) == before


def test_resume_names_every_contradiction_in_one_line(finished, capsys):
    assert main(["train", "--resume", "--out", str(finished), "--lr", "0.01", "--model", "cnn", "--epochs", "1"]) == 2
    line = _one_line(capsys)
    for named in ("--lr 0.01 (the checkpoint's: --lr 0.002)", "--model cnn (the checkpoint's: --model mlp)",
                  "--epochs 1 (the checkpoint has done 2)"):
        assert named in line
    assert line.endswith("leave them out, or train a new run with --name NEW")


def test_resume_accepts_the_checkpoints_own_values_and_applies_more_epochs(finished, tmp_path, capsys):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(finished, out)
    assert main(["train", "--resume", "--out", str(out), *TINY, "--epochs", "3", "--lr", "0.002"]) == 0
    printed = capsys.readouterr().out
    assert "--resume: epochs 3 (the checkpoint's: 2)" in printed
    assert "the cosine schedule spans the first 2 epochs: past them its learning rate rises again" in printed
    assert load_checkpoint(str(out / "checkpoint.safetensors"))["epoch"] == 3


def test_early_stopping_without_a_validation_set_is_a_usage_error(tmp_path, capsys):
    assert main(["train", *TINY, "--early-stopping", "2", "--val-fraction", "0", "--out", str(tmp_path)]) == 2
    assert _one_line(capsys) == ("backprop train: --early-stopping 2 watches the validation loss, but --val-fraction 0 "
                                 "holds out no validation set: give --val-fraction > 0")
    assert not os.listdir(tmp_path)


def test_a_run_without_its_checkpoint_is_still_a_run(tmp_path, capsys):
    """A folder with a run's report and figures but no checkpoint (deleted by hand): its files would be mixed with
    the new run's, so it is refused too; temporary files alone are no run."""
    (tmp_path / ".tmp-checkpoint.safetensors.x1.safetensors").write_bytes(b"left by a killed run")
    assert main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path)]) == 0
    (tmp_path / "checkpoint.safetensors").unlink()
    capsys.readouterr()
    assert main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path)]) == 2
    assert _one_line(capsys) == (f"backprop train: {tmp_path} holds the files of a run (history.csv, history.json); "
                                 f"use --overwrite to replace it, or --name NEW")  # nothing to --resume from
