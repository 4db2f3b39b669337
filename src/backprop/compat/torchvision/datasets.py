"""``torchvision.datasets``: MNIST, FashionMNIST and CIFAR10 as torchvision serves them, read by backprop.data.

The files sit where torchvision puts them: ``root/MNIST/raw/`` (the four IDX
files, gzipped or not), ``root/FashionMNIST/raw/``, ``root/cifar-10-batches-py/``
(or ``root/cifar-10-python.tar.gz``); ``download=True`` fetches missing ones
through backprop's checksummed download. An item is ``(PIL image, int label)``
before the transforms, as torchvision's: ``transforms.ToTensor()`` makes the
image float32 (C, H, W) in [0, 1]. ``data`` and ``targets`` hold the whole set
(MNIST: uint8 tensor (N, 28, 28) and int64 tensor (N,); CIFAR10: uint8 array
(N, 32, 32, 3) and a list of ints).
"""
import os

import numpy

from backprop import creation
from backprop.data import datasets as _datasets
from backprop.data.dataset import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10"]


def _image(array):
    """A PIL image of uint8 pixels: (H, W) grey levels (mode L), (H, W, 3) colours (RGB)."""
    from PIL import Image

    return Image.fromarray(array)


class _VisionDataset(Dataset):
    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.transform, self.target_transform = transform, target_transform
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _pixels(self, index):
        raise NotImplementedError

    def _label(self, index):
        return int(self.targets[index])

    def __getitem__(self, index):
        img, target = _image(self._pixels(index)), self._label(index)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.targets)

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append(f"    StandardTransform\nTransform: {self.transform!r}")
        return "\n".join(lines)


class MNIST(_VisionDataset):
    """MNIST from ``root/MNIST/raw``: 60,000 training or 10,000 test images, 28x28 grey levels."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    _load = staticmethod(_datasets.mnist)

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = bool(train)
        loaded = self._load(root=self.raw_folder, train=self.train, download=download)
        self._images = numpy.ascontiguousarray(loaded.data[:, 0])
        self._labels = numpy.asarray(loaded.targets, dtype=numpy.int64)
        self.data, self.targets = creation.from_numpy(self._images), creation.from_numpy(self._labels)

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _pixels(self, index):
        return self._images[index]

    def _label(self, index):
        return int(self._labels[index])


class FashionMNIST(MNIST):
    """Fashion-MNIST from ``root/FashionMNIST/raw``: MNIST's format and sizes, 10 kinds of clothing."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    _load = staticmethod(_datasets.fashion_mnist)


class CIFAR10(_VisionDataset):
    """CIFAR-10 from ``root/cifar-10-batches-py``: 50,000 training or 10,000 test 32x32 colour images."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    base_folder = "cifar-10-batches-py"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = bool(train)
        loaded = _datasets.cifar10(root=self.root, train=self.train, download=download)
        self.data = numpy.ascontiguousarray(loaded.data.transpose(0, 2, 3, 1))  # (N, 32, 32, 3), as torchvision's
        self.targets = [int(t) for t in loaded.targets]

    def _pixels(self, index):
        return self.data[index]
