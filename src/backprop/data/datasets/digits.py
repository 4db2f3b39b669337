"""The 8x8 handwritten digits that scikit-learn ships (UCI optdigits test set): 1,797 images, offline.

Each image is 8x8 pixels with values 0..16 (counts of set pixels in 4x4
blocks of a 32x32 bitmap), scaled here to [0, 1]. The file is read straight
from scikit-learn's installed ``datasets/data/digits.csv.gz`` (importing
sklearn itself takes seconds); train and test are a stratified split by
class, fixed by ``seed``. ``Resize(16)`` makes 16x16 digits as in LeCun 1989.

>>> train, test = digits(), digits(train=False)
>>> len(train), len(test)
(1437, 360)
>>> image, label = train[0]
>>> image.shape, label.dtype
(backprop.Size([1, 8, 8]), backprop.int64)
"""
import functools
import importlib.util
import math
import pathlib

import numpy

from backprop.data.datasets.image import ImageDataset

CLASSES = [str(d) for d in range(10)]
MISSING = ("digits() needs scikit-learn, which ships the data: "
           "pip install scikit-learn (or pip install backprop[digits])")


def _csv_path():
    """scikit-learn's digits.csv.gz, found without importing sklearn; None if sklearn is there without it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(MISSING)
    for location in spec.submodule_search_locations:
        path = pathlib.Path(location, "datasets", "data", "digits.csv.gz")
        if path.exists():
            return path
    return None


@functools.lru_cache(maxsize=1)
def _load():
    """All 1,797 images (N, 1, 8, 8) uint8 in 0..16 and their labels."""
    path = _csv_path()
    if path is not None:
        table = numpy.loadtxt(path, delimiter=",", dtype=numpy.uint8)
        images, labels = table[:, :-1], table[:, -1]
    else:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images, labels = bunch.data.astype(numpy.uint8), bunch.target
    images = images.reshape(-1, 1, 8, 8)
    images.setflags(write=False)
    return images, labels.astype(numpy.int64)


def stratified_split(labels, test_fraction, seed):
    """(train, test) sorted index arrays; each class gives its share of ceil(test_fraction N) test samples.

    Shares are n_c ceil(f N) / N rounded down, and the leftover goes to the
    classes with the largest remainders (ties to the smaller class label).
    """
    rng = numpy.random.default_rng(seed)
    classes, counts = numpy.unique(labels, return_counts=True)
    n_test = math.ceil(test_fraction * len(labels))
    exact = counts * n_test / len(labels)
    shares = numpy.floor(exact).astype(numpy.int64)
    leftover = n_test - shares.sum()
    shares[numpy.argsort(-(exact - shares), kind="stable")[:leftover]] += 1
    test = [rng.permutation(numpy.flatnonzero(labels == c))[:k] for c, k in zip(classes, shares)]
    test = numpy.sort(numpy.concatenate(test))
    train = numpy.setdiff1d(numpy.arange(len(labels)), test)
    return train, test


def digits(train=True, test_fraction=0.2, seed=0, transform=None):
    """scikit-learn's 8x8 digits: images (1, 8, 8) in [0, 1] (value / 16), labels 0..9."""
    if not 0 <= test_fraction < 1:
        raise ValueError(f"digits test_fraction must be in [0, 1), got {test_fraction}")
    images, labels = _load()
    train_indices, test_indices = stratified_split(labels, test_fraction, seed)
    chosen = train_indices if train else test_indices
    return ImageDataset("digits", images[chosen], labels[chosen], CLASSES, train, transform, scale=16)
