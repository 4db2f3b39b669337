"""``backprop train`` on a full disk: one line naming the file and "no space left on device", exit code 1, the
previous checkpoint as it was and no temporary file left (the writer writes a temporary file and renames it)."""
import errno
import os

import pytest
import safetensors
import safetensors.numpy

from backprop.cli import main
from backprop.train import load_checkpoint
from backprop.train.trainer import CHECKPOINT

TINY = ["--model", "mlp", "--model-option", "hidden=[8]", "--no-augment", "--progress", "none"]


@pytest.fixture
def quick_report(monkeypatch):
    from backprop.train import run

    monkeypatch.setattr(run, "finish", lambda trainer, test_loader, info: {
        "test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
        "parameters": 0})


def _full_disk(kind):
    """A safetensors writer that writes part of the file, then fails as on a full disk: safetensors' own error (what
    the real writer raises: 'I/O error: No space left on device (os error 28)') or an OSError without a file name."""
    def save_file(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"\0" * 100)
        if kind == "safetensors":
            raise safetensors.SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
        raise OSError(errno.ENOSPC, "No space left on device")
    return save_file


@pytest.mark.parametrize("kind", ["safetensors", "oserror"])
def test_a_full_disk_keeps_the_previous_checkpoint_and_says_so_in_one_line(kind, tmp_path, capsys, monkeypatch,
                                                                         quick_report):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}
    capsys.readouterr()
    monkeypatch.setattr(safetensors.numpy, "save_file", _full_disk(kind))
    assert main(["train", "--resume", "--epochs", "2", "--out", str(out), "--progress", "none"]) == 1
    captured = capsys.readouterr()
    path = out / CHECKPOINT
    assert captured.err == f"backprop: error: {str(path)!r}: no space left on device\n"
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before  # no temporary file either
    assert load_checkpoint(str(path))["epoch"] == 1


def test_a_report_that_cannot_be_written_names_its_folder(tmp_path, capsys, monkeypatch):
    from backprop.train import report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as matplotlib's savefig through a file object

    monkeypatch.setattr(report, "write_report", full)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (f"backprop: error: {str(out)!r}: no space left on device (writing the "
                                       f"report)\n")
    assert load_checkpoint(str(out / CHECKPOINT))["epoch"] == 1  # the trained run is kept: --resume writes it


def test_a_history_that_cannot_be_written_is_named_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from backprop.train import trainer as trainer_module

    out = tmp_path / "run"
    out.mkdir()
    real_open = open

    def open_on_a_full_disk(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and os.path.basename(str(file)).startswith(".tmp-"):
            def write(text):
                raise OSError(errno.ENOSPC, "No space left on device")
            handle.write = write
        return handle

    class Run:
        out_dir, history = str(out), [{"epoch": 1, "loss": 0.5}]

    from backprop import files

    monkeypatch.setattr(files, "open", open_on_a_full_disk, raising=False)  # the one atomic writer's open
    with pytest.raises(OSError) as caught:
        trainer_module.Trainer.write_history(Run)
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(out / "history.json"))
    assert os.listdir(out) == []
