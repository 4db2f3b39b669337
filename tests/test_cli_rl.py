"""``backprop rl``: bad arguments are one line and exit code 2; train writes its files, evaluate reads them back."""
import re

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.rl import run

TINY = ["--agent", "reinforce", "--option", "hidden=[8]", "--progress", "none"]


@pytest.mark.parametrize("argv, message", [
    (["rl"], "backprop rl: name a command: train or evaluate"),
    (["rl", "fly"], "invalid choice: 'fly'"),
    (["rl", "train", "--agent", "ppo"], "argument --agent: invalid choice: 'ppo'"),
    (["rl", "train", "--env", "NoSuchEnv-v0"], "unknown or unusable environment 'NoSuchEnv-v0'"),
    (["rl", "train", "--agent", "q_learning"], "q_learning is tabular: it needs a Discrete observation space"),
    (["rl", "train", "--episodes", "0"], "argument --episodes: expected a positive int, got '0'"),
    (["rl", "train", "--minutes", "x"], "argument --minutes: expected a positive number (finite), got 'x'"),
    (["rl", "train", "--option", "lr"], "expected KEY=VALUE, got 'lr'"),
    (["rl", "train", *TINY, "--option", "depth=2"], "has no option 'depth'; its options: hidden"),
    (["rl", "train", "--env-option", "wind=3"], "CartPole-v1 has no option 'wind'; its options: render_mode, sutton_barto_reward"),
    (["rl", "train", "--progress", "loud"], "argument --progress: invalid choice: 'loud'"),
    (["rl", "evaluate", "missing.safetensors"], "backprop rl evaluate: no such file 'missing.safetensors'"),
    (["rl", "evaluate", "x", "--episodes", "-3"], "argument --episodes: expected a positive int, got '-3'"),
])
def test_bad_arguments_are_one_line_and_exit_code_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["rl", "train", *TINY, "--episodes", "12", "--seed", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("checkpoint.safetensors", "returns.json", "returns.png"):
        assert (out / name).stat().st_size > 0, name
    returns = bp.load(str(out / "checkpoint.safetensors"))["returns"]
    assert printed.startswith("12 episodes in ") and f"last 12: {np.mean(returns):.1f}" in printed

    assert main(["rl", "evaluate", str(out / "checkpoint.safetensors"), "--episodes", "5", "--seed", "3"]) == 0
    line = capsys.readouterr().out.strip()
    expected = run.evaluate(str(out / "checkpoint.safetensors"), 5, seed=3)
    assert line == (f"reinforce on CartPole-v1: greedy return {expected['mean']:.1f} ± {expected['std']:.1f} "
                    f"over 5 episodes")


def test_progress_lines_every_10_episodes(tmp_path, capsys):
    assert main(["rl", "train", *TINY[:-1], "lines", "--episodes", "20", "--out", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("episode ")]
    assert [int(re.match(r"episode (\d+):", line).group(1)) for line in lines] == [10, 20]


def test_a_training_checkpoint_is_one_line_exit_1(tmp_path, capsys):
    path = str(tmp_path / "model.safetensors")
    bp.save({"model": {"w": bp.zeros(2)}, "config": {}}, path)
    assert main(["rl", "evaluate", path]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a checkpoint of `backprop rl train`" in err
