"""``mpirun -n N backprop train --distributed``: one report from rank 0, exact resume, one rank = a plain run, a
failing rank ends the job.

The runs are launched together (they do not depend on each other) and checked by several tests; only the resumed
run waits for the one-epoch run it resumes.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from backprop.cli import main
from backprop.train import load_checkpoint
from tests.distributed.mpi import MPIRUN, environment, finish_mpi, requires_mpi

pytestmark = requires_mpi

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")
# a small model, per-rank batch 16, augmentation on (it draws from each rank's own random stream), no schedule
# (cosine's T_max depends on --epochs, which a resume changes); early stopping that does not stop, for its state
ARGS = ["train", "--model", "mlp", "--model-option", "hidden=[32]", "--schedule", "none", "--batch-size", "16",
        "--progress", "lines", "--seed", "2", "--early-stopping", "5"]
TIMEOUT = 120  # a job that hangs fails here, killed (they take a few seconds)
TIMING_KEYS = ("time", "samples_per_s")


def start(n, *args):
    """``mpirun -n n backprop ARGS...`` (the console script), in its own process group: (Popen, start time)."""
    process = subprocess.Popen([MPIRUN, "--oversubscribe", "-n", str(n), BACKPROP, *map(str, args)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
                               start_new_session=True)
    return process, time.monotonic()


def succeed(job, timeout=TIMEOUT):
    code, out, err, _ = finish_mpi(*job, timeout)
    assert code == 0, f"exit code {code}\nstdout:\n{out}\nstderr:\n{err}"
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{name: (directory, stdout)} of: "two" (2 ranks, 2 epochs), "resumed" (2 ranks, 1 epoch then --resume to 2),
    "one" (mpirun -n 1, 2 epochs), "plain" (``backprop train``, in this process, while the jobs run)."""
    root = tmp_path_factory.mktemp("cli_distributed")
    out = {name: root / name for name in ("two", "resumed", "one", "plain")}
    jobs = {"two": start(2, *ARGS, "--distributed", "--epochs", 2, "--out", out["two"]),
            "resumed": start(2, *ARGS, "--distributed", "--epochs", 1, "--out", out["resumed"]),
            "one": start(1, *ARGS, "--distributed", "--epochs", 2, "--out", out["one"])}
    assert main([*ARGS, "--epochs", "2", "--out", str(out["plain"])]) == 0
    printed = {name: succeed(job) for name, job in jobs.items()}
    printed["plain"] = None  # captured by pytest
    printed["resumed"] += succeed(start(2, "train", "--distributed", "--resume", "--epochs", 2, "--progress", "lines",
                                        "--out", out["resumed"]))
    return {name: (out[name], printed[name]) for name in out}


def without_timing(history):
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in history]


def assert_identical(a, b, where="state"):
    """Nested dicts/lists of Tensors and plain values, equal bit for bit."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a, key=str) == sorted(b, key=str), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{where}[{i}]")
    elif hasattr(a, "numpy"):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=where, strict=True)
    else:
        assert a == b, where


# ------------------------------------------------------------------------------------------- 2 ranks, end to end
def test_two_ranks_print_once_and_write_one_run(runs, capsys):
    out, printed = runs["two"]
    lines = printed.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert sum("test accuracy" in line for line in lines) == 1
    assert "trained on 2 processes (batch 16 each, 32 in all)" in lines
    for name in ("checkpoint.safetensors", "history.json", "report.md", "test.json"):
        assert (out / name).stat().st_size > 0, name
    state = load_checkpoint(str(out / "checkpoint.safetensors"))
    assert state["config"]["world_size"] == 2 and state["config"]["batch_size"] == 16  # per rank
    assert not any(name.startswith("module.") for name in state["model"])
    assert "filters (`1.weight`)" in (out / "report.md").read_text()  # the bare model's names in the report too
    assert [row["epoch"] for row in json.loads((out / "history.json").read_text())] == [1, 2]

    # the checkpoint loads in one process, as any other: evaluate's accuracy is the report's
    tested = json.loads((out / "test.json").read_text())
    capsys.readouterr()
    assert main(["evaluate", str(out / "checkpoint.safetensors")]) == 0
    evaluated = capsys.readouterr().out
    assert f"accuracy {tested['test_accuracy']:.2%}, loss {tested['test_loss']:.4f}" in evaluated
    assert f"test accuracy {tested['test_accuracy']:.2%} (loss {tested['test_loss']:.4f})" in printed


# ------------------------------------------------------------------------------------------------------ resume
def test_a_checkpoint_of_two_ranks_resumes_on_one_process(runs, tmp_path):
    """Its weights, early stopping's best weights and its loader's state are those of a one-process run."""
    import shutil

    copy = tmp_path / "crossed"
    shutil.copytree(runs["two"][0], copy)
    state = load_checkpoint(str(copy / "checkpoint.safetensors"))
    (name, early), = state["callbacks"]
    assert name == "EarlyStopping" and list(early["best_state"]) == list(state["model"])
    assert state["train_loader"]["seed"] == 2
    assert main([*ARGS, "--resume", "--epochs", "3", "--out", str(copy)]) == 0
    history = json.loads((copy / "history.json").read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert load_checkpoint(str(copy / "checkpoint.safetensors"))["config"]["world_size"] == 1  # as it went on
    assert without_timing(history[:2]) == without_timing(state["history"])


def test_resume_on_two_ranks_is_exact(runs):
    (whole, _), (resumed, printed) = runs["two"], runs["resumed"]
    assert [line.split(":")[0] for line in printed.splitlines() if line.startswith("epoch ")] \
        == ["epoch 1/1", "epoch 2/2"]
    # the resumed run names the checkpoint's batch size (16), not the command line's default
    assert [line for line in printed.splitlines() if line.startswith("trained on")] \
        == ["trained on 2 processes (batch 16 each, 32 in all)"] * 2
    a = load_checkpoint(str(whole / "checkpoint.safetensors"))
    b = load_checkpoint(str(resumed / "checkpoint.safetensors"))
    assert_identical(a["model"], b["model"], "model")
    assert_identical(a["optimizer"], b["optimizer"], "optimizer")
    assert without_timing(a["history"]) == without_timing(b["history"])
    assert without_timing(json.loads((whole / "history.json").read_text())) \
        == without_timing(json.loads((resumed / "history.json").read_text()))
    # every rank's random stream is saved, and they are distinct (rank 1's augmentation is its own)
    assert len(a["rng_ranks"]) == 2 and a["rng_ranks"][0] != a["rng_ranks"][1]
    assert a["rng_ranks"] == b["rng_ranks"]  # and each rank went on from its own state after the resume


# -------------------------------------------------------------------------------------------- one rank = plain
@pytest.fixture(scope="module")
def plain(runs):
    """The checkpoints of ``mpirun -n 1 backprop train --distributed`` and of the same ``backprop train``."""
    return tuple(load_checkpoint(str(runs[name][0] / "checkpoint.safetensors")) for name in ("one", "plain"))


def test_one_rank_trains_as_a_plain_run(plain):
    distributed, alone = plain
    assert distributed["config"]["world_size"] == alone["config"]["world_size"] == 1
    assert_identical(distributed["model"], alone["model"], "model")
    assert_identical(distributed["optimizer"], alone["optimizer"], "optimizer")
    assert distributed["rng_ranks"] == [alone["rng"]]


def test_one_rank_logs_as_a_plain_run(plain):
    distributed, alone = plain
    assert without_timing(distributed["history"]) == without_timing(alone["history"])


# ----------------------------------------------------------------------------------------------- a failing rank
def test_a_failing_rank_ends_the_job_with_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err, seconds = finish_mpi(*start(2, "train", "--distributed", "--resume", "--out", empty), 30)
    assert code == 1 and seconds < 30
    # mpirun's abort notices share the stream, before or after the rank's line: that line must be there whole
    errors = [line for line in err.splitlines() if "backprop:" in line]
    assert errors == [f"backprop: error: --resume: no checkpoint at {str(empty / 'checkpoint.safetensors')!r} to "
                      f"resume from"], err
    assert "Traceback" not in err and "test accuracy" not in out
