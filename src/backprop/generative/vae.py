"""The variational autoencoder (Kingma and Welling, 2014): an autoencoder whose code is a distribution.

The encoder maps x to the mean and log-variance of a Gaussian over the code,
q(z|x) = N(mu(x), diag sigma^2(x)); the decoder maps a code z to the logits
of independent Bernoulli pixels, p(x|z). Training maximises the evidence
lower bound on log p(x):

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))  <=  log p(x)

- Reconstruction: E_q[log p(x|z)] estimated with one z, and
  -log p(x|z) = BCE(logits(z), x), summed over the D pixels.
- KL in closed form for two Gaussians:
  KL = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2), summed over the code.
- Reparameterisation: z = mu + sigma * eps with eps ~ N(0, I) drawn outside
  the graph, so that dELBO/dmu and dELBO/dsigma flow through z back into the
  encoder (sampling z directly would cut the graph).

Both terms are per example, averaged over the batch; ``loss`` returns
(-ELBO, reconstruction, KL) with reconstruction = BCE = -E_q[log p(x|z)], so
that -ELBO = reconstruction + KL.

>>> import backprop as bp
>>> _ = bp.manual_seed(0)
>>> vae = VAE(64, hidden=(32,), latent_dim=4)
>>> x = bp.rand(10, 64)
>>> loss, reconstruction, kl = vae.loss(x)
>>> bool(abs(loss.item() - (reconstruction.item() + kl.item())) < 1e-4)
True
>>> vae.sample(3).shape
backprop.Size([3, 64])
"""
import numbers

import numpy

from backprop import creation, nn, optim
from backprop.autograd import no_grad
from backprop.checks import check_int
from backprop.models.mlp import mlp
from backprop.nn import functional as F
from backprop.train.minibatch import as_rows, batches

__all__ = ["VAE", "gaussian_kl"]


def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example: -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))."""
    return -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(dim=1)


class VAE(nn.Module):
    """Encoder MLP x -> (mu, log sigma^2), decoder MLP z -> Bernoulli logits; ReLU between layers.

    ``hidden`` are the encoder's widths (the decoder uses them in reverse);
    ``hidden=()`` makes both maps linear. Images (N, C, H, W) are flattened.
    """

    def __init__(self, input_dim, hidden=(256,), latent_dim=16):
        super().__init__()
        self.input_dim = check_int("VAE: input_dim", input_dim, at_least=1)
        self.latent_dim = check_int("VAE: latent_dim", latent_dim, at_least=1)
        self.hidden = widths(hidden, "VAE")
        self.encoder = perceptron(self.input_dim, 2 * self.latent_dim, self.hidden)  # (mu, logvar) side by side
        self.decoder = perceptron(self.latent_dim, self.input_dim, self.hidden[::-1])

    def encode(self, x):
        """(mu, logvar) of q(z|x), each (N, latent_dim)."""
        h = self.encoder(as_rows(x, self.input_dim, "VAE.encode"))
        return h[:, :self.latent_dim], h[:, self.latent_dim:]

    def reparameterize(self, mu, logvar, eps=None):
        """z = mu + sigma * eps, sigma = exp(logvar / 2); eps ~ N(0, I) from backprop's generator unless given."""
        if eps is None:
            eps = creation.randn(*mu.shape, dtype=mu.dtype, device=mu.device)
        elif tuple(eps.shape) != tuple(mu.shape):
            raise ValueError(f"VAE.reparameterize: eps must have mu's shape {tuple(mu.shape)}, got {tuple(eps.shape)}")
        return mu + (0.5 * logvar).exp() * eps

    def decode(self, z):
        """The logits of p(x|z), (N, input_dim); sigmoid(logits) are the pixel probabilities."""
        return self.decoder(as_rows(z, self.latent_dim, "VAE.decode"))

    def forward(self, x):
        """The reconstruction's pixel probabilities for one sampled code, x flattened to (N, input_dim)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)).sigmoid()

    def loss(self, x, eps=None):
        """(-ELBO, reconstruction, KL): Tensors, per example averaged over the batch; -ELBO = reconstruction + KL."""
        x = as_rows(x, self.input_dim, "VAE.loss")
        if x.numel() and (x.min().item() < 0 or x.max().item() > 1):  # BCE is -log p(x|z) only for x in [0, 1]
            raise ValueError(f"VAE.loss: expected data in [0, 1] (the Bernoulli pixels' means), got values from "
                             f"{x.min().item():g} to {x.max().item():g}; scale it first")
        mu, logvar = self.encode(x)
        logits = self.decode(self.reparameterize(mu, logvar, eps))
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = gaussian_kl(mu, logvar).mean()
        return reconstruction + kl, reconstruction, kl

    def elbo(self, x):
        """The ELBO per example (one sampled z each), averaged over x: a float, higher is better."""
        with no_grad():
            return -self.loss(x)[0].item()

    def sample(self, n):
        """n new examples: z ~ N(0, I) decoded to pixel probabilities in [0, 1], (n, input_dim)."""
        with no_grad():
            weight = self.decoder[1].weight
            z = creation.randn(check_int("VAE.sample: n", n, at_least=1), self.latent_dim, dtype=weight.dtype,
                               device=weight.device)
            return self.decode(z).sigmoid()

    def fit(self, x, epochs=10, batch_size=64, lr=1e-3):
        """Adam on -ELBO over shuffled mini-batches of x; per epoch {epoch, elbo, reconstruction, kl}, averages."""
        x = as_rows(x, self.input_dim, "VAE.fit")
        loader, epochs = batches(x, batch_size, "VAE.fit"), check_int("VAE.fit: epochs", epochs, at_least=1)
        optimizer = optim.Adam(self.parameters(), lr=lr)
        history = []
        for epoch in range(1, epochs + 1):
            totals = numpy.zeros(3)
            for (batch,) in loader:
                loss, reconstruction, kl = self.loss(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                totals += len(batch) * numpy.array([-loss.item(), reconstruction.item(), kl.item()])
            elbo, reconstruction, kl = (float(v) for v in totals / len(x))
            history.append({"epoch": epoch, "elbo": elbo, "reconstruction": reconstruction, "kl": kl})
        return history


# ------------------------------------------------------------ shared with gan.py
def widths(hidden, who):
    """``hidden`` as a tuple of positive ints (an int is one layer)."""
    hidden = (hidden,) if isinstance(hidden, numbers.Integral) else hidden
    if not isinstance(hidden, (tuple, list)):
        raise ValueError(f"{who}: hidden must be a sequence of positive ints, got {hidden!r}")
    return tuple(check_int(f"{who}: each hidden width", h, at_least=1) for h in hidden)


def perceptron(n_in, n_out, hidden, activation="relu"):
    """Flatten, then Linear + activation per hidden width, then Linear(., n_out): the zoo's ``mlp`` on vectors."""
    return mlp((n_in, 1, 1), n_out, hidden=hidden, activation=activation)
