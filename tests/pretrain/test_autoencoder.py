"""Autoencoder: learning lowers the reconstruction error, forward and gradients equal a torch twin's (tied too),
masking noise, and the textbook result that a linear autoencoder reaches PCA's error."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.experiments.common import digits
from backprop.pretrain import Autoencoder, DenoisingAutoencoder
from backprop.pretrain.autoencoder import TiedLinear
from nn.twin import compare_module

ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
               "linear": torch.nn.Identity}


def digit_rows(n=None):
    x, _ = digits(n=n)
    return x.reshape(x.shape[0], 64)


def mean_predictor_error(x):
    """The error of the best constant reconstruction (the mean of the data): mean of x's per-input variances."""
    x = x.numpy() if isinstance(x, bp.Tensor) else x
    return float(((x - x.mean(axis=0)) ** 2).mean())


# ------------------------------------------------------------------ torch twins
class TorchTied(torch.nn.Module):
    """x^ = W^T h + b' with the encoder's W (the same torch Parameter)."""

    def __init__(self, linear):
        super().__init__()
        self.weight = linear.weight
        self.bias = torch.nn.Parameter(torch.zeros(linear.in_features))

    def forward(self, h):
        return h @ self.weight + self.bias


class TorchAutoencoder(torch.nn.Module):
    """The autoencoder written directly in torch, with the same state-dict keys as ours."""

    def __init__(self, sizes, activation="sigmoid", tied=False):
        super().__init__()
        linears = [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
        act = ACTIVATIONS[activation]
        self.encoder = torch.nn.Sequential(*[m for linear in linears for m in (linear, act())])
        decoder = []
        for i, linear in enumerate(reversed(linears)):
            layer = TorchTied(linear) if tied else torch.nn.Linear(linear.out_features, linear.in_features)
            decoder += [layer, torch.nn.Sigmoid() if i == len(linears) - 1 else act()]
        self.decoder = torch.nn.Sequential(*decoder)

    def forward(self, x):
        return self.decoder(self.encoder(x.flatten(1))).reshape(x.shape)


# ------------------------------------------------------------------ training
def test_reconstruction_error_falls_during_training_on_the_digits():
    x = digit_rows()
    ae = Autoencoder([64, 16])
    before = ae.reconstruction_error(x)
    history = ae.fit(x, epochs=10, lr=3e-2)
    after = ae.reconstruction_error(x)
    assert len(history) == 10 and all(isinstance(h, float) for h in history)
    assert history[-1] < 0.5 * history[0]
    assert after < 0.5 * before
    # 16 codes must do better than the best constant picture (the mean digit)
    assert after < 0.5 * mean_predictor_error(x)


def test_cross_entropy_training_lowers_the_cross_entropy_computed_by_torch():
    x = digit_rows(n=300)
    ae = Autoencoder([64, 16])

    def torch_bce():
        with bp.no_grad():
            reconstruction = torch.tensor(ae.eval()(x).numpy())
        ae.train()
        return torch.nn.functional.binary_cross_entropy(reconstruction, torch.tensor(x.numpy())).item()

    before = torch_bce()
    history = ae.fit(x, epochs=8, batch_size=32, lr=1e-2, loss="bce")
    assert torch_bce() < before - 0.05
    assert history[-1] < history[0]


# ------------------------------------------------------------------ against torch
@pytest.mark.parametrize("tied", [False, True], ids=["untied", "tied"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_forward_and_every_gradient_equal_a_torch_twins(tied, activation):
    torch.manual_seed(0)
    theirs = TorchAutoencoder([64, 24, 8], activation, tied)
    with torch.no_grad():  # tied biases start at 0 in both; give them values so they are tested
        for name, p in theirs.named_parameters():
            if name.startswith("decoder"):
                p.uniform_(-0.3, 0.3)
    ours = Autoencoder([64, 24, 8], activation=activation, tied=tied)
    images = np.random.default_rng(1).random((5, 1, 8, 8))
    out, _ = compare_module(ours, theirs, [images])   # copies theirs into ours, compares output and grads
    assert out.shape == (5, 1, 8, 8)


def test_tied_weights_are_one_parameter_whose_gradient_sums_both_uses():
    ae = Autoencoder([6, 3], tied=True)
    weight = ae.encoder[0].weight
    assert isinstance(ae.decoder[0], TiedLinear) and ae.decoder[0].weight is weight
    params = list(ae.parameters())
    assert len(params) == 3 and sum(p is weight for p in params) == 1   # W, b, b'
    assert [name for name, _ in ae.named_parameters()] == ["encoder.0.weight", "encoder.0.bias", "decoder.0.bias"]
    # reference: torch with the two uses as separate copies W_enc, W_dec = W; the tied gradient is their sum
    x = np.random.default_rng(0).random((4, 6)).astype(np.float32)
    w = torch.tensor(weight.detach().numpy(), requires_grad=True)
    w_dec = torch.tensor(weight.detach().numpy(), requires_grad=True)
    b = torch.tensor(ae.encoder[0].bias.detach().numpy())
    b_dec = torch.tensor(ae.decoder[0].bias.detach().numpy())
    xt = torch.tensor(x)
    reconstruction = torch.sigmoid(torch.sigmoid(xt @ w.T + b) @ w_dec + b_dec)
    torch.nn.functional.mse_loss(reconstruction, xt).backward()
    bp.nn.functional.mse_loss(ae(bp.tensor(x)), bp.tensor(x)).backward()
    np.testing.assert_allclose(weight.grad.numpy(), (w.grad + w_dec.grad).numpy(), rtol=1e-5, atol=1e-7)
    assert np.abs(w_dec.grad.numpy()).max() > 1e-4   # the decoder's use contributes


def test_a_step_moves_the_tied_weight_in_both_places():
    ae = Autoencoder([6, 3], tied=True)
    x = bp.rand(8, 6)
    before = ae.encoder[0].weight.detach().numpy().copy()
    ae.fit(x, epochs=1, batch_size=8, lr=0.1)
    after = ae.encoder[0].weight.detach().numpy()
    assert np.abs(after - before).max() > 0.05   # Adam's first step moves every entry by about lr
    np.testing.assert_array_equal(ae.decoder[0].weight.detach().numpy(), after)
    with bp.no_grad():   # and the decoder computes with the moved W: x^ = sigmoid(h W + b')
        h = ae.encode(x)
        expected = (h.numpy() @ after + ae.decoder[0].bias.detach().numpy())
        np.testing.assert_allclose(ae.eval().decode(h).numpy(), 1 / (1 + np.exp(-expected)), rtol=1e-5)
    state = ae.state_dict()
    assert set(state) == {"encoder.0.weight", "encoder.0.bias", "decoder.0.weight", "decoder.0.bias"}


# ------------------------------------------------------------------ masking noise
def test_masking_noise_zeroes_about_noise_of_the_inputs_in_training_and_none_in_eval():
    dae = DenoisingAutoencoder([64, 8], noise=0.3)
    seen = []
    dae.encoder[0].register_forward_hook(lambda module, args, output: seen.append(args[0].detach().numpy()))
    x = bp.ones(500, 64)
    dae(x)
    corrupted = seen[-1]
    zeroed = (corrupted == 0).mean()
    assert abs(zeroed - 0.3) < 0.015      # 32,000 draws: the standard deviation is 0.0026
    assert set(np.unique(corrupted)) == {0.0, 1.0}   # kept inputs are not rescaled
    dae.eval()
    dae(x)
    assert (seen[-1] == 1).all()
    np.testing.assert_array_equal(dae(x).detach().numpy(), dae(x).detach().numpy())


def test_a_plain_autoencoder_has_no_noise_and_the_denoising_default_is_0_3():
    ae = Autoencoder([4, 2])
    x = bp.ones(10, 4)
    assert ae.corrupt(x) is x
    assert DenoisingAutoencoder([4, 2]).noise == 0.3


def test_a_denoising_autoencoder_learns_to_repair_corrupted_digits():
    x = digit_rows()
    dae = DenoisingAutoencoder([64, 32], noise=0.3)
    dae.fit(x, epochs=10, lr=3e-2)
    corrupted = dae.train().corrupt(x)
    dae.eval()
    with bp.no_grad():
        repaired = dae(corrupted)
    damage = float(((corrupted - x) ** 2).mean().item())
    assert float(((repaired - x) ** 2).mean().item()) < 0.5 * damage


# ------------------------------------------------------------------ linear autoencoder = PCA
def test_a_linear_autoencoder_reaches_the_pca_error_of_k_components():
    rng = np.random.default_rng(0)
    n, d, k = 400, 8, 3
    directions, _ = np.linalg.qr(rng.standard_normal((d, d)))
    x = (rng.standard_normal((n, d)) * [3, 2, 1.5, 0.5, 0.4, 0.3, 0.2, 0.1]) @ directions.T + 1.0
    centred = x - x.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    pca_error = (singular[k:] ** 2).sum() / (n * d)     # Eckart-Young: the least error of any rank-k map
    ae = Autoencoder([d, k], activation="linear", output_activation="linear")
    ae.fit(bp.tensor(x.astype(np.float32)), epochs=200, batch_size=100, lr=1e-2)
    error = ae.reconstruction_error(bp.tensor(x.astype(np.float32)))
    assert pca_error * (1 - 1e-3) < error < 1.02 * pca_error
    assert error < 0.3 * (singular[k - 1:] ** 2).sum() / (n * d)   # much better than k - 1 components
    # the decoder's columns span the first k principal directions: all principal angles ~ 0
    basis, _ = np.linalg.qr(ae.decoder[0].weight.detach().numpy())
    cosines = np.linalg.svd(vt[:k] @ basis, compute_uv=False)
    assert cosines.min() > 0.999


# ------------------------------------------------------------------ shapes and arguments
def test_shapes_of_codes_and_reconstructions():
    ae = Autoencoder([64, 32, 16])
    images = bp.rand(3, 1, 8, 8)
    assert ae.encode(images).shape == (3, 16)
    assert ae.decode(bp.rand(3, 16)).shape == (3, 64)
    assert ae(images).shape == (3, 1, 8, 8)
    assert ae(np.zeros((3, 64))).shape == (3, 64)
    assert [type(m).__name__ for m in ae.decoder] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    relu = Autoencoder([64, 32, 16], activation="relu")
    assert [type(m).__name__ for m in relu.decoder] == ["Linear", "ReLU", "Linear", "Sigmoid"]


def test_fit_gives_the_model_its_mode_back():
    ae = Autoencoder([4, 2]).eval()
    ae.fit(bp.rand(8, 4), epochs=1)
    assert not ae.training


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=[64]), "at least two positive ints"),
    (dict(sizes=[64, 0]), "at least two positive ints"),
    (dict(sizes="64"), "at least two positive ints"),
    (dict(sizes=[4, 2], activation="swish"), "activation must be"),
    (dict(sizes=[4, 2], noise=1.0), r"noise .* must be a number in \[0, 1\), got 1.0"),
    (dict(sizes=[4, 2], noise=-0.1), r"noise .* must be a number in \[0, 1\), got -0.1"),
])
def test_bad_construction_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Autoencoder(**kwargs)


def test_a_denoising_autoencoder_needs_noise():
    with pytest.raises(ValueError, match=r"must be a number in \(0, 1\)"):
        DenoisingAutoencoder([4, 2], noise=0.0)


def test_bad_data_and_training_arguments_are_refused():
    ae = Autoencoder([4, 2])
    with pytest.raises(ValueError, match="expected 4 features per example, got shape"):
        ae(bp.zeros(3, 5))
    with pytest.raises(ValueError, match="expected a batch"):
        ae(bp.zeros(4))
    with pytest.raises(TypeError, match="floating-point"):
        ae.fit(bp.zeros(3, 4, dtype=bp.int64))
    with pytest.raises(TypeError, match="Tensor"):
        ae.fit([[0.0] * 4])
    with pytest.raises(ValueError, match="loss must be one of"):
        ae.fit(bp.zeros(3, 4), loss="l2")
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        ae.fit(bp.zeros(3, 4), epochs=0)
    with pytest.raises(TypeError, match=r"batch_size must be a positive int, got 1.5 \(a float\)"):
        ae.fit(bp.zeros(3, 4), batch_size=1.5)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        ae.fit(bp.zeros(3, 4), lr=-1)
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        ae.fit(bp.full((3, 4), 2.0), loss="bce")
    linear = Autoencoder([4, 2], output_activation="linear")
    with pytest.raises(ValueError, match="output_activation='sigmoid'"):
        linear.fit(bp.zeros(3, 4), loss="bce")


def test_the_order_of_the_batches_follows_bp_manual_seed():
    x = bp.rand(40, 4, generator=bp.Generator().manual_seed(1))
    bp.manual_seed(0)
    weights = Autoencoder([4, 2]).state_dict()
    histories = []
    for seed in (0, 0, 1):  # the same weights each time; the shuffle's seed is drawn from bp's generator
        ae = Autoencoder([4, 2])
        ae.load_state_dict(weights)
        bp.manual_seed(seed)
        histories.append(ae.fit(x, epochs=2, batch_size=8))
    assert histories[0] == histories[1] and histories[0] != histories[2]
