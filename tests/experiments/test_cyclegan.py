"""cyclegan: the least-squares GAN and cycle losses against torch, the two domains' construction, the shapes."""
import numpy
import pytest
import torch

import backprop as bp
from backprop.experiments import common, cyclegan


def _pair(shape, seed, low=-1.0, high=2.0):
    array = numpy.random.default_rng(seed).uniform(low, high, shape).astype(numpy.float64)
    return bp.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_lsgan_discriminator_loss_and_its_gradients_equal_torchs_formula():
    (real, real_t), (fake, fake_t) = _pair((7, 1), 0), _pair((5, 1), 1)
    ours = cyclegan.lsgan_discriminator_loss(real, fake)
    theirs = 0.5 * (torch.nn.functional.mse_loss(real_t, torch.ones_like(real_t))
                    + torch.nn.functional.mse_loss(fake_t, torch.zeros_like(fake_t)))
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    numpy.testing.assert_allclose(real.grad.numpy(), real_t.grad.numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(fake.grad.numpy(), fake_t.grad.numpy(), rtol=1e-12)


def test_lsgan_generator_loss_and_its_gradient_equal_torchs_formula():
    fake, fake_t = _pair((6, 1), 2)
    ours, theirs = cyclegan.lsgan_generator_loss(fake), torch.nn.functional.mse_loss(fake_t, torch.ones_like(fake_t))
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    numpy.testing.assert_allclose(fake.grad.numpy(), fake_t.grad.numpy(), rtol=1e-12)


def test_cycle_loss_and_its_gradients_equal_torchs_l1_losses():
    pairs = [_pair((4, 64), seed, 0.0, 1.0) for seed in range(3, 7)]
    ours = cyclegan.cycle_loss(*(p[0] for p in pairs))
    a, a_back, b, b_back = (p[1] for p in pairs)
    theirs = torch.nn.functional.l1_loss(a_back, a) + torch.nn.functional.l1_loss(b_back, b)
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    for mine, twin in pairs:
        numpy.testing.assert_allclose(mine.grad.numpy(), twin.grad.numpy(), rtol=1e-12)


def test_thicken_spreads_a_pixel_to_its_four_neighbours_and_stops_at_the_border():
    image = numpy.zeros((1, 1, 8, 8))
    image[0, 0, 3, 4] = 0.5
    image[0, 0, 0, 0] = 1.0
    expected = numpy.zeros((8, 8))
    for row, column in [(3, 4), (2, 4), (4, 4), (3, 3), (3, 5)]:
        expected[row, column] = 0.5
    for row, column in [(0, 0), (1, 0), (0, 1)]:
        expected[row, column] = 1.0
    numpy.testing.assert_array_equal(cyclegan.thicken(image)[0, 0], expected)
    numpy.testing.assert_array_equal(cyclegan.to_b(image)[0, 0], 1.0 - expected)


def test_the_domains_are_disjoint_halves_and_b_is_the_transformed_second_half():
    x, y = common.digits(train=False)
    images, labels = x.numpy(), y.numpy()
    domains = cyclegan.make_domains(images, labels, seed=3)
    a_index, b_index = domains["a_index"], domains["b_index"]
    assert len(numpy.intersect1d(a_index, b_index)) == 0
    numpy.testing.assert_array_equal(numpy.sort(numpy.concatenate([a_index, b_index])), numpy.arange(len(labels)))
    assert abs(len(a_index) - len(b_index)) <= 1
    numpy.testing.assert_array_equal(domains["a"], images[a_index])
    numpy.testing.assert_allclose(domains["b"], 1.0 - cyclegan.thicken(images[b_index]), rtol=0, atol=1e-7)
    numpy.testing.assert_array_equal(domains["a_labels"], labels[a_index])
    numpy.testing.assert_array_equal(domains["b_labels"], labels[b_index])
    # no picture is in both domains: B's images are not A's images transformed (nor A's as they are)
    flat_a = domains["a"].reshape(len(a_index), -1)
    flat_b = domains["b"].reshape(len(b_index), -1)
    transformed_a = cyclegan.to_b(domains["a"]).reshape(len(a_index), -1)
    assert numpy.abs(transformed_a[:, None, :] - flat_b[None, :, :]).max(axis=2).min() > 0
    assert numpy.abs(flat_a[:, None, :] - flat_b[None, :, :]).max(axis=2).min() > 0
    # another seed cuts differently; the same seed the same way
    assert not numpy.array_equal(cyclegan.make_domains(images, labels, seed=4)["a_index"], a_index)
    numpy.testing.assert_array_equal(cyclegan.make_domains(images, labels, seed=3)["b_index"], b_index)


def test_shapes_of_the_networks_and_one_training_step():
    bp.manual_seed(0)
    model = cyclegan.CycleGAN(generator_channels=4, discriminator_hidden=8)
    a, b = bp.rand(5, 64), bp.rand(5, 64)
    translated = model.translate(a, "b")
    assert translated.shape == (5, 64) and model.translate(b, "a").shape == (5, 64)
    assert 0 < translated.numpy().min() and translated.numpy().max() < 1
    assert model.D_A(a).shape == (5, 1) and model.D_B(b).shape == (5, 1)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    g_optimizer, d_optimizer = model.optimizers()
    losses = model.train_step(a, b, g_optimizer, d_optimizer)
    assert sorted(losses) == ["cycle", "d", "gan"] and all(numpy.isfinite(list(losses.values())))
    after = [p.detach().numpy() for p in model.parameters()]
    assert all(not numpy.array_equal(old, new) for old, new in zip(before, after))  # all four networks learnt
    errors = model.cycle_error(a, b)
    assert len(errors) == 2 and all(0 <= e <= 1 for e in errors)


def test_cycle_error_of_generators_that_forget_everything_is_the_mean_distance_to_one_half():
    # a zero last convolution makes G(x) = F(x) = sigmoid(0) = 1/2 everywhere, so F(G(a)) = 1/2
    bp.manual_seed(0)
    model = cyclegan.CycleGAN(generator_channels=2, discriminator_hidden=4)
    for net in (model.G, model.F):
        last = [layer for layer in net if isinstance(layer, bp.nn.Conv2d)][-1]
        last.weight.data[...] = 0.0
        last.bias.data[...] = 0.0
    a, b = bp.rand(3, 64), bp.rand(4, 64)
    errors = model.cycle_error(a, b)
    assert errors[0] == pytest.approx(float(numpy.abs(0.5 - a.numpy()).mean()), rel=1e-6)
    assert errors[1] == pytest.approx(float(numpy.abs(0.5 - b.numpy()).mean()), rel=1e-6)
