"""Small synthetic problems: XOR, n-bit parity, two spirals, a noisy sine.

Each is a ``TensorDataset`` of float32 features; targets are float32 (N, 1)
for XOR, parity and the sine, int64 class labels for the spirals.

>>> x, t = xor().tensors
>>> x.tolist(), t.flatten().tolist()
([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
>>> len(parity(3)), spirals(n=10).tensors[1].tolist()
(8, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
"""
import numpy

from backprop.checks import check_int
from backprop.data.dataset import TensorDataset
from backprop.tensor import Tensor


def _dataset(features, targets):
    return TensorDataset(Tensor._make(numpy.ascontiguousarray(features, dtype=numpy.float32)), Tensor._make(targets))


def parity(n_bits):
    """All 2^n bit vectors x (row i is i in binary, most significant bit first), t = (sum_j x_j) mod 2."""
    n_bits = check_int("parity n_bits", n_bits, at_least=1)
    if n_bits > 24:
        raise ValueError(f"parity n_bits must be <= 24 (2^n_bits rows), got {n_bits}")
    rows = numpy.arange(2**n_bits)[:, None]
    bits = (rows >> numpy.arange(n_bits - 1, -1, -1)) & 1
    return _dataset(bits, (bits.sum(axis=1, keepdims=True) % 2).astype(numpy.float32))


def xor():
    """The four points of XOR: x in {0, 1}^2, t = x1 XOR x2 (2-bit parity), targets shaped (4, 1)."""
    return parity(2)


def spirals(n=200, noise=0.0, seed=0):
    """Two interleaved spirals in [-1, 1]^2 (after Lang and Witbrock's 1988 benchmark), n points in all.

    Class 0: r (cos 3 pi r, sin 3 pi r) for r evenly spaced in [0.1, 1]
    (one and a half turns); class 1 is class 0 turned by pi. Gaussian noise of
    standard deviation ``noise`` is added to every coordinate.
    """
    n = check_int("spirals n", n, at_least=2)
    sizes = (n - n // 2, n // 2)
    points = []
    for label, size in enumerate(sizes):
        r = numpy.linspace(0.1, 1.0, size)
        angle = 3 * numpy.pi * r + numpy.pi * label
        points.append(numpy.stack([r * numpy.cos(angle), r * numpy.sin(angle)], axis=1))
    x = numpy.concatenate(points)
    if noise:
        x = x + noise * numpy.random.default_rng(seed).standard_normal(x.shape)
    labels = numpy.repeat(numpy.arange(2, dtype=numpy.int64), sizes)
    return _dataset(x, labels)


def sine(n=256, noise=0.0, seed=0):
    """n points x uniform in [-pi, pi], t = sin x + noise * N(0, 1); both shaped (n, 1)."""
    n = check_int("sine n", n, at_least=1)
    rng = numpy.random.default_rng(seed)
    x = rng.uniform(-numpy.pi, numpy.pi, size=(n, 1))
    t = numpy.sin(x) + (noise * rng.standard_normal(x.shape) if noise else 0.0)
    return _dataset(x, t.astype(numpy.float32))
