"""Draw docs/figures/vae_samples.png and gan_samples.png: ``python docs/figures/generative.py`` (needs matplotlib).

A VAE and a GAN with their default sizes, trained on the 1,437 training
digits (8x8, flattened to 64), each then drawing 64 new digits: the VAE
decodes z ~ N(0, I) to pixel probabilities, the GAN maps z ~ N(0, I) through
its generator. About 15 s on one CPU core.
"""
import os

import backprop as bp
from backprop.generative import GAN, VAE, sample_grid

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    images, _ = next(iter(bp.data.DataLoader(bp.data.digits(train=True), batch_size=2000)))
    x = images.reshape(len(images), 64)
    bp.manual_seed(0)
    vae = VAE(64)
    history = vae.fit(x, epochs=150, batch_size=64, lr=1e-3)
    last = history[-1]
    print(f"VAE after {last['epoch']} epochs: ELBO {last['elbo']:.1f} = -({last['reconstruction']:.1f} "
          f"reconstruction + {last['kl']:.1f} KL) nats per digit")
    sample_grid(vae.sample(64), os.path.join(HERE, "vae_samples.png"),
                title=f"VAE: 64 samples (ELBO {last['elbo']:.1f} nats)")
    bp.manual_seed(0)
    gan = GAN(64)
    history = gan.fit(x, epochs=150, batch_size=64)
    last = history[-1]
    print(f"GAN after {last['epoch']} epochs: D right on {last['d_real']:.0%} of real and {last['d_fake']:.0%} "
          f"of fake digits; d_loss {last['d_loss']:.2f}, g_loss {last['g_loss']:.2f}")
    sample_grid(gan.sample(64), os.path.join(HERE, "gan_samples.png"),
                title=f"GAN: 64 samples (D right on {last['d_real']:.0%} real, {last['d_fake']:.0%} fake)")


if __name__ == "__main__":
    main()
