# A small U-Net denoising autoencoder: two down steps (Conv2d, GroupNorm, SiLU, MaxPool2d), a bottleneck, two up
# steps (nn.Upsample bilinear and nearest, skip connections joined with torch.cat), ConvTranspose2d on the way up,
# MSELoss and AdamW. Images are discs and squares drawn by formula with a fixed pseudo-noise; weights start from a
# fixed formula and batches are not shuffled, so both frameworks follow the same path.
# compare: close rtol=2e-3 atol=1e-5
# expect: denoised better == 1
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def shapes(n, size=16):
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    images = []
    for i in range(n):
        cy, cx, r = 5 + (i * 3) % 6, 5 + (i * 5) % 6, 2.5 + (i % 3)
        if i % 2 == 0:
            image = ((ys - cy) ** 2 + (xs - cx) ** 2 <= r * r).float()
        else:
            image = (((ys - cy).abs() <= r) & ((xs - cx).abs() <= r)).float()
        images.append(image)
    clean = torch.stack(images).unsqueeze(1)
    noise = 0.3 * torch.sin(torch.arange(clean.numel(), dtype=torch.float32) * 12.9898).view_as(clean)
    return clean + noise, clean


def block(c_in, c_out, groups=4):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), nn.SiLU())


class UNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.down1 = block(1, width)
        self.down2 = block(width, 2 * width)
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = block(2 * width, 2 * width)
        self.up2 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.dec2 = block(4 * width, width)
        self.up1 = nn.ConvTranspose2d(width, width, kernel_size=2, stride=2)
        self.dec1 = block(2 * width, width)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, x):
        s1 = self.down1(x)                      # width x 16 x 16
        s2 = self.down2(self.pool(s1))          # 2w x 8 x 8
        b = self.bottleneck(self.pool(s2))      # 2w x 4 x 4
        d2 = self.dec2(torch.cat([self.up2(b), s2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), s1], dim=1))
        return self.head(d1) + F.interpolate(x, scale_factor=1.0, mode="nearest")


def fixed_init(model):
    """Convolution weights from a sine pattern scaled by 1/sqrt(fan_in), biases zero; GroupNorm keeps ones/zeros."""
    with torch.no_grad():
        for k, m in enumerate(model.modules()):
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                w = m.weight
                fan_in = w.shape[0] * w[0, 0].numel() if isinstance(m, nn.ConvTranspose2d) else w[0].numel()
                pattern = torch.sin(torch.arange(w.numel(), dtype=torch.float32) * 0.618 + k).view_as(w)
                w.copy_(pattern / math.sqrt(fan_in))
                nn.init.zeros_(m.bias)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    noisy, clean = shapes(32)
    model = UNet()
    fixed_init(model)
    print(model.dec2)
    print("parameters:", sum(p.numel() for p in model.parameters()))
    up = nn.Upsample(scale_factor=2, mode="nearest")
    print("nearest upsample:", up(torch.arange(4.0).view(1, 1, 2, 2)).view(4, 4).tolist())

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    criterion = nn.MSELoss()
    baseline = criterion(noisy, clean).item()
    print(f"noisy input mse: {baseline:.5f}")
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for i in range(0, len(noisy), args.batch_size):
            optimizer.zero_grad()
            loss = criterion(model(noisy[i:i + args.batch_size]), clean[i:i + args.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / (len(noisy) // args.batch_size):.5f}")
    model.eval()
    with torch.no_grad():
        final = criterion(model(noisy), clean).item()
    print("denoised better:", int(final < baseline))
    print(f"final loss: {final:.5f}")


if __name__ == "__main__":
    main()
