"""The default convolutional network of ``backprop train``: two 3x3 convolutions, one pooling, two fc layers."""
from backprop import nn
from backprop.models.common import (
    check_arguments, check_dropout, check_flag, check_size, check_width, check_widths, conv_weights,
    features_then_classifier,
)

__all__ = ["cnn"]


def cnn(input_shape=(1, 8, 8), num_classes=10, channels=(32, 64), hidden=128, batch_norm=True, dropout=0.5,
        conv_dropout=0.25):
    """Small CNN for digit-sized images (the default model for the 8x8 ``digits``).

    The Keras MNIST example's design (conv 32, conv 64, max pool, dropout, fc 128,
    dropout, fc) with "same" padding so that an 8x8 image keeps its size until the
    one pooling, and batch normalisation after each convolution:

    ``features``: for each width c in ``channels``: Conv2d(3x3, padding 1) ->
    [BatchNorm2d(c)] -> ReLU; then MaxPool2d(2) -> Dropout(conv_dropout).
    ``classifier`` (after ``flatten``): Linear(c_last (H/2)(W/2), hidden) -> ReLU ->
    Dropout(dropout) -> Linear(hidden, num_classes).

    A convolution followed by batch norm has no bias (the norm's shift takes its
    place). For (1, 8, 8) and 10 classes: 288 + 64 + 18,432 + 128 + 131,200 + 1,290
    = 151,402 parameters; 28x28 and 32x32 inputs work the same way (a wider first
    fc layer).

    >>> import backprop as bp
    >>> net = cnn()
    >>> net(bp.zeros(2, 1, 8, 8)).shape, sum(p.numel() for p in net.parameters())
    (backprop.Size([2, 10]), 151402)
    """
    channels_in, height, width = check_arguments(input_shape, num_classes, "cnn")
    if height < 2 or width < 2:
        raise ValueError(f"cnn: input_shape {tuple(input_shape)} is too small for the 2x2 max pooling")
    widths = check_widths("cnn", "channels", channels)
    hidden = check_width("cnn", "hidden", hidden)
    check_flag("cnn", "batch_norm", batch_norm)
    dropout, conv_dropout = check_dropout("cnn", "dropout", dropout), check_dropout("cnn", "conv_dropout", conv_dropout)
    fc = (widths[-1] * (height // 2) * (width // 2) + num_classes) * hidden
    check_size("cnn", conv_weights((channels_in, *widths)) + fc, channels=channels, hidden=hidden)
    layers = []
    for channels_out in widths:
        layers.append(nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(channels_out))
        layers.append(nn.ReLU())
        channels_in = channels_out
    layers += [nn.MaxPool2d(2), nn.Dropout(conv_dropout)]
    classifier = nn.Sequential(nn.Linear(channels_in * (height // 2) * (width // 2), hidden), nn.ReLU(),
                               nn.Dropout(dropout), nn.Linear(hidden, num_classes))
    return features_then_classifier(nn.Sequential(*layers), classifier)
