"""Residual networks for 32x32 images (He, Zhang, Ren, Sun 2016, section 4.2: ResNet-20, -32, ...)."""
from backprop import nn
from backprop.checks import check_int
from backprop.models.common import check_arguments, check_size

__all__ = ["BasicBlock", "ResNet", "resnet"]


def _conv3x3(channels_in, channels_out, stride=1):
    return nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """y = relu(F(x) + shortcut(x)), F = conv 3x3 -> BN -> relu -> conv 3x3 -> BN.

    The shortcut is the identity when the shape is kept, else ``downsample``: a
    1x1 convolution with the block's stride and BN (the paper's option B).
    Names as torchvision's: conv1, bn1, conv2, bn2, downsample.0/.1.

    >>> import backprop as bp
    >>> BasicBlock(16, 32, stride=2)(bp.zeros(2, 16, 8, 8)).shape
    backprop.Size([2, 32, 4, 4])
    """

    def __init__(self, channels_in, channels_out, stride=1):
        super().__init__()
        self.conv1 = _conv3x3(channels_in, channels_out, stride)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = _conv3x3(channels_out, channels_out)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.downsample = None
        if stride != 1 or channels_in != channels_out:
            self.downsample = nn.Sequential(nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(channels_out))

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return (out + shortcut).relu()


class ResNet(nn.Module):
    """conv 3x3 -> BN -> relu -> layer1, layer2, layer3 (``blocks`` BasicBlocks each, 16, 32, 64
    channels, the last two starting with stride 2) -> global average pooling -> fc."""

    def __init__(self, channels_in, num_classes, blocks, widths=(16, 32, 64)):
        super().__init__()
        self.conv1 = _conv3x3(channels_in, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        channels = widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            layer = [BasicBlock(channels, width, stride)] + [BasicBlock(width, width) for _ in range(blocks - 1)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*layer))
            channels = width
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        self.num_layers = len(widths)
        for module in self.modules():  # He et al.'s initialisation, as torchvision's ResNet
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.bn1(self.conv1(x)).relu()
        for index in range(self.num_layers):
            x = getattr(self, f"layer{index + 1}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet(input_shape=(3, 32, 32), num_classes=10, depth=20):
    """CIFAR ResNet of ``depth`` = 6n + 2 weighted layers (8, 14, 20, 32, 44, 56, 110): n BasicBlocks
    per stage, projection (1x1 conv + BN) shortcuts where the shape changes.

    Global average pooling makes it work for any input size (28x28, 8x8, ...).
    ResNet-20 on 3x32x32 has 272,474 parameters, 2,752 of them in the two projection
    shortcuts; the paper's option A (zero-padded identity shortcuts) has none, hence
    its 0.27M.

    >>> import backprop as bp
    >>> resnet(depth=8)(bp.zeros(2, 3, 32, 32)).shape
    backprop.Size([2, 10])
    """
    channels, _, _ = check_arguments(input_shape, num_classes, "resnet")
    check_int("resnet: depth", depth)
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"resnet: depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, ...), got {depth!r}")
    blocks = (depth - 2) // 6
    check_size("resnet", _weights(channels, num_classes, blocks), depth=depth)
    return ResNet(channels, num_classes, blocks)


def _weights(channels_in, num_classes, blocks, widths=(16, 32, 64)):
    """The weights of ``ResNet(channels_in, num_classes, blocks, widths)`` but for batch norm's (1% of them),
    counted without building it."""
    count, previous = 9 * channels_in * widths[0], widths[0]
    for width in widths:  # a stage: its first block's conv from ``previous`` and shortcut, then 2 blocks - 1 convs
        shortcut = previous * width if previous != width else 0
        count += 9 * previous * width + shortcut + (2 * blocks - 1) * 9 * width * width
        previous = width
    return count + (previous + 1) * num_classes
