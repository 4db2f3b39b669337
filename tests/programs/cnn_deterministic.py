# Convolutions and pooling with fixed weights: Conv2d (stride, padding, dilation, groups), Conv1d, pools,
# adaptive pooling and their gradients.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import torch
import torch.nn.functional as F
from torch import nn


def fill_(module):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(0.1 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) + i).reshape(p.shape))
    return module


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    image = torch.cos(torch.arange(2 * 4 * 9 * 9, dtype=torch.float32) * 0.1).reshape(2, 4, 9, 9)
    image.requires_grad_()
    layers = [
        nn.Conv2d(4, 3, 3),
        nn.Conv2d(4, 2, kernel_size=(3, 2), stride=2, padding=1),
        nn.Conv2d(4, 4, 3, dilation=2, groups=2, bias=False),
        nn.Conv2d(4, 2, 1, padding="same"),
    ]
    for conv in layers:
        fill_(conv)
        out = conv(image)
        print(conv, tuple(out.shape), f"{out.sum().item():.5f}")
    total = sum(conv(image).pow(2).mean() for conv in layers)
    total.backward()
    print("input grad:", image.grad[0, 0, :2])
    print("weight grad:", layers[0].weight.grad[0, 0])
    x = image.detach()
    print("max pool:", F.max_pool2d(x, 2)[0, 0, 0], nn.MaxPool2d(3, stride=2, padding=1)(x).shape)
    print("avg pool:", F.avg_pool2d(x, 3)[1, 2])
    print("adaptive:", nn.AdaptiveAvgPool2d((1, 1))(x).flatten(1)[0], nn.AdaptiveAvgPool2d(2)(x).shape)
    signal = torch.linspace(-1, 1, 2 * 3 * 10).reshape(2, 3, 10)
    conv1 = fill_(nn.Conv1d(3, 2, 3, padding=1))
    with torch.no_grad():
        print("conv1d:", conv1(signal)[0])
    print("max pool 1d:", F.max_pool1d(signal, 2)[0, 0], "avg 1d:", nn.AvgPool1d(5)(signal)[1])
    print("padded:", F.pad(torch.ones(1, 1, 2, 2), (1, 1, 0, 1))[0, 0])
    print("functional conv:", F.conv2d(x[:1, :1], torch.ones(1, 1, 2, 2), stride=3)[0, 0])


if __name__ == "__main__":
    main()
