"""The registry the command line uses: names, get, describe, input_shapes, and its errors."""
import subprocess
import sys

import pytest

import backprop as bp
from backprop import models

ZOO = ["mlp", "cnn", "lenet5", "lecun1989_net1", "lecun1989_net2", "lecun1989_net3", "lecun1989_net4",
       "lecun1989_net5", "vgg", "resnet", "alexnet", "lstm"]
DEFAULT_SHAPES = {"mlp": (1, 28, 28), "cnn": (1, 8, 8), "lenet5": (1, 28, 28), "vgg": (3, 32, 32),
                  "resnet": (3, 32, 32), "alexnet": (3, 32, 32), "lstm": (1, 28, 28)}


def test_names():
    assert models.names() == ZOO


def test_get_builds_with_defaults_and_overrides():
    assert models.get("cnn").classifier[0].in_features == 64 * 4 * 4
    net = models.get("cnn", (3, 32, 32), 100, hidden=64)
    assert net.features[0].in_channels == 3 and net.classifier[0].in_features == 64 * 16 * 16
    assert net.classifier[3].out_features == 100
    assert net(bp.zeros(1, 3, 32, 32)).shape == (1, 100)
    assert models.count_parameters(models.get("resnet", depth=8)) < models.count_parameters(models.get("resnet"))
    assert models.get("lecun1989_net5", [1, 16, 16], None)[5].out_features == 10


def test_describe():
    rows = models.describe()
    assert [row.name for row in rows] == ZOO
    for row in rows:
        name, description, shape, parameters = row
        assert isinstance(description, str) and 0 < len(description) <= 80 and "\n" not in description
        assert shape == models.input_shapes(name)[0] == DEFAULT_SHAPES.get(name, (1, 16, 16))
        assert parameters == models.count_parameters(models.get(name))
    assert {row.name: row.parameters for row in rows}["lenet5"] == 61706


def test_describe_leaves_the_random_stream_alone():
    bp.manual_seed(3)
    expected = bp.rand(4).tolist()
    bp.manual_seed(3)
    models.describe()
    assert bp.rand(4).tolist() == expected


def test_input_shapes_start_with_the_default_and_are_distinct():
    for name in ZOO:
        shapes = models.input_shapes(name)
        assert len(shapes) == len(set(shapes)) >= 2 and all(len(s) == 3 for s in shapes)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown model 'resnet50'; known models: mlp, cnn, lenet5, .*, lstm$"):
        models.get("resnet50")
    with pytest.raises(ValueError, match="unknown model 'x'"):
        models.input_shapes("x")
    with pytest.raises(TypeError, match="a model name must be a str, got int"):
        models.get(3)


def test_unknown_option_names_the_options():
    with pytest.raises(TypeError, match=r"model 'resnet' has no option 'width'; its options are: depth"):
        models.get("resnet", width=3)
    with pytest.raises(TypeError, match=r"model 'lenet5' has no option 'a', 'b'; "
                                        r"its options are: activation, pool, padding$"):
        models.get("lenet5", b=1, a=2)


def test_importing_the_zoo_does_not_import_torch():
    code = "import sys, backprop.models; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
