"""The 8x8 handwritten digits, shipped with backprop: 1,797 images, offline, NumPy only.

The data is "Optical Recognition of Handwritten Digits" by E. Alpaydin and
C. Kaynak (1998), from the UCI Machine Learning Repository
(https://doi.org/10.24432/C50P49), licensed CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/): its test set (optdigits.tes),
the same 1,797 images that scikit-learn's ``load_digits`` returns. backprop
stores them unchanged as uint8 arrays in ``digits.npz`` next to this file
(about 45 KB), written once from scikit-learn's copy by
``tools/make_digits.py``; every load checks their SHA-256.

Each image is 8x8 pixels with values 0..16 (counts of set pixels in 4x4
blocks of a 32x32 bitmap), scaled here to [0, 1]. Train and test are a
stratified split by class, fixed by ``seed``. ``Resize(16)`` makes 16x16
digits as in LeCun 1989.

>>> train, test = digits(), digits(train=False)
>>> len(train), len(test)
(1437, 360)
>>> image, label = train[0]
>>> image.shape, label.dtype
(backprop.Size([1, 8, 8]), backprop.int64)
"""
import functools
import hashlib
import math
import pathlib
import zipfile
import zlib

import numpy

from backprop.data.datasets.image import ImageDataset

CLASSES = [str(d) for d in range(10)]
PATH = pathlib.Path(__file__).with_name("digits.npz")
# SHA-256 of the pixel bytes (1797, 8, 8) uint8 followed by the label bytes (1797,) uint8, as tools/make_digits.py
# prints it: the arrays, not the zip file, so that the check does not depend on how the archive was compressed
SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


def _read(path):
    """(images (N, 8, 8) uint8, labels (N,) uint8) from the .npz at path, refused in one line unless they are intact."""
    damaged = f"the digits data {path} is damaged; reinstall backprop"
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except FileNotFoundError:
        raise FileNotFoundError(f"the digits data {path} is missing; reinstall backprop") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:  # cut short, ...
        raise ValueError(f"{damaged} ({error})") from None
    if images.dtype != numpy.uint8 or labels.dtype != numpy.uint8 or images.shape != (1797, 8, 8) \
            or labels.shape != (1797,):
        raise ValueError(f"{damaged} (arrays {images.dtype} {images.shape} and {labels.dtype} {labels.shape}, "
                         f"expected uint8 (1797, 8, 8) and uint8 (1797,))")
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    if digest != SHA256:
        raise ValueError(f"{damaged} (SHA-256 {digest[:16]}..., expected {SHA256[:16]}...)")
    return images, labels


@functools.lru_cache(maxsize=1)
def _load():
    """All 1,797 images (N, 1, 8, 8) uint8 in 0..16 and their labels (N,) int64."""
    images, labels = _read(PATH)
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
    """The 8x8 digits (UCI optdigits' test set): images (1, 8, 8) in [0, 1] (value / 16), labels 0..9."""
    if not 0 <= test_fraction < 1:
        raise ValueError(f"digits test_fraction must be in [0, 1), got {test_fraction}")
    images, labels = _load()
    train_indices, test_indices = stratified_split(labels, test_fraction, seed)
    chosen = train_indices if train else test_indices
    return ImageDataset("digits", images[chosen], labels[chosen], CLASSES, train, transform, scale=16)
