# A Wasserstein GAN with gradient penalty on 8x8 one-channel "blob" images: the critic's gradient with respect to
# interpolated images comes from torch.autograd.grad(create_graph=True), and its norm's penalty is backpropagated
# (a second derivative through Conv2d, LeakyReLU and a weight-normed Linear); the generator uses ConvTranspose2d.
# Several critic steps per generator step, Adam(betas=(0.5, 0.9)). Images, noise, the interpolation weights and the
# starting weights come from NumPy's generator, so both frameworks take the same steps.
# compare: close rtol=2e-3 atol=1e-4
# expect: penalty fell == 1
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm


class Generator(nn.Module):
    def __init__(self, nz=4, ngf=8):
        super().__init__()
        self.fc = nn.Linear(nz, ngf * 4 * 4)
        self.net = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(ngf, 1, 4, stride=2, padding=1), nn.Tanh())
        self.ngf = ngf

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.ngf, 4, 4))


class Critic(nn.Module):
    def __init__(self, ndf=8):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, ndf, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(ndf, ndf, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten())
        self.out = weight_norm(nn.Linear(ndf * 4 * 4, 1))

    def forward(self, x):
        return self.out(self.net(x)).view(-1)


def blobs(rng, n):
    ys, xs = np.mgrid[0:8, 0:8]
    centres = rng.uniform(2, 6, size=(n, 2))
    images = np.exp(-((ys - centres[:, :1, None]) ** 2 + (xs - centres[:, 1:, None]) ** 2) / 3.0) * 2 - 1
    return torch.from_numpy(images.astype(np.float32)).unsqueeze(1)


def gradient_penalty(critic, real, fake, alpha):
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(interpolates)
    gradients, = torch.autograd.grad(outputs=scores, inputs=interpolates, grad_outputs=torch.ones_like(scores),
                                     create_graph=True, retain_graph=True)
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=12)
    parser.add_argument("--critic-iters", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lambda-gp", type=float, default=10.0)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    netG, netD = Generator(), Critic()
    with torch.no_grad():
        for p in list(netG.parameters()) + list(netD.parameters()):
            p.copy_(torch.from_numpy(rng.normal(0, 0.2, size=tuple(p.shape)).astype(np.float32)))
    print("critic parameters:", [name for name, _ in netD.named_parameters()])
    optD = torch.optim.Adam(netD.parameters(), lr=1e-3, betas=(0.5, 0.9))
    optG = torch.optim.Adam(netG.parameters(), lr=1e-3, betas=(0.5, 0.9))

    def noise(n):
        return torch.from_numpy(rng.normal(size=(n, 4)).astype(np.float32))

    penalties = []
    for it in range(1, args.iters + 1):
        for p in netD.parameters():
            p.requires_grad_(True)
        for _ in range(args.critic_iters):
            real = blobs(rng, args.batch_size)
            with torch.no_grad():
                fake = netG(noise(args.batch_size))
            alpha = torch.from_numpy(rng.uniform(size=(args.batch_size, 1, 1, 1)).astype(np.float32))
            optD.zero_grad()
            d_real, d_fake = netD(real).mean(), netD(fake).mean()
            gp = gradient_penalty(netD, real, fake, alpha)
            d_loss = d_fake - d_real + args.lambda_gp * gp
            d_loss.backward()
            optD.step()
            penalties.append(gp.item())
        for p in netD.parameters():
            p.requires_grad_(False)   # the generator step needs no critic gradients
        optG.zero_grad()
        g_loss = -netD(netG(noise(args.batch_size))).mean()
        g_loss.backward()
        optG.step()
        if it % 3 == 0:
            print(f"[{it}/{args.iters}] D: {d_loss.item():.5f} G: {g_loss.item():.5f} "
                  f"W: {(d_real - d_fake).item():.5f} GP: {gp.item():.5f}")
    print("weight_norm g:", round(netD.out.parametrizations.weight.original0.sum().item(), 5))
    print("penalty fell:", int(np.mean(penalties[-6:]) < np.mean(penalties[:6])))
    print(f"final loss: {d_loss.item():.5f}")


if __name__ == "__main__":
    main()
