# The spatial transformer networks tutorial on synthetic digits: a localisation network (Conv2d, MaxPool2d, ReLU)
# regresses a 2x3 affine matrix (its last layer starts at the identity transform), F.affine_grid and F.grid_sample
# resample the input, then a small classifier; trained with Adam on bars that are shifted and rotated. The images'
# classes, angles and shifts and the starting weights come from NumPy's generator and batches are taken in order;
# the losses agree to 1e-7 at first and drift by about 1e-4 within ten Adam steps (torch's affine_grid base grid
# carries float32 linspace rounding that backprop's exact grid does not), so the final loss is compared.
# compare: loss rel=0.15
# expect: test accuracy >= 0.8
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def shifted_bars(n, rng):
    """1x16x16 images: class k is a bar at row 3 + 2k (k = 0..4), then rotated and shifted by a random affine map."""
    labels = torch.from_numpy(rng.integers(0, 5, size=n))
    images = torch.zeros(n, 1, 16, 16)
    for image, k in zip(images, labels.tolist()):
        image[0, 3 + 2 * k:5 + 2 * k, 3:13] = 1.0
    angle = (torch.from_numpy(rng.uniform(size=n).astype(np.float32)) - 0.5) * 0.6
    shift = (torch.from_numpy(rng.uniform(size=(n, 2)).astype(np.float32)) - 0.5) * 0.3
    theta = torch.stack([torch.stack([angle.cos(), -angle.sin(), shift[:, 0]], 1),
                         torch.stack([angle.sin(), angle.cos(), shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, images.shape, align_corners=False)
    return F.grid_sample(images, grid, align_corners=False), labels


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 5)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
            nn.Conv2d(6, 8, kernel_size=3, padding=1), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(8 * 4 * 4, 16), nn.ReLU(True), nn.Linear(16, 3 * 2))
        # start from the identity transformation
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 8 * 4 * 4)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = x.view(-1, 8 * 8 * 8)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    x, y = shifted_bars(320, rng)
    tx, ty = shifted_bars(100, rng)
    model = Net()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not name.startswith("fc_loc.2"):   # the localisation head keeps its identity start
                p.copy_(torch.from_numpy(rng.uniform(-1, 1, size=tuple(p.shape)).astype(np.float32))
                        / math.sqrt(p[0].numel() if p.dim() > 1 else 4 * p.numel()))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    identity = F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1, 0]]]), (1, 1, 16, 16), align_corners=False)
    print("identity resample exact:", bool(torch.allclose(F.grid_sample(x[:1], identity, align_corners=False), x[:1],
                                                          atol=1e-6)))
    for epoch in range(1, args.epochs + 1):
        model.train()
        for i in range(0, len(x), 32):
            optimizer.zero_grad()
            loss = F.nll_loss(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    model.eval()
    with torch.no_grad():
        out = model(tx)
        test_loss = F.nll_loss(out, ty).item()
        accuracy = (out.argmax(1) == ty).float().mean().item()
    print(f"test accuracy: {accuracy:.3f}")
    print(f"final loss: {test_loss:.4f}")
    assert math.isfinite(test_loss)


if __name__ == "__main__":
    main()
