# A GAN whose discriminator is constrained by spectral normalisation, in both of torch's spellings:
# nn.utils.spectral_norm (the hook-based one, with weight_orig and weight_u) on the convolutions and
# nn.utils.parametrizations.spectral_norm on the last layer; hinge losses, Adam(betas=(0.0, 0.9)), a
# ConvTranspose2d generator, 8x8 images of a bright bar. After training, each normalised weight's largest singular
# value is close to one. The power iteration starts from a random vector, so only the run's shape and its
# expectations are compared.
# compare: none
# expect: largest singular value > 0.9
# expect: largest singular value < 1.3
# expect: fake bar contrast > 0.0
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations, spectral_norm


def bars(n, generator):
    images = torch.full((n, 1, 8, 8), -1.0)
    rows = torch.randint(1, 7, (n,), generator=generator)
    for image, row in zip(images, rows.tolist()):
        image[0, row, 1:7] = 1.0
    return images


class Discriminator(nn.Module):
    def __init__(self, ndf=16):
        super().__init__()
        self.conv1 = spectral_norm(nn.Conv2d(1, ndf, 4, 2, 1))
        self.conv2 = spectral_norm(nn.Conv2d(ndf, 2 * ndf, 4, 2, 1))
        self.fc = parametrizations.spectral_norm(nn.Linear(2 * ndf * 2 * 2, 1))

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.1)
        x = F.leaky_relu(self.conv2(x), 0.1)
        return self.fc(x.flatten(1)).view(-1)


class Generator(nn.Module):
    def __init__(self, nz=8, ngf=16):
        super().__init__()
        self.main = nn.Sequential(nn.ConvTranspose2d(nz, 2 * ngf, 2, 1, 0), nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
                                  nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),
                                  nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(z)


def largest_singular_value(weight):
    return torch.linalg.svdvals(weight.detach().flatten(1))[0].item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--nz", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(1)
    netD, netG = Discriminator(), Generator(args.nz)
    print("conv1 parameters:", sorted(n for n, _ in netD.conv1.named_parameters()),
          "buffers:", sorted(n for n, _ in netD.conv1.named_buffers()))
    print("fc parameters:", sorted(n for n, _ in netD.fc.named_parameters()))
    optD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.0, 0.9))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.0, 0.9))
    for i in range(1, args.iters + 1):
        real = bars(args.batch_size, generator)
        z = torch.randn(args.batch_size, args.nz, 1, 1)
        fake = netG(z)
        optD.zero_grad()
        d_loss = F.relu(1 - netD(real)).mean() + F.relu(1 + netD(fake.detach())).mean()
        d_loss.backward()
        optD.step()
        optG.zero_grad()
        g_loss = -netD(fake).mean()
        g_loss.backward()
        optG.step()
        if i % 20 == 0:
            print(f"[{i}/{args.iters}] loss_D {d_loss.item():.4f} loss_G {g_loss.item():.4f}")

    netD.eval()
    for name, weight in [("conv1", netD.conv1.weight), ("conv2", netD.conv2.weight), ("fc", netD.fc.weight)]:
        print(f"{name} largest singular value: {largest_singular_value(weight):.3f}")
    worst = max(largest_singular_value(w) for w in (netD.conv1.weight, netD.conv2.weight, netD.fc.weight))
    print(f"largest singular value: {worst:.3f}")
    netG.eval()
    with torch.no_grad():
        sample = netG(torch.randn(64, args.nz, 1, 1))
    rows = sample.mean(dim=(0, 1, 3))
    print(f"fake bar contrast: {(rows[1:7].mean() - rows[[0, 7]].mean()).item():.3f}")


if __name__ == "__main__":
    main()
