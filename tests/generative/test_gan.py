"""GAN: the two losses, D's accuracies and the updates against a torch twin (same weights, same z), the losses of a
discriminator that cannot tell (hand values), no collapse in a short run on the digits, sampling, errors."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.generative import GAN
from generative import twin
from nn.twin import assert_close

LATENT, HIDDEN = 8, (32,)


def descend(loss, module, lr):
    """w <- w - lr dloss/dw for the parameters of ``module`` (SGD by hand: torch.optim's first step takes 2 s to
    import torch._dynamo)."""
    grads = torch.autograd.grad(loss, list(module.parameters()))
    with torch.no_grad():
        for parameter, grad in zip(module.parameters(), grads):
            parameter -= lr * grad


def torch_step(generator, discriminator, real, z, lr):
    """Goodfellow et al.'s alternating step written out in torch: D ascends log D(x) + log(1 - D(G(z))), then G
    descends -log D(G(z)) (the non-saturating loss) against the updated D."""
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())
    descend(d_loss, discriminator, lr)
    g_loss = -torch.log(torch.sigmoid(discriminator(fake))).mean()
    descend(g_loss, generator, lr)
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": (real_logits > 0).double().mean().item(), "d_fake": (fake_logits < 0).double().mean().item()}


def test_three_steps_match_torch_on_the_same_weights_and_noise(digits):
    """With SGD, whose steps are proportional to the gradients (Adam's first steps are about lr sign(g), blind to
    their size; Adam itself is checked against torch in tests/optim)."""
    gan = GAN(64, latent_dim=LATENT, hidden=HIDDEN)
    generator = twin(gan.generator, LATENT, 64, HIDDEN, seed=0, last=torch.nn.Sigmoid)
    discriminator = twin(gan.discriminator, 64, 1, HIDDEN, seed=1, activation=torch.nn.LeakyReLU)
    g_opt, d_opt = (bp.optim.SGD(net.parameters(), lr=0.5) for net in (gan.generator, gan.discriminator))
    rng = np.random.default_rng(0)
    for step in range(3):
        real = digits.numpy()[16 * step:16 * (step + 1)].astype(np.float64)
        z = rng.standard_normal((16, LATENT))
        mine = gan.train_step(bp.tensor(real), g_opt, d_opt, z=bp.tensor(z))
        expected = torch_step(generator, discriminator, torch.tensor(real), torch.tensor(z), lr=0.5)
        assert mine.keys() == expected.keys()
        for key, value in expected.items():
            assert mine[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (step, key)
        for ours_net, theirs_net in ((gan.generator, generator), (gan.discriminator, discriminator)):
            for name, parameter in theirs_net.named_parameters():
                assert_close(dict(ours_net.named_parameters())[name], parameter, "float64", f"{name} after {step}")


def blind_discriminator(gan, logit):
    """D(x) = logit for every x: the discriminator's weights set to 0, its last bias to ``logit``."""
    for parameter in gan.discriminator.parameters():
        parameter.data[...] = 0
    gan.discriminator[-1].bias.data[...] = logit


def test_a_discriminator_that_cannot_tell_gives_the_hand_computed_losses():
    gan = GAN(4, latent_dim=2, hidden=(3,))
    real, fake = bp.rand(5, 4), gan.sample(5)
    blind_discriminator(gan, 0.0)  # D = 1/2 everywhere
    d_loss, d_real, d_fake = gan.discriminator_loss(real, fake)
    assert d_loss.item() == pytest.approx(2 * math.log(2), rel=1e-6)  # -(log 1/2 + log 1/2), the game's value
    assert gan.generator_loss(fake).item() == pytest.approx(math.log(2), rel=1e-6)
    blind_discriminator(gan, 3.0)  # says "real" to all: right on every real, wrong on every fake
    d_loss, d_real, d_fake = gan.discriminator_loss(real, fake)
    assert (d_real, d_fake) == (1.0, 0.0)
    assert d_loss.item() == pytest.approx(math.log1p(math.exp(-3)) + math.log1p(math.exp(3)), rel=1e-6)
    blind_discriminator(gan, -10.0)  # rejects every fake: -log D(G(z)) = log(1 + e^10) ~ 10, far from flat
    assert gan.generator_loss(fake).item() == pytest.approx(math.log1p(math.exp(10)), rel=1e-6)


def test_no_collapse_in_a_short_run_on_digits(digits):
    """20 epochs at lr 1e-3 (the DCGAN betas): the game settles in about 15.

    Over the last epoch D is right on between 20% and 95% of the real and of
    the fake digits (near 100% D has won and G learns nothing; near 0% G has
    won), its loss stays above 0.5 (2 log 2 = 1.39 when it cannot tell; near
    0 when it has won), and G's digits vary: the pixels' standard deviation
    over 512 samples averages above 0.1 (0.23 on the real digits, 0.05 for an
    untrained G, 0 for a collapsed one), and the mean sample is within 0.1 per
    pixel of the mean digit (0.27 for an untrained G).
    """
    gan = GAN(64, latent_dim=16, hidden=(64,))
    history = gan.fit(digits, epochs=20, batch_size=64, lr=1e-3)
    assert [row["epoch"] for row in history] == list(range(1, 21))
    last = history[-1]
    assert 0.2 <= last["d_real"] <= 0.95 and 0.2 <= last["d_fake"] <= 0.95, last
    assert last["d_loss"] > 0.5, last
    samples = gan.sample(512).numpy()
    assert samples.std(axis=0).mean() > 0.1
    assert np.abs(samples.mean(axis=0) - digits.numpy().mean(axis=0)).mean() < 0.1


def test_samples_have_the_data_shape_and_range():
    gan = GAN(64, latent_dim=5, hidden=(16, 8))
    samples = gan.sample(9)
    assert samples.shape == (9, 64) and not samples.requires_grad
    assert samples.numpy().min() >= 0 and samples.numpy().max() <= 1
    assert gan(bp.randn(3, 5)).shape == (3, 64)
    assert gan.discriminator(bp.rand(2, 1, 8, 8)).shape == (2, 1)  # images are flattened
    g_opt, d_opt = gan.optimizers()
    assert d_opt.defaults["lr"] == 2e-4 and d_opt.defaults["betas"] == (0.5, 0.999)
    assert {id(p) for p in g_opt.param_groups[0]["params"]} == {id(p) for p in gan.generator.parameters()}
    assert gan.double().sample(2).dtype == bp.float64  # the noise follows the model's dtype


@pytest.mark.parametrize("make, message", [
    (lambda: GAN(0), "data_dim must be a positive int, got 0"),
    (lambda: GAN(64, latent_dim=-2), "latent_dim must be a positive int, got -2"),
    (lambda: GAN(64, hidden=(0,)), "each hidden width must be a positive int, got 0"),
    (lambda: GAN(64).sample(0), "n must be a positive int"),
    (lambda: GAN(64).fit(bp.rand(10, 32)), r"expected 64 features per example, got shape \(10, 32\)"),
    (lambda: GAN(64, latent_dim=4).train_step(bp.rand(3, 64), *GAN(64).optimizers(), z=bp.rand(3, 5)),
     r"expected 4 features per example, got shape \(3, 5\)"),
    (lambda: GAN(64).fit(bp.rand(10, 64), epochs=0), "epochs must be a positive int"),
])
def test_bad_arguments_are_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()
