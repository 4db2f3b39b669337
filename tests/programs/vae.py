# A variational autoencoder on binary 8x8 patterns (bars): reparameterisation with randn_like, a Bernoulli
# reconstruction term (binary_cross_entropy, reduction='sum') plus the KL divergence; samples from the prior.
# compare: loss rel=0.25
# expect: final loss < 30
import argparse

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


def bars(n, generator):
    images = torch.zeros(n, 8, 8)
    rows = torch.randint(0, 8, (n,), generator=generator)
    cols = torch.randint(0, 8, (n,), generator=generator)
    for i in range(n):
        images[i, rows[i], :] = 1
        images[i, :, cols[i]] = 1
    return images.view(n, 64)


class VAE(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc21 = nn.Linear(64, latent)
        self.fc22 = nn.Linear(64, latent)
        self.fc3 = nn.Linear(latent, 64)
        self.fc4 = nn.Linear(64, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    parser = argparse.ArgumentParser(description="VAE example")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    data = bars(512, torch.Generator().manual_seed(0))
    loader = DataLoader(TensorDataset(data), batch_size=args.batch_size, shuffle=True)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        train_loss = 0
        for (x,) in loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(x)
            loss = loss_function(recon_batch, x, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        if epoch % 5 == 0:
            print(f"====> Epoch: {epoch} Average loss: {train_loss / len(loader.dataset):.4f}")
    model.eval()
    with torch.no_grad():
        sample = model.decode(torch.randn(16, 4))
        print("samples:", tuple(sample.shape), bool(((sample >= 0) & (sample <= 1)).all()))
        recon, mu, logvar = model(data)
        final = loss_function(recon, data, mu, logvar).item() / len(data)
    print(f"final loss: {final:.4f}")


if __name__ == "__main__":
    main()
