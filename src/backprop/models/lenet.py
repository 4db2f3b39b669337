"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998), with parameter-free pooling and full C3 connections."""
from backprop import nn
from backprop.checks import check_int
from backprop.models.common import activation as _activation
from backprop.models.common import (
    check_activation, check_arguments, check_choice, check_feature_size, check_size, conv_output_size,
    features_then_classifier,
)

__all__ = ["lenet5"]

_POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


def lenet5(input_shape=(1, 28, 28), num_classes=10, activation="tanh", pool="avg", padding=None):
    """LeNet-5: C1 conv 6@5x5 -> S2 pool 2 -> C3 conv 16@5x5 -> S4 pool 2 -> F5 fc 120 -> F6 fc 84 -> fc 10.

    ``padding=None`` pads C1 by 2 when the image is smaller than 32x32, so that a
    28x28 MNIST digit gives 28x28 C1 maps, as the paper's 32x32 input (the 28x28
    image with a 2-pixel border) did; a 32x32 input is not padded.

    Units are tanh by default, as in the paper (it used 1.7159 tanh(2a/3); plain
    tanh differs only by that scaling): the zoo keeps the historical network, and
    ``activation="relu", pool="max"`` gives the modern variant. Unlike the paper,
    subsampling has no trainable coefficient and bias (average or max pooling), C3
    sees all six S2 maps (the paper's sparse table is a 1998 economy) and the output
    is a linear layer of logits instead of RBF units. For 1x28x28 and 10 classes:
    156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.

    >>> import backprop as bp
    >>> net = lenet5()
    >>> net(bp.zeros(2, 1, 28, 28)).shape, sum(p.numel() for p in net.parameters())
    (backprop.Size([2, 10]), 61706)
    """
    channels, height, width = check_arguments(input_shape, num_classes, "lenet5")
    check_activation("lenet5", activation)
    check_choice("lenet5", "pool", pool, _POOLS)
    if padding is None:
        padding = 2 if min(height, width) < 32 else 0
    padding = check_int("lenet5: padding", padding, at_least=0)
    sizes = []
    for side in (height, width):
        side = conv_output_size(side, 5, padding=padding) // 2  # C1, S2
        sizes.append(max(conv_output_size(side, 5), 0) // 2)  # C3, S4
    check_feature_size(*sizes, "lenet5", input_shape)
    # C1, C3, F5, F6 and the output layer, each with its biases
    fc5 = (16 * sizes[0] * sizes[1] + 1) * 120
    check_size("lenet5", (25 * channels + 1) * 6 + 2416 + fc5 + 10164 + 85 * num_classes, padding=padding)
    features = nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=padding), _activation(activation, "lenet5"), _POOLS[pool](2),
        nn.Conv2d(6, 16, 5), _activation(activation, "lenet5"), _POOLS[pool](2),
    )
    classifier = nn.Sequential(
        nn.Linear(16 * sizes[0] * sizes[1], 120), _activation(activation, "lenet5"),
        nn.Linear(120, 84), _activation(activation, "lenet5"),
        nn.Linear(84, num_classes),
    )
    return features_then_classifier(features, classifier)
