"""VAE: the ELBO's two terms and their gradients against a torch twin (same weights, same eps), the closed-form KL
against a Monte Carlo estimate, the reparameterisation, the ELBO rising on the digits, sampling, errors."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.generative import VAE, gaussian_kl
from generative import twin
from nn.twin import assert_close

LATENT, HIDDEN = 4, (32,)


def twins(seed=0):
    """(ours, torch encoder, torch decoder): a float64 VAE and torch MLPs with the same weights."""
    ours = VAE(64, hidden=HIDDEN, latent_dim=LATENT)
    encoder = twin(ours.encoder, 64, 2 * LATENT, HIDDEN, seed)
    decoder = twin(ours.decoder, LATENT, 64, HIDDEN[::-1], seed + 1)
    return ours, encoder, decoder


def torch_terms(encoder, decoder, x, eps):
    """(-ELBO, reconstruction, KL) written out in torch, per example averaged over the batch."""
    h = encoder(x)
    mu, logvar = h[:, :LATENT], h[:, LATENT:]
    z = mu + torch.exp(0.5 * logvar) * eps
    n = x.shape[0]
    reconstruction = torch.nn.functional.binary_cross_entropy_with_logits(decoder(z), x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp()) / n
    return reconstruction + kl, reconstruction, kl


def batch(digits, n=16, seed=0):
    """n digits (float64) and a fixed eps (n, LATENT)."""
    eps = np.random.default_rng(seed).standard_normal((n, LATENT))
    return digits.numpy()[:n].astype(np.float64), eps


def test_loss_terms_and_all_gradients_match_torch(digits):
    ours, encoder, decoder = twins()
    x, eps = batch(digits)
    loss, reconstruction, kl = ours.loss(bp.tensor(x), eps=bp.tensor(eps))
    their_loss, their_reconstruction, their_kl = torch_terms(encoder, decoder, torch.tensor(x), torch.tensor(eps))
    for mine, theirs, what in ((loss, their_loss, "-ELBO"), (reconstruction, their_reconstruction, "reconstruction"),
                               (kl, their_kl, "KL")):
        assert_close(mine, theirs, "float64", what)
    assert kl.item() > 0 and reconstruction.item() > 0
    loss.backward()
    their_loss.backward()
    theirs = dict(encoder.named_parameters()) | {f"d{k}": v for k, v in decoder.named_parameters()}
    mine = dict(ours.encoder.named_parameters()) | {f"d{k}": v for k, v in ours.decoder.named_parameters()}
    for name, parameter in mine.items():
        assert_close(parameter.grad, theirs[name].grad, "float64", f"grad of {name}")


def test_the_reconstruction_gradient_reaches_the_encoder_through_z(digits):
    ours, encoder, decoder = twins(seed=2)
    x, eps = batch(digits, seed=2)
    ours.loss(bp.tensor(x), eps=bp.tensor(eps))[1].backward()  # the reconstruction alone: no KL path to the encoder
    torch_terms(encoder, decoder, torch.tensor(x), torch.tensor(eps))[1].backward()
    for name, parameter in ours.encoder.named_parameters():
        assert_close(parameter.grad, dict(encoder.named_parameters())[name].grad, "float64", f"grad of {name}")
    assert np.abs(ours.encoder[1].weight.grad.numpy()).sum() > 0


def test_with_eps_zero_the_reconstruction_does_not_depend_on_sigma(digits):
    """z = mu + sigma * 0 = mu: the rows of the encoder's last layer that make log sigma^2 get no gradient."""
    ours = VAE(64, hidden=HIDDEN, latent_dim=LATENT)
    ours.loss(digits[:8], eps=bp.zeros(8, LATENT))[1].backward()
    last = ours.encoder[-1]
    assert np.all(last.weight.grad.numpy()[LATENT:] == 0) and np.all(last.bias.grad.numpy()[LATENT:] == 0)
    assert np.abs(last.weight.grad.numpy()[:LATENT]).sum() > 0


def test_closed_form_kl_matches_hand_values():
    mu = bp.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    logvar = bp.tensor([[0.0, 0.0], [0.0, 0.0], [math.log(2.0), 0.0]])
    # KL = 1/2 sum_j (sigma_j^2 + mu_j^2 - 1 - log sigma_j^2): 0 for q = p; 1/2 for a unit shift; (1 - log 2)/2
    np.testing.assert_allclose(gaussian_kl(mu, logvar).numpy(), [0.0, 0.5, 0.5 * (1 - math.log(2.0))], atol=1e-6)


def test_closed_form_kl_matches_a_monte_carlo_estimate():
    """KL(q || p) = E_q[log q(z) - log p(z)], estimated from 400,000 draws z ~ q; within 4 standard errors."""
    mu, logvar = np.array([0.5, -1.0, 2.0]), np.array([0.0, -1.0, 0.7])
    eps = np.random.default_rng(1).standard_normal((400_000, 3))
    z = mu + np.exp(0.5 * logvar) * eps
    log_ratio = (-0.5 * logvar - 0.5 * eps ** 2 + 0.5 * z ** 2).sum(axis=1)  # log q(z) - log p(z); the 2 pi cancel
    estimate, error = log_ratio.mean(), log_ratio.std() / math.sqrt(len(log_ratio))
    closed = gaussian_kl(bp.tensor(mu[None]), bp.tensor(logvar[None])).item()
    assert abs(closed - estimate) < 4 * error, (closed, estimate, error)


def test_reparameterize_draws_from_q_with_backprops_generator():
    vae = VAE(4, hidden=(), latent_dim=2)
    mu, logvar = bp.full((20_000, 2), 2.0), bp.full((20_000, 2), math.log(4.0))  # sigma = 2
    bp.manual_seed(5)
    z = vae.reparameterize(mu, logvar).numpy()
    np.testing.assert_allclose(z.mean(axis=0), [2.0, 2.0], atol=0.06)  # standard error 2 / sqrt(20,000) = 0.014
    np.testing.assert_allclose(z.std(axis=0), [2.0, 2.0], atol=0.06)
    bp.manual_seed(5)
    assert np.array_equal(vae.reparameterize(mu, logvar).numpy(), z)
    eps = bp.tensor([[1.0, -0.5]])
    np.testing.assert_allclose(vae.reparameterize(bp.tensor([[1.0, 0.0]]), bp.tensor([[0.0, math.log(4.0)]]),
                                                  eps=eps).numpy(), [[2.0, -1.0]], rtol=1e-6)


def test_elbo_rises_during_a_short_fit_on_digits(digits):
    test_images, _ = next(iter(bp.data.DataLoader(bp.data.digits(train=False), batch_size=1000)))
    vae = VAE(64, hidden=(64,), latent_dim=8)
    before, before_test = vae.elbo(digits), vae.elbo(test_images)
    history = vae.fit(digits, epochs=5, batch_size=64, lr=1e-3)
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]
    assert history[-1]["elbo"] > history[0]["elbo"]
    # An untrained decoder gives logits near 0: about -64 log 2 = -44 nats per digit. Training gains more than 5.
    assert vae.elbo(digits) > before + 5 and vae.elbo(test_images) > before_test + 5
    for row in history:
        assert row["kl"] >= 0 and row["reconstruction"] > 0
        assert row["elbo"] == pytest.approx(-(row["reconstruction"] + row["kl"]), rel=1e-5)


def test_images_are_flattened_and_samples_are_probabilities():
    vae = VAE(64, hidden=(16,), latent_dim=3)
    images = bp.rand(5, 1, 8, 8)
    for mine, flat in zip(vae.encode(images), vae.encode(images.reshape(5, 64))):
        assert mine.shape == (5, 3) and np.array_equal(mine.detach().numpy(), flat.detach().numpy())
    assert vae(images).shape == (5, 64)
    samples = vae.sample(7)
    assert samples.shape == (7, 64) and not samples.requires_grad
    assert samples.numpy().min() >= 0 and samples.numpy().max() <= 1
    vae.double()  # eps and the prior's z follow the model's dtype
    assert vae.sample(2).dtype == bp.float64 and vae.loss(images.double())[0].dtype == bp.float64


@pytest.mark.parametrize("make, message", [
    (lambda: VAE(0), "input_dim must be a positive int, got 0"),
    (lambda: VAE(64, hidden=(32, -1)), "each hidden width must be a positive int, got -1"),
    (lambda: VAE(64, hidden="wide"), "hidden must be a sequence of positive ints"),
    (lambda: VAE(64).loss(bp.rand(3, 63)), r"expected 64 features per example, got shape \(3, 63\)"),
    (lambda: VAE(64).encode(bp.rand(64)), r"got shape \(64,\)"),
    (lambda: VAE(64, latent_dim=2).reparameterize(bp.zeros(3, 2), bp.zeros(3, 2), eps=bp.zeros(2, 2)),
     r"eps must have mu's shape \(3, 2\), got \(2, 2\)"),
    (lambda: VAE(64).fit(bp.rand(10, 64), epochs=0), "epochs must be a positive int"),
    (lambda: VAE(64).fit(bp.rand(10, 64), batch_size=0), "batch_size must be a positive int"),
    (lambda: VAE(64).fit(bp.rand(0, 64)), "no examples to train on"),
    (lambda: VAE(64).sample(0), "n must be a positive int"),
    (lambda: VAE(4).loss(bp.tensor([[0.0, 0.5, 1.0, 255.0]])), r"expected data in \[0, 1\] .* from 0 to 255"),
    (lambda: VAE(4).fit(bp.full((3, 4), -0.5)), r"expected data in \[0, 1\] .* from -0.5 to -0.5"),
])
def test_bad_arguments_are_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_size_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"VAE: latent_dim must be a positive int, got 2.5 \(a float\)"):
        VAE(64, latent_dim=2.5)


def test_integer_inputs_are_refused():
    with pytest.raises(TypeError, match=r"expected floating-point data, got backprop\.int64"):
        VAE(4).loss(bp.ones(2, 4, dtype=bp.int64))
