"""`rl train` never replaces a run without a word: a directory that holds a run's files is refused in one line
(BadSetting; exit code 2 on the command line) and stays as it was, unless overwrite=True (``--overwrite``), which
removes the files an rl run writes, and only those, before the new run writes its own."""
import json
import os
import subprocess
import sys

import pytest

from backprop.rl import run

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")
QUICK = {"agent_name": "q_learning", "env_name": "FrozenLake-v1"}


def _contents(folder):
    """Every file's bytes, by name: what must not change when a run is refused."""
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def test_a_finished_run_is_refused_and_kept_byte_for_byte(tmp_path):
    run.train(**QUICK, episodes=3, out=str(tmp_path))
    before = _contents(tmp_path)
    assert run.CHECKPOINT in before and "returns.json" in before
    with pytest.raises(run.BadSetting) as refused:
        run.train(**QUICK, episodes=2, out=str(tmp_path))
    assert str(refused.value) == (f"{tmp_path} holds a run of q_learning on FrozenLake-v1 (checkpoint after 3 "
                                  f"episodes); use --overwrite to replace it, or another --out")
    assert _contents(tmp_path) == before


def test_the_files_of_a_run_without_its_checkpoint_are_refused_too(tmp_path):
    (tmp_path / "returns.json").write_text("{}")
    with pytest.raises(run.BadSetting) as refused:
        run.check_out(str(tmp_path))
    assert str(refused.value) == (f"{tmp_path} holds the files of a run (returns.json); use --overwrite to replace "
                                  f"it, or another --out")
    assert _contents(tmp_path) == {"returns.json": b"{}"}


def test_a_folder_without_a_run_is_written_to(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ".tmp-returns.json.x1y2.json").write_text("half")   # a killed run's temporary file is no run
    assert run.check_out(str(tmp_path)) == [] and run.check_out(str(tmp_path / "missing")) == []
    result = run.train(**QUICK, episodes=2, out=str(tmp_path))
    assert result["episodes"] == 2 and (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_removes_the_run_files_only_and_the_new_run_replaces_them(tmp_path):
    run.train(**QUICK, episodes=5, out=str(tmp_path))
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ".tmp-checkpoint.safetensors.ab12.safetensors").write_bytes(b"half")
    (tmp_path / "sub").mkdir()
    result = run.train(**QUICK, episodes=2, out=str(tmp_path), overwrite=True)
    assert result["episodes"] == 2 and json.loads((tmp_path / "returns.json").read_text())["episodes"] == 2
    assert len(run.load_agent(str(tmp_path / run.CHECKPOINT))[2]["returns"]) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "sub").is_dir()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".tmp-")]


def test_check_out_with_overwrite_names_what_it_removed(tmp_path):
    for name in (*run.RUN_FILES, ".tmp-returns.png.zz99.png", ".tmp-mine.txt", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    removed = run.check_out(str(tmp_path), overwrite=True)
    assert removed == sorted([*run.RUN_FILES, ".tmp-returns.png.zz99.png"])
    assert sorted(os.listdir(tmp_path)) == [".tmp-mine.txt", "notes.txt"]


def test_the_command_refuses_in_one_line_with_exit_code_2_and_overwrite_replaces(tmp_path):
    out = tmp_path / "run"
    command = [BACKPROP, "rl", "train", "--agent", "q_learning", "--env", "FrozenLake-v1", "--progress", "none",
               "--out", str(out)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    first = subprocess.run([*command, "--episodes", "3"], capture_output=True, text=True, timeout=120, env=env)
    assert first.returncode == 0, first.stderr
    before = _contents(out)
    again = subprocess.run([*command, "--episodes", "2"], capture_output=True, text=True, timeout=120, env=env)
    assert again.returncode == 2 and again.stdout == "" and "Traceback" not in again.stderr
    assert again.stderr == (f"backprop rl train: {out} holds a run of q_learning on FrozenLake-v1 (checkpoint after "
                            f"3 episodes); use --overwrite to replace it, or another --out\n")
    assert _contents(out) == before
    replaced = subprocess.run([*command, "--episodes", "2", "--overwrite"], capture_output=True, text=True,
                              timeout=120, env=env)
    assert replaced.returncode == 0 and "Traceback" not in replaced.stderr, replaced.stderr
    assert replaced.stdout.splitlines()[0] == f"--overwrite: removed {len(before)} files of the previous run from {out}"
    assert json.loads((out / "returns.json").read_text())["episodes"] == 2
