"""`backprop rl train` under bad settings: every agent option and every documented environment option with bad
values (negative, zero, NaN, inf, strings, lists, null, bools where numbers go) is refused before training, with one
line on stderr, exit code 2 and no traceback, and nothing is written."""
import pytest

from backprop.cli import main
from backprop.rl import run

COUNT = ["0", "-1", "2.5", '"x"', "[8]", "true", "null"]              # an int >= 1
COUNT_OR_ZERO = ["-1", "2.5", '"x"', "[8]", "true", "null"]            # an int >= 0
FRACTION = ["-0.1", "1.5", "NaN", "Infinity", '"x"', "[0.5]", "true", "null"]   # a number in [0, 1]
POSITIVE = ["0", "-1", "NaN", "Infinity", "-Infinity", '"x"', "[0.1]", "true", "null"]
FLAG = ['"maybe"', "1", "0", "null", "[true]", '"true"']
HIDDEN = ["[0]", "[-1]", "0", "2.5", '"x"', "null", "[[8]]", '{"a":1}', "[true]"]

# every option of every agent with its bad values; the test below checks that no option is missing
BAD_OPTIONS = {
    "dqn": {"hidden": HIDDEN, "lr": POSITIVE, "gamma": FRACTION, "buffer_size": COUNT, "batch_size": COUNT,
            "learning_starts": COUNT_OR_ZERO, "train_every": COUNT, "target_update": COUNT,
            "tau": ["0", "1.5", "NaN", '"x"', "[0.1]", "true"], "double": FLAG, "huber": FLAG,
            "clip_grad_norm": ["0", "-1", "NaN", "Infinity", '"x"', "[1]", "true"], "epsilon": FRACTION,
            "epsilon_end": FRACTION, "epsilon_decay_steps": COUNT, "eval_every": COUNT_OR_ZERO,
            "eval_episodes": COUNT},
    "reinforce": {"hidden": HIDDEN, "lr": POSITIVE, "gamma": FRACTION, "baseline": FLAG},
    "q_learning": {"alpha": ["0", *FRACTION], "gamma": FRACTION, "epsilon": FRACTION, "epsilon_end": FRACTION,
                   "epsilon_decay_episodes": COUNT},
}
BAD_OPTIONS["sarsa"] = BAD_OPTIONS["q_learning"]
ENV = {"dqn": "CartPole-v1", "reinforce": "CartPole-v1", "q_learning": "FrozenLake-v1", "sarsa": "FrozenLake-v1"}

# (env, key, value, words of the message): the environments of docs/rl_command.md and the experiments
BAD_ENV_OPTIONS = [
    ("FrozenLake-v1", "map_name", "9x9", "map_name: expected one of '4x4', '8x8'"),
    ("FrozenLake-v1", "map_name", "null", "map_name: expected one of '4x4', '8x8'"),
    ("FrozenLake-v1", "map_name", "4", "map_name: expected one of '4x4', '8x8'"),
    ("FrozenLake-v1", "is_slippery", "maybe", "is_slippery: expected true or false, got 'maybe'"),
    ("FrozenLake-v1", "is_slippery", "1", "is_slippery: expected true or false, got 1"),
    ("FrozenLake-v1", "is_slippery", "null", "is_slippery: expected true or false, got None"),
    ("FrozenLake-v1", "is_slippery", "[true]", "is_slippery: expected true or false"),
    ("FrozenLake-v1", "success_rate", "1.5", "success_rate: expected a finite number in [0, 1], got 1.5"),
    ("FrozenLake-v1", "success_rate", "-0.1", "success_rate: expected a finite number in [0, 1]"),
    ("FrozenLake-v1", "success_rate", "NaN", "success_rate: expected a finite number in [0, 1], got nan"),
    ("FrozenLake-v1", "success_rate", "high", "success_rate: expected a finite number in [0, 1], got 'high'"),
    ("FrozenLake-v1", "reward_schedule", "[1,0]", "reward_schedule: expected a list of 3 values like [1, 0, 0]"),
    ("FrozenLake-v1", "reward_schedule", "5", "reward_schedule: expected a list of 3 values"),
    ("FrozenLake-v1", "reward_schedule", '[1,0,"a"]', "reward_schedule[2]: expected a finite number, got 'a'"),
    ("FrozenLake-v1", "reward_schedule", "[1,0,NaN]", "reward_schedule[2]: expected a finite number, got nan"),
    ("FrozenLake-v1", "desc", '["SFX","FFG"]', "desc: expected a list of rows of equal length (2 or more) made of S"),
    ("FrozenLake-v1", "desc", '["SF","FFG"]', "desc: expected a list of rows of equal length"),
    ("FrozenLake-v1", "desc", '["FF","FG"]', "with a start S and a goal G"),
    ("FrozenLake-v1", "desc", "[]", "desc: expected a list of rows"),
    ("FrozenLake-v1", "desc", '["S","H","G"]', "desc: expected a list of rows of equal length (2 or more)"),
    ("FrozenLake-v1", "desc", "SFFG", "desc: expected a list of rows"),
    ("FrozenLake-v1", "desc", "[1,2]", "desc: expected a list of rows"),
    ("FrozenLake-v1", "render_mode", "human", "render_mode"),
    ("FrozenLake-v1", "render_mode", "rgb_array", "render_mode"),
    ("FrozenLake-v1", "max_episode_steps", "0", "max_episode_steps: expected an integer >= 1, got 0"),
    ("FrozenLake-v1", "max_episode_steps", "2.5", "max_episode_steps: expected an integer >= 1, got 2.5"),
    ("FrozenLake-v1", "max_episode_steps", "many", "max_episode_steps: expected an integer >= 1"),
    ("FrozenLake-v1", "disable_env_checker", "maybe", "disable_env_checker: expected true or false"),
    ("FrozenLake-v1", "slippery", "false", "FrozenLake-v1 has no option 'slippery'; its options: desc, is_slippery"),
    ("CartPole-v1", "sutton_barto_reward", "3", "sutton_barto_reward: expected true or false, got 3"),
    ("CartPole-v1", "sutton_barto_reward", "maybe", "sutton_barto_reward: expected true or false"),
    ("CartPole-v1", "gravity", "9.8", "CartPole-v1 has no option 'gravity'; its options: render_mode"),
    ("CliffWalking-v1", "is_slippery", "sometimes", "is_slippery: expected true or false"),
    ("Taxi-v4", "rainy_probability", "2", "rainy_probability: expected a finite number in [0, 1], got 2"),
    ("Taxi-v4", "is_rainy", "0", "is_rainy: expected true or false, got 0"),
]


def _refused(argv, tmp_path, capsys):
    """Runs `backprop rl train ARGV` in this process; returns its one stderr line after checking that it refused."""
    out = tmp_path / "out"
    code = main(["rl", "train", *argv, "--episodes", "1", "--progress", "none", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2, (argv, captured.out, captured.err)
    assert captured.err.count("\n") == 1 and captured.err.startswith("backprop rl train: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists()
    return captured.err


def test_the_table_names_every_option_of_every_agent():
    assert set(BAD_OPTIONS) == set(run.AGENTS)
    for agent, options in BAD_OPTIONS.items():
        assert list(options) == run._options_of(run.AGENTS[agent]), agent


@pytest.mark.parametrize("agent", list(BAD_OPTIONS))
def test_every_bad_agent_option_is_one_line_and_exit_code_2(agent, tmp_path, capsys):
    for key, values in BAD_OPTIONS[agent].items():
        for value in values:
            err = _refused(["--agent", agent, "--env", ENV[agent], "--option", f"{key}={value}"], tmp_path, capsys)
            assert key in err, (key, value, err)


@pytest.mark.parametrize("env, key, value, message", BAD_ENV_OPTIONS)
def test_every_bad_env_option_is_one_line_and_exit_code_2(env, key, value, message, tmp_path, capsys):
    agent = "q_learning" if env != "CartPole-v1" else "reinforce"
    err = _refused(["--agent", agent, "--env", env, "--env-option", f"{key}={value}"], tmp_path, capsys)
    assert message in err


@pytest.mark.parametrize("argv, message", [
    (["--option", "depth=3"], "dqn has no option 'depth'; its options: hidden, lr, gamma"),
    (["--option", "observation_size=4"], "dqn has no option 'observation_size'"),
    (["--option", "batch_size=128", "--option", "buffer_size=64"], "batch_size must be <= buffer_size (64), got 128"),
    (["--option", "buffer_size=1000000000000000"], "not enough memory"),
    (["--seed", "-1"], "argument --seed: expected an int >= 0"),
    (["--env", "CliffWalking-v0"], "unknown or unusable environment 'CliffWalking-v0'"),
    (["--env", "FrozenLake-v1", "--env-option", 'desc=["SFFF","FHFH","FFFH","HFFG"]', "--env-option",
      "map_name=8x8"], "give desc or map_name, not both"),
])
def test_other_bad_settings(argv, message, tmp_path, capsys):
    assert message in _refused(argv, tmp_path, capsys)


def test_good_env_options_still_train(tmp_path, capsys):
    code = main(["rl", "train", "--agent", "q_learning", "--env", "FrozenLake-v1", "--episodes", "3", "--progress",
                 "none", "--out", str(tmp_path), "--env-option", 'desc=["SFH","FFG"]', "--env-option",
                 "is_slippery=false", "--env-option", "reward_schedule=[2,-1,0]", "--env-option",
                 "max_episode_steps=7"])
    assert code == 0, capsys.readouterr().err
    _, env, _ = run.load_agent(str(tmp_path / run.CHECKPOINT))
    assert env.unwrapped.nrow == 2 and env.unwrapped.ncol == 3 and env.spec.max_episode_steps == 7


def test_evaluate_refuses_a_negative_seed_in_one_line(tmp_path):
    result = run.train("q_learning", "FrozenLake-v1", episodes=1, out=str(tmp_path))
    with pytest.raises(ValueError) as refused:
        run.evaluate(result["checkpoint"], episodes=2, seed=-1)
    assert str(refused.value) == "evaluate seed must be an int >= 0, got -1"


def test_what_the_checks_cannot_foresee_is_one_line_naming_the_environment(monkeypatch):
    import gymnasium

    def make(name, **options):
        raise ValueError("a constructor's own complaint\nsecond line")

    monkeypatch.setattr(gymnasium, "make", make)
    with pytest.raises(run.BadSetting, match=r"^FrozenLake-v1\(is_slippery=False\) could not be made: a "
                                             r"constructor's own complaint$"):
        run.build_env("FrozenLake-v1", {"is_slippery": False})


def test_a_copy_of_an_environment_keeps_gymnasium_make_options():
    # DQN's evaluation environment (eval_every) is a copy: before, it lost a time limit set with max_episode_steps
    from backprop.rl.env import copy_env, make

    copy = copy_env(make("FrozenLake-v1", is_slippery=False, max_episode_steps=7, disable_env_checker=True))
    assert copy.spec.max_episode_steps == 7 and copy.spec.disable_env_checker is True
    assert copy.spec.kwargs["is_slippery"] is False
