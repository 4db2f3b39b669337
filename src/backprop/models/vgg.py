"""A small VGG (Simonyan and Zisserman 2015): stacks of 3x3 convolutions between 2x2 max poolings."""
from backprop import nn
from backprop.models.common import (
    check_arguments, check_dropout, check_feature_size, check_flag, check_size, check_width, conv_weights,
    features_then_classifier,
)

__all__ = ["vgg"]


def vgg(input_shape=(3, 32, 32), num_classes=10, config=(32, 32, "M", 64, 64, "M", 128, 128, "M"),
        batch_norm=True, hidden=256, dropout=0.5):
    """VGG-style network: ``config`` lists the ``features``, an int c for Conv2d(3x3, padding 1) to c
    channels -> [BatchNorm2d(c)] -> ReLU, "M" for MaxPool2d(2); the ``classifier`` is
    Linear(c h w, hidden) -> ReLU -> Dropout(dropout) -> Linear(hidden, num_classes).

    VGG's point: two stacked 3x3 convolutions see a 5x5 field (three a 7x7 one) with
    fewer weights and more nonlinearities. The default is VGG-16's pattern of
    doubling widths, cut to three blocks for 32x32 images (32 -> 16 -> 8 -> 4);
    28x28 (-> 3x3) and 8x8 (-> 1x1) inputs work too. As in torchvision's
    ``vgg11_bn``, a convolution before batch norm keeps its bias.

    >>> import backprop as bp
    >>> vgg()(bp.zeros(2, 3, 32, 32)).shape
    backprop.Size([2, 10])
    """
    channels, height, width = check_arguments(input_shape, num_classes, "vgg")
    _check_config(config)
    check_flag("vgg", "batch_norm", batch_norm)
    hidden = check_width("vgg", "hidden", hidden)
    dropout = check_dropout("vgg", "dropout", dropout)
    widths = [channels] + [item for item in config if item != "M"]
    height, width = height >> config.count("M"), width >> config.count("M")  # each "M" halves, rounding down
    check_feature_size(height, width, "vgg", input_shape)
    check_size("vgg", conv_weights(widths) + (widths[-1] * height * width + num_classes) * hidden, config=config,
               hidden=hidden)
    layers = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
            continue
        layers.append(nn.Conv2d(channels, item, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU())
        channels = item
    classifier = nn.Sequential(nn.Linear(channels * height * width, hidden), nn.ReLU(), nn.Dropout(dropout),
                               nn.Linear(hidden, num_classes))
    return features_then_classifier(nn.Sequential(*layers), classifier)


def _check_config(config):
    words = "a list of positive ints and 'M'"
    if not isinstance(config, (list, tuple)) or not all(
            item == "M" or (isinstance(item, int) and not isinstance(item, bool)) for item in config):
        raise TypeError(f"vgg: config must be {words}, got {config!r}")
    if not all(item == "M" or item >= 1 for item in config):
        raise ValueError(f"vgg: config must be {words}, got {config!r}")
