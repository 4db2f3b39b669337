"""The generative adversarial net (Goodfellow et al., 2014): a generator against a discriminator.

The generator G maps noise z ~ N(0, I) to a fake example G(z) in [0, 1]^D
(a sigmoid output); the discriminator D maps an example to the logit of
"real". They play the minimax game

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

one alternating step each per mini-batch:

- D ascends V: d_loss = -[mean log D(x) + mean log(1 - D(G(z)))], the binary
  cross entropy with target 1 for real and 0 for fake examples.
- G descends the non-saturating loss g_loss = -mean log D(G(z)) instead of
  log(1 - D(G(z))): both push D(G(z)) up, but early in training, when D
  rejects every fake, log(1 - D(G(z))) is flat and gives G almost no
  gradient, while -log D(G(z)) is steep there (Goodfellow et al., section 3).

D's accuracy tells how the game goes: near 1 on both real and fake, D has
won and G learns nothing; near 0.5, neither side leads.

>>> import backprop as bp
>>> _ = bp.manual_seed(0)
>>> gan = GAN(64, latent_dim=8, hidden=(32,))
>>> g_opt, d_opt = gan.optimizers()
>>> sorted(gan.train_step(bp.rand(16, 64), g_opt, d_opt))
['d_fake', 'd_loss', 'd_real', 'g_loss']
>>> gan.sample(4).shape
backprop.Size([4, 64])
"""
import numpy

from backprop import creation, nn, optim
from backprop.autograd import no_grad
from backprop.checks import check_int
from backprop.generative.vae import perceptron, widths
from backprop.nn import functional as F
from backprop.train.minibatch import as_rows, batches

__all__ = ["GAN"]


class GAN(nn.Module):
    """``generator``: z -> ReLU MLP -> sigmoid, (N, data_dim); ``discriminator``: x -> LeakyReLU MLP -> logit (N, 1).

    ``hidden`` are the generator's widths; the discriminator uses them in reverse.
    """

    def __init__(self, data_dim, latent_dim=16, hidden=(128,)):
        super().__init__()
        self.data_dim = check_int("GAN: data_dim", data_dim, at_least=1)
        self.latent_dim = check_int("GAN: latent_dim", latent_dim, at_least=1)
        hidden = widths(hidden, "GAN")
        self.generator = perceptron(self.latent_dim, self.data_dim, hidden)
        self.generator.append(nn.Sigmoid())
        self.discriminator = perceptron(self.data_dim, 1, hidden[::-1], activation="leaky_relu")

    def forward(self, z):
        """G(z): fake examples (N, data_dim) in [0, 1]."""
        return self.generator(as_rows(z, self.latent_dim, "GAN.generator"))

    def noise(self, n):
        """z ~ N(0, I), (n, latent_dim), from backprop's generator, of the generator's dtype and device."""
        weight = self.generator[1].weight
        return creation.randn(n, self.latent_dim, dtype=weight.dtype, device=weight.device)

    def discriminator_loss(self, real, fake):
        """-[mean log D(x) + mean log(1 - D(G(z)))] and D's accuracy on real and on fake (logit > 0 = real)."""
        real_logits, fake_logits = self.discriminator(real), self.discriminator(fake)
        loss = (F.binary_cross_entropy_with_logits(real_logits, creation.ones_like(real_logits))
                + F.binary_cross_entropy_with_logits(fake_logits, creation.zeros_like(fake_logits)))
        real_accuracy = float((real_logits.array > 0).mean())
        fake_accuracy = float((fake_logits.array < 0).mean())
        return loss, real_accuracy, fake_accuracy

    def generator_loss(self, fake):
        """The non-saturating loss -mean log D(G(z))."""
        logits = self.discriminator(fake)
        return F.binary_cross_entropy_with_logits(logits, creation.ones_like(logits))

    def train_step(self, real, g_optimizer, d_optimizer, z=None):
        """One step of D, then one of G, on the same noise z (drawn here unless given).

        Returns {d_loss, g_loss, d_real, d_fake}: the losses, and D's accuracy on
        the real and the fake batch before its step.
        """
        real = as_rows(real, self.data_dim, "GAN.train_step")
        z = self.noise(len(real)) if z is None else as_rows(z, self.latent_dim, "GAN.train_step")
        fake = self.generator(z)
        d_loss, d_real, d_fake = self.discriminator_loss(real, fake.detach())  # detached: D's step leaves G alone
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        g_loss = self.generator_loss(fake)
        g_optimizer.zero_grad()
        g_loss.backward()  # also fills D's grads; d_optimizer.zero_grad clears them before D's next step
        g_optimizer.step()
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "d_real": d_real, "d_fake": d_fake}

    def optimizers(self, lr=2e-4, betas=(0.5, 0.999)):
        """(g_optimizer, d_optimizer): Adam with DCGAN's settings (Radford et al., 2016) by default."""
        return (optim.Adam(self.generator.parameters(), lr=lr, betas=betas),
                optim.Adam(self.discriminator.parameters(), lr=lr, betas=betas))

    def fit(self, x, epochs=10, batch_size=64, lr=2e-4, betas=(0.5, 0.999)):
        """``train_step`` over shuffled mini-batches of x; per epoch {epoch, d_loss, g_loss, d_real, d_fake}, means."""
        x = as_rows(x, self.data_dim, "GAN.fit")
        loader, epochs = batches(x, batch_size, "GAN.fit"), check_int("GAN.fit: epochs", epochs, at_least=1)
        g_optimizer, d_optimizer = self.optimizers(lr, betas)
        history = []
        for epoch in range(1, epochs + 1):
            steps = [self.train_step(batch, g_optimizer, d_optimizer) for (batch,) in loader]
            history.append({"epoch": epoch, **{key: float(numpy.mean([s[key] for s in steps])) for key in steps[0]}})
        return history

    def sample(self, n):
        """n fake examples G(z), (n, data_dim) in [0, 1]."""
        with no_grad():
            return self.generator(self.noise(check_int("GAN.sample: n", n, at_least=1)))
