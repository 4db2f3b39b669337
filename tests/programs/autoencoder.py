# A fully connected autoencoder that compresses 16-dimensional points lying near a 2-dimensional plane,
# trained with Adam on MSE; reports the reconstruction error and the code size.
# compare: loss rel=0.5 floor=0.01
# expect: final loss < 0.05
import argparse

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class AutoEncoder(nn.Module):
    def __init__(self, dim, code):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, code))
        self.decoder = nn.Sequential(nn.Linear(code, 32), nn.ReLU(), nn.Linear(32, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--code", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    latent = rng.uniform(-1, 1, size=(256, 2))
    mixing = rng.normal(size=(2, 16))
    data = torch.tensor(latent @ mixing + 0.01 * rng.normal(size=(256, 16)), dtype=torch.float32)
    loader = DataLoader(TensorDataset(data), batch_size=32, shuffle=True)
    model = AutoEncoder(16, args.code)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-5)
    criterion = nn.MSELoss()
    baseline = data.var(dim=0).mean().item()
    print(f"variance of the data: {baseline:.3f}")
    for epoch in range(1, args.epochs + 1):
        for (batch,) in loader:
            loss = criterion(model(batch), batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch % 5 == 0:
            print(f"epoch [{epoch}/{args.epochs}], loss:{loss.item():.4f}")
    with torch.no_grad():
        codes = model.encoder(data)
        final = criterion(model.decoder(codes), data).item()
    print("code shape:", tuple(codes.shape))
    print(f"final loss: {final:.4f}")


if __name__ == "__main__":
    main()
