"""CosineSimilarity, PairwiseDistance, Bilinear and ChannelShuffle against torch twins (values, input and
parameter gradients, reprs, state_dict keys, Bilinear's default initialisation)."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs,shapes", [({}, ((4, 5), (4, 5))), (dict(dim=-1, eps=1e-3), ((2, 3, 4), (3, 4))),
                                           (dict(dim=0), ((5,), (5,)))])
def test_cosine_similarity_matches_torch(kwargs, shapes, dtype):
    ours, theirs = nn.CosineSimilarity(**kwargs), torch.nn.CosineSimilarity(**kwargs)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [rand(*s, seed=i) for i, s in enumerate(shapes)], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs,shapes", [({}, ((4, 5), (4, 5))), (dict(p=1.0, keepdim=True), ((3, 4), (4,))),
                                           (dict(p=3.0, eps=1e-3), ((5,), (5,)))])
def test_pairwise_distance_matches_torch(kwargs, shapes, dtype):
    ours, theirs = nn.PairwiseDistance(**kwargs), torch.nn.PairwiseDistance(**kwargs)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [rand(*s, seed=i) for i, s in enumerate(shapes)], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias,shapes", [(True, ((4, 3), (4, 5))), (False, ((2, 3, 3), (2, 3, 5))),
                                         (True, ((3,), (5,)))])
def test_bilinear_matches_torch(bias, shapes, dtype):
    ours, theirs = nn.Bilinear(3, 5, 2, bias=bias), torch.nn.Bilinear(3, 5, 2, bias=bias)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare_module(ours, theirs, [rand(*s, seed=i) for i, s in enumerate(shapes)], dtype)


def test_bilinear_initialisation_is_torchs():
    """U(-1/sqrt(in1), 1/sqrt(in1)) for weight and bias: the range is reached and the variance is bound^2 / 3."""
    bp.manual_seed(0)
    layer = nn.Bilinear(16, 8, 64)
    bound = 1 / np.sqrt(16)
    for w in (layer.weight.detach().numpy(), layer.bias.detach().numpy()):
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    w = layer.weight.detach().numpy()
    assert abs(w.var() - bound ** 2 / 3) < 0.1 * bound ** 2 / 3
    assert abs(w.mean()) < 0.01


def test_bilinear_shape_errors():
    with pytest.raises(RuntimeError, match="bilinear"):
        nn.Bilinear(3, 5, 2)(bp.randn(4, 3), bp.randn(4, 4))


@pytest.mark.parametrize("groups,shape", [(2, (2, 6, 3)), (3, (1, 6, 2, 2)), (4, (4, 8, 5)), (1, (2, 3, 2))])
def test_channel_shuffle_matches_torch(groups, shape):
    ours, theirs = nn.ChannelShuffle(groups), torch.nn.ChannelShuffle(groups)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [rand(*shape)], "float64")


def test_channel_shuffle_errors_as_torch():
    for shape, groups in [((4, 6), 2), ((2, 5, 3), 2)]:
        with pytest.raises(RuntimeError):
            torch.nn.ChannelShuffle(groups)(torch.zeros(shape))
        with pytest.raises(RuntimeError):
            nn.ChannelShuffle(groups)(bp.zeros(*shape))
