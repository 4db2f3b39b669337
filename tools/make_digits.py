"""Write src/backprop/data/datasets/digits.npz, the offline digits that backprop ships, from scikit-learn's copy.

The data: "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak (1998), UCI Machine
Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0. scikit-learn's
``load_digits()`` returns its test set (optdigits.tes, 1,797 images of 8x8 pixels in 0..16, labels
0..9); this script stores exactly those arrays, as uint8, in NumPy's .npz format (a zip archive of
two .npy files, deflated), and prints the SHA-256 of their bytes that digits.py checks on every load.

    .venv/bin/python tools/make_digits.py           # write the file
    .venv/bin/python tools/make_digits.py --check   # compare the shipped file with scikit-learn's arrays

Run once; it needs scikit-learn (which backprop itself no longer needs for the digits). The archive's
entries carry a fixed date, so that the same arrays and zlib give the same file.
"""
import argparse
import hashlib
import io
import pathlib
import sys
import zipfile

import numpy
from numpy.lib import format as npy_format

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "backprop" / "data" / "datasets" / "digits.npz"


def digits_from_sklearn():
    """(images (1797, 8, 8) uint8 in 0..16, labels (1797,) uint8 in 0..9), checked to be load_digits' values."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images, labels = bunch.images.astype(numpy.uint8), bunch.target.astype(numpy.uint8)
    # the conversion loses nothing: every value is an integer that uint8 holds
    assert numpy.array_equal(images, bunch.images) and numpy.array_equal(labels, bunch.target)
    assert numpy.array_equal(images.reshape(len(images), 64), bunch.data)
    assert images.shape == (1797, 8, 8) and images.max() == 16 and sorted(set(labels.tolist())) == list(range(10))
    return images, labels


def sha256(images, labels):
    """What digits.py checks: the SHA-256 of the pixel bytes followed by the label bytes."""
    return hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()


def write(path, arrays):
    """An .npz (what numpy.load reads) whose zip entries have a fixed date."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            npy_format.write_array(buffer, numpy.ascontiguousarray(array), allow_pickle=False)
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1998, 7, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file instead of writing it")
    args = parser.parse_args()
    images, labels = digits_from_sklearn()
    if args.check:
        with numpy.load(TARGET, allow_pickle=False) as shipped:
            same = (numpy.array_equal(shipped["images"], images) and numpy.array_equal(shipped["labels"], labels)
                    and shipped["images"].dtype == images.dtype and shipped["labels"].dtype == labels.dtype)
        print(f"{TARGET.relative_to(ROOT)}: {'the same arrays as' if same else 'DIFFERS from'} load_digits()")
        return 0 if same else 1
    write(TARGET, {"images": images, "labels": labels})
    print(f"wrote {TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes, SHA-256 of the arrays "
          f"{sha256(images, labels)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
