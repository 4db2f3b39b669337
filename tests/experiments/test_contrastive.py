"""Contrastive experiment: NT-Xent against torch and by hand, the augmentations, the labelled subsets, the probe."""
import math

import numpy
import pytest
import torch

import backprop as bp
from backprop.experiments import contrastive as C


def _torch_nt_xent(z, temperature):
    """NT-Xent written out in torch: l_i = -s_{i,p(i)} + log sum_{j != i} exp(s_ij), s_ij = cos(z_i, z_j) / tau."""
    rows = z.shape[0]
    unit = z / z.norm(dim=1, keepdim=True)
    s = unit @ unit.T / temperature
    partner = (torch.arange(rows) + rows // 2) % rows
    others = ~torch.eye(rows, dtype=torch.bool)
    terms = [-s[i, partner[i]] + torch.logsumexp(s[i][others[i]], dim=0) for i in range(rows)]
    return torch.stack(terms).mean()


@pytest.mark.parametrize("rows, dim, temperature", [(4, 3, 0.5), (8, 5, 0.1), (12, 16, 1.0)])
def test_nt_xent_value_and_gradient_match_torch(rows, dim, temperature):
    z = numpy.random.default_rng(rows).normal(size=(rows, dim))
    ours = bp.tensor(z, requires_grad=True)
    loss = C.nt_xent(ours, temperature)
    loss.backward()
    theirs = torch.tensor(z, requires_grad=True)
    expected = _torch_nt_xent(theirs, temperature)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    numpy.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_nt_xent_by_hand_on_two_orthogonal_images_with_identical_views():
    # rows e1, e2, e1, e2: each row's partner has cosine 1, the other two rows 0, so with tau = 0.5
    # every row's loss is -log(e^2 / (e^2 + 1 + 1))
    z = bp.tensor([[1.0, 0.0], [0.0, 3.0], [2.0, 0.0], [0.0, 1.0]])
    assert C.nt_xent(z, 0.5).item() == pytest.approx(-math.log(math.exp(2) / (math.exp(2) + 2)), rel=1e-6)


def test_nt_xent_wants_two_stacked_views():
    with pytest.raises(ValueError, match=r"\(2N, d\).*got shape \(3, 2\)"):
        C.nt_xent(bp.zeros(3, 2))


class _Highest:
    """A stand-in Generator whose uniform draws are all the upper bound."""

    def uniform(self, low, high, size):
        return numpy.full(size, float(high))


def test_affine_without_jitter_is_the_identity_and_a_quarter_turn_is_rot90():
    image = numpy.random.default_rng(0).uniform(size=(2, 8, 8))
    still = C.random_affine(image, numpy.random.default_rng(1), degrees=0.0, scale=(1.0, 1.0), shift=0.0)
    numpy.testing.assert_allclose(still, image, atol=1e-12)
    turned = C.random_affine(image, _Highest(), degrees=90.0, scale=(1.0, 1.0), shift=0.0)
    candidates = [numpy.rot90(image, k, axes=(1, 2)) for k in (1, 3)]
    assert min(numpy.abs(turned - c).max() for c in candidates) < 1e-9


def test_affine_shift_by_one_pixel_moves_the_image():
    image = numpy.zeros((1, 8, 8))
    image[0, 3, 4] = 1.0
    moved = C.random_affine(image, _Highest(), degrees=0.0, scale=(1.0, 1.0), shift=1.0)
    assert moved[0, 4, 5] == pytest.approx(1.0) and moved.sum() == pytest.approx(1.0)


def test_stroke_thickness_dilates_and_erodes_over_a_cross():
    image = numpy.zeros((1, 5, 5))
    image[0, 2, 2] = 1.0
    thick = C.stroke_thickness(image, _Highest(), strength=1.0)   # a = +1: full dilation
    cross = numpy.zeros((5, 5))
    cross[2, 1:4] = cross[1:4, 2] = 1.0
    numpy.testing.assert_array_equal(thick[0], cross)

    class Lowest:
        def uniform(self, low, high, size):
            return numpy.full(size, float(low))
    thin = C.stroke_thickness(numpy.stack([cross]), Lowest(), strength=1.0)  # a = -1: full erosion
    numpy.testing.assert_array_equal(thin, image)   # only the centre has its whole cross inside the stroke


def test_augment_gives_seeded_views_in_range_that_differ():
    images = bp.experiments.common.digits(n=20)[0].numpy()
    first = C.augment(images, numpy.random.default_rng(3))
    again = C.augment(images, numpy.random.default_rng(3))
    other = C.augment(images, numpy.random.default_rng(4))
    assert first.shape == images.shape and first.dtype == numpy.float32
    assert first.min() >= 0.0 and first.max() <= 1.0
    numpy.testing.assert_array_equal(first, again)
    assert numpy.abs(first - other).mean() > 0.02
    # still the image it came from, roughly: a view is nearer its own image than to the median other image
    distance = ((first[:, None] - images[None]) ** 2).sum(axis=(2, 3, 4))
    assert (numpy.diag(distance) < numpy.median(distance, axis=1)).mean() >= 0.9


@pytest.mark.parametrize("fraction, size", [(0.01, 14), (0.1, 144), (0.001, 10)])
def test_labelled_subset_is_stratified_and_sized(fraction, size):
    labels = numpy.repeat(numpy.arange(10), 144)[:1437]
    index = C.labelled_subset(labels, fraction, seed=0)
    assert len(index) == len(set(index.tolist())) == size
    counts = numpy.bincount(labels[index], minlength=10)
    assert counts.min() >= 1 and counts.max() - counts.min() <= 1


def test_encoder_shapes_and_the_probe_on_separable_features():
    assert C.encoder()(bp.zeros(3, 1, 8, 8)).shape == (3, C.FEATURES)
    assert C.projection_head()(bp.zeros(3, C.FEATURES)).shape == (3, C.PROJECTION)
    rng = numpy.random.default_rng(0)
    labels = numpy.arange(200) % 10
    x = (numpy.eye(10)[labels] * 3 + rng.normal(0, 0.3, (200, 10))).astype(numpy.float32)
    x, = C.standardise(x, x)
    assert C.probe(x[:50], labels[:50], x[50:], labels[50:], steps=100) == 1.0
