"""The multilayer perceptron: fully connected layers with a nonlinearity between them."""
import math

from backprop import nn
from backprop.models.common import check_activation, check_arguments, check_dropout, check_size, check_widths
from backprop.models.common import activation as _activation

__all__ = ["mlp"]


def mlp(input_shape=(1, 28, 28), num_classes=10, hidden=(256, 256), activation="relu", dropout=0.0):
    """Multilayer perceptron: y = W^L g(... g(W^1 x + b^1) ...) + b^L on the flattened image.

    ``Flatten``, then for each width in ``hidden``: ``Linear``, the activation
    (relu, tanh, sigmoid, gelu, leaky_relu, elu) and, when ``dropout > 0``,
    ``Dropout(dropout)``; a last ``Linear`` to ``num_classes`` logits. Works on any
    (C, H, W), and on feature vectors (D,); ``hidden=()`` is multinomial logistic regression.

    >>> import backprop as bp
    >>> net = mlp((1, 8, 8), 10, hidden=(32,))
    >>> net
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=64, out_features=32, bias=True)
      (2): ReLU()
      (3): Linear(in_features=32, out_features=10, bias=True)
    )
    >>> net(bp.zeros(2, 1, 8, 8)).shape
    backprop.Size([2, 10])
    """
    input_shape = check_arguments(input_shape, num_classes, "mlp", vector=True)
    widths = check_widths("mlp", "hidden", hidden, empty=True)
    check_activation("mlp", activation)
    dropout = check_dropout("mlp", "dropout", dropout)
    sizes = (math.prod(input_shape), *widths, num_classes)
    check_size("mlp", sum((a + 1) * b for a, b in zip(sizes, sizes[1:])), hidden=hidden)
    layers = [nn.Flatten()]
    width = sizes[0]
    for size in widths:
        layers += [nn.Linear(width, size), _activation(activation, "mlp")]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
