"""A small AlexNet (Krizhevsky, Sutskever, Hinton 2012) for 32x32 images."""
from backprop import nn
from backprop.models.common import (
    check_arguments, check_dropout, check_feature_size, check_size, check_width, check_widths, conv_weights,
    features_then_classifier,
)

__all__ = ["alexnet"]


def alexnet(input_shape=(3, 32, 32), num_classes=10, channels=(48, 128, 192, 192, 128), hidden=512, dropout=0.5):
    """AlexNet's design at CIFAR scale: five convolutions with ReLU, three max poolings, three fc layers
    with dropout before the first two.

    ``features``: conv 5x5 (padding 2) -> ReLU -> pool, conv 3x3 -> ReLU -> pool,
    conv 3x3 -> ReLU, conv 3x3 -> ReLU, conv 3x3 -> ReLU -> pool (3x3 convolutions
    padded by 1, pools MaxPool2d(2): 32 -> 16 -> 8 -> 4). ``classifier``: Dropout ->
    Linear(c h w, hidden) -> ReLU -> Dropout -> Linear(hidden, hidden) -> ReLU ->
    Linear(hidden, num_classes), torchvision's order. The default widths are half of
    the paper's 96, 256, 384, 384, 256 and its 11x11 stride-4 first layer, meant for
    224x224 images, becomes 5x5 stride 1; 28x28 and 8x8 inputs work too.

    >>> import backprop as bp
    >>> alexnet()(bp.zeros(2, 3, 32, 32)).shape
    backprop.Size([2, 10])
    """
    channels_in, height, width = check_arguments(input_shape, num_classes, "alexnet")
    widths = check_widths("alexnet", "channels", channels)
    if len(widths) != 5:
        raise ValueError(f"alexnet: channels must list 5 widths, got {channels!r}")
    hidden = check_width("alexnet", "hidden", hidden)
    dropout = check_dropout("alexnet", "dropout", dropout)
    height, width = height // 8, width // 8  # three 2x2 max poolings
    check_feature_size(height, width, "alexnet", input_shape)
    sizes = (channels_in, *widths)
    convolutions = conv_weights(sizes[:2], taps=25) + conv_weights(sizes[1:])  # the first 5x5, the others 3x3
    check_size("alexnet", convolutions + (widths[-1] * height * width + hidden + num_classes) * hidden,
               channels=channels, hidden=hidden)
    layers = []
    for index, channels_out in enumerate(widths):
        kernel = 5 if index == 0 else 3
        layers += [nn.Conv2d(channels_in, channels_out, kernel, padding=kernel // 2), nn.ReLU()]
        if index in (0, 1, 4):
            layers.append(nn.MaxPool2d(2))
        channels_in = channels_out
    classifier = nn.Sequential(
        nn.Dropout(dropout), nn.Linear(channels_in * height * width, hidden), nn.ReLU(),
        nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )
    return features_then_classifier(nn.Sequential(*layers), classifier)
