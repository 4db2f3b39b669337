# A DCGAN in the style of the dcgan example, shrunk to 16x16 one-channel images of a bright square on a dark
# background (made in memory): a ConvTranspose2d/BatchNorm2d/ReLU/Tanh generator, a Conv2d/LeakyReLU discriminator
# with a Sigmoid, BCELoss, Adam(betas=(0.5, 0.999)), weights_init applied through Module.apply.
# compare: none
# expect: generator parameters == 12640
# expect: discriminator parameters == 2464
# expect: mean D(x) > 0.3
# expect: fake brightness < -0.02
import argparse

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data


def squares(n, size=16, side=6, generator=None):
    """Images in [-1, 1]: -1 everywhere but a side x side square of +1 at a random place."""
    images = torch.full((n, 1, size, size), -1.0)
    corners = torch.randint(0, size - side + 1, (n, 2), generator=generator)
    for image, (row, col) in zip(images, corners.tolist()):
        image[:, row:row + side, col:col + side] = 1.0
    return images


# custom weights initialisation, called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            # the noise nz x 1 x 1 goes into a transposed convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # nc x 16 x 16
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, nc, ndf):
        super().__init__()
        self.main = nn.Sequential(
            # nc x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # ndf x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--batchSize', type=int, default=32)
    parser.add_argument('--nz', type=int, default=8, help='size of the latent z vector')
    parser.add_argument('--ngf', type=int, default=8)
    parser.add_argument('--ndf', type=int, default=8)
    parser.add_argument('--niter', type=int, default=3, help='number of epochs to train for')
    parser.add_argument('--lr', type=float, default=0.002)
    parser.add_argument('--beta1', type=float, default=0.5)
    parser.add_argument('--manualSeed', type=int, default=999)
    opt = parser.parse_args()
    torch.manual_seed(opt.manualSeed)

    dataset = torch.utils.data.TensorDataset(squares(256))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=opt.batchSize, shuffle=True)
    nc = 1

    netG = Generator(opt.nz, opt.ngf, nc)
    netG.apply(weights_init)
    netD = Discriminator(nc, opt.ndf)
    netD.apply(weights_init)
    print(netG)
    print(netD)
    print("generator parameters:", sum(p.numel() for p in netG.parameters()))
    print("discriminator parameters:", sum(p.numel() for p in netD.parameters()))

    criterion = nn.BCELoss()
    fixed_noise = torch.randn(64, opt.nz, 1, 1)
    real_label, fake_label = 1, 0
    optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    for epoch in range(opt.niter):
        for i, (real_cpu,) in enumerate(dataloader):
            # (1) update D: maximise log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = torch.randn(batch_size, opt.nz, 1, 1)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            # (2) update G: maximise log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for the generator cost
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            if i % 4 == 0:
                print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
                      % (epoch, opt.niter, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))

    netG.eval()
    netD.eval()
    with torch.no_grad():
        fake = netG(fixed_noise)
        print("fake batch:", tuple(fake.shape), "in [-1, 1]:", bool(fake.abs().le(1).all()))
        print("mean D(x): %.4f" % netD(squares(64)).mean().item())
        print("fake brightness: %.4f" % fake.mean().item())
        print("real brightness: %.4f" % squares(64).mean().item())


if __name__ == "__main__":
    main()
