"""What every factory of the zoo shares: argument checks, activations by name, output sizes."""
import collections

from backprop import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def check_input_shape(input_shape, model, vector=False):
    """``input_shape`` as a tuple (C, H, W) of positive ints (or, with ``vector``, also (D,): a model that flattens
    its input takes feature vectors too), or a clear error naming ``model``.

    >>> check_input_shape([1, 8, 8], "cnn"), check_input_shape([2], "mlp", vector=True)
    ((1, 8, 8), (2,))
    """
    lengths = (1, 3) if vector else (3,)
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) not in lengths
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_shape)):
        expected = "(C, H, W) or (D,)" if vector else "(C, H, W), three positive ints"
        raise ValueError(f"{model}: input_shape must be {expected}, got {input_shape!r}")
    return tuple(input_shape)


def check_num_classes(num_classes, model):
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"{model}: num_classes must be a positive int, got {num_classes!r}")
    return num_classes


def check_arguments(input_shape, num_classes, model, vector=False):
    """The two arguments every factory takes, checked; returns (C, H, W) (or (D,), with ``vector``).

    >>> check_arguments((3, 32, 32), 10, "vgg")
    (3, 32, 32)
    """
    check_num_classes(num_classes, model)
    return check_input_shape(input_shape, model, vector)


def activation(name, model):
    """A fresh activation module by name: relu, tanh, sigmoid, gelu, leaky_relu, elu.

    >>> activation("tanh", "mlp")
    Tanh()
    """
    if name not in _ACTIVATIONS:
        raise ValueError(f"{model}: activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
    return _ACTIVATIONS[name]()


def conv_output_size(size, kernel_size, stride=1, padding=0):
    """floor((size + 2 padding - kernel_size) / stride) + 1, the side of a convolution's or pooling's output.

    >>> conv_output_size(28, 5, padding=2), conv_output_size(28, 2, stride=2)
    (28, 14)
    """
    return (size + 2 * padding - kernel_size) // stride + 1


def check_feature_size(height, width, model, input_shape):
    """Raise when the layers shrank the input to nothing (the input is too small for the model)."""
    if height < 1 or width < 1:
        raise ValueError(f"{model}: input_shape {tuple(input_shape)} is too small: the feature maps shrink to "
                         f"{height}x{width}")


def features_then_classifier(features, classifier):
    """Sequential(features, flatten, classifier): torchvision's layout, state-dict keys "features.0.weight",
    "classifier.1.weight" (``Flatten`` holds no state).

    >>> features_then_classifier(nn.Sequential(nn.ReLU()), nn.Sequential(nn.Linear(4, 2))).flatten
    Flatten(start_dim=1, end_dim=-1)
    """
    return nn.Sequential(collections.OrderedDict(features=features, flatten=nn.Flatten(), classifier=classifier))
