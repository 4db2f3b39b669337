"""Ready-made datasets: digits, MNIST, Fashion-MNIST, CIFAR-10 and synthetic problems.

The registry serves the command line: ``names()``, ``info(name)`` (a small
record: shape, classes, whether it works offline) and ``get(name, ...)``.

>>> info("digits").input_shape, info("mnist").offline
((1, 8, 8), False)
>>> len(get("digits", train=False))
360
"""
import dataclasses

from backprop.data.datasets.cifar10 import CLASSES as CIFAR10_CLASSES, cifar10
from backprop.data.datasets.digits import CLASSES as DIGITS_CLASSES, digits
from backprop.data.datasets.idx import FASHION_CLASSES, MNIST_CLASSES, fashion_mnist, mnist
from backprop.data.datasets.image import ImageDataset
from backprop.data.datasets.synthetic import parity, sine, spirals, xor

__all__ = ["ImageDataset", "cifar10", "digits", "fashion_mnist", "mnist", "parity", "sine", "spirals", "xor",
           "DatasetInfo", "get", "info", "names"]


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What the command line needs to know before loading: num_classes None means real-valued targets."""

    name: str
    description: str
    input_shape: tuple
    num_classes: int | None
    classes: tuple
    offline: bool


def _files(function):
    return lambda train, root, download, transform: function(root=root, train=train, download=download,
                                                             transform=transform)


def _synthetic(function, **options):
    """Synthetic sets take no files; the test split is drawn with another seed (so it needs noise, or other points)."""

    def load(train, root, download, transform):
        if transform is not None:
            raise ValueError(f"{function.__name__} takes no transform (its samples are feature vectors)")
        return function(seed=0 if train else 1, **options)

    return load


_REGISTRY = {
    "digits": (DatasetInfo("digits", "UCI's 8x8 handwritten digits (1,797 images, shipped)", (1, 8, 8), 10,
                           tuple(DIGITS_CLASSES), True),
               lambda train, root, download, transform: digits(train=train, transform=transform)),
    "mnist": (DatasetInfo("mnist", "MNIST handwritten digits (60,000 + 10,000)", (1, 28, 28), 10,
                          tuple(MNIST_CLASSES), False), _files(mnist)),
    "fashion_mnist": (DatasetInfo("fashion_mnist", "Fashion-MNIST clothing images (60,000 + 10,000)", (1, 28, 28),
                                  10, tuple(FASHION_CLASSES), False), _files(fashion_mnist)),
    "cifar10": (DatasetInfo("cifar10", "CIFAR-10 colour images (50,000 + 10,000)", (3, 32, 32), 10,
                            tuple(CIFAR10_CLASSES), False), _files(cifar10)),
    # noise, so that the test split (seed 1) is not the training points again
    "spirals": (DatasetInfo("spirals", "two interleaved spirals in the plane (200 points, noise 0.03)", (2,), 2,
                            ("0", "1"), True), _synthetic(spirals, noise=0.03)),
    "sine": (DatasetInfo("sine", "y = sin x on [-pi, pi] (256 points, regression)", (1,), None, (), True),
             _synthetic(sine)),
}


def names():
    """The registered dataset names."""
    return list(_REGISTRY)


def _entry(name):
    if name not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def info(name):
    """The ``DatasetInfo`` of a registered dataset (loads nothing)."""
    return _entry(name)[0]


def get(name, train=True, root=None, download=False, transform=None):
    """Load a registered dataset by name."""
    return _entry(name)[1](train, root, download, transform)
