# Super-resolution in the style of the super_resolution example (ESPCN): four convolutions whose last one makes
# upscale_factor**2 channels, rearranged by nn.PixelShuffle into an image upscale_factor times larger; orthogonal_
# initialisation with calculate_gain('relu'), MSELoss, Adam, PSNR per epoch. The images are smooth random waves
# (parameters from Python's random), the low-resolution inputs their 2x2 averages; bicubic interpolation
# (F.interpolate) is printed as the baseline.
# compare: loss rel=0.3
# expect: test PSNR > 22
import argparse
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 32, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(32, 32, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(32, 16, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(16, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


def waves(n, size, seed):
    """n one-channel images in [0, 1], each a sum of three plane waves of random frequency, direction and phase."""
    rng = random.Random(seed)
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing='ij')
    images = []
    for _ in range(n):
        image = torch.zeros(size, size)
        for _ in range(3):
            angle, freq, phase = rng.uniform(0, math.pi), rng.uniform(0.3, 1.0), rng.uniform(0, 2 * math.pi)
            image += torch.sin(freq * (math.cos(angle) * xs + math.sin(angle) * ys) + phase)
        images.append(0.5 + image / 6)
    return torch.stack(images).unsqueeze(1)


def psnr(mse):
    return 10 * math.log10(1 / mse)


def main():
    parser = argparse.ArgumentParser(description='super resolution example on synthetic images')
    parser.add_argument('--upscale_factor', type=int, default=2)
    parser.add_argument('--batchSize', type=int, default=4)
    parser.add_argument('--nEpochs', type=int, default=5)
    parser.add_argument('--lr', type=float, default=0.003)
    parser.add_argument('--seed', type=int, default=123)
    opt = parser.parse_args()
    torch.manual_seed(opt.seed)

    high = waves(96, 16, seed=1)
    test_high = waves(16, 16, seed=2)
    low, test_low = F.avg_pool2d(high, opt.upscale_factor), F.avg_pool2d(test_high, opt.upscale_factor)
    print('low resolution', tuple(low.shape), '-> high resolution', tuple(high.shape))
    training_data_loader = DataLoader(TensorDataset(low, high), batch_size=opt.batchSize, shuffle=True)

    model = Net(upscale_factor=opt.upscale_factor)
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=opt.lr)
    w = model.conv2.weight.view(32, -1)
    print('conv2 rows orthogonal:', bool(torch.allclose(w @ w.t(), 2 * torch.eye(32), atol=1e-4)))

    bicubic = F.interpolate(test_low, scale_factor=opt.upscale_factor, mode='bicubic', align_corners=False)
    bicubic_psnr = psnr(criterion(bicubic, test_high).item())
    print('bicubic PSNR: {:.2f} dB'.format(bicubic_psnr))

    for epoch in range(1, opt.nEpochs + 1):
        epoch_loss = 0
        for input, target in training_data_loader:
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            epoch_loss += loss.item()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            test_mse = criterion(model(test_low), test_high).item()
        print('===> Epoch {} Complete: Avg. Loss: {:.4f} test PSNR: {:.2f} dB'.format(
            epoch, epoch_loss / len(training_data_loader), psnr(test_mse)))
    print('test PSNR: {:.2f}'.format(psnr(test_mse)))
    print('final loss: {:.6f}'.format(test_mse))


if __name__ == "__main__":
    main()
