"""ImageDataset: labelled images held as one array, served a batch at a time.

``data`` holds the images as stored (uint8 pixels for MNIST and CIFAR-10),
shaped (N, C, H, W); a sample is the float32 image x = data[i] / scale in
[0, 1] (after ``transform``) and its int64 label. ``__getitems__`` builds a
whole batch with one fancy-indexing call and applies the transform to the
batch at once.

>>> import numpy as np
>>> ds = ImageDataset("toy", np.full((3, 1, 2, 2), 255, np.uint8), np.arange(3), ["a", "b", "c"])
>>> image, label = ds[2]
>>> image.shape, image.dtype, label.item()
(backprop.Size([1, 2, 2]), backprop.float32, 2)
"""
import operator

import numpy

from backprop.data.dataset import Dataset
from backprop.data.transforms import apply_to_batch
from backprop.tensor import Tensor


class ImageDataset(Dataset):
    """(image, label) pairs: float32 (C, H, W) in [0, 1] and an int64 scalar."""

    def __init__(self, name, data, targets, classes, train=True, transform=None, scale=255):
        data, targets = numpy.asarray(data), numpy.asarray(targets)
        if data.ndim != 4:
            raise ValueError(f"{name}: images must be shaped (N, C, H, W), got {tuple(data.shape)}")
        if targets.shape != (data.shape[0],):
            raise ValueError(f"{name}: {data.shape[0]} images but labels shaped {tuple(targets.shape)}")
        self.name = name
        self.data = data
        self.targets = targets.astype(numpy.int64, copy=False)
        self.classes = list(classes)
        self.train = train
        self.transform = transform
        self.scale = scale

    def _images(self, raw):
        images = numpy.divide(raw, self.scale, dtype=numpy.float32)
        if self.transform is not None:
            images = apply_to_batch(self.transform, images)
        return Tensor._make(images)

    def __getitem__(self, index):
        images, labels = self.__getitems__([operator.index(index)])
        return Tensor._make(images._data[0]), Tensor._make(labels._data[0, ...])

    def __getitems__(self, indices):
        indices = numpy.asarray(indices)
        return self._images(self.data[indices]), Tensor._make(self.targets[indices])

    def __len__(self):
        return len(self.targets)

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{self.name}({split}, {len(self)} images of {tuple(self.data.shape[1:])}, {len(self.classes)} classes)"
