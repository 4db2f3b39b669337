"""Generative models: learning p(x) well enough to draw new examples from it.

- ``VAE`` (Kingma and Welling, 2014): an encoder to a Gaussian code
  q(z|x), a decoder to p(x|z), trained on the evidence lower bound
  ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)) through the
  reparameterisation z = mu + sigma * eps.
- ``GAN`` (Goodfellow et al., 2014): a generator G(z) trained against a
  discriminator D(x) in the game max_D min_G E log D(x) + E log(1 - D(G(z))),
  G with the non-saturating loss -log D(G(z)).
- ``sample_grid`` draws generated images side by side.
"""
from backprop.generative.gan import GAN
from backprop.generative.plotting import sample_grid
from backprop.generative.vae import VAE, gaussian_kl

__all__ = ["VAE", "GAN", "gaussian_kl", "sample_grid"]
