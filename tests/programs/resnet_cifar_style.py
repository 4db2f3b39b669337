# A small ResNet in the style of CIFAR training scripts: BasicBlock with a 1x1 downsample shortcut, kaiming_normal_
# (fan_out, relu) and constant BatchNorm initialisation, AdaptiveAvgPool2d, SGD with Nesterov momentum and weight
# decay, CosineAnnealingLR, CrossEntropyLoss(label_smoothing=0.1), and augmentation by random flips and random crops
# from a reflection-padded image. The data are 3x16x16 synthetic images of three classes (stripes in one of three
# orientations), made in memory.
# compare: loss rel=0.3
# expect: test accuracy >= 0.8
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def stripes(n, generator):
    labels = torch.randint(0, 3, (n,), generator=generator)
    ys, xs = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    patterns = torch.stack([torch.sin(ys * 1.2), torch.sin(xs * 1.2), torch.sin((xs + ys) * 0.9)])
    phase = torch.rand(n, 1, 1, generator=generator) * 6.28
    images = torch.sin(torch.asin(patterns[labels].clamp(-1, 1)) + phase).unsqueeze(1).repeat(1, 3, 1, 1)
    images = images * torch.tensor([1.0, 0.8, 0.6]).view(1, 3, 1, 1)
    return images + 0.3 * torch.randn(images.shape, generator=generator), labels


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super(BasicBlock, self).__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=3, width=8):
        super(ResNet, self).__init__()
        self.in_planes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(2 * width * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = torch.flatten(self.avgpool(out), 1)
        return self.linear(out)


def augment(images):
    flip = torch.rand(images.size(0)) < 0.5
    images = torch.where(flip.view(-1, 1, 1, 1), images.flip(3), images)
    padded = F.pad(images, (2, 2, 2, 2), mode="reflect")
    i, j = torch.randint(0, 5, (2,)).tolist()
    return padded[:, :, i:i + 16, j:j + 16]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    train_set = TensorDataset(*stripes(256, generator))
    test_x, test_y = stripes(96, generator)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)

    net = ResNet(BasicBlock, [1, 1])
    print("parameters:", sum(p.numel() for p in net.parameters()))
    print(net.layer2[0].shortcut)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    for epoch in range(args.epochs):
        net.train()
        train_loss, correct, total = 0.0, 0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            outputs = net(augment(inputs))
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            train_loss += loss.item()
            correct += outputs.argmax(1).eq(targets).sum().item()
            total += targets.size(0)
        scheduler.step()
        print(f"epoch {epoch}: loss {train_loss / len(loader):.4f} acc {correct / total:.3f} "
              f"lr {scheduler.get_last_lr()[0]:.5f}")
    net.eval()
    with torch.no_grad():
        outputs = net(test_x)
        test_loss = criterion(outputs, test_y).item()
        accuracy = outputs.argmax(1).eq(test_y).float().mean().item()
    print(f"test accuracy: {accuracy:.3f}")
    print(f"final loss: {test_loss:.4f}")


if __name__ == "__main__":
    main()
