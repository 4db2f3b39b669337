"""nn.init against torch 2.13: every function torch has, the exact ones (eye_, dirac_, constant_) equal, the random
ones with the same statistics on large seeded samples, generator= reproducible, torch's errors and warnings."""
import inspect
import math
import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.nn import init


def test_every_torch_init_function_is_there_with_torchs_parameters():
    for name, value in vars(torch.nn.init).items():
        if name.startswith("_") or not inspect.isfunction(value) or value.__module__ != "torch.nn.init":
            continue
        assert hasattr(init, name), name
        theirs = list(inspect.signature(value).parameters)
        if name.endswith("_") or name == "calculate_gain":
            assert list(inspect.signature(getattr(init, name)).parameters) == theirs, name


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv1d", None), ("conv3d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)),
    ("selu", None)])
def test_calculate_gain(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("call", [lambda m: m.calculate_gain("swish"), lambda m: m.calculate_gain("leaky_relu", "x")])
def test_calculate_gain_errors(call):
    with pytest.raises(ValueError) as ours:
        call(init)
    with pytest.raises(ValueError) as theirs:
        call(torch.nn.init)
    assert str(ours.value) == str(theirs.value)


def _both(fn, shape, *args, **kwargs):
    torch.manual_seed(0)
    bp.manual_seed(0)
    ours = getattr(init, fn)(bp.zeros(*shape), *args, **kwargs).numpy()
    theirs = getattr(torch.nn.init, fn)(torch.zeros(*shape), *args, **kwargs).numpy()
    return ours, theirs


RANDOM = [
    ("uniform_", (400, 500), (-0.5, 2.0), {}),
    ("normal_", (400, 500), (1.0, 3.0), {}),
    ("trunc_normal_", (400, 500), (), {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0}),
    ("xavier_uniform_", (300, 200, 3), (), {"gain": 2.0}),
    ("xavier_normal_", (300, 200, 3), (), {}),
    ("kaiming_uniform_", (300, 200, 3), (), {"a": math.sqrt(5)}),
    ("kaiming_normal_", (300, 200, 3), (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("orthogonal_", (300, 400), (), {"gain": 1.5}),
]


@pytest.mark.parametrize("fn, shape, args, kwargs", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_initialisers_have_torchs_distribution(fn, shape, args, kwargs):
    ours, theirs = _both(fn, shape, *args, **kwargs)
    assert ours.dtype == theirs.dtype == np.float32
    assert abs(ours.mean() - theirs.mean()) < 0.02 * theirs.std() + 1e-3
    assert ours.std() == pytest.approx(theirs.std(), rel=0.01)
    levels = [0.01, 0.1, 0.5, 0.9, 0.99]
    np.testing.assert_allclose(np.quantile(ours, levels), np.quantile(theirs, levels), atol=0.03 * theirs.std())
    if "uniform" in fn:  # the same bounds
        for extreme in (np.max, np.min):
            assert abs(extreme(ours) - extreme(theirs)) < 0.01 * theirs.std()
    if fn == "trunc_normal_":
        assert ours.min() >= -1.0 and ours.max() <= 3.0


def test_orthogonal_rows_or_columns_are_orthonormal():
    for shape in [(3, 5), (5, 3), (4, 2, 3)]:
        w = init.orthogonal_(bp.zeros(*shape, dtype=bp.float64), gain=2.0).numpy().reshape(shape[0], -1)
        small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


def test_sparse_zeroes_the_same_count_per_column_as_torch():
    ours, theirs = _both("sparse_", (10, 40), 0.25, std=0.5)
    assert list((ours == 0).sum(axis=0)) == list((theirs == 0).sum(axis=0)) == [3] * 40
    assert ours[ours != 0].std() == pytest.approx(theirs[theirs != 0].std(), rel=0.25)


@pytest.mark.parametrize("fn, shape, args", [
    ("eye_", (3, 5), ()), ("eye_", (4, 2), ()), ("dirac_", (4, 3, 5), ()), ("dirac_", (6, 2, 3, 3), (2,)),
    ("dirac_", (2, 4, 3, 3, 3), ()), ("constant_", (2, 3), (0.3,)), ("ones_", (2, 3), ()), ("zeros_", (2, 3), ())])
def test_deterministic_initialisers_equal_torch(fn, shape, args):
    ours, theirs = _both(fn, shape, *args)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("fn, shape, args", [
    ("eye_", (2, 2, 2), ()), ("dirac_", (2, 2), ()), ("dirac_", (3, 2, 3), (2,)), ("orthogonal_", (3,), ()),
    ("sparse_", (2, 2, 2), (0.5,)), ("xavier_uniform_", (3,), ()), ("kaiming_normal_", (3, 3), (0, "fan_avg"))])
def test_errors_as_torch(fn, shape, args):
    with pytest.raises(ValueError) as ours:
        getattr(init, fn)(bp.zeros(*shape), *args)
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn.init, fn)(torch.zeros(*shape), *args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("fn", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                                "kaiming_uniform_", "kaiming_normal_", "orthogonal_"])
def test_generator_makes_draws_repeat_and_leaves_the_default_alone(fn):
    bp.manual_seed(3)
    expected_default = bp.rand(4).numpy()
    bp.manual_seed(3)
    a = getattr(init, fn)(bp.zeros(6, 5), generator=bp.Generator().manual_seed(7)).numpy()
    b = getattr(init, fn)(bp.zeros(6, 5), generator=bp.Generator().manual_seed(7)).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(bp.rand(4).numpy(), expected_default)


def test_sparse_takes_a_generator_too():
    a = init.sparse_(bp.zeros(6, 5), 0.5, generator=bp.Generator().manual_seed(1)).numpy()
    b = init.sparse_(bp.zeros(6, 5), 0.5, generator=bp.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(a, b)


def test_init_works_on_parameters_without_recording_a_graph():
    layer = bp.nn.Linear(4, 3)
    init.kaiming_normal_(layer.weight)
    init.trunc_normal_(layer.bias, std=0.02)
    assert layer.weight.is_leaf and layer.weight.grad_fn is None and layer.bias.requires_grad


def test_deprecated_names_and_zero_element_warnings_as_torch():
    with pytest.warns(FutureWarning, match=r"`nn.init.xavier_uniform` is now deprecated in favor of "
                                           r"`nn.init.xavier_uniform_`"):
        init.xavier_uniform(bp.zeros(2, 2))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(bp.zeros(0, 3))
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(bp.zeros(3), mean=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.trunc_normal_(bp.zeros(3))
