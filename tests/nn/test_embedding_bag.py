"""EmbeddingBag (modes, offsets, per-sample weights, padding, max_norm), Embedding's max_norm /
scale_grad_by_freq / from_pretrained, and AlphaDropout, against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import assert_close, compare_module

INDICES_1D = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 4])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kwargs,inputs", [
    ({}, (INDICES_1D, np.array([0, 4, 4, 7]))),  # an empty bag among them
    (dict(include_last_offset=True), (INDICES_1D, np.array([0, 3, 6, 10]))),
    (dict(padding_idx=4), (INDICES_1D, np.array([0, 2, 5]))),
    (dict(padding_idx=-1), (np.array([[1, 9, 3], [9, 9, 9], [2, 2, 5]]),)),  # a bag of padding only
    ({}, (np.array([[1, 2, 3, 3], [4, 0, 4, 8]]),)),
])
def test_embedding_bag_matches_torch(mode, kwargs, inputs, dtype):
    ours, theirs = nn.EmbeddingBag(10, 3, mode=mode, **kwargs), torch.nn.EmbeddingBag(10, 3, mode=mode, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare_module(ours, theirs, list(inputs), dtype)


@pytest.mark.parametrize("inputs", [
    (INDICES_1D, np.array([0, 4, 4, 7]), np.random.default_rng(1).standard_normal(10)),
    (np.array([[1, 2, 3], [4, 0, 4]]), None, np.random.default_rng(2).standard_normal((2, 3))),
])
def test_embedding_bag_per_sample_weights_match_torch(inputs):
    ours, theirs = nn.EmbeddingBag(10, 3, mode="sum"), torch.nn.EmbeddingBag(10, 3, mode="sum")

    def call(module, x, offsets, weights):
        return module(x, offsets, per_sample_weights=weights)

    indices, offsets, weights = inputs
    if offsets is None:
        compare_module(ours, theirs, [indices, weights], "float64",
                       forward=lambda m, x, w: m(x, per_sample_weights=w))
    else:
        compare_module(ours, theirs, [indices, offsets, weights], "float64", forward=call)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_max_norm_renormalises_as_torch(mode):
    ours = nn.EmbeddingBag(10, 4, max_norm=1.5, norm_type=3.0, mode=mode)
    theirs = torch.nn.EmbeddingBag(10, 4, max_norm=1.5, norm_type=3.0, mode=mode)
    compare_module(ours, theirs, [INDICES_1D, np.array([0, 5])], "float64")
    assert_close(ours.weight, theirs.weight, "float64", "renormalised weight")


def test_embedding_bag_from_pretrained_and_errors():
    w = np.random.default_rng(0).standard_normal((6, 2))
    ours = nn.EmbeddingBag.from_pretrained(bp.tensor(w), mode="max")
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="max")
    assert not ours.weight.requires_grad and repr(ours) == repr(theirs)
    x, offsets = np.array([0, 5, 3, 1]), np.array([0, 1])
    assert_close(ours(bp.tensor(x), bp.tensor(offsets)), theirs(torch.tensor(x), torch.tensor(offsets)), "float64")
    bag = nn.EmbeddingBag(6, 2)
    with pytest.raises(ValueError, match="offsets"):
        bag(bp.tensor([1, 2]))
    with pytest.raises(ValueError, match="offsets"):
        bag(bp.tensor([[1, 2]]), bp.tensor([0]))
    with pytest.raises(ValueError, match="offsets\\[0\\]"):
        bag(bp.tensor([1, 2]), bp.tensor([1]))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        bag(bp.tensor([[1, 2]]), per_sample_weights=bp.ones(1, 2))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.EmbeddingBag(6, 2, sparse=True)


def test_embedding_max_norm_and_scale_grad_by_freq_match_torch():
    x = np.array([[1, 2, 2], [4, 2, 1]])
    for kwargs in [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0), dict(scale_grad_by_freq=True),
                   dict(scale_grad_by_freq=True, padding_idx=1, max_norm=2.0)]:
        ours, theirs = nn.Embedding(6, 3, **kwargs), torch.nn.Embedding(6, 3, **kwargs)
        assert repr(ours) == repr(theirs)
        compare_module(ours, theirs, [x], "float64")
        assert_close(ours.weight, theirs.weight, "float64", "weight after the forward")


def test_embedding_from_pretrained_keeps_torchs_options():
    w = np.random.default_rng(0).standard_normal((5, 3))
    ours = nn.Embedding.from_pretrained(bp.tensor(w), freeze=False, padding_idx=2, max_norm=1.0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, padding_idx=2, max_norm=1.0)
    assert ours.weight.requires_grad and repr(ours) == repr(theirs)
    compare_module(ours, theirs, [np.array([2, 0, 4])], "float64", copy=False)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(5, 3, sparse=True)


@pytest.mark.parametrize("cls,shape,feature", [("AlphaDropout", (400, 500), False),
                                               ("FeatureAlphaDropout", (400, 500, 2), True)])
def test_alpha_dropout_keeps_mean_and_variance_and_torchs_values(cls, shape, feature):
    ours, theirs = getattr(nn, cls)(0.2), getattr(torch.nn, cls)(0.2)
    assert repr(ours) == repr(theirs)
    bp.manual_seed(0)
    ones = ours(bp.ones(*shape)).numpy()
    expected = np.unique(theirs(torch.ones(shape)).numpy())
    np.testing.assert_allclose(np.unique(ones), expected, rtol=1e-6)  # the same two values as torch's
    dropped = ones == expected.min()
    assert abs(dropped.mean() - 0.2) < 0.01
    if feature:  # whole channels together
        assert (dropped == dropped[..., :1]).all()
    z = np.random.default_rng(0).standard_normal(shape).astype(np.float32)  # a SELU fixed point: mean 0, var 1
    x = bp.tensor(z, requires_grad=True)
    y = ours(x)
    assert abs(float(y.mean())) < 0.02 and abs(float(y.var()) - 1) < 0.03
    y.sum().backward()
    t = torch.tensor(z, requires_grad=True)
    theirs(t).sum().backward()
    np.testing.assert_allclose(np.unique(x.grad.numpy()), np.unique(t.grad.numpy()), rtol=1e-6)  # {0, a}
    assert ours.eval()(x) is x
