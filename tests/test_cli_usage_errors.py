"""The ``backprop`` command as a user runs it, in a subprocess: usage errors refused up front in one line with exit
code 2 (never a traceback, never a raw ``[Errno N]``), ``--version``, and a reader that closes the pipe early."""
import os
import subprocess
import sys

import pytest

import backprop as bp
from backprop.cli import _count, main

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")


def _backprop(*argv, cwd=None):
    return subprocess.run([BACKPROP, *map(str, argv)], capture_output=True, text=True, timeout=120, cwd=cwd)


def _assert_usage_error(done, message):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("backprop "), done.stderr
    assert message in done.stderr, done.stderr
    assert done.stdout == ""


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("not a directory")
    return path


# each is refused before any data is read or any model trained: the run directory stays as it was
@pytest.mark.parametrize("argv, message", [
    (["--lr", "nan"], "argument --lr: expected a positive number (finite), got 'nan'"),
    (["--lr", "inf"], "argument --lr: expected a positive number (finite), got 'inf'"),
    (["--lr", "0"], "argument --lr: expected a positive number (finite), got '0'"),
    (["--optimizer", "sgd", "--momentum", "5"], "argument --momentum: expected a number in [0, 1)"),
    (["--momentum", "1"], "a momentum of 1 or more diverges"),
    (["--momentum", "-0.5"], "argument --momentum: expected a number in [0, 1)"),
    (["--weight-decay", "nan"], "argument --weight-decay: expected a number >= 0, got 'nan'"),
    (["--device", "tpu"], "argument --device: device expected 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
    (["--epochs", "x"], "argument --epochs: expected a positive int, got 'x'"),
    (["--resume"], "--resume: no checkpoint at"),
    (["--model-option", "bogus=1"], "--model-option: model 'cnn' has no option 'bogus'"),
    (["--model", "mlp", "--model-option", "hidden=[0]"], "--model-option: mlp: hidden must be a sequence of positive"),
    (["--name", "../../etc"], "argument --name: expected a plain name (one folder inside runs/"),
])
def test_train_refuses_a_bad_setting_up_front(argv, message, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    _assert_usage_error(_backprop("train", *argv, "--out", out), message)
    assert not os.listdir(out)


def test_an_output_directory_that_is_a_file_is_a_usage_error(a_file):
    _assert_usage_error(_backprop("train", "--out", a_file), f"--out {str(a_file)!r} is a file, not a directory")
    assert a_file.read_text() == "not a directory"


def test_an_output_directory_inside_a_file_is_a_usage_error(a_file):
    inside = a_file / "run"
    _assert_usage_error(_backprop("rl", "train", "--out", inside), f"lies inside the file {str(a_file)!r}")


def test_explain_refuses_a_target_out_of_range(tmp_path):
    from PIL import Image

    out = tmp_path / "run"
    assert main(["train", "--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "1", "--no-augment",
                 "--progress", "none", "--out", str(out)]) == 0
    image = tmp_path / "digit.png"
    Image.new("L", (8, 8), 255).save(image)
    done = _backprop("explain", out / "checkpoint.safetensors", image, "--method", "saliency", "--target", "10")
    _assert_usage_error(done, "backprop explain: --target must be a class index in [0, 10), got 10")
    assert sorted(os.listdir(tmp_path)) == ["digit.png", "run"]  # no heat map written


def test_version_prints_the_package_version():
    done = _backprop("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"backprop {bp.__version__}\n", "")


def test_a_closed_output_pipe_ends_the_command_quietly():
    # the reader is gone before the command writes (as `backprop models | head -0`): each write fails with EPIPE
    process = subprocess.Popen([BACKPROP, "models"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 141  # 128 + SIGPIPE, the code a shell gives a tool the pipe ended
    assert err == ""


def test_counts_take_the_singular_for_one():
    assert (_count(1, "epoch"), _count(2, "epoch"), _count(0, "epoch")) == ("1 epoch", "2 epochs", "0 epochs")


def test_missing_dataset_files_name_the_command_line_switch(tmp_path, capsys):
    """A CLI user is told of --download (not of Python's download=True alone) when a dataset's files are missing."""
    code = main(["train", "--dataset", "mnist", "--root", str(tmp_path / "none"), "--epochs", "1",
                 "--progress", "none", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "mnist needs the files" in err and "--download on the command line" in err


@pytest.mark.parametrize("option, value", [("input_shape", "[1,8,8]"), ("num_classes", "3")])
def test_a_model_option_the_dataset_sets_is_refused_naming_the_dataset(option, value, tmp_path, capsys):
    code = main(["train", "--model-option", f"{option}={value}", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"{option} is set by the dataset 'digits'" in err and "multiple values" not in err
    assert not (tmp_path / "run").exists()
