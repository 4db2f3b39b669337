"""``backprop explain`` and ``backprop attack`` on a checkpoint, and ``backprop train --adversarial``."""
import json

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main

TINY_CNN = ["--model", "cnn", "--model-option", "channels=[8]", "--model-option", "hidden=32", "--epochs", "2",
            "--no-augment", "--progress", "none", "--val-fraction", "0"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn")
    assert main(["train", *TINY_CNN, "--out", str(out)]) == 0
    return out / "checkpoint.safetensors"


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    from PIL import Image

    image, label = bp.data.digits(train=False)[0]
    path = tmp_path_factory.mktemp("images") / "digit.png"
    Image.fromarray((image.numpy()[0] * 255).astype(np.uint8)).save(path)
    return path


def _png(path):
    with open(path, "rb") as handle:
        return handle.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("method", ["lrp", "saliency", "gradient_x_input", "integrated_gradients", "grad_cam"])
def test_explain_writes_the_heat_map_and_names_the_predicted_class(checkpoint, digit_png, tmp_path, method, capsys):
    assert main(["predict", str(checkpoint), str(digit_png), "--top", "1"]) == 0
    predicted = capsys.readouterr().out.split(": ")[1].split()[0]
    out = tmp_path / f"{method}.png"
    assert main(["explain", str(checkpoint), str(digit_png), "--method", method, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert _png(out)
    assert f"predicted {predicted} (" in printed and f"of class {predicted}:" in printed


def test_explain_lrp_map_sums_to_the_class_score_with_z_plus(checkpoint, digit_png, tmp_path):
    from backprop.explain.checkpoint import explain_image
    from backprop.train import run

    model, config, info = run.load_model(str(checkpoint))
    pixels = run.load_image(str(digit_png), info.input_shape)
    x = bp.tensor(run.normalizer(config)(pixels)[None])
    with bp.no_grad():
        scores = model(x).numpy()[0]
    result = explain_image(str(checkpoint), str(digit_png), "lrp", rule="z_plus", target=3,
                           out=str(tmp_path / "h.png"))
    assert result["target"] == "3" and result["heat_map"].shape == (8, 8)
    assert result["heat_map"].sum() == pytest.approx(scores[3], rel=1e-3, abs=1e-4)


def test_explain_default_path_is_next_to_the_image(checkpoint, digit_png):
    assert main(["explain", str(checkpoint), str(digit_png), "--method", "saliency"]) == 0
    assert _png(digit_png.parent / "digit-saliency.png")


@pytest.mark.parametrize("argv, message", [
    (["explain", "missing.safetensors", "a.png"], "no such file 'missing.safetensors'"),
    (["explain", "x", "a.png", "--method", "magic"], "argument --method: invalid choice: 'magic'"),
    (["attack", "x", "--eps", "-0.1"], "argument --eps: expected a number >= 0, got '-0.1'"),
    (["attack", "x", "--method", "cw"], "argument --method: invalid choice: 'cw'"),
    (["train", "--adversarial-weight", "0"], "expected a number in (0, 1], got '0'"),
    (["attack", "x", "--steps", "5"], "--alpha and --steps are PGD's; fgsm takes one step of eps"),
    (["attack", "x", "--method", "fgsm", "--alpha", "0.01"], "--alpha and --steps are PGD's"),
])
def test_bad_arguments_are_one_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_explain_a_target_out_of_range_is_a_usage_error_of_one_line(checkpoint, digit_png, capsys):
    assert main(["explain", str(checkpoint), str(digit_png), "--target", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "backprop explain: --target must be a class index in [0, 10), got 10" in err


def _accuracies(printed):
    words = printed.split()
    clean = float(words[words.index("clean") + 2].rstrip("%,")) / 100
    attacked = float(printed.split(") ")[1].split("%")[0]) / 100
    return clean, attacked


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
def test_attack_prints_clean_and_attacked_accuracy_and_saves_the_grid(checkpoint, tmp_path, method, capsys):
    assert main(["evaluate", str(checkpoint)]) == 0
    evaluated = capsys.readouterr().out
    out = tmp_path / "grid.png"
    steps = ["--steps", "3"] if method == "pgd" else []
    assert main(["attack", str(checkpoint), "--method", method, "--eps", "0.2", *steps, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    clean, attacked = _accuracies(printed)
    assert f"accuracy {clean:.2%}" in evaluated  # the same test set and model as `evaluate`
    assert attacked < clean - 0.2  # eps = 0.2 of the pixel range breaks an undefended net
    assert _png(out)


def test_attack_with_eps_zero_changes_nothing(checkpoint, tmp_path, capsys):
    assert main(["attack", str(checkpoint), "--eps", "0", "--out", str(tmp_path / "g.png")]) == 0
    clean, attacked = _accuracies(capsys.readouterr().out)
    assert attacked == clean


def test_attack_perturbs_at_most_eps_pixels(checkpoint):
    from backprop.train import run

    model, config, _ = run.load_model(str(checkpoint))
    x, y = next(iter(run.load_test_set(config, batch_size=64)))
    scale, low, high = run.pixel_space(config)
    for method in ("fgsm", "pgd"):
        x_adv = run.attack(config, method, 0.1, steps=3)(model, x, y).numpy()
        change = np.abs(x_adv - x.numpy()) / scale  # back in raw pixels
        assert change.max() <= 0.1 + 1e-5 and change.max() > 0.09
        assert (x_adv >= low - 1e-5).all() and (x_adv <= high + 1e-5).all()


def test_train_adversarial_stores_its_settings_and_trains(tmp_path, capsys):
    out = tmp_path / "adv"
    assert main(["train", "--model", "mlp", "--model-option", "hidden=[32]", "--epochs", "2", "--no-augment",
                 "--progress", "none", "--adversarial", "fgsm", "--adversarial-eps", "0.1", "--out", str(out)]) == 0
    capsys.readouterr()
    result = json.loads((out / "test.json").read_text())
    config = bp.train.load_checkpoint(str(out / "checkpoint.safetensors"))["config"]
    assert (config["adversarial"], config["adversarial_eps"], config["adversarial_weight"]) == ("fgsm", 0.1, 0.5)
    assert result["test_accuracy"] > 0.5
