# A categorical VAE with the Gumbel-softmax trick: the encoder gives logits for 4 latent variables of 4 categories,
# samples come from F.gumbel_softmax(hard=True) (straight-through) with a temperature annealed each epoch, the KL
# to a uniform prior is written with OneHotCategorical and kl_divergence, and the decoder rebuilds 8x8 binary
# patterns (BCEWithLogits). CosineAnnealingWarmRestarts is stepped with fractional epochs inside the batch loop, as
# its documentation shows. RelaxedOneHotCategorical's rsample is checked against the simplex.
# compare: loss rel=0.3
# expect: final loss < 30
# expect: one-hot samples == 1
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import OneHotCategorical, RelaxedOneHotCategorical, kl_divergence
from torch.utils.data import DataLoader, TensorDataset

LATENTS, CATEGORIES = 4, 4


def patterns(n, generator):
    """Each image is the OR of one of four row bars and one of four column bars (16 kinds), flattened."""
    images = torch.zeros(n, 8, 8)
    kinds = torch.randint(0, 16, (n,), generator=generator)
    for image, kind in zip(images, kinds.tolist()):
        image[2 * (kind // 4), :] = 1
        image[:, 2 * (kind % 4)] = 1
    return images.view(n, 64)


class CategoricalVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, LATENTS * CATEGORIES))
        self.decoder = nn.Sequential(nn.Linear(LATENTS * CATEGORIES, 64), nn.ReLU(), nn.Linear(64, 64))

    def forward(self, x, tau):
        logits = self.encoder(x).view(-1, LATENTS, CATEGORIES)
        z = F.gumbel_softmax(logits, tau=tau, hard=True, dim=-1)
        return self.decoder(z.view(-1, LATENTS * CATEGORIES)), logits


def loss_function(recon_logits, x, logits):
    bce = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / len(x)
    posterior = OneHotCategorical(logits=logits)
    prior = OneHotCategorical(probs=torch.full_like(logits, 1.0 / CATEGORIES))
    kl = kl_divergence(posterior, prior).sum(-1).mean()
    return bce + kl, kl


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = patterns(512, torch.Generator().manual_seed(1))
    loader = DataLoader(TensorDataset(data), batch_size=args.batch_size, shuffle=True)

    relaxed = RelaxedOneHotCategorical(torch.tensor(0.5), logits=torch.tensor([[1.0, 0.0, -1.0, 0.5]]))
    sample = relaxed.rsample((5,))
    print("relaxed samples on the simplex:", bool(torch.allclose(sample.sum(-1), torch.ones(5, 1))),
          tuple(sample.shape))
    hard = F.gumbel_softmax(torch.zeros(6, 3), tau=1.0, hard=True)
    print("one-hot samples:", int(bool(((hard == 0) | (hard == 1)).all() and (hard.sum(1) == 1).all())))

    model = CategoricalVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=4, eta_min=3e-4)
    iters = len(loader)
    tau = 1.0
    for epoch in range(args.epochs):
        total, total_kl = 0.0, 0.0
        for i, (x,) in enumerate(loader):
            optimizer.zero_grad()
            recon, logits = model(x, tau)
            loss, kl = loss_function(recon, x, logits)
            loss.backward()
            optimizer.step()
            scheduler.step(epoch + i / iters)
            total += loss.item()
            total_kl += kl.item()
        tau = max(0.5, tau * 0.9)
        if epoch % 3 == 2:
            print(f"epoch {epoch}: loss {total / iters:.3f} kl {total_kl / iters:.3f} tau {tau:.3f} "
                  f"lr {scheduler.get_last_lr()[0]:.6f}")
    with torch.no_grad():
        recon, logits = model(data, tau)
        final, _ = loss_function(recon, data, logits)
        codes = logits.argmax(-1)
    print("distinct codes:", len({tuple(c) for c in codes.tolist()}) >= 8)
    print(f"final loss: {final.item():.4f}")


if __name__ == "__main__":
    main()
