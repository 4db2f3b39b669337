"""GroupNorm, InstanceNorm1d/2d/3d, LocalResponseNorm and RMSNorm against their torch twins: outputs,
input and parameter gradients, state_dict keys, repr, train/eval and running statistics."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import assert_close, compare_module


def rng(seed=0):
    return np.random.default_rng(seed)


def randomised(torch_module, seed=7):
    """torch's module with non-trivial affine parameters (copied into ours by compare_module)."""
    with torch.no_grad():
        for p in torch_module.parameters():
            p.copy_(torch.tensor(rng(seed).standard_normal(tuple(p.shape))))
    return torch_module


def sample(shape, seed=0):
    """Values with a per-channel offset and scale, so that the statistics matter."""
    x = rng(seed).standard_normal(shape)
    channel = (1, -1) + (1,) * (len(shape) - 2) if len(shape) > 1 else (-1,)
    return x * np.arange(1, shape[1] + 1).reshape(channel) + np.arange(shape[1]).reshape(channel)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args,kwargs,shape", [
    ((2, 4), {}, (3, 4, 5)), ((3, 6), {}, (2, 6, 3, 4)), ((1, 4), dict(eps=1e-3), (2, 4)),
    ((4, 4), dict(affine=False), (2, 4, 6)), ((2, 4), dict(bias=False), (2, 4, 2, 2))])
def test_group_norm_matches_torch(args, kwargs, shape, dtype):
    ours, theirs = nn.GroupNorm(*args, **kwargs), randomised(torch.nn.GroupNorm(*args, **kwargs))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [sample(shape)], dtype)
    compare_module(ours.eval(), theirs.eval(), [sample(shape, 1)], dtype)


def test_group_norm_checks_channels():
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="divisible"):
        nn.GroupNorm(2, 4)(bp.randn(2, 5, 3))


INSTANCE = [(nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (3, 4, 6)),
            (nn.InstanceNorm1d, torch.nn.InstanceNorm1d, (4, 6)),
            (nn.InstanceNorm2d, torch.nn.InstanceNorm2d, (2, 4, 3, 5)),
            (nn.InstanceNorm2d, torch.nn.InstanceNorm2d, (4, 3, 3)),
            (nn.InstanceNorm3d, torch.nn.InstanceNorm3d, (2, 4, 2, 3, 2))]


@pytest.mark.parametrize("ours_cls,theirs_cls,shape", INSTANCE)
@pytest.mark.parametrize("kwargs", [{}, dict(affine=True), dict(affine=True, track_running_stats=True, momentum=0.3),
                                    dict(track_running_stats=True, momentum=None)])
def test_instance_norm_matches_torch_in_training_and_evaluation(ours_cls, theirs_cls, shape, kwargs):
    ours, theirs = ours_cls(4, **kwargs), randomised(theirs_cls(4, **kwargs))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    channel_axis = len(shape) - (ours_cls._no_batch_dims)

    def make(seed):
        x = rng(seed).standard_normal(shape)
        scale = np.arange(1, 5).reshape((-1,) + (1,) * (len(shape) - channel_axis - 1))
        return x * scale + scale

    compare_module(ours, theirs, [make(0)], "float64")
    for step in range(1, 4):  # a few training steps: the running statistics follow torch's
        compare_module(ours, theirs, [make(step)], "float64", copy=False)
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value, "float64", key)
    compare_module(ours.eval(), theirs.eval(), [make(9)], "float64", copy=False)


def test_instance_norm_float32_and_errors():
    ours, theirs = nn.InstanceNorm2d(3, affine=True), randomised(torch.nn.InstanceNorm2d(3, affine=True))
    compare_module(ours, theirs, [sample((2, 3, 4, 4))], "float32")
    with pytest.raises(ValueError, match="3D or 4D"):
        ours(bp.randn(2, 3))
    with pytest.raises(ValueError, match="channels"):
        ours(bp.randn(2, 5, 4, 4))
    with pytest.warns(UserWarning):
        nn.InstanceNorm1d(3)(bp.randn(2, 5, 4))
    with pytest.raises(ValueError, match="spatial element"):
        nn.InstanceNorm1d(3)(bp.randn(2, 3, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args,shape", [((3,), (2, 6, 4)), ((2, 0.1, 0.5, 2.0), (2, 5, 3, 3)), ((5,), (1, 3, 2, 2, 2))])
def test_local_response_norm_matches_torch(args, shape, dtype):
    ours, theirs = nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [sample(shape)], dtype)


def test_local_response_norm_needs_three_dims():
    with pytest.raises(ValueError, match="3D or higher"):
        nn.LocalResponseNorm(2)(bp.randn(2, 3))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("args,kwargs,shape", [
    ((4,), {}, (3, 4)), ((4,), dict(eps=1e-3), (2, 3, 4)), (([2, 3],), {}, (2, 2, 3)),
    ((3,), dict(elementwise_affine=False), (3,)),
    ((5,), dict(eps=0.5), (2, 5))])
def test_rms_norm_matches_torch(args, kwargs, shape, dtype):
    ours, theirs = nn.RMSNorm(*args, **kwargs), randomised(torch.nn.RMSNorm(*args, **kwargs))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [rng(3).standard_normal(shape) * 0.01], dtype)  # small: eps matters


def test_default_initialisation_is_torchs():
    for ours, theirs in [(nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)), (nn.RMSNorm((2, 3)), torch.nn.RMSNorm((2, 3))),
                         (nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
                          torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True))]:
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, "float32", key)
