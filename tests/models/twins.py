"""Torch twins of the zoo, written layer by layer from each model's published description
(not derived from backprop's modules), with the same module names so that state dicts copy."""
import collections

import torch
from torch import nn

from nn.test_local import TorchLocallyConnected2d


def _named(features, classifier):
    return nn.Sequential(collections.OrderedDict(features=features, flatten=nn.Flatten(), classifier=classifier))


def mlp(input_shape, num_classes=10, hidden=(256, 256), activation=nn.ReLU, dropout=0.0):
    c, h, w = input_shape
    layers, width = [nn.Flatten()], c * h * w
    for size in hidden:
        layers += [nn.Linear(width, size), activation()] + ([nn.Dropout(dropout)] if dropout else [])
        width = size
    return nn.Sequential(*layers, nn.Linear(width, num_classes))


def cnn(input_shape, num_classes=10):
    c, h, w = input_shape
    features = nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25))
    classifier = nn.Sequential(nn.Linear(64 * (h // 2) * (w // 2), 128), nn.ReLU(), nn.Dropout(0.5),
                               nn.Linear(128, num_classes))
    return _named(features, classifier)


def lenet5(input_shape, num_classes=10):
    c, h, w = input_shape
    pad = 2 if h < 32 else 0  # 28x28 -> 28x28 maps, as the paper's 32x32 input gives
    side = ((h + 2 * pad - 4) // 2 - 4) // 2
    features = nn.Sequential(nn.Conv2d(c, 6, 5, padding=pad), nn.Tanh(), nn.AvgPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
    classifier = nn.Sequential(nn.Linear(16 * side * side, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
                               nn.Linear(84, num_classes))
    return _named(features, classifier)


def vgg(input_shape, num_classes=10):
    c, h, w = input_shape
    layers = []
    for width in (32, 64, 128):
        layers += [nn.Conv2d(c, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
                   nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)]
        c, h, w = width, h // 2, w // 2
    classifier = nn.Sequential(nn.Linear(c * h * w, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, num_classes))
    return _named(nn.Sequential(*layers), classifier)


def alexnet(input_shape, num_classes=10):
    c, h, w = input_shape
    features = nn.Sequential(
        nn.Conv2d(c, 48, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(48, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(128, 192, 3, padding=1), nn.ReLU(),
        nn.Conv2d(192, 192, 3, padding=1), nn.ReLU(),
        nn.Conv2d(192, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    flat = 128 * (h // 8) * (w // 8)
    classifier = nn.Sequential(nn.Dropout(0.5), nn.Linear(flat, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, 512),
                               nn.ReLU(), nn.Linear(512, num_classes))
    return _named(features, classifier)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, input_shape, num_classes=10, depth=20):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(input_shape[0], 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(*[BasicBlock(16, 16, 1) for _ in range(n)])
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), *[BasicBlock(32, 32, 1) for _ in range(n - 1)])
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), *[BasicBlock(64, 64, 1) for _ in range(n - 1)])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(torch.relu(self.bn1(self.conv1(x))))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class RowLSTM(nn.Module):
    def __init__(self, input_shape, num_classes=10, hidden_size=128):
        super().__init__()
        c, _, w = input_shape
        self.lstm = nn.LSTM(c * w, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        n, c, h, w = x.shape
        _, (h_n, _) = self.lstm(x.permute(0, 2, 1, 3).reshape(n, h, c * w))
        return self.fc(h_n[-1])


class UntiedBiasConv2d(nn.Module):
    """Shared kernel (O, C, k, k), one bias per output unit (O, out_H, out_W)."""

    def __init__(self, cin, cout, size, kernel_size, stride, padding):
        super().__init__()
        out = (size + 2 * padding - kernel_size) // stride + 1
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.randn(cout, out, out))

    def forward(self, x):
        return nn.functional.conv2d(x, self.weight, None, self.stride, self.padding) + self.bias


def lecun1989(net, side=16, num_classes=10):
    """Net-1 .. Net-5 of LeCun 1989 for a 1 x side x side image, tanh hidden units, linear outputs."""
    h1, h2 = (side + 1) // 2, ((side + 1) // 2 + 1) // 2  # stride 2, "same" padding
    if net == 1:
        return nn.Sequential(nn.Flatten(), nn.Linear(side * side, num_classes))
    if net == 2:
        return nn.Sequential(nn.Flatten(), nn.Linear(side * side, 12), nn.Tanh(), nn.Linear(12, num_classes))
    first = (TorchLocallyConnected2d(1, 1, side, 3, 2, 1) if net == 3 else UntiedBiasConv2d(1, 2, side, 3, 2, 1))
    maps = 1 if net == 3 else 2
    second = (UntiedBiasConv2d(2, 4, h1, 5, 2, 2) if net == 5 else TorchLocallyConnected2d(maps, 1, h1, 5, 2, 2))
    out_maps = 4 if net == 5 else 1
    return nn.Sequential(first, nn.Tanh(), second, nn.Tanh(), nn.Flatten(), nn.Linear(out_maps * h2 * h2, num_classes))
