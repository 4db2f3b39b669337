"""CIFAR-10 from its Python-pickle archive: 50,000 training and 10,000 test 32x32 colour images, 10 classes.

``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/data_batch_1`` ..
``data_batch_5`` and ``test_batch``: pickled dicts whose ``b"data"`` is a
uint8 array (10000, 3072) (1024 red, then green, then blue values of each
image, row-major) and ``b"labels"`` a list of ints. The batches are
extracted once next to the archive and unpickled by a restricted
Unpickler that can only rebuild NumPy arrays: a tampered pickle cannot run
code.
"""
import codecs
import importlib
import pathlib
import pickle
import shutil

import numpy

from backprop.data import download as downloads
from backprop.data.datasets.image import ImageDataset
from backprop.files import atomic_write

ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
BATCHES = {True: [f"data_batch_{i}" for i in range(1, 6)], False: ["test_batch"]}
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _numpy_function(module, name):
    """``numpy._core.<module>.<name>`` (NumPy 2), or ``numpy.core.<module>.<name>`` (NumPy 1)."""
    try:
        return getattr(importlib.import_module(f"numpy._core.{module}"), name)
    except ImportError:
        return getattr(importlib.import_module(f"numpy.core.{module}"), name)


def _latin1_encode(text, encoding="latin1"):
    """``_codecs.encode`` as Python 3 pickles bytes at protocol 2: latin-1 only."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


class ArrayUnpickler(pickle.Unpickler):
    """An Unpickler for dicts, lists and NumPy arrays only: any other global is refused."""

    def find_class(self, module, name):
        if module in ("numpy.core.multiarray", "numpy._core.multiarray") and name == "_reconstruct":
            return _numpy_function("multiarray", "_reconstruct")
        if module in ("numpy.core.numeric", "numpy._core.numeric") and name == "_frombuffer":
            return _numpy_function("numeric", "_frombuffer")
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(numpy, name)
        if module == "_codecs" and name == "encode":
            return _latin1_encode
        raise pickle.UnpicklingError(f"refusing to load the global {module}.{name} from a CIFAR batch")


def read_batch(path):
    """Images (N, 3, 32, 32) uint8 and labels (N,) of one pickled CIFAR-10 batch."""
    with open(path, "rb") as file:
        batch = ArrayUnpickler(file, encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path} is not a CIFAR-10 batch: expected a dict with b'data' and b'labels'")
    data = numpy.asarray(batch[b"data"], dtype=numpy.uint8)
    labels = numpy.asarray(batch[b"labels"], dtype=numpy.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise ValueError(f"{path}: expected data (N, 3072) and N labels, got {tuple(data.shape)} and {tuple(labels.shape)}")
    return data.reshape(-1, 3, 32, 32), labels


def extract_batches(archive, folder):
    """Copy the batch files out of the archive into ``folder`` (by base name only: no path from the archive is used)."""
    import tarfile

    wanted = set(BATCHES[True] + BATCHES[False])
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            name = pathlib.PurePosixPath(member.name).name
            if member.isfile() and name in wanted:
                with atomic_write(folder / name, "wb") as file:
                    shutil.copyfileobj(tar.extractfile(member), file)
                wanted.discard(name)
    if wanted:
        raise ValueError(f"{archive} lacks the CIFAR-10 batches {sorted(wanted)}")


def cifar10(root=None, train=True, download=False, transform=None):
    """CIFAR-10: images (3, 32, 32) in [0, 1], labels 0..9 (``CLASSES``).

    ``root`` (default ``$BACKPROP_DATA/cifar10``) holds ``cifar-10-python.tar.gz``
    or its extracted ``cifar-10-batches-py`` folder.
    """
    root = downloads.cache_dir("cifar10") if root is None else pathlib.Path(root).expanduser()
    folder = root / FOLDER
    names = BATCHES[bool(train)]
    if not all((folder / name).exists() for name in names):
        archive = root / ARCHIVE
        if not archive.exists():
            if not download:
                raise downloads.missing_files_error("cifar10", root, [ARCHIVE])
            try:
                downloads.fetch(ARCHIVE, root, downloads.MIRRORS["cifar10"], downloads.SHA256["cifar10"].get(ARCHIVE))
            except downloads.DownloadError as error:
                raise downloads.missing_files_error("cifar10", root, [ARCHIVE], reason=error) from error
        extract_batches(archive, folder)
    parts = [read_batch(folder / name) for name in names]
    images = numpy.concatenate([p[0] for p in parts])
    labels = numpy.concatenate([p[1] for p in parts])
    return ImageDataset("cifar10", images, labels, CLASSES, bool(train), transform)

