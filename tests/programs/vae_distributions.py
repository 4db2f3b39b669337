# A variational autoencoder written with torch.distributions: the encoder gives a diagonal Normal posterior
# (Independent over the latent dimensions), z from rsample() (the reparameterisation trick), a Bernoulli decoder on
# logits, the KL term from kl_divergence against the standard-normal prior; the ELBO is maximised with Adam on
# 8x8 binary cross patterns (from Python's random). A closed-form check of the KL and samples from the prior.
# compare: loss rel=0.25
# expect: kl matches closed form == 1
# expect: final loss < 32
import argparse
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset


def crosses(n, seed):
    rng = random.Random(seed)
    images = torch.zeros(n, 8, 8)
    for image in images:
        image[rng.randrange(8), :] = 1
        image[:, rng.randrange(8)] = 1
    return images.view(n, 64)


class VAE(nn.Module):
    def __init__(self, latent=4, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64))
        self.latent = latent

    def posterior(self, x):
        mu, log_scale = self.encoder(x).chunk(2, dim=-1)
        return Independent(Normal(mu, F.softplus(log_scale) + 1e-4), 1)

    def prior(self, batch):
        zeros = torch.zeros(batch, self.latent)
        return Independent(Normal(zeros, torch.ones_like(zeros)), 1)

    def likelihood(self, z):
        return Independent(Bernoulli(logits=self.decoder(z)), 1)

    def forward(self, x):
        q = self.posterior(x)
        z = q.rsample()
        reconstruction = self.likelihood(z).log_prob(x)
        kl = kl_divergence(q, self.prior(len(x)))
        return -(reconstruction - kl).mean(), kl.mean()


def main():
    parser = argparse.ArgumentParser(description='VAE with torch.distributions')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    mu, sigma = torch.tensor([0.5, -1.0]), torch.tensor([0.8, 2.0])
    kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0))
    closed = 0.5 * (sigma ** 2 + mu ** 2 - 1) - sigma.log()
    print("kl matches closed form:", int(torch.allclose(kl, closed)))
    q = Independent(Normal(mu, sigma), 1)
    print("event shape:", tuple(q.event_shape), "batch shape:", tuple(q.batch_shape))
    loc = torch.zeros(2, requires_grad=True)
    print("rsample carries grad:", Normal(loc, 1.0).rsample().requires_grad,
          "sample does not:", not Normal(loc, 1.0).sample().requires_grad)

    data = crosses(384, seed=0)
    loader = DataLoader(TensorDataset(data), batch_size=args.batch_size, shuffle=True)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, total_kl = 0.0, 0.0
        for (x,) in loader:
            optimizer.zero_grad()
            loss, kl = model(x)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            total_kl += kl.item() * len(x)
        if epoch % 3 == 0:
            print(f"====> Epoch: {epoch} Average loss: {total / len(data):.4f} (KL {total_kl / len(data):.3f})")

    model.eval()
    with torch.no_grad():
        z = model.prior(16).sample()
        images = model.likelihood(z).mean
        print("samples:", tuple(images.shape), bool(((images >= 0) & (images <= 1)).all()))
        final, _ = model(data)
    print(f"final loss: {final.item():.4f}")


if __name__ == "__main__":
    main()
