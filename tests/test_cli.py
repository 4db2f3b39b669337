"""The ``backprop`` command: exit codes, one-line errors, the listings, a run end to end, kill and resume."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.train import load_checkpoint

TINY = ["--model", "mlp", "--model-option", "hidden=[32]", "--epochs", "3", "--lr", "0.01", "--no-augment",
        "--progress", "none"]


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "-1"], "argument --epochs: expected a positive int, got '-1'"),
    (["train", "--epochs", "x"], "argument --epochs: expected a positive int, got 'x'"),
    (["train", "--model", "nope"], "unknown model 'nope'; known: mlp, cnn"),
    (["train", "--dataset", "nope"], "unknown dataset 'nope'; known: digits"),
    (["train", "--optimizer", "adamax"], "argument --optimizer: invalid choice: 'adamax'"),
    (["train", "--val-fraction", "1.5"], "expected a number in [0, 1), got '1.5'"),
    (["train", "--model-option", "hidden"], "expected KEY=VALUE, got 'hidden'"),
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["evaluate", "missing.safetensors"], "no such file 'missing.safetensors'"),
    (["predict", "missing.safetensors", "a.png"], "no such file 'missing.safetensors'"),
    (["fly"], "invalid choice: 'fly'"),
])
def test_bad_arguments_are_one_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_a_model_option_the_model_lacks_is_a_usage_error_of_one_line(tmp_path, capsys):
    assert main(["train", *TINY, "--model-option", "depth=3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("backprop train: --model-option:") and "depth" in err
    assert not os.listdir(tmp_path)  # refused before any work


def test_console_script_and_module_give_the_same_usage_error():
    script = os.path.join(os.path.dirname(sys.executable), "backprop")
    for command in ([script], [sys.executable, "-m", "backprop"]):
        done = subprocess.run([*command, "train", "--batch-size", "0"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, command
        assert done.stderr.strip() == "backprop train: argument --batch-size: expected a positive int, got '0'"


def test_models_lists_the_zoo_with_lecun1989_counts(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) == set(bp.models.names())
    assert "2,570" in lines["lecun1989_net1"] and "1,060" in lines["lecun1989_net5"]
    assert "61,706" in lines["lenet5"]


def test_datasets_lists_what_works_offline(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["digits"][1:4] == ["1x8x8", "10", "yes"] and rows["mnist"][3] == "needs"


def test_train_evaluate_predict_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    for name in ("checkpoint.safetensors", "history.json", "history.csv", "report.md", "learning_curves.png",
                 "confusion_matrix.png", "predictions.png", "filters.png", "test.json"):
        assert (out / name).stat().st_size > 0, name
    result = json.loads((out / "test.json").read_text())
    assert result["test_accuracy"] > 0.8  # chance is 0.1
    assert f"test accuracy {result['test_accuracy']:.2%}" in printed
    assert f"**Test accuracy {result['test_accuracy']:.2%}**" in (out / "report.md").read_text()

    assert main(["evaluate", str(out / "checkpoint.safetensors")]) == 0
    assert f"accuracy {result['test_accuracy']:.2%}" in capsys.readouterr().out

    from PIL import Image

    test_set = bp.data.digits(train=False)
    paths, labels = [], []
    for i in range(10):
        image, label = test_set[i]
        path = tmp_path / f"digit{i}.png"
        pixels = (image.numpy()[0] * 255).astype(np.uint8)
        Image.fromarray(pixels).resize((32, 32), Image.NEAREST).save(path)
        paths.append(str(path))
        labels.append(str(int(label)))
    assert main(["predict", str(out / "checkpoint.safetensors"), *paths, "--top", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    guesses = [line.split(": ")[1].split()[0] for line in lines]
    assert sum(g == t for g, t in zip(guesses, labels)) >= 7, (guesses, labels)


def _run(args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "backprop", "train", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_run_killed_mid_epoch_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    args = ["--model", "mlp", "--model-option", "hidden=[512,512]", "--model-option", "dropout=0.2",
            "--epochs", "5", "--progress", "none", "--seed", "7"]
    whole = _run([*args, "--out", str(tmp_path / "whole")])
    killed = _run([*args, "--out", str(tmp_path / "killed")])
    history = tmp_path / "killed" / "history.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and killed.poll() is None:
        # epoch 2's checkpoint is written before its history row: killed from here on, it resumes from epoch >= 2
        # (where in epoch 3 the kill lands changes nothing; a wait to get "into" it would only let a fast machine
        # finish the run first)
        if history.exists() and len(json.loads(history.read_text() or "[]")) >= 2:
            break
        time.sleep(0.02)
    assert killed.poll() is None, "the run ended before it could be killed"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    epoch_at_kill = load_checkpoint(str(tmp_path / "killed" / "checkpoint.safetensors"))["epoch"]
    assert 2 <= epoch_at_kill < 5
    resumed = _run(["--resume", "--out", str(tmp_path / "killed")])
    assert resumed.wait(timeout=180) == 0, resumed.stderr.read()
    assert whole.wait(timeout=180) == 0, whole.stderr.read()
    a = load_checkpoint(str(tmp_path / "whole" / "checkpoint.safetensors"))
    b = load_checkpoint(str(tmp_path / "killed" / "checkpoint.safetensors"))
    assert a["epoch"] == b["epoch"] == 5
    for key, value in a["model"].items():
        np.testing.assert_array_equal(b["model"][key].numpy(), value.numpy(), err_msg=key)
