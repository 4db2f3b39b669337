# MobileNet building blocks trained on synthetic images: inverted residual blocks (1x1 expansion, 3x3 depthwise
# convolution with groups=channels, 1x1 projection, ReLU6 and a residual when shapes allow), a MobileNetV3-style
# squeeze-and-excitation (AdaptiveAvgPool2d, Hardsigmoid) with Hardswish, BatchNorm2d, a Dropout-free classifier,
# RMSprop as the MobileNet papers train, ExponentialLR. Images, labels and weights come from NumPy's generator and
# batches are not shuffled, so both frameworks take the same steps.
# compare: close rtol=2e-3 atol=1e-4
# expect: train accuracy >= 0.8
import argparse

import numpy as np
import torch
import torch.nn as nn


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio, use_se=False, activation=nn.ReLU6):
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers = [nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), activation(inplace=True),
                  nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                  activation(inplace=True)]
        if use_se:
            layers.append(SqueezeExcitation(hidden, max(hidden // 4, 4)))
        layers += [nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class TinyMobileNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish(inplace=True),
            InvertedResidual(8, 8, 1, 2),
            InvertedResidual(8, 12, 2, 3, use_se=True, activation=nn.Hardswish),
            InvertedResidual(12, 12, 1, 3, use_se=True, activation=nn.Hardswish))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(12, 16), nn.Hardswish(inplace=True), nn.Linear(16, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=128)
    ys, xs = np.mgrid[0:16, 0:16] / 16.0
    bases = np.stack([np.sin(6 * xs), np.sin(6 * ys), np.sin(6 * (xs + ys)), np.sin(6 * (xs - ys))])
    images = bases[labels][:, None] * np.array([1.0, 0.7, 0.4])[None, :, None, None]
    images = images + rng.normal(0, 1.5, size=images.shape)
    x, y = torch.from_numpy(images.astype(np.float32)), torch.from_numpy(labels)

    model = TinyMobileNet()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.from_numpy(rng.normal(0, (2 / fan_in) ** 0.5, size=tuple(m.weight.shape))
                                                .astype(np.float32)))
                if m.bias is not None:
                    m.bias.zero_()
    print(model.features[4].conv[3], model.features[4].conv[6])
    print("parameters:", sum(p.numel() for p in model.parameters()))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=3e-3, alpha=0.9, eps=1e-3, momentum=0.9,
                                    weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, correct = 0.0, 0
        for i in range(0, len(x), args.batch_size):
            optimizer.zero_grad()
            out = model(x[i:i + args.batch_size])
            loss = criterion(out, y[i:i + args.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item()
            correct += (out.argmax(1) == y[i:i + args.batch_size]).sum().item()
        scheduler.step()
        print(f"epoch {epoch}: loss {total / (len(x) // args.batch_size):.5f} acc {correct / len(x):.3f}")
    print(f"train accuracy: {correct / len(x):.3f}")
    model.eval()
    with torch.no_grad():
        print(f"final loss: {criterion(model(x), y).item():.5f}")


if __name__ == "__main__":
    main()
