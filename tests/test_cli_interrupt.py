"""Ctrl-C during ``backprop train``: one line saying which epoch was under way, which one the checkpoint holds, and
the command that goes on from it; that command resumes the run."""
import os
import re
import shlex
import signal
import subprocess
import sys
import time

from backprop.cli import main
from backprop.train import load_checkpoint

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")


def test_ctrl_c_names_the_saved_epoch_and_the_command_to_go_on(tmp_path, monkeypatch):
    out = tmp_path / "my run"  # a space: the printed command quotes it
    # 500 epochs: the run is still under way when its first checkpoint appears, however fast the machine
    process = subprocess.Popen([BACKPROP, "train", "--model", "mlp", "--model-option", "hidden=[64]", "--epochs", "500",
                                "--no-augment", "--progress", "none", "--out", str(out), "--no-check-finite"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    checkpoint = out / "checkpoint.safetensors"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and stdout == "", (stdout, stderr)
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    found = re.fullmatch(r"backprop: interrupted (in|after) epoch (\d+); the checkpoint holds epoch (\d+): go on with: "
                         r"(.*)\n", stderr)
    assert found, stderr
    when, epoch, saved = found.group(1), int(found.group(2)), int(found.group(3))
    assert saved == load_checkpoint(str(checkpoint))["epoch"] >= 1
    # in the epoch after the saved one, or after the saved one (while its history was written)
    assert epoch == (saved + 1 if when == "in" else saved), stderr
    command = shlex.split(found.group(4))
    assert command == ["backprop", "train", "--out", str(out), "--resume", "--no-check-finite"]
    # the command goes on from the checkpoint (one epoch more and no report's figures, to keep the test short)
    from backprop.train import run

    monkeypatch.setattr(run, "finish", lambda trainer, test_loader, info: {
        "test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
        "parameters": 0})
    assert main([*command[1:], "--epochs", str(saved + 1), "--progress", "none"]) == 0
    assert load_checkpoint(str(checkpoint))["epoch"] == saved + 1
