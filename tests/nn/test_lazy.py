"""Lazy modules against torch 2.13: LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm* (repr and
state_dict before the first forward, the class and shapes after it, outputs and gradients after loading torch's
state_dict, loading before the first forward), UninitializedParameter's errors, an optimizer made before."""
import numpy as np
import pytest
import torch

import backprop as bp
from tests.nn.twin import compare_module

RNG = np.random.default_rng(0)
CASES = [
    ("LazyLinear", (5,), {}, (3, 7)),
    ("LazyLinear", (5,), {"bias": False}, (2, 4, 7)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 8, 8)),
    ("LazyConv2d", (4, 3), {}, (3, 7, 7)),  # unbatched
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"output_padding": 1, "stride": 2}, (2, 3, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (6, 4)),
    ("LazyBatchNorm2d", (), {"affine": False}, (4, 3, 5, 5)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 2)),
]


def _make(lib, name, args, kwargs):
    torch.manual_seed(0)
    return getattr(lib.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lazy_module_as_torch(name, args, kwargs, shape):
    ours, theirs = _make(bp, name, args, kwargs), _make(torch, name, args, kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    x = RNG.standard_normal(shape).astype("float32")
    ours(bp.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert not hasattr(ours, "_initialize_hook") and not ours._forward_pre_hooks
    compare_module(ours, theirs, [x])


@pytest.mark.parametrize("name, args, kwargs, shape", CASES[:4] + CASES[6:7] + CASES[9:10],
                         ids=[c[0] + str(i) for i, c in enumerate(CASES[:4] + CASES[6:7] + CASES[9:10])])
def test_loading_a_state_dict_before_the_first_forward(name, args, kwargs, shape):
    theirs = _make(torch, name, args, kwargs)
    x = RNG.standard_normal(shape).astype("float32")
    theirs(torch.tensor(x))
    ours = _make(bp, name, args, kwargs)
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_allclose(ours(bp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert type(ours).__name__ == name[4:]


def test_initialisation_as_the_plain_layer():
    layer = bp.nn.LazyLinear(300)
    layer(bp.zeros(2, 400))
    bound = 1 / np.sqrt(400)
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound and abs(w.std() - bound / np.sqrt(3)) < 1e-3


def test_an_optimizer_made_before_the_first_forward_trains_the_same_parameters():
    layer = bp.nn.LazyLinear(2)
    opt = bp.optim.SGD(layer.parameters(), lr=0.1)
    layer(bp.ones(4, 3)).sum().backward()
    before = layer.weight.detach().numpy().copy()
    opt.step()
    assert isinstance(layer.weight, bp.nn.Parameter) and not np.allclose(before, layer.weight.detach().numpy())


def test_uninitialized_errors_as_torch():
    messages = []
    for lib in (bp, torch):
        param = lib.nn.UninitializedParameter()
        with pytest.raises(RuntimeError) as error:
            param.shape
        messages.append((repr(param), str(error.value)))
        with pytest.raises(RuntimeError) as error:
            lib.nn.LazyConv2d(4, 3)(lib.zeros(3, 3))
        messages.append(str(error.value).replace("torch.", "backprop."))
    assert messages[:2] == messages[2:]
    assert bp.nn.parameter.is_lazy(bp.nn.UninitializedBuffer()) and not bp.nn.parameter.is_lazy(bp.zeros(1))


def test_a_lazy_state_dict_loads_into_a_lazy_module():
    for lib in (bp, torch):
        saved = lib.nn.LazyLinear(3).state_dict()
        layer = lib.nn.LazyLinear(3)
        assert repr(layer.load_state_dict(saved)) == "<All keys matched successfully>"
        assert layer.has_uninitialized_params()


def test_making_a_lazy_linear_warns_nothing_as_torchs():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.nn.LazyLinear(3)
        bp.nn.LazyLinear(3)
