"""The zoo by name, for the command line: ``names()``, ``get(name, ...)``, ``describe()``."""
import collections
import inspect

from backprop import creation
from backprop.models.alexnet import alexnet
from backprop.models.cnn import cnn
from backprop.models.counting import count_parameters
from backprop.models.lecun1989 import lecun1989_net1, lecun1989_net2, lecun1989_net3, lecun1989_net4, lecun1989_net5
from backprop.models.lenet import lenet5
from backprop.models.lstm import lstm
from backprop.models.mlp import mlp
from backprop.models.resnet import resnet
from backprop.models.vgg import vgg

__all__ = ["ModelRow", "describe", "get", "input_shapes", "names"]

ModelRow = collections.namedtuple("ModelRow", ["name", "description", "input_shape", "parameters"])

_DIGITS, _MNIST, _CIFAR, _LECUN = (1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 16, 16)

# name: (factory, one-line description, input shapes it is tested on beyond its default)
_MODELS = {
    "mlp": (mlp, "multilayer perceptron, two hidden layers of 256 ReLU units", (_DIGITS, _CIFAR)),
    "cnn": (cnn, "small CNN: 2 conv 3x3 + BN, max pool, fc 128 (default for digits)", (_MNIST, _CIFAR)),
    "lenet5": (lenet5, "LeNet-5 (LeCun et al. 1998), tanh, average pooling", ((1, 32, 32), _CIFAR)),
    "lecun1989_net1": (lecun1989_net1, "LeCun 1989 Net-1: single layer 256 -> 10", (_DIGITS, _MNIST)),
    "lecun1989_net2": (lecun1989_net2, "LeCun 1989 Net-2: one hidden layer of 12 tanh units", (_DIGITS, _MNIST)),
    "lecun1989_net3": (lecun1989_net3, "LeCun 1989 Net-3: two locally connected hidden layers",
                       (_DIGITS, _MNIST)),
    "lecun1989_net4": (lecun1989_net4, "LeCun 1989 Net-4: shared 8x8 maps, then locally connected",
                       (_DIGITS, _MNIST)),
    "lecun1989_net5": (lecun1989_net5, "LeCun 1989 Net-5: shared weights in both hidden layers",
                       (_DIGITS, _MNIST)),
    "vgg": (vgg, "small VGG: 3 blocks of two 3x3 conv + BN, max pool", (_MNIST, _DIGITS)),
    "resnet": (resnet, "CIFAR ResNet-20 (depth=6n+2), BasicBlocks, global average pooling", (_MNIST, _DIGITS)),
    "alexnet": (alexnet, "small AlexNet: 5 conv, 3 max pools, 3 fc with dropout", (_MNIST, _DIGITS)),
    "lstm": (lstm, "LSTM reading the image row by row, 128 hidden units", (_DIGITS, _CIFAR)),
}


def names():
    """The names ``get`` knows, in the zoo's order.

    >>> names()[:3]
    ['mlp', 'cnn', 'lenet5']
    """
    return list(_MODELS)


def _entry(name):
    if not isinstance(name, str):
        raise TypeError(f"a model name must be a str, got {type(name).__name__}")
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(_MODELS)}")
    return _MODELS[name]


def _defaults(factory):
    return {k: p.default for k, p in inspect.signature(factory).parameters.items()}


def input_shapes(name):
    """The (C, H, W) shapes model ``name`` is built and tested for, its default first.

    >>> input_shapes("cnn")
    [(1, 8, 8), (1, 28, 28), (3, 32, 32)]
    """
    factory, _, others = _entry(name)
    return [tuple(_defaults(factory)["input_shape"]), *others]


def get(name, input_shape=None, num_classes=None, **options):
    """Build model ``name`` for images of ``input_shape`` (C, H, W) and ``num_classes`` outputs
    (None: the model's default); ``options`` go to its factory (e.g. ``depth=8`` for resnet).

    >>> import backprop as bp
    >>> get("resnet", (1, 28, 28), 5, depth=8)(bp.zeros(2, 1, 28, 28)).shape
    backprop.Size([2, 5])
    """
    factory, _, _ = _entry(name)
    defaults = _defaults(factory)
    unknown = sorted(set(options) - set(defaults) - {"input_shape", "num_classes"})
    if unknown:
        known = [k for k in defaults if k not in ("input_shape", "num_classes")]
        raise TypeError(f"model {name!r} has no option {', '.join(map(repr, unknown))}; "
                        f"its options are: {', '.join(known) or 'none'}")
    input_shape = defaults["input_shape"] if input_shape is None else tuple(input_shape)
    num_classes = defaults["num_classes"] if num_classes is None else num_classes
    return factory(input_shape=input_shape, num_classes=num_classes, **options)


def describe():
    """One ``ModelRow(name, description, input_shape, parameters)`` per model, built with its defaults
    (what ``backprop models`` prints). Building them draws no numbers from backprop's generator
    that a later draw would miss: its state is restored.

    >>> describe()[0].name, describe()[0].input_shape
    ('mlp', (1, 28, 28))
    """
    rows, state = [], creation.get_rng_state()
    try:
        for name, (factory, description, _) in _MODELS.items():
            shape = tuple(_defaults(factory)["input_shape"])
            rows.append(ModelRow(name, description, shape, count_parameters(get(name))))
    finally:
        creation.set_rng_state(state)
    return rows
