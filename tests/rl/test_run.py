"""rl.run: agents by name, the files of a run, checkpoints that give back the same agent, bad settings."""
import json

import numpy as np
import pytest

import backprop as bp
from backprop.rl import evaluate, make, run

TINY = {"reinforce": {"hidden": [8]}, "dqn": {"hidden": [8], "learning_starts": 20, "batch_size": 8},
        "q_learning": {}, "sarsa": {}}
ENV = {"reinforce": "CartPole-v1", "dqn": "CartPole-v1", "q_learning": "FrozenLake-v1", "sarsa": "FrozenLake-v1"}


def _plain(state):
    """A state dict with its Tensors and arrays as lists, to compare two with ==."""
    if isinstance(state, dict):
        return {key: _plain(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return [_plain(value) for value in state]
    if isinstance(state, bp.Tensor):
        state = state.detach().numpy()
    return state.tolist() if isinstance(state, np.ndarray) else state


def test_moving_average_by_hand():
    np.testing.assert_allclose(run.moving_average([2, 4, 6, 8, 10], window=3), [2, 3, 4, 6, 8])
    np.testing.assert_allclose(run.moving_average([5.0], window=100), [5.0])
    assert run.moving_average([]).tolist() == []


@pytest.mark.parametrize("name", list(run.AGENTS))
def test_a_tiny_run_writes_its_files_and_the_checkpoint_gives_the_same_agent(name, tmp_path):
    result = run.train(name, ENV[name], episodes=6, seed=1, out=str(tmp_path), options=TINY[name])
    assert len(result["returns"]) == 6 and result["figure"] == str(tmp_path / "returns.png")
    assert (tmp_path / "returns.png").stat().st_size > 0
    saved = json.loads((tmp_path / "returns.json").read_text())
    assert saved["returns"] == result["returns"] and saved["agent"] == name and saved["episodes"] == 6
    np.testing.assert_allclose(saved["moving_average"], np.cumsum(result["returns"]) / np.arange(1, 7))
    checkpoint = bp.load(str(tmp_path / "checkpoint.safetensors"))
    assert (checkpoint["agent"], checkpoint["env"], checkpoint["seed"]) == (name, ENV[name], 1)
    assert checkpoint["returns"] == result["returns"] and checkpoint["config"]["seed"] == 1
    # the same state (a tiny run's greedy returns alone could agree by chance: FrozenLake's table is still 0 after 6
    # episodes), then the same greedy returns
    agent, _, _ = run.load_agent(str(tmp_path / "checkpoint.safetensors"))
    assert _plain(agent.state_dict()) == _plain(result["agent"].state_dict())
    before = evaluate(result["agent"], make(ENV[name]), episodes=4, seed=10)
    after = run.evaluate(str(tmp_path / "checkpoint.safetensors"), episodes=4, seed=10)
    np.testing.assert_array_equal(after["returns"], before)
    assert after["mean"] == pytest.approx(before.mean()) and after["std"] == pytest.approx(before.std())


def test_same_seed_same_returns(tmp_path):
    first, second = (run.train("reinforce", "CartPole-v1", episodes=4, seed=5, out=str(tmp_path / name),
                               options=TINY["reinforce"]) for name in "ab")
    assert first["returns"] == second["returns"]


def test_checkpoints_every_so_many_episodes_and_progress(tmp_path, monkeypatch):
    written = []
    save = run.save_checkpoint
    monkeypatch.setattr(run, "save_checkpoint", lambda state, path: written.append(len(state["returns"])) or
                        save(state, path))

    class Seen:
        def __init__(self):
            self.rows, self.closed = [], False

        def episode(self, n, episode_return, average):
            self.rows.append((n, episode_return, average))

        def close(self):
            self.closed = True

    seen = Seen()
    result = run.train("reinforce", "CartPole-v1", episodes=10, out=str(tmp_path), options=TINY["reinforce"],
                       checkpoint_every=4, progress=[seen])
    assert written == [4, 8, 10] and seen.closed
    assert [row[0] for row in seen.rows] == list(range(1, 11))
    assert [row[1] for row in seen.rows] == result["returns"]
    assert seen.rows[-1][2] == pytest.approx(np.mean(result["returns"]))


def test_minutes_stop_the_run(tmp_path):
    result = run.train("reinforce", "CartPole-v1", minutes=1e-9, out=str(tmp_path), options=TINY["reinforce"])
    assert result["episodes"] == 1


def test_episode_lines(capsys):
    lines = run.EpisodeLines(every=2)
    for n in range(1, 6):
        lines.episode(n, 10.0 * n, 5.0 * n)
    assert capsys.readouterr().out.splitlines() == ["episode 2: return 20.0, mean of the last 100 10.0",
                                                    "episode 4: return 40.0, mean of the last 100 20.0"]


@pytest.mark.parametrize("agent, env, options, message", [
    ("ppo", "CartPole-v1", {}, "unknown agent 'ppo'; known: dqn, q_learning, sarsa, reinforce"),
    ("dqn", "NoSuchEnv-v0", {}, "unknown or unusable environment 'NoSuchEnv-v0'"),
    ("q_learning", "CartPole-v1", {}, "q_learning is tabular: it needs a Discrete observation space"),
    ("sarsa", "CartPole-v1", {}, "got a Box of shape (4,); use dqn or reinforce"),
    ("dqn", "Pendulum-v1", {}, "expected an environment with discrete actions"),
    ("reinforce", "CartPole-v1", {"depth": 3}, "reinforce has no option 'depth'; its options: hidden, lr, gamma, baseline"),
    ("reinforce", "CartPole-v1", {"lr": -1}, "lr must be a positive number"),
    ("reinforce", "CartPole-v1", {"seed": 3}, "the seed is not an option"),
])
def test_bad_settings_are_refused_before_anything_is_written(agent, env, options, message, tmp_path):
    with pytest.raises(run.BadSetting) as error:
        run.train(agent, env, episodes=1, out=str(tmp_path / "out"), options=options)
    assert message in str(error.value)
    assert not (tmp_path / "out").exists()


def test_a_training_checkpoint_is_not_an_rl_checkpoint(tmp_path):
    path = str(tmp_path / "other.safetensors")
    bp.save({"model": {"w": bp.zeros(2)}, "config": {}}, path)
    with pytest.raises(ValueError, match="is not a checkpoint of `backprop rl train`"):
        run.evaluate(path)
