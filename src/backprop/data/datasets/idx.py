"""MNIST and Fashion-MNIST from the four standard IDX files (gzipped or not).

IDX format (LeCun's): bytes 0, 0, a type code, the number of dimensions d;
then d big-endian uint32 sizes; then the values, big-endian, row-major.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64. Images are idx3 (N, 28, 28), labels idx1 (N,).

>>> import gzip, io, struct
>>> raw = struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([7, 2, 1])
>>> read_idx(io.BytesIO(gzip.compress(raw)))
array([7, 2, 1], dtype=uint8)
"""
import gzip
import pathlib
import struct

import numpy

from backprop.data import download as downloads
from backprop.data.datasets.image import ImageDataset

TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ALL_FILES = [f"{name}.gz" for pair in FILES.values() for name in pair]
MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _read_bytes(source):
    """The (decompressed) bytes of a path or binary file object; gzip is recognised by its magic 1f 8b."""
    if hasattr(source, "read"):
        raw = source.read()
    else:
        raw = pathlib.Path(source).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw


def read_idx(source):
    """The array stored in an IDX file (a path or a binary file object), gzipped or not."""
    name = getattr(source, "name", source)
    raw = _read_bytes(source)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in TYPES:
        raise ValueError(f"{name} is not an IDX file: bad magic {raw[:4].hex(' ') or 'empty'} "
                         f"(expected 00 00, a type code in {sorted(hex(t) for t in TYPES)}, the rank)")
    dtype, ndim = numpy.dtype(TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name} is truncated: its header needs {header} bytes, the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(numpy.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "longer than its header says"
        raise ValueError(f"{name} is {problem}: shape {shape} of {dtype.name} needs {expected} bytes, "
                         f"the file has {len(raw)}")
    array = numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _locate(key, root, names, download):
    """Paths of the IDX files ``names`` in ``root`` (plain or .gz), downloading the .gz ones if asked."""
    paths = []
    for name in names:
        found = [root / name, root / f"{name}.gz"]
        existing = [p for p in found if p.exists()]
        if existing:
            paths.append(existing[0])
            continue
        if not download:
            raise downloads.missing_files_error(key, root, ALL_FILES)
        try:
            gz = f"{name}.gz"
            paths.append(downloads.fetch(gz, root, downloads.MIRRORS[key], downloads.SHA256[key].get(gz)))
        except downloads.DownloadError as error:
            raise downloads.missing_files_error(key, root, ALL_FILES, reason=error) from error
    return paths


def load_idx_pair(images_path, labels_path):
    """Images (N, 1, H, W) and labels (N,) from an IDX pair, checking that they match."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"expected images (N, H, W) in {images_path} and labels (N,) in {labels_path}, "
                         f"got shapes {tuple(images.shape)} and {tuple(labels.shape)}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    return images[:, None], labels


def _idx_dataset(key, classes, root, train, download, transform):
    root = downloads.cache_dir(key) if root is None else pathlib.Path(root).expanduser()
    images, labels = load_idx_pair(*_locate(key, root, FILES[bool(train)], download))
    return ImageDataset(key, images, labels, classes, bool(train), transform)


def mnist(root=None, train=True, download=False, transform=None):
    """MNIST: 60,000 training and 10,000 test handwritten digits, (1, 28, 28) in [0, 1], labels 0..9.

    ``root`` (default ``$BACKPROP_DATA/mnist``) holds the four IDX files,
    e.g. ``train-images-idx3-ubyte.gz``; ``download=True`` fetches missing ones.
    """
    return _idx_dataset("mnist", MNIST_CLASSES, root, train, download, transform)


def fashion_mnist(root=None, train=True, download=False, transform=None):
    """Fashion-MNIST: Zalando's 28x28 clothing images in MNIST's format and sizes, 10 classes."""
    return _idx_dataset("fashion_mnist", FASHION_CLASSES, root, train, download, transform)
