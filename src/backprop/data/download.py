"""Fetching dataset files: the cache directory, the mirrors, progress and SHA-256 checks.

Files live in ``$BACKPROP_DATA/<dataset>`` (``BACKPROP_DATA`` defaults to
``~/.cache/backprop``). ``fetch`` tries each mirror in turn, streams the file
into a temporary file beside its final place while hashing it, and renames it
into place only when its SHA-256 matches the known value: a corrupted or
interrupted download never sits in the cache.

``MIRRORS`` and ``SHA256`` are plain module-level tables, so a test or an
offline installation can point them elsewhere. The checksums come from
public sources: TensorFlow Datasets' ``url_checksums`` (MNIST, Fashion-MNIST)
and Keras' ``cifar10.load_data`` (CIFAR-10).

>>> cache_dir("mnist").name
'mnist'
"""
import hashlib
import os
import pathlib

from backprop.files import atomic_write

MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion_mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
    "cifar10": [
        "https://www.cs.toronto.edu/~kriz/",
    ],
}

SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    "cifar10": {
        "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    },
}

CHUNK = 1 << 20
TIMEOUT = 30  # seconds without data before a mirror counts as unreachable


class DownloadError(OSError):
    """No mirror could deliver a file (offline, unreachable, or not there)."""


class ChecksumError(OSError):
    """A downloaded file's SHA-256 is not the known one."""


def cache_dir(dataset=None):
    """``$BACKPROP_DATA`` (default ``~/.cache/backprop``), or its sub-directory for ``dataset``."""
    root = pathlib.Path(os.environ.get("BACKPROP_DATA") or "~/.cache/backprop").expanduser()
    return root if dataset is None else root / dataset


def fetch(filename, directory, mirrors, sha256=None, progress=True):
    """``directory/filename``, downloaded from the first mirror that has it unless already there.

    ``sha256=None`` skips the check (for files with no published checksum).
    Raises ``ChecksumError`` (expected and actual hash) when every mirror that
    answered sent other bytes, ``DownloadError`` when none answered.
    """
    directory = pathlib.Path(directory)
    target = directory / filename
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    failures, mismatch = [], None
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            _download_verified(url, target, sha256, progress)
            return target
        except ChecksumError as error:
            mismatch = error
        except OSError as error:  # URLError, HTTPError, timeouts, refused connections
            failures.append(f"{url} ({error})")
    if mismatch is not None:
        raise mismatch
    tried = "; ".join(failures) or "no mirrors given"
    raise DownloadError(f"could not download {filename}: tried {tried}")


def _download_verified(url, target, sha256, progress):
    """Stream ``url`` to a temporary file next to ``target``; rename it into place if the hash matches."""
    with atomic_write(target, "wb", suffix=".part") as file:
        actual = _stream(url, file, target.name, progress)
        if sha256 is not None and actual != sha256:
            raise ChecksumError(
                f"{target.name} from {url} is corrupted: SHA-256 expected {sha256}, got {actual}; "
                f"the download was deleted"
            )


def _stream(url, file, name, progress):
    """Copy ``url`` into ``file``; returns the SHA-256 of what came."""
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "backprop"})
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        total = response.headers.get("Content-Length")
        with _progress_bar(progress, int(total) if total else None, name) as bar:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                file.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress_bar(enabled, total, name):
    """A tqdm bar in bytes, or a silent stand-in when disabled or tqdm is not installed."""
    if enabled:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _NoBar()
        return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, leave=False)
    return _NoBar()


def missing_files_error(dataset, directory, filenames, reason=None):
    """The FileNotFoundError for absent dataset files: which files, where to put them, how to download."""
    names = ", ".join(filenames)
    message = (
        f"{dataset} needs the files {names} in the directory {directory}: "
        f"put them there, or let backprop fetch them (--download on the command line, download=True in Python)"
    )
    if reason:
        message += f" (download failed: {reason})"
    return FileNotFoundError(message)
