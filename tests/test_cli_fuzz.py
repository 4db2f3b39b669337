"""A fuzz of every subcommand's options with bad values (negative, zero, nan, inf, huge, empty, wrong type, a list, a
missing file, a directory for a file): each ends in one line on stderr, exit code 2 for a usage error or 1 for a
runtime error, never a traceback, and before any work starts (training, an attack, an experiment, an agent: each is
replaced here by a tripwire). Run in this process through ``backprop.cli.main`` (fast); a few in a subprocess.

``--debug`` (or BACKPROP_DEBUG=1) shows the traceback instead; an unexpected error is one line naming its type.
"""
import os
import subprocess
import sys

import pytest

from backprop import cli
from backprop.cli import main

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")


class Started(BaseException):
    """Raised by the tripwires: a bad value got as far as the work (BaseException: main() does not catch it)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A real checkpoint (a tiny run, no report), an 8x8 PNG, a text file, a directory."""
    from PIL import Image

    from backprop.train import run

    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "finish", lambda trainer, test_loader, info: {
            "test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
            "parameters": 0})
        assert main(["train", "--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "1", "--no-augment",
                     "--progress", "none", "--out", str(root / "run")]) == 0
    Image.new("L", (8, 8), 0).save(root / "digit.png")
    (root / "notes.txt").write_text("not a checkpoint, not an image")
    (root / "folder").mkdir()
    return {"CKPT": str(root / "run" / "checkpoint.safetensors"), "PNG": str(root / "digit.png"),
            "TEXT": str(root / "notes.txt"), "DIR": str(root / "folder"),
            "MISSING": str(root / "missing" / "x.png"), "INSIDE": str(root / "notes.txt" / "run")}


@pytest.fixture(autouse=True)
def tripwires(monkeypatch, tmp_path):
    """Nothing may start: training, rl training, an experiment, an attack, an explanation, a program run, a server."""
    from backprop import experiments
    from backprop.attacks import checkpoint as attack_checkpoint
    from backprop.compat import runner
    from backprop.explain import checkpoint as explain_checkpoint
    from backprop.rl import run as rl_run
    from backprop.serve import app
    from backprop.train import trainer

    def started(*args, **kwargs):
        raise Started("the work started")

    def started_on_a_checkpoint(checkpoint, *args, **kwargs):  # reading the checkpoint comes first, as the real ones
        trainer.load_checkpoint(checkpoint)
        started()

    monkeypatch.setattr(trainer.Trainer, "fit", started)
    monkeypatch.setattr(rl_run, "train", started)
    monkeypatch.setattr(experiments, "run", started)
    monkeypatch.setattr(attack_checkpoint, "attack_checkpoint", started_on_a_checkpoint)
    monkeypatch.setattr(explain_checkpoint, "explain_image", started_on_a_checkpoint)
    monkeypatch.setattr(runner, "run_program", started)
    monkeypatch.setattr(app, "open_socket", started)
    monkeypatch.setattr(app, "run_server", started)
    monkeypatch.delenv("BACKPROP_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)  # a default output directory (runs/...) lands here


POSITIVE_INT = ["-1", "0", "nan", "inf", "1e400", "", "abc", "[1,2]", "1.5"]
POSITIVE_FLOAT = ["-1", "0", "nan", "inf", "-inf", "1e400", "", "abc", "[1,2]"]
FRACTION = ["-1", "1", "2", "nan", "inf", "", "abc", "[0.1]"]
NONNEGATIVE = ["-1", "nan", "inf", "-inf", "", "abc", "[1]"]
WEIGHT = ["0", "-1", "1.5", "nan", "", "abc"]
MOMENTUM = ["1", "5", "-0.5", "nan", "inf", "", "abc"]
CHOICE = ["", "abc", "0", "[1,2]"]
SEED = ["-1", "1.5", "", "abc", "nan", "[1]"]
INTEGER = ["1.5", "", "abc", "nan", "[1]"]

TRAIN = {
    "--epochs": POSITIVE_INT, "--batch-size": POSITIVE_INT, "--step-size": POSITIVE_INT,
    "--milestones": POSITIVE_INT, "--early-stopping": POSITIVE_INT,
    "--lr": POSITIVE_FLOAT, "--gamma": POSITIVE_FLOAT, "--clip-grad-norm": POSITIVE_FLOAT,
    "--max-norm": POSITIVE_FLOAT, "--val-fraction": FRACTION, "--weight-decay": NONNEGATIVE,
    "--adversarial-eps": NONNEGATIVE, "--adversarial-weight": WEIGHT, "--momentum": MOMENTUM, "--seed": SEED,
    "--optimizer": CHOICE, "--schedule": CHOICE, "--adversarial": CHOICE, "--progress": CHOICE,
    "--model": ["", "abc", "0", "[1,2]", "lenet5"], "--dataset": ["", "abc", "0", "sine"],
    "--device": ["", "tpu", "cuda:-1", "cuda:x", "0"], "--name": ["", ".", "..", "../../etc", "a/b"],
    "--root": [""], "--model-option": ["", "hidden", "=1", "bogus=1", "hidden=[0]", "hidden=-1", "hidden=nan",
                                       "hidden=[1e400]", "hidden=[[1]]", "hidden={}", "hidden=null", "hidden=[128]",
                                       "channels=[0,0]", "channels=[]", "channels=\"a\"", "channels=[99999999999]",
                                       "dropout=2", "dropout=-1", "dropout=nan",
                                       "input_shape=[1,8,8]", "num_classes=3"],
}
ATTACK = {"--eps": NONNEGATIVE, "--examples": POSITIVE_INT, "--seed": SEED, "--method": CHOICE}
PGD = {"--alpha": POSITIVE_FLOAT, "--steps": POSITIVE_INT}
EXPLAIN = {"--method": CHOICE, "--rule": CHOICE, "--invert": CHOICE, "--target": INTEGER + ["-1", "10", "1e400"]}
RL_TRAIN = {"--episodes": POSITIVE_INT, "--minutes": POSITIVE_FLOAT, "--checkpoint-every": POSITIVE_INT,
            "--agent": CHOICE, "--progress": CHOICE, "--seed": SEED, "--option": ["", "lr", "=1", "bogus=1"],
            "--env-option": ["", "x", "=1"], "--env": ["", "abc", "[1,2]"]}


def _cases():
    """(argv with placeholders, expected exit code)."""
    out = ["--out", "TMP/run"]
    for option, values in TRAIN.items():
        for value in values:
            yield ["train", option, value, *out], 2
    for option in ("--out",):
        for value in ("", "TEXT", "INSIDE"):
            yield ["train", option, value], 2
    yield ["train", "--model-option", "hidden=[8]", "--model", "mlp", "--resume", *out], 2  # no checkpoint there
    yield ["train", "--early-stopping", "3", "--val-fraction", "0", *out], 2
    for command in (["evaluate"], ["predict"], ["explain"], ["attack"], ["rl", "evaluate"]):
        images = ["PNG"] if command[0] in ("predict", "explain") else []
        for checkpoint in ("", "MISSING", "DIR"):
            yield [*command, checkpoint, *images], 2
        yield [*command, "TEXT", *images], 1  # a file, but not a checkpoint
    for image in ("", "MISSING", "DIR"):
        yield ["predict", "CKPT", image], 2
        yield ["explain", "CKPT", image], 2
    yield ["predict", "CKPT", "TEXT"], 1  # a file, but not an image
    for value in POSITIVE_INT + ["-1"]:
        yield ["predict", "CKPT", "PNG", "--top", value], 2
    for option, values in ATTACK.items():
        for value in values:
            yield ["attack", "CKPT", option, value], 2
    for option, values in PGD.items():
        for value in values:
            yield ["attack", "CKPT", "--method", "pgd", option, value], 2
    yield ["attack", "CKPT", "--alpha", "0.1"], 2  # PGD's option with FGSM
    for value in ("", "DIR", "MISSING"):
        yield ["attack", "CKPT", "--out", value], 2
        yield ["explain", "CKPT", "PNG", "--out", value], 2
    for option, values in EXPLAIN.items():
        for value in values:
            yield ["explain", "CKPT", "PNG", option, value], 2
    for option, values in RL_TRAIN.items():
        for value in values:
            yield ["rl", "train", option, value, *out], 2
    for value in ("", "TEXT", "INSIDE"):
        yield ["rl", "train", "--out", value], 2
    for value in POSITIVE_INT:
        yield ["rl", "evaluate", "CKPT", "--episodes", value], 2
    yield ["rl"], 2
    for value in ("", "nope", "[1,2]"):
        yield ["reproduce", value, *out], 2
    for value in SEED:
        yield ["reproduce", "xor", "--seed", value, *out], 2
    for value in ("", "TEXT", "INSIDE"):
        yield ["reproduce", "xor", "--out", value], 2
    yield ["reproduce"], 2
    for program in ("", "MISSING", "DIR"):
        yield ["run", program], 2
    yield ["run", "--list-missing", "TEXT", "an-argument"], 2
    for value in ("-1", "65536", "1.5", "", "abc", "nan", "[1]"):
        yield ["serve", "--port", value], 2
    for value in ("", " ", "a host"):
        yield ["serve", "--host", value], 2
    for value in ("", "TEXT"):
        yield ["serve", "--runs", value], 2
    yield ["fly"], 2
    yield ["models", "extra"], 2
    yield ["datasets", "--bogus"], 2


CASES = list(_cases())


def _fill(argv, files, tmp_path):
    filled = []
    for word in argv:
        word = files.get(word, word)
        filled.append(word.replace("TMP", str(tmp_path)) if word.startswith("TMP") else word)
    return filled


@pytest.mark.parametrize("argv, code", CASES, ids=[" ".join(argv) or "-" for argv, _ in CASES])
def test_a_bad_value_is_one_line_and_no_work(argv, code, files, tmp_path, capsys):
    argv = _fill(argv, files, tmp_path)
    assert main(argv) == code, capsys.readouterr().err
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("backprop"), err
    assert "Traceback" not in err and "Errno" not in err and "--debug" not in err, err  # no unexpected error
    assert captured.out == ""
    assert not os.path.exists(tmp_path / "run" / "checkpoint.safetensors")


def test_the_fuzz_covers_every_subcommand():
    covered = {argv[0] for argv, _ in CASES} | {" ".join(argv[:2]) for argv, _ in CASES if argv[0] == "rl"}
    assert set(cli.COMMANDS) <= covered
    assert {"rl train", "rl evaluate"} <= covered


# ----------------------------------------------------------------------------------------------- unexpected errors
@pytest.fixture
def a_bug(monkeypatch):
    """``backprop evaluate`` meets an error no code expects (a bug)."""
    from backprop.train import run

    def evaluate(*args, **kwargs):
        return {}["accuracy"]
    monkeypatch.setattr(run, "evaluate", evaluate)


def test_an_unexpected_error_is_one_line_naming_its_type(files, a_bug, capsys):
    assert main(["evaluate", files["CKPT"]]) == 1
    assert capsys.readouterr().err == "backprop: error: KeyError: 'accuracy' (run with --debug for the traceback)\n"


@pytest.mark.parametrize("argv, environment", [(["--debug", "evaluate"], {}), (["evaluate", "--debug"], {}),
                                               (["evaluate"], {"BACKPROP_DEBUG": "1"})])
def test_debug_shows_the_error_itself(files, a_bug, monkeypatch, argv, environment):
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(KeyError):  # as a program, Python prints its traceback
        main([*argv, files["CKPT"]])


def test_debug_shows_an_expected_errors_traceback_too(files):
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        main(["--debug", "evaluate", files["TEXT"]])


def test_as_a_program(files):
    """The console script: one line without --debug, Python's traceback with it."""
    done = subprocess.run([BACKPROP, "train", "--model-option", "channels=[0,0]", "--out", files["DIR"]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "channels must be a non-empty sequence of positive ints, got [0, 0]" in done.stderr
    done = subprocess.run([BACKPROP, "--debug", "evaluate", files["TEXT"]], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("Traceback (most recent call last):"), done.stderr
    assert "not a readable safetensors file" in done.stderr.splitlines()[-1]
