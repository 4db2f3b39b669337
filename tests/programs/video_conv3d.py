# A small 3-D convolutional network classifying synthetic "videos" (a dot moving in one of four directions over 8
# frames): Conv3d with BatchNorm3d and ReLU, MaxPool3d pooling space before time, AdaptiveAvgPool3d, SGD with
# momentum and MultiStepLR. Clips and weights come from NumPy's generator and the data are not shuffled, so both
# frameworks take the same steps.
# compare: close rtol=2e-3 atol=1e-4
# expect: test accuracy >= 0.9
import argparse

import numpy as np
import torch
import torch.nn as nn

DIRECTIONS = [(0, 1), (0, -1), (1, 0), (-1, 0)]


def clips(n, rng, frames=8, size=12):
    labels = rng.integers(0, 4, size=n)
    video = np.zeros((n, 1, frames, size, size), np.float32)
    ys, xs = np.mgrid[0:size, 0:size]
    for i, label in enumerate(labels):
        dy, dx = DIRECTIONS[label]
        y0, x0 = rng.uniform(4, 8, size=2)
        for t in range(frames):
            cy, cx = y0 + dy * (t - 3.5) * 0.6, x0 + dx * (t - 3.5) * 0.6
            video[i, 0, t] = np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / 2.0)
    video += rng.normal(0, 0.2, size=video.shape).astype(np.float32)
    return torch.from_numpy(video), torch.from_numpy(labels)


class C3D(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(1, 8, kernel_size=3, padding=1), nn.BatchNorm3d(8), nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2)),
            nn.Conv3d(8, 16, kernel_size=3, padding=1), nn.BatchNorm3d(16), nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=2, stride=2))
        self.pool = nn.AdaptiveAvgPool3d((2, 1, 1))
        self.fc = nn.Linear(16 * 2, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x, y = clips(96, rng)
    tx, ty = clips(32, rng)
    model = C3D()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv3d, nn.Linear)):
                std = (2.0 / m.weight[0].numel()) ** 0.5
                m.weight.copy_(torch.from_numpy(rng.normal(0, std, size=tuple(m.weight.shape)).astype(np.float32)))
                m.bias.zero_()
    print(model.features[0], model.features[7], model.pool)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[4], gamma=0.3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for i in range(0, len(x), args.batch_size):
            optimizer.zero_grad()
            loss = criterion(model(x[i:i + args.batch_size]), y[i:i + args.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        print(f"epoch {epoch}: loss {total / (len(x) // args.batch_size):.4f} lr {scheduler.get_last_lr()[0]:.4f}")
    model.eval()
    with torch.no_grad():
        out = model(tx)
    print(f"test accuracy: {(out.argmax(1) == ty).float().mean().item():.3f}")
    print(f"final loss: {criterion(out, ty).item():.4f}")


if __name__ == "__main__":
    main()
