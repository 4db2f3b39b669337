"""`backprop rl train` stopped by Ctrl-C keeps its work: the checkpoint, returns.json and the plot of the episodes
finished are written before the interrupt ends the command (exit code 130, no traceback); and the returns plot."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import backprop as bp
from backprop.rl import run

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_sigint_writes_the_returns_and_the_checkpoint_of_the_episodes_done(tmp_path):
    out = tmp_path / "run"
    checkpoint = out / run.CHECKPOINT
    command = [BACKPROP, "rl", "train", "--agent", "reinforce", "--option", "hidden=[8]", "--env", "CartPole-v1",
               "--episodes", "100000", "--checkpoint-every", "5", "--progress", "none", "--out", str(out)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        deadline = time.monotonic() + 120
        while not checkpoint.exists():       # the first periodic checkpoint: the run is training
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and stderr.startswith("backprop: interrupted")
    saved = json.loads((out / "returns.json").read_text())
    assert saved["interrupted"] is True and saved["episodes"] == len(saved["returns"]) >= 5
    assert len(saved["moving_average"]) == saved["episodes"]
    # the checkpoint written at the interrupt holds the same episodes, and gives back an agent
    state = bp.load(str(checkpoint))
    assert state["returns"] == saved["returns"]
    agent, _, _ = run.load_agent(str(checkpoint))
    assert agent.config["hidden"] == [8]
    assert (out / "returns.png").exists() == HAS_MATPLOTLIB


class _Stop:
    """A progress display that presses Ctrl-C after ``n`` episodes."""

    def __init__(self, n):
        self.n, self.closed = n, 0

    def episode(self, n, episode_return, average):
        if n == self.n:
            raise KeyboardInterrupt

    def close(self):
        self.closed += 1


def test_interrupted_says_what_it_saved(tmp_path):
    stop = _Stop(3)
    with pytest.raises(run.Interrupted) as interrupt:
        run.train("q_learning", "FrozenLake-v1", episodes=50, out=str(tmp_path), progress=[stop])
    assert isinstance(interrupt.value, KeyboardInterrupt) and stop.closed == 1
    message = str(interrupt.value)
    assert message.startswith("after 3 episodes; saved the checkpoint ") and str(tmp_path / run.CHECKPOINT) in message
    assert str(tmp_path / "returns.json") in message
    saved = json.loads((tmp_path / "returns.json").read_text())
    assert saved["episodes"] == 3 and saved["interrupted"] is True
    assert interrupt.value.saved["returns"] == saved["returns"]
    assert bp.load(str(tmp_path / run.CHECKPOINT))["returns"] == saved["returns"]


def test_a_run_that_ends_is_not_marked_interrupted(tmp_path):
    run.train("q_learning", "FrozenLake-v1", episodes=2, out=str(tmp_path))
    assert json.loads((tmp_path / "returns.json").read_text())["interrupted"] is False


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib")
def test_the_returns_plot_has_whole_episode_ticks_labels_and_a_title(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figures = []
    monkeypatch.setattr(run.plots, "_save", lambda figure, path: figures.append(figure) or path)
    run.plot_returns([1.0, 3.0, 2.0], str(tmp_path / "returns.png"), title="sarsa on FrozenLake-v1")
    axis = figures[0].axes[0]
    figures[0].canvas.draw()
    ticks = [tick for tick in axis.get_xticks() if axis.get_xlim()[0] <= tick <= axis.get_xlim()[1]]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
    assert axis.get_xlabel() == "episode" and axis.get_ylabel().startswith("return")
    assert axis.get_title() == "sarsa on FrozenLake-v1"
    pyplot.close(figures[0])
