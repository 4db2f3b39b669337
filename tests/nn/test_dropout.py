"""Dropout: statistics of the random mask (masks differ from torch's), both scalings, eval identity, gradients."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F


def ones(*shape, dtype=bp.float32):
    return bp.ones(*shape, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [bp.float32, bp.float64])
def test_training_zeroes_a_fraction_p_and_scales_the_rest(p, dtype):
    bp.manual_seed(0)
    y = nn.Dropout(p)(ones(200, 250, dtype=dtype)).detach().numpy()
    assert y.dtype == np.dtype(dtype)
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 4 * np.sqrt(p * (1 - p) / y.size), zeroed  # within 4 standard errors
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1) < 0.02  # E[y] = z: inverted dropout keeps the expectation


def test_same_statistics_as_torch():
    bp.manual_seed(1)
    torch.manual_seed(1)
    ours = nn.Dropout(0.3)(ones(100, 100)).detach().numpy()
    theirs = torch.nn.Dropout(0.3)(torch.ones(100, 100)).detach().numpy()
    assert set(np.unique(ours).round(5)) == set(np.unique(theirs).round(5))
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.03


def test_eval_is_the_identity():
    layer = nn.Dropout(0.5).eval()
    x = bp.randn(4, 5, requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 5), np.float32))
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).detach().numpy(), x.detach().numpy())


def test_gradient_only_through_kept_units():
    bp.manual_seed(2)
    x = bp.randn(30, 40, dtype=bp.float64, requires_grad=True)
    y = nn.Dropout(0.4)(x)
    upstream = np.random.default_rng(0).standard_normal((30, 40))
    (y * bp.tensor(upstream)).sum().backward()
    kept = y.detach().detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, upstream / 0.6, 0), rtol=1e-12)
    np.testing.assert_allclose(y.detach().detach().numpy(), np.where(kept, x.detach().numpy() / 0.6, 0), rtol=1e-12)


def test_lectures_form_scales_at_test_time():
    bp.manual_seed(3)
    layer = nn.Dropout(0.5, scale_at_test=True)
    y = layer(ones(100, 100)).detach().numpy()
    assert set(np.unique(y)) == {0.0, 1.0}  # training: kept units unscaled
    assert abs((y == 0).mean() - 0.5) < 0.02
    layer.eval()
    x = ones(3, 4)
    z = layer(x)
    np.testing.assert_array_equal(z.detach().detach().numpy(), np.full((3, 4), 0.5, np.float32))  # all units, times 1 - p
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 0.5, np.float32))
    assert "scale_at_test=True" in repr(layer)


def test_p_zero_and_one():
    x = bp.randn(10, 10, requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).detach().detach().numpy(), x.detach().numpy())
    y = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(y.detach().detach().numpy(), np.zeros((10, 10), np.float32))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((10, 10), np.float32))


def test_seeded_masks_repeat():
    bp.manual_seed(5)
    a = F.dropout(bp.ones(50), 0.5).detach().numpy()
    bp.manual_seed(5)
    b = F.dropout(bp.ones(50), 0.5).detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_invalid_probability():
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"between 0 and 1, got {p}"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(bp.ones(3), p)


def test_repr_like_torch():
    assert repr(nn.Dropout(0.3)) == repr(torch.nn.Dropout(0.3))


@pytest.mark.parametrize("layer,shape,kept_dims", [
    ("Dropout1d", (4, 6, 5), 2), ("Dropout1d", (6, 5), 1), ("Dropout2d", (4, 6, 3, 3), 2),
    ("Dropout2d", (4, 6, 5), 2), ("Dropout3d", (2, 6, 2, 2, 2), 2), ("Dropout3d", (6, 2, 2, 2), 1)])
def test_channel_dropout_keeps_or_zeroes_whole_channels(layer, shape, kept_dims):
    """As torch's: one Bernoulli draw per (sample, channel), constant over the spatial dims, kept ones scaled."""
    bp.manual_seed(0)
    p = 0.4
    module = getattr(nn, layer)(p)
    assert repr(module) == repr(getattr(torch.nn, layer)(p))
    x = bp.ones(*shape, requires_grad=True)
    y = module(x)
    values = y.detach().numpy().reshape(shape[:kept_dims] + (-1,))
    assert np.all(values.min(-1) == values.max(-1))  # a channel is all kept or all zero
    assert set(np.unique(values)) <= {0.0, np.float32(1 / (1 - p))}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # the gradient is the mask
    module.eval()
    assert module(x) is x


def test_channel_dropout_keeps_a_fraction_near_one_minus_p():
    bp.manual_seed(1)
    y = nn.functional.dropout2d(bp.ones(200, 50, 2, 2), p=0.3)
    kept = (y.numpy()[:, :, 0, 0] > 0).mean()
    assert abs(kept - 0.7) < 0.02  # 10,000 channel draws: sd of the fraction 0.0046
