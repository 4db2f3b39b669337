"""The playground's engine (backprop.serve.playground): datasets, settings, training, frames, export as Python.

The gradients a frame shows are checked against torch on the same network, weights and batch; the exported
program is run and must print the losses the playground shows after the same steps.
"""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.serve import playground as pg

FRAME_KEYS = {"step", "epoch", "problem", "train_loss", "test_loss", "domain", "resolution", "train_points",
              "test_points", "output", "layers", "weights", "biases", "gradients", "warped"}


def make(**settings):
    return pg.Playground(pg.parse_config(settings))


# ------------------------------------------------------------------ learning
def test_xor_with_two_hidden_layers_of_4_tanh_reaches_a_test_loss_below_0_1_in_1500_steps():
    playground = make(dataset="xor", hidden=[4, 4], activation="tanh", learning_rate=0.03, batch_size=10, seed=0)
    assert playground.frame()["test_loss"] > 0.3       # it starts near guessing
    playground.step(1500)
    frame = playground.frame()
    assert frame["step"] == 1500 and frame["epoch"] == 1500 / 25   # 250 train points in batches of 10
    assert frame["test_loss"] < 0.1


def test_a_step_network_passes_no_gradient_below_its_step_units():
    playground = make(activation="step", hidden=[3])
    playground.step(2)
    below, output = playground.frame()["gradients"]
    assert np.all(np.array(below) == 0)    # the step's derivative is 0: nothing reaches the first layer
    assert np.any(np.array(output) != 0)   # the output layer, above the steps, still gets its gradient


def test_a_network_without_hidden_layers_is_one_unit_on_the_features():
    playground = make(hidden=[], features=["x1", "x2", "x1*x2"])
    playground.step(3)
    frame = playground.frame()
    assert [layer["name"] for layer in frame["layers"]] == ["input", "output"]
    assert np.array(frame["weights"][0]).shape == (1, 3)


# ------------------------------------------------------------------ data
@pytest.mark.parametrize("name", pg.DATASETS)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_every_dataset_has_its_shape_labels_and_range(name, noise):
    points, targets = pg.GENERATORS[name](201, noise, np.random.default_rng(3))
    assert points.shape == (201, 2) and targets.shape == (201,)
    assert np.all(np.abs(points) <= 6)
    if name in pg.REGRESSION:
        assert np.all(np.isfinite(targets)) and np.all(np.abs(targets) <= 1.5)
        assert targets.std() > 0.1
    else:
        assert set(targets) == {-1.0, 1.0}
        assert min(np.sum(targets == 1), np.sum(targets == -1)) > 0.4 * 201    # both classes, about half each


def test_the_noiseless_datasets_follow_their_rules():
    rng = np.random.default_rng(5)
    points, targets = pg.circle(300, 0, rng)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert np.all((radius < 2.5) == (targets == 1)) and np.all(radius[targets == -1] >= 3.5)
    points, targets = pg.xor(300, 0, rng)
    assert np.all(np.sign(points[:, 0] * points[:, 1]) == targets) and np.all(np.abs(points) >= 0.3)
    points, targets = pg.gauss(300, 0, rng)
    assert np.allclose(points[targets == 1].mean(axis=0), [2, 2], atol=0.3)
    assert np.allclose(points[targets == -1].mean(axis=0), [-2, -2], atol=0.3)
    points, targets = pg.spiral(300, 0, rng)
    assert np.all(np.hypot(points[:, 0], points[:, 1]) <= 5 + 1e-12)
    points, targets = pg.plane(300, 0, rng)
    assert np.allclose(targets, (points[:, 0] + points[:, 1]) / 12)


def test_the_points_are_split_by_train_ratio():
    frame = make(points=400, train_ratio=30).frame()
    assert len(frame["train_points"]) == 120 and len(frame["test_points"]) == 280
    train, test = np.array(frame["train_points"]), np.array(frame["test_points"])
    assert not {tuple(row) for row in train} & {tuple(row) for row in test}


def test_each_feature_map_is_its_formula_on_the_grid():
    frame = make(features=list(pg.FEATURES), resolution=11).frame()
    x2, x1 = np.mgrid[6:-6.5:-1.2, -6:6.5:1.2]    # row 0 at x2 = 6, column 0 at x1 = -6, steps of 12 / 10
    formulas = {"x1": x1, "x2": x2, "x1^2": x1 ** 2, "x2^2": x2 ** 2, "x1*x2": x1 * x2,
                "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)}
    units = frame["layers"][0]["units"]
    assert [unit["label"] for unit in units] == list(pg.FEATURES)
    for unit in units:
        np.testing.assert_allclose(unit["map"], formulas[unit["label"]].ravel(), atol=1e-4, err_msg=unit["label"])


# ------------------------------------------------------------------ settings
def test_the_defaults_and_the_options():
    assert pg.parse_config({}) == pg.Config()
    assert pg.options()["defaults"]["hidden"] == [4, 2] and pg.options()["limits"]["points"] == 2000
    assert set(pg.options()) >= {"datasets", "features", "activations", "optimizers", "regularizations", "limits",
                                 "defaults"}
    json.dumps(pg.OPTIONS)
    config = pg.parse_config({"dataset": "spiral", "noise": 10, "hidden": [8, 8, 8, 8, 8, 8], "dropout": 0.5,
                              "features": ["sin(x2)", "x1"], "optimizer": "adam", "regularization": "L1"})
    assert config.hidden == (8,) * 6 and config.features == ("sin(x2)", "x1") and config.noise == 10.0


@pytest.mark.parametrize("settings, expected", [
    ([1, 2], "must be a JSON object, got a list"),
    ({"layers": 3}, "unknown playground setting 'layers': expected one of dataset, noise,"),
    ({"dataset": "moons"}, "dataset must be one of circle, xor, gauss, spiral, plane, multigauss, got 'moons'"),
    ({"dataset": 1}, "dataset must be one of circle, xor, gauss, spiral, plane, multigauss, got 1"),
    ({"noise": 60}, "noise must be a number in [0, 50], got 60"),
    ({"noise": "5"}, "noise must be a number in [0, 50], got '5' (a str)"),
    ({"train_ratio": 95}, "train_ratio must be a number in [10, 90], got 95"),
    ({"points": 5000}, "points must be an int in [10, 2000], got 5000"),
    ({"points": 500.0}, "points must be an int in [10, 2000], got 500.0 (a float)"),
    ({"batch_size": 0}, "batch_size must be an int in [1, 100], got 0"),
    ({"batch_size": 101}, "batch_size must be an int in [1, 100], got 101"),
    ({"features": []}, "features must be a non-empty list of distinct names from x1, x2, x1^2"),
    ({"features": ["x3"]}, "got 'x3' in ['x3']"),
    ({"features": ["x1", "x1"]}, "got a name twice in ['x1', 'x1']"),
    ({"features": "x1"}, "features must be a non-empty list"),
    ({"hidden": [4, 9]}, "hidden must be at most 6 layers of 1 to 8 units, got [4, 9]"),
    ({"hidden": [1] * 7}, "hidden must be at most 6 layers of 1 to 8 units"),
    ({"hidden": [4, 0]}, "hidden must be a sequence of positive ints, got [4, 0]"),
    ({"hidden": ["4"]}, "hidden must be a sequence of positive ints, got ['4'] ('4' is a str)"),
    ({"activation": "softmax"}, "activation must be one of relu, tanh, sigmoid, linear, step, arctan, got 'softmax'"),
    ({"learning_rate": 0}, "learning_rate must be a number in (0, 10], got 0"),
    ({"learning_rate": float("nan")}, "learning_rate must be a number in (0, 10], got nan"),
    ({"learning_rate": True}, "learning_rate must be a number in (0, 10], got True (a bool)"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum, adagrad, rmsprop, adam, got 'lbfgs'"),
    ({"regularization": "l2"}, "regularization must be one of none, L1, L2, got 'l2'"),
    ({"regularization_rate": -1}, "regularization_rate must be a number in [0, 10], got -1"),
    ({"dropout": 1}, "dropout must be a number in [0, 1), got 1"),
    ({"resolution": 101}, "resolution must be an int in [10, 100], got 101"),
    ({"resolution": None}, "resolution must be an int in [10, 100], got None (a NoneType)"),
    ({"seed": -1}, "seed must be an int in [0, 4294967295], got -1"),
])
def test_parse_config_refuses_bad_settings_in_one_line(settings, expected):
    with pytest.raises(ValueError) as error:
        pg.parse_config(settings)
    message = str(error.value)
    assert expected in message and "\n" not in message


def test_step_takes_a_positive_count():
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        make().step(0)


# ------------------------------------------------------------------ frames
def test_a_frame_is_json_with_the_contract_keys_and_sizes():
    frame = make(hidden=[4, 3], resolution=12, points=100, train_ratio=60, features=["x1", "x2", "x1^2"]).frame()
    assert set(frame) == FRAME_KEYS
    assert json.loads(json.dumps(frame, allow_nan=False)) == frame
    assert frame["problem"] == "classification" and frame["domain"] == [-6, 6] and frame["resolution"] == 12
    assert frame["step"] == 0 and frame["epoch"] == 0
    assert len(frame["train_points"]) == 60 and len(frame["test_points"]) == 40
    assert all(len(row) == 3 and row[2] in (-1, 1) for row in frame["train_points"] + frame["test_points"])
    assert len(frame["output"]) == 144 and frame["output"] == frame["layers"][-1]["units"][0]["map"]
    assert [layer["name"] for layer in frame["layers"]] == ["input", "hidden 1", "hidden 2", "output"]
    assert [len(layer["units"]) for layer in frame["layers"]] == [3, 4, 3, 1]
    assert all(len(unit["map"]) == 144 for layer in frame["layers"] for unit in layer["units"])
    assert [np.array(w).shape for w in frame["weights"]] == [(4, 3), (3, 4), (1, 3)]
    assert [np.array(w).shape for w in frame["gradients"]] == [(4, 3), (3, 4), (1, 3)]
    assert not np.any([np.any(np.array(g)) for g in frame["gradients"]])   # zeros before the first step
    assert [len(b) for b in frame["biases"]] == [4, 3, 1]
    assert max(abs(value) for value in frame["output"]) < 1                 # a tanh output unit


def test_a_regression_frame_has_a_linear_output():
    playground = make(dataset="plane", hidden=[3], activation="relu")
    frame = playground.frame()
    assert frame["problem"] == "regression"
    assert isinstance(playground.model[-1], bp.nn.Identity)


def test_a_diverging_network_gives_null_not_nan():
    playground = make(learning_rate=10, hidden=[8, 8], activation="linear", optimizer="sgd", dataset="plane",
                      batch_size=1)
    playground.step(200)
    frame = playground.frame()
    assert frame["train_loss"] is None
    json.dumps(frame, allow_nan=False)


def test_the_same_config_gives_the_same_frames_even_between_another_playgrounds_steps():
    settings = dict(dataset="spiral", noise=20, hidden=[5, 3], dropout=0.3, optimizer="adam", seed=4)
    alone = make(**settings)
    alone.step(12)
    first, other = make(**settings), make(**{**settings, "seed": 5})
    for _ in range(4):
        first.step(3)
        other.step(3)
    assert first.frame() == alone.frame()
    assert other.frame()["weights"] != alone.frame()["weights"]


def test_the_gradients_in_a_frame_are_torch_s_on_the_same_network_and_batch():
    # 50 train points in one batch of 50: the step's batch is the whole train set
    playground = make(points=100, train_ratio=50, batch_size=50, hidden=[3, 2], activation="sigmoid",
                      features=["x1", "x2", "x1*x2"], regularization="L2", regularization_rate=0.05,
                      optimizer="momentum")
    before = playground.frame()
    playground.step()
    after = playground.frame()

    linears = [torch.nn.Linear(3, 3), torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)]
    with torch.no_grad():
        for linear, weight, bias in zip(linears, before["weights"], before["biases"]):
            linear.weight.copy_(torch.tensor(weight))
            linear.bias.copy_(torch.tensor(bias))
    model = torch.nn.Sequential(linears[0], torch.nn.Sigmoid(), linears[1], torch.nn.Sigmoid(), linears[2],
                                torch.nn.Tanh())
    inputs = torch.tensor(playground.train_inputs.numpy())
    targets = torch.tensor(playground.train_targets.numpy())
    loss = 0.5 * ((model(inputs) - targets) ** 2).mean()
    assert before["train_loss"] == pytest.approx(loss.item(), rel=1e-5)
    loss = loss + 0.05 * 0.5 * sum((linear.weight ** 2).sum() for linear in linears)
    loss.backward()
    for got, linear in zip(after["gradients"], linears):
        np.testing.assert_allclose(got, linear.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_the_warped_space_is_there_exactly_when_the_first_hidden_layer_has_two_units():
    assert make(hidden=[3, 2]).frame()["warped"] is None
    assert make(hidden=[]).frame()["warped"] is None
    playground = make(hidden=[2, 4], points=60)
    warped = playground.frame()["warped"]
    assert len(warped["lines"]) == 42 and all(len(line) == 41 for line in warped["lines"])
    assert len(warped["points"]) == 30
    # the first line is x1 = -6 from x2 = -6 upwards; its first point is tanh(W (-6, -6) + b)
    weight, bias = playground.model[0].weight.detach().numpy(), playground.model[0].bias.detach().numpy()
    np.testing.assert_allclose(warped["lines"][0][0], np.tanh(weight @ [-6, -6] + bias), atol=1e-4)
    np.testing.assert_allclose(warped["lines"][21][40], np.tanh(weight @ [6, -6] + bias), atol=1e-4)
    first_point = playground.train_inputs.numpy()[0]
    np.testing.assert_allclose(warped["points"][0][:2], np.tanh(weight @ first_point + bias), atol=1e-4)


# ------------------------------------------------------------------ export as Python
@pytest.mark.parametrize("settings", [
    dict(dataset="circle", noise=15, hidden=[4, 3], dropout=0.25, optimizer="momentum", regularization="L1",
         regularization_rate=0.01, features=["x1", "x2", "x1^2", "x2^2"], seed=7),
    dict(dataset="multigauss", hidden=[], optimizer="rmsprop", batch_size=7, learning_rate=0.01),
])
def test_the_exported_program_prints_the_playground_s_losses(settings, tmp_path):
    config = pg.parse_config(settings)
    program = tmp_path / "playground.py"
    program.write_text(pg.export_python(config))
    run = subprocess.run([sys.executable, str(program), "--steps", "30"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    playground = pg.Playground(config)
    playground.step(30)
    frame = playground.frame()
    assert run.stdout.strip() == f"step 30: train loss {frame['train_loss']:.6f}, test loss {frame['test_loss']:.6f}"
    text = program.read_text()
    assert "import backprop as bp" in text and "backprop.serve" not in text   # self-contained


def test_the_exported_program_reads_as_the_settings_say():
    text = pg.export_python(pg.parse_config({"hidden": [3], "activation": "arctan", "optimizer": "adam",
                                             "learning_rate": 0.1, "dropout": 0.5}))
    network = ["bp.nn.Linear(2, 3),", "bp.nn.Arctan(),", "bp.nn.Dropout(0.5),", "bp.nn.Linear(3, 1),", "bp.nn.Tanh(),"]
    assert "\n        ".join(network) in text
    assert "optimizer = bp.optim.Adam(model.parameters(), lr=0.1)" in text
    assert "def xor(" in text and "def circle(" not in text
    compile(text, "exported", "exec")
