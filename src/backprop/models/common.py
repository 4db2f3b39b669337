"""What every factory of the zoo shares: argument checks, activations by name, output sizes.

Every option of a factory is checked before any layer is built: a value of the wrong type is a ``TypeError``, a
value of the right type outside its range a ``ValueError``, in one line that names the model and the option
(``mlp: dropout must be a number in [0, 1), got nan``), as ``backprop.checks`` words them. Widths whose weights
could not be allocated are refused the same way, before allocating (``check_size``).
"""
import collections

from backprop import nn
from backprop import checks

# The most parameters a model of the zoo may have: 2**31 float32 numbers are 8 GiB, before the gradients and the
# optimizer's state; a width that asks for more is a typo (channels=[99999999999]), refused before allocating.
MAX_PARAMETERS = 2 ** 31

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


def check_choice(model, option, value, choices):
    """``value`` if it is one of the str ``choices``; else a TypeError (not a str) or ValueError naming them.

    >>> check_choice("lenet5", "pool", "max", ["avg", "max"])
    'max'
    """
    if not isinstance(value, str):
        raise TypeError(f"{model}: {option} must be one of {sorted(choices)}, got {value!r} "
                        f"({checks.kind_of(value)})")
    if value not in choices:
        raise ValueError(f"{model}: {option} must be one of {sorted(choices)}, got {value!r}")
    return value


def activation(name, model):
    """A fresh activation module by name: relu, tanh, sigmoid, gelu, leaky_relu, elu.

    >>> activation("tanh", "mlp")
    Tanh()
    """
    return _ACTIVATIONS[check_activation(model, name)]()


def check_activation(model, name):
    """An activation's name, checked (one of relu, tanh, sigmoid, gelu, leaky_relu, elu)."""
    return check_choice(model, "activation", name, _ACTIVATIONS)


def check_widths(model, option, value, empty=False):
    """Layer widths as a tuple of ints: one positive int, or a list or tuple of them (non-empty unless ``empty``).

    >>> check_widths("cnn", "channels", [32, 64]), check_widths("mlp", "hidden", 128)
    ((32, 64), (128,))
    >>> check_widths("cnn", "channels", [0, 0])
    Traceback (most recent call last):
    ValueError: cnn: channels must be a non-empty sequence of positive ints, got [0, 0]
    """
    return checks.check_widths(f"{model}: {option}", value, empty=empty)


def check_width(model, option, value):
    """One positive int (a layer's width, a number of layers).

    >>> check_width("cnn", "hidden", 128)
    128
    """
    return checks.check_int(f"{model}: {option}", value, at_least=1)


def check_dropout(model, option, value):
    """A dropout probability: a finite number in [0, 1) (p = 1 would zero every unit).

    >>> check_dropout("mlp", "dropout", 0.5)
    0.5
    """
    return checks.check_number(f"{model}: {option}", value, at_least=0, below=1)


def check_flag(model, option, value):
    """True or False, nothing else (a str "false" is not False).

    >>> check_flag("cnn", "batch_norm", False)
    False
    """
    return checks.check_flag(f"{model}: {option}", value)


def conv_weights(sizes, taps=9):
    """The weights of a stack of convolutions sizes[0] -> sizes[1] -> ..., each with ``taps`` kernel positions
    (3x3 by default), biases left out: what ``check_size`` is given for a factory's convolutions.

    >>> conv_weights([1, 32, 64])  # 9 * 1 * 32 + 9 * 32 * 64
    18720
    """
    return sum(taps * a * b for a, b in zip(sizes, sizes[1:]))


def check_size(model, parameters, **options):
    """Refuse, before allocating, ``options`` that give a model of more than ``MAX_PARAMETERS`` parameters
    (``parameters``: the count, or a lower bound of it, that the factory works out from its options).

    >>> check_size("mlp", 2 ** 40, hidden=[2 ** 20])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: mlp: too large with hidden=[1048576]: about 1,099,511,627,776 parameters, more than the ...
    """
    if parameters > MAX_PARAMETERS:
        given = ", ".join(f"{key}={value!r}" for key, value in options.items())
        raise ValueError(f"{model}: too large with {given}: about {parameters:,} parameters, more than the "
                         f"{MAX_PARAMETERS:,} a model may have")


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
