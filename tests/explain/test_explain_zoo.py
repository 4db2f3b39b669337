"""``backprop explain`` on every image model of the zoo: each method draws its map or is refused in one line
naming the methods that do work for the model; the default (lrp) works for all. The CLI runs in subprocesses
(exit code, one line, no traceback, a PNG written)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import models
from backprop.explain import checkpoint
from backprop.train import run
from backprop.train.checkpoint import save_checkpoint

BACKPROP = os.path.join(os.path.dirname(sys.executable), "backprop")
OPTIONS = {"resnet": {"depth": 8}, "lstm": {"hidden_size": 16}}  # small, to keep the test cheap
# the methods that cannot work for a model: Grad-CAM needs a layer of 4-D feature maps
NO_FEATURE_MAPS = {"mlp", "lecun1989_net1", "lecun1989_net2", "lstm"}


@pytest.mark.parametrize("name", models.names())
def test_every_method_draws_a_map_or_is_refused_naming_those_that_work(name):
    shape = min(models.input_shapes(name), key=lambda shape: shape[1] * shape[2])  # the smallest it takes
    bp.manual_seed(0)
    model = models.get(name, shape, 10, **OPTIONS.get(name, {})).eval()
    x = bp.randn(1, *shape)
    for method in checkpoint.METHODS:
        if method == "grad_cam" and name in NO_FEATURE_MAPS:
            with pytest.raises(ValueError) as refused:
                checkpoint._heat_map(method, model, x, 3, "epsilon", name)
            message = str(refused.value)
            assert "\n" not in message
            assert message.startswith(f"--method grad_cam cannot explain the model {name!r} (grad_cam: no module")
            assert message.endswith("methods that work for it: lrp, saliency, gradient_x_input, integrated_gradients")
        else:
            heat = checkpoint._heat_map(method, model, x, 3, "epsilon", name)
            assert heat.shape == (1, *shape[1:]) and np.isfinite(heat).all(), (name, method)
            assert heat.any() or method == "grad_cam", (name, method)  # ReLU(...) may be all 0 at random weights


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Checkpoints of untrained resnet, lstm and lecun1989_net5 runs on digits (what ``backprop train`` writes:
    the config and the model's weights), and a digit as a PNG."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("explain")
    paths = {}
    for name in ("resnet", "lstm", "lecun1989_net5"):
        config = run.make_config(model=name, model_options=OPTIONS.get(name, {}), dataset="digits",
                                 out=str(folder / name))
        *_, info = run.build_data(config)  # which puts the normalisation's mean and std into the config
        model = run.build_model(config, info)
        paths[name] = save_checkpoint({"config": config, "model": model.state_dict()},
                                      str(folder / name / "checkpoint.safetensors"))
    image, _ = bp.data.digits(train=False)[0]
    Image.fromarray((image.numpy()[0] * 255).astype(np.uint8)).save(folder / "digit.png")
    return folder, paths


def _backprop(*argv):
    return subprocess.run([BACKPROP, *map(str, argv)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["resnet", "lstm", "lecun1989_net5"])
def test_explain_with_the_default_method_writes_a_png(runs, name):
    folder, paths = runs
    out = folder / f"{name}-lrp.png"
    done = _backprop("explain", paths[name], folder / "digit.png", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith(f"{folder / 'digit.png'}: predicted ") and f"lrp of class" in done.stdout
    with open(out, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"


def test_explain_refuses_grad_cam_on_the_lstm_in_one_line(runs):
    folder, paths = runs
    out = folder / "lstm-grad_cam.png"
    done = _backprop("explain", paths["lstm"], folder / "digit.png", "--method", "grad_cam", "--out", out)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("backprop: error: --method grad_cam cannot explain the model 'lstm'")
    assert done.stderr.rstrip().endswith("methods that work for it: lrp, saliency, gradient_x_input, "
                                         "integrated_gradients")
    assert not out.exists()


def test_the_map_has_a_labelled_colour_bar_and_a_title_naming_method_and_class(runs, monkeypatch):
    from backprop.train import plots

    folder, paths = runs
    drawn = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: drawn.append(figure) or path)
    result = checkpoint.explain_image(str(paths["lstm"]), str(folder / "digit.png"), "saliency", target=7)
    image, heat, bar = drawn[0].axes
    assert heat.get_title() == "saliency for class 7" and result["target"] == "7"
    assert bar.get_ylabel() == checkpoint.LABELS["saliency"] == "gradient dy/dx"
    plots._pyplot().close(drawn[0])
