"""Image transforms on float32 arrays shaped (C, H, W), or a whole batch (N, C, H, W).

A dataset hands a transform the whole mini-batch at once, so a transform is
one array computation per batch, not a loop over samples. Random transforms
draw from backprop's global generator (``bp.manual_seed``) and give every
sample of a batch its own draw. A transform given a Tensor returns a Tensor;
given an array, an array.

>>> import numpy as np
>>> t = Compose([Normalize([0.5], [0.5]), Resize(4)])
>>> t(np.ones((1, 2, 2), dtype=np.float32)).shape
(1, 4, 4)
"""
import functools

import numpy

from backprop import backend
from backprop import creation
from backprop.tensor import Tensor


class Transform:
    """Base class: subclasses define ``apply(array) -> array`` for (C, H, W) and (N, C, H, W)."""

    batched = True  # takes a batch (N, C, H, W) as well as one image

    def __call__(self, x):
        if isinstance(x, Tensor):
            return Tensor._make(self.apply(x._data))
        return self.apply(x)

    def apply(self, array):
        raise NotImplementedError(f"{type(self).__name__} must define apply")

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def apply_to_batch(transform, images):
    """``transform`` on a batch (N, C, H, W): in one call when it is batched, else sample by sample."""
    if getattr(transform, "batched", False):
        return _array(transform(images))
    xp = backend.array_module(images)
    return xp.stack([xp.asarray(_array(transform(image))) for image in images])


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def _check_image(array, name):
    if array.ndim not in (3, 4):
        raise ValueError(f"{name} expects an image (C, H, W) or a batch (N, C, H, W), got shape {tuple(array.shape)}")


def _batch(array):
    """(N, C, H, W) view of an image or a batch, and a function giving back the input's form."""
    if array.ndim == 3:
        return array[None], lambda out: out[0]
    return array, lambda out: out


class Compose(Transform):
    """Apply ``transforms`` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    @property
    def batched(self):
        return all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class ToTensor(Transform):
    """uint8 images (H, W), (H, W, C) or (C, H, W) (or a batch of them) to float32 (C, H, W) in [0, 1].

    x = pixel / 255. A last axis of 1, 3 or 4 channels (with a longer first
    axis) is read as channels-last; float input is only cast to float32.
    Accepts PIL images too.
    """

    def apply(self, array):
        if not backend.is_array(array):
            array = numpy.asarray(array)  # PIL images, nested lists
        xp = backend.array_module(array)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim in (3, 4) and array.shape[-1] in (1, 3, 4) and array.shape[-3] not in (1, 3, 4):
            array = xp.moveaxis(array, -1, -3)
        _check_image(array, "ToTensor")
        if array.dtype == numpy.uint8:
            return xp.ascontiguousarray(array, dtype=numpy.float32) / numpy.float32(255)
        return xp.ascontiguousarray(array, dtype=numpy.float32)


class Normalize(Transform):
    """Per channel c of an image: x_c <- (x_c - mean_c) / std_c; per feature j of a feature vector (D,) or a batch
    of them (N, D) alike: x_j <- (x_j - mean_j) / std_j.

    >>> Normalize([1.0, -1.0], [2.0, 0.5])(numpy.array([[3.0, 0.0]], dtype=numpy.float32)).tolist()
    [[1.0, 2.0]]
    """

    def __init__(self, mean, std):
        self.mean = tuple(float(m) for m in numpy.atleast_1d(mean))
        self.std = tuple(float(s) for s in numpy.atleast_1d(std))
        if len(self.mean) != len(self.std):
            raise ValueError(f"Normalize needs as many means as stds, got {len(self.mean)} and {len(self.std)}")
        if 0.0 in self.std:
            raise ValueError(f"Normalize needs non-zero stds, got {self.std}")

    def apply(self, array):
        if array.ndim in (1, 2):  # feature vectors: the statistics run along the last axis
            sample, kind, count, shape = "vector", "feature", array.shape[-1], (-1,)
        else:
            _check_image(array, "Normalize")
            sample, kind, count, shape = "image", "channel", array.shape[-3], (-1, 1, 1)
        if len(self.mean) not in (1, count):
            raise ValueError(f"Normalize has {len(self.mean)} {kind} statistics, the {sample} has {count} {kind}s")
        xp = backend.array_module(array)
        mean = xp.asarray(self.mean, dtype=array.dtype).reshape(shape)
        std = xp.asarray(self.std, dtype=array.dtype).reshape(shape)
        return (array - mean) / std


def _random_crops(array, height, width, padding, name):
    """Each image of ``array`` zero-padded by ``padding`` and cropped to (height, width) at its own random place."""
    _check_image(array, name)
    batch, unbatch = _batch(array)
    xp = backend.array_module(batch)
    if padding:
        batch = xp.pad(batch, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, _, full_h, full_w = batch.shape
    if height > full_h or width > full_w:
        raise ValueError(f"{name}: crop ({height}, {width}) is larger than the padded image ({full_h}, {full_w})")
    rng = creation.generator()
    top = xp.asarray(rng.integers(0, full_h - height + 1, size=n))
    left = xp.asarray(rng.integers(0, full_w - width + 1, size=n))
    windows = xp.lib.stride_tricks.sliding_window_view(batch, (height, width), axis=(2, 3))
    return unbatch(windows[xp.arange(n), :, top, left])  # (n, C, height, width)


class RandomCrop(Transform):
    """A random (h, w) crop of the image zero-padded by ``padding`` on each side."""

    def __init__(self, size, padding=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = int(padding)

    def apply(self, array):
        return _random_crops(array, *self.size, self.padding, "RandomCrop")


class RandomShift(Transform):
    """Translate by whole pixels (dy, dx), each uniform in [-max_shift, max_shift]; zeros fill the gap."""

    def __init__(self, max_shift):
        if max_shift < 0:
            raise ValueError(f"RandomShift needs max_shift >= 0, got {max_shift}")
        self.max_shift = int(max_shift)

    def apply(self, array):
        _check_image(array, "RandomShift")
        return _random_crops(array, *array.shape[-2:], self.max_shift, "RandomShift")


@functools.lru_cache(maxsize=64)
def _bilinear_weights(size_in, size_out):
    """(size_out, size_in) matrix of torch's bilinear weights (align_corners=False, no antialiasing).

    Output pixel i samples the input at s = max((i + 1/2) size_in/size_out - 1/2, 0):
    (1 - l) x[floor s] + l x[floor s + 1], l = s - floor s.
    """
    source = numpy.maximum((numpy.arange(size_out) + 0.5) * (size_in / size_out) - 0.5, 0.0)
    low = numpy.minimum(numpy.floor(source).astype(numpy.int64), size_in - 1)
    high = numpy.minimum(low + 1, size_in - 1)
    weight = source - low
    matrix = numpy.zeros((size_out, size_in))
    rows = numpy.arange(size_out)
    numpy.add.at(matrix, (rows, low), 1.0 - weight)
    numpy.add.at(matrix, (rows, high), weight)
    return matrix.astype(numpy.float32)


class Resize(Transform):
    """Bilinear resize to ``size`` (h, w); an int sets the shorter side, keeping the aspect ratio (torchvision).

    As ``torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
    antialias=False)``: y = A_h x A_w^T with the interpolation matrices A.
    """

    def __init__(self, size):
        self.size = size

    def _output_size(self, height, width):
        if not isinstance(self.size, int):
            return tuple(self.size)
        if height <= width:
            return self.size, int(self.size * width / height)
        return int(self.size * height / width), self.size

    def apply(self, array):
        _check_image(array, "Resize")
        height, width = array.shape[-2:]
        out_h, out_w = self._output_size(height, width)
        xp = backend.array_module(array)
        rows = xp.asarray(_bilinear_weights(height, out_h), dtype=array.dtype)
        cols = xp.asarray(_bilinear_weights(width, out_w), dtype=array.dtype)
        return rows @ array @ cols.T


class Flatten(Transform):
    """(C, H, W) -> (C*H*W,), a batch (N, C, H, W) -> (N, C*H*W): the input of a fully connected net."""

    def apply(self, array):
        _check_image(array, "Flatten")
        return array.reshape(-1) if array.ndim == 3 else array.reshape(array.shape[0], -1)


def normalization(dataset, batch_size=1024):
    """Per-channel (mean, std) of a dataset's images, or per-feature of its feature vectors, for
    ``Normalize(*normalization(train))``.

    mean_c = average of x_c over all images and pixels (or all vectors); std_c
    the population standard deviation, sqrt(E[x_c^2] - mean_c^2) (accumulated
    in float64).
    """
    from backprop.data.loader import DataLoader

    total = squares = None
    count = 0
    for batch in DataLoader(dataset, batch_size=batch_size):
        images = _array(batch[0] if isinstance(batch, (tuple, list)) else batch)  # a list: default_collate's
        if images.ndim != 2:  # a batch of feature vectors (N, D) needs no check
            _check_image(images[0], "normalization")
        images = images.astype(numpy.float64)
        axes = (0, *range(2, images.ndim))  # all but the channel (or feature) axis
        sums, sum_squares = images.sum(axis=axes), (images * images).sum(axis=axes)
        total = sums if total is None else total + sums
        squares = sum_squares if squares is None else squares + sum_squares
        count += images.size // images.shape[1]
    mean = total / count
    xp = backend.array_module(mean)
    std = xp.sqrt(xp.maximum(squares / count - mean * mean, 0.0))
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)
