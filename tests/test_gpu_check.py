"""benchmarks/gpu_check.py (``make gpu-check``) on a machine without a GPU: one line and exit 0, and its GPU
timing code run on the CPU backend for one tiny step, so that the script is ready when a GPU comes."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

import backprop as bp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.py")


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None or bp.cuda.is_available(), reason="a GPU is here")
def test_without_a_gpu_it_says_so_in_one_line_exits_0_and_installs_nothing():
    had_cupy = importlib.util.find_spec("cupy") is not None
    done = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "gpu-check: no CUDA GPU on this machine (no nvidia-smi, and no CuPy that sees one); nothing to check"]
    importlib.invalidate_caches()
    assert (importlib.util.find_spec("cupy") is not None) == had_cupy


def test_a_gpu_without_any_cupy_says_so_in_one_line_and_exits_3(gpu_check, monkeypatch, capsys):
    monkeypatch.setattr(gpu_check, "find_gpu", lambda: "NVIDIA Stand-in, 81559 MiB, 580.159.04")
    monkeypatch.setattr(gpu_check, "has_cupy", lambda python: False)
    monkeypatch.setattr(gpu_check, "install_cupy", lambda log: "No matching distribution found for cupy-cuda12x>=13")
    monkeypatch.delenv("OUT", raising=False)
    assert gpu_check.main([]) == gpu_check.NO_CUPY == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "gpu-check on NVIDIA Stand-in, 81559 MiB, 580.159.04"
    assert lines[1:] == ["gpu-check: a GPU is here but CuPy could not be installed (No matching distribution found "
                         "for cupy-cuda12x>=13); install it (pip install 'backprop[gpu]', or its wheel into .whl/) "
                         "and run again"]


def test_the_cuda_tests_are_the_files_that_skip_without_cupy(gpu_check):
    files = gpu_check.cuda_test_files()
    assert "tests/test_cuda.py" in files and "tests/data/test_cuda.py" in files
    assert "tests/test_gpu_check.py" not in files and "tests/test_cuda_available.py" not in files


def test_the_gpu_extra_is_what_it_installs(gpu_check):
    assert gpu_check.gpu_requirement().startswith("cupy-cuda")


def test_the_workload_timing_runs_every_model_one_tiny_step_on_the_cpu_against_torch(gpu_check):
    pytest.importorskip("torch")
    lines = []
    rows = gpu_check.run_workloads("cpu", (2,), repeats=1, seconds=0, log=lines.append)
    assert [(row["workload"], row["mode"]) for row in rows] == [
        (label, mode) for label in ("MLP", "LeNet-5", "wide CNN", "LSTM") for mode in ("train", "inference")]
    for row in rows:
        assert row["differs"] == "", row  # one training step from torch's weights gives torch's loss and weights
        assert row["backprop_ms"] > 0 and row["torch_ms"] > 0
        assert row["ratio"] == pytest.approx(row["backprop_ms"] / row["torch_ms"])
    assert len(lines) == len(rows) and lines[0].split()[:3] == ["MLP", "2", "train"]


def test_without_torch_on_the_device_it_times_backprop_alone(gpu_check, monkeypatch):
    monkeypatch.setattr(gpu_check, "torch_for", lambda device: None)
    monkeypatch.setattr(gpu_check, "WORKLOADS", {"LSTM": "lstm"})
    rows = gpu_check.run_workloads("cpu", (3,), repeats=1, seconds=0, log=lambda line: None)
    assert [row["mode"] for row in rows] == ["train", "inference"]
    assert all("torch_ms" not in row and row["backprop_ms"] > 0 for row in rows)
    assert gpu_check.format_row(rows[0]).split()[:3] == ["LSTM", "3", "train"]


def test_out_of_time_rows_are_named_not_timed(gpu_check):
    lines = []
    rows = gpu_check.run_workloads("cpu", (128, 512), deadline=0, log=lines.append)
    assert rows[:2] == [{"workload": "MLP", "batch": 128, "error": "not timed, out of time"},
                        {"workload": "MLP", "batch": 512, "error": "not timed, out of time"}]
    assert len(rows) == len(lines) == 8
    assert lines[:2] == ["MLP batch 128: not timed, out of time", "MLP batch 512: not timed, out of time"]


def test_a_first_step_that_differs_from_torch_is_reported(gpu_check):
    torch = pytest.importorskip("torch")
    data = [(bp.randn(2, 784).numpy(), bp.tensor([1, 2]).numpy())]
    theirs = gpu_check.Side(torch, "mlp128", "cpu", data)
    ours = gpu_check.Side(bp, "mlp128", "cpu", data)  # backprop's own initial weights, not torch's
    assert gpu_check.first_step_differs(ours, theirs).startswith("first-step loss differs: backprop ")


def test_the_whole_check_with_a_stand_in_gpu_runs_the_tests_and_the_workloads(gpu_check, monkeypatch, tmp_path,
                                                                              capsys):
    # steps 3 and 4 as on a GPU, in child processes of this Python, step 4 on the CPU
    pytest.importorskip("torch")
    monkeypatch.setattr(gpu_check, "find_gpu", lambda: "NVIDIA Stand-in, 81559 MiB, 580.159.04")
    monkeypatch.setattr(gpu_check, "has_cupy", lambda python: True)
    monkeypatch.setenv("OUT", str(tmp_path))
    assert gpu_check.main(["--device", "cpu", "--batches", "2", "--repeats", "1", "--seconds", "0"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("gpu-check on NVIDIA Stand-in")
    # no CuPy here: every CUDA test file skips itself, which on a GPU is a failure, reasons shown
    assert "could not import 'cupy'" in out
    assert "\nCUDA tests: FAILED, none ran (every file skipped: the reasons are above)\n" in out
    assert "LSTM          2 inference" in out and "DIFFERS" not in out  # step 4 runs all the same
    assert out.rstrip().splitlines()[-1].startswith("gpu-check: FAILED in ")
    assert (tmp_path / "gpu_check.txt").read_text() == out
    assert [row["workload"] for row in json.loads((tmp_path / "gpu_workloads.json").read_text())].count("LSTM") == 2


def test_a_workload_that_fails_is_one_row_and_the_others_still_run(gpu_check, monkeypatch):
    monkeypatch.setattr(gpu_check, "torch_for", lambda device: None)
    monkeypatch.setattr(gpu_check, "INPUT", {**gpu_check.INPUT, "gru": (28, 28)})
    monkeypatch.setattr(gpu_check, "WORKLOADS", {"GRU": "gru", "MLP": "mlp128"})  # workloads.py has no "gru"
    lines = []
    rows = gpu_check.run_workloads("cpu", (2,), repeats=1, seconds=0, log=lines.append)
    assert rows[0]["workload"] == "GRU" and rows[0]["batch"] == 2 and "mode" not in rows[0]
    assert rows[0]["error"].startswith("ValueError: unknown workload 'gru'")
    assert lines[0].startswith("GRU           2 FAILED: ValueError: unknown workload 'gru'")
    assert [(row["workload"], row["mode"]) for row in rows[1:]] == [("MLP", "train"), ("MLP", "inference")]
