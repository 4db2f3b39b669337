"""backprop predict and explain on images as users have them (subprocesses: exit code, one line, no traceback)."""
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp")
    assert main(["train", "--model", "mlp", "--epochs", "5", "--progress", "none", "--val-fraction", "0",
                 "--out", str(out)]) == 0
    return out / "checkpoint.safetensors"


def _backprop(*args):
    return subprocess.run([sys.executable, "-m", "backprop", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_predict_reads_dark_digits_drawn_on_a_transparent_canvas(checkpoint, tmp_path):
    test = bp.data.digits(train=False)
    paths, labels = [], []
    for i in range(20):
        image, label = test[i]
        strokes = np.asarray(Image.fromarray(image.numpy()[0]).resize((80, 80), Image.BICUBIC)) > 0.5
        canvas = np.zeros((300, 400, 4), np.uint8)                 # transparent black; dark ink
        canvas[37 * i % 200:37 * i % 200 + 80, 53 * i % 300:53 * i % 300 + 80, 3] = strokes * 255
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(canvas, "RGBA").save(paths[-1])
        labels.append(str(int(label)))
    done = _backprop("predict", checkpoint, *paths, "--top", "1")
    assert done.returncode == 0, done.stderr
    guesses = [line.split(": ")[1].split()[0] for line in done.stdout.splitlines()]
    assert sum(g == t for g, t in zip(guesses, labels)) >= 16, (guesses, labels)   # not all "1" (alpha dropped)


def test_predict_on_a_file_that_is_not_an_image_is_one_line(checkpoint, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("digit: 7\n")
    for command in ("predict", "explain"):
        done = _backprop(command, checkpoint, notes)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and "notes.png' is not an image file" in done.stderr
