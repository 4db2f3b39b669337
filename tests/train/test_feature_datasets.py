"""``backprop train`` on datasets of feature vectors (spirals) and the refusal of a regression set (sine)."""
import json

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.data import datasets
from backprop.train import load_checkpoint, run

SPIRALS = ["train", "--dataset", "spirals", "--progress", "none"]


def _features(train):
    x, y = datasets.get("spirals", train=train).tensors
    return x.numpy().astype(np.float64), y.numpy()


def _accuracy_by_hand(model, config, x, y):
    """The model's accuracy on raw points x, normalised here with numpy by the checkpoint's per-feature mean and std."""
    normalised = (x - np.asarray(config["mean"])) / np.asarray(config["std"])
    with bp.no_grad():
        scores = model(bp.tensor(normalised.astype(np.float32))).numpy()
    return float((scores.argmax(axis=1) == y).mean())


@pytest.fixture(scope="module")
def spirals_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("spirals")
    assert main([*SPIRALS, "--epochs", "20", "--out", str(out)]) == 0
    return out


def test_spirals_trains_an_mlp_well_above_chance_and_writes_its_report(spirals_run, tmp_path):
    for name in ("checkpoint.safetensors", "report.md", "history.json", "history.csv", "test.json",
                 "learning_curves.png", "confusion_matrix.png"):
        assert (spirals_run / name).is_file(), name
    for name in ("predictions.png", "filters.png"):  # figures of images only
        assert not (spirals_run / name).exists(), name
    report = (spirals_run / "report.md").read_text()
    assert "# mlp on spirals" in report and "confusion_matrix.png" in report and "predictions.png" not in report
    config = load_checkpoint(str(spirals_run / "checkpoint.safetensors"))["config"]
    assert config["model"] == "mlp"  # the default on feature vectors
    test_accuracy = json.loads((spirals_run / "test.json").read_text())["test_accuracy"]
    history = json.loads((spirals_run / "history.json").read_text())
    assert test_accuracy > 0.9 and history[-1]["val_accuracy"] >= 0.9  # chance is 0.5

    # the spirals are not linearly separable: logistic regression on the same budget stays near chance
    linear = tmp_path / "linear"
    assert main([*SPIRALS, "--epochs", "20", "--model-option", "hidden=[]", "--out", str(linear)]) == 0
    assert json.loads((linear / "test.json").read_text())["test_accuracy"] < 0.65

    # the MLP learned the curves, not the 200 points: new points along the same spirals
    model, config, _ = run.load_model(str(spirals_run / "checkpoint.safetensors"))
    x, y = datasets.spirals(n=1001).tensors
    assert _accuracy_by_hand(model, config, x.numpy().astype(np.float64), y.numpy()) > 0.9


def test_normalisation_statistics_are_per_feature_of_the_training_set(spirals_run):
    config = load_checkpoint(str(spirals_run / "checkpoint.safetensors"))["config"]
    x, _ = _features(train=True)
    assert len(config["mean"]) == len(config["std"]) == 2
    np.testing.assert_allclose(config["mean"], x.mean(axis=0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(config["std"], x.std(axis=0), rtol=1e-6)
    assert abs(x.std(axis=0)[0] - x.std(axis=0)[1]) > 0.01  # so one std pooled over both features would fail
    x_test, _ = _features(train=False)
    loaded, _ = next(iter(run.load_test_set(config, batch_size=1000)))
    np.testing.assert_allclose(loaded.numpy(), (x_test - x.mean(axis=0)) / x.std(axis=0), rtol=1e-5, atol=1e-6)


def test_evaluate_prints_the_accuracy_of_the_checkpoint_on_the_test_set(spirals_run, capsys):
    capsys.readouterr()
    checkpoint = str(spirals_run / "checkpoint.safetensors")
    assert main(["evaluate", checkpoint]) == 0
    out = capsys.readouterr().out
    model, config, _ = run.load_model(checkpoint)
    expected = _accuracy_by_hand(model, config, *_features(train=False))
    assert f"accuracy {expected:.2%}" in out and "(200 examples)" in out
    assert json.loads((spirals_run / "test.json").read_text())["test_accuracy"] == pytest.approx(expected)


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    # a constant learning rate: the cosine schedule's length is the run's epochs, which the resumed run changes
    straight, parts = str(tmp_path / "straight"), str(tmp_path / "parts")
    assert main([*SPIRALS, "--schedule", "none", "--epochs", "16", "--out", straight]) == 0
    assert main([*SPIRALS, "--schedule", "none", "--epochs", "8", "--out", parts]) == 0
    halfway = load_checkpoint(f"{parts}/checkpoint.safetensors")["model"]["1.weight"].numpy()
    assert main(["train", "--resume", "--epochs", "16", "--out", parts, "--progress", "none"]) == 0
    resumed, straight = (load_checkpoint(f"{out}/checkpoint.safetensors") for out in (parts, straight))
    assert resumed["config"]["model"] == "mlp" and resumed["epoch"] == straight["epoch"] == 16
    assert set(resumed["model"]) == set(straight["model"])
    for key, value in straight["model"].items():
        np.testing.assert_array_equal(resumed["model"][key].numpy(), value.numpy(), err_msg=key)
    assert not np.array_equal(halfway, resumed["model"]["1.weight"].numpy())  # the resumed run did train


@pytest.mark.parametrize("command, says", [("predict", "classifies image files"), ("explain", "heat map over an image"),
                                           ("attack", "perturbs pixels")])
def test_image_commands_refuse_a_feature_checkpoint_in_one_line(spirals_run, tmp_path, capsys, command, says):
    image = tmp_path / "x.png"
    image.write_bytes(b"not read")
    arguments = [str(image)] if command != "attack" else ["--out", str(tmp_path / "grid.png")]
    assert main([command, str(spirals_run / "checkpoint.safetensors"), *arguments]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "the samples of spirals are vectors of 2 features" in err, err


def test_image_datasets_are_unchanged(tmp_path):
    assert main(["train", "--epochs", "1", "--model-option", "channels=[8]", "--model-option", "hidden=16",
                 "--out", str(tmp_path), "--progress", "none"]) == 0
    config = load_checkpoint(str(tmp_path / "checkpoint.safetensors"))["config"]
    assert config["model"] == "cnn" and config["dataset"] == "digits" and config["name"] == "cnn-digits"
    images = np.stack([image.numpy() for image, _ in bp.data.digits(train=True)]).astype(np.float64)
    assert len(config["mean"]) == len(config["std"]) == 1  # one channel
    np.testing.assert_allclose(config["mean"], [images.mean()], rtol=1e-6)
    np.testing.assert_allclose(config["std"], [images.std()], rtol=1e-5)
    for name in ("predictions.png", "filters.png", "confusion_matrix.png"):
        assert (tmp_path / name).is_file(), name
    assert run.make_config()["model"] == "cnn" and run.make_config(dataset="spirals")["model"] == "mlp"
    assert run.make_config(dataset="spirals", model="mlp")["out"].endswith("mlp-spirals")


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "sine"], "backprop train: sine is a regression dataset; backprop train trains classifiers"),
    (["--dataset", "spirals", "--model", "cnn"],
     "backprop train: model 'cnn' takes images (C, H, W), but spirals's samples are vectors of 2 features"),
    (["--dataset", "spirals", "--adversarial", "fgsm"], "adversarial training attacks images"),
])
def test_what_cannot_be_trained_is_refused_in_one_line_with_exit_code_2(argv, message, tmp_path, capsys):
    assert main(["train", *argv, "--epochs", "1", "--out", str(tmp_path), "--progress", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # refused before anything was written


def test_the_python_api_refuses_them_too(tmp_path):
    with pytest.raises(ValueError, match="regression dataset"):
        run.train(run.make_config(dataset="sine", epochs=1, out=str(tmp_path)))
    with pytest.raises(ValueError, match="takes images"):
        run.build_trainer(run.make_config(dataset="spirals", model="cnn", epochs=1, out=str(tmp_path)))
