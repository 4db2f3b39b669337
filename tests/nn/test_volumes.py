"""The 3-d layers for volumes and clips against their torch twins: MaxPool3d, AvgPool3d, BatchNorm3d
(Conv3d and ConvTranspose3d: tests/nn/test_conv_transpose.py)."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module

rng = np.random.default_rng(0)


def _distinct(shape):
    """Values without ties inside a window (max pooling's gradient goes to one winner)."""
    return rng.permutation(np.prod(shape)).reshape(shape) / 10.0


@pytest.mark.parametrize("kwargs,shape", [
    (dict(kernel_size=2), (2, 3, 4, 4, 6)),
    (dict(kernel_size=(2, 3, 2), stride=1, padding=(1, 1, 0), dilation=(1, 1, 2)), (1, 2, 3, 5, 5)),
    (dict(kernel_size=3, stride=2, ceil_mode=True), (2, 4, 5, 6)),  # unbatched
])
def test_max_pool3d_matches_torch(kwargs, shape):
    ours, theirs = nn.MaxPool3d(**kwargs), torch.nn.MaxPool3d(**kwargs)
    compare_module(ours, theirs, [_distinct(shape)], dtype="float64")
    assert repr(ours) == repr(theirs)


def test_max_pool3d_return_indices_matches_torch():
    x = _distinct((1, 2, 4, 4, 4))
    ours, theirs = nn.MaxPool3d(2, return_indices=True), torch.nn.MaxPool3d(2, return_indices=True)
    compare_module(ours, theirs, [x], dtype="float64")
    assert np.array_equal(ours(bp.tensor(x))[1].numpy(), theirs(torch.tensor(x))[1].numpy())


@pytest.mark.parametrize("args,kwargs,shape", [
    ((2,), {}, (2, 3, 4, 4, 6)),
    (((2, 3, 2), 1, 1), dict(count_include_pad=False), (1, 2, 3, 4, 5)),
    ((3, 2), dict(ceil_mode=True, divisor_override=7), (2, 5, 5, 6)),  # unbatched
])
def test_avg_pool3d_matches_torch(args, kwargs, shape):
    ours, theirs = nn.AvgPool3d(*args, **kwargs), torch.nn.AvgPool3d(*args, **kwargs)
    compare_module(ours, theirs, [rng.standard_normal(shape)], dtype="float64")
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs", [{}, dict(affine=False, momentum=None), dict(track_running_stats=False)])
def test_batch_norm3d_matches_torch_in_training_and_evaluation(kwargs):
    ours, theirs = nn.BatchNorm3d(3, **kwargs), torch.nn.BatchNorm3d(3, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    for step in range(2):
        compare_module(ours, theirs, [rng.standard_normal((4, 3, 2, 3, 2)) * 2 + 1], dtype="float64",
                       copy=step == 0)
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(ours.get_buffer(name).numpy(), buffer.numpy(), rtol=1e-12, err_msg=name)
    ours.eval(), theirs.eval()
    compare_module(ours, theirs, [rng.standard_normal((2, 3, 2, 2, 3))], dtype="float64", copy=False)


def test_batch_norm3d_wants_volumes():
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D input .* got 4D input of shape \(2, 3, 4, 4\)"):
        nn.BatchNorm3d(3)(bp.zeros(2, 3, 4, 4))


def test_pooling_nodes_named_as_torch():
    x = rng.standard_normal((1, 2, 4, 4, 4))
    for call in (lambda lib, t: lib.nn.functional.max_pool3d(t, 2), lambda lib, t: lib.nn.functional.avg_pool3d(t, 2),
                 lambda lib, t: lib.nn.functional.max_pool3d(t[0], 2, return_indices=True)[0]):
        ours = call(bp, bp.tensor(x, requires_grad=True)).grad_fn.name()
        assert ours == call(torch, torch.tensor(x, requires_grad=True)).grad_fn.name()
