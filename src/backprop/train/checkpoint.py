"""Checkpoints: everything a run needs to go on exactly where it stopped, in one file.

A checkpoint is a dict of the model's and the optimiser's state, the epoch,
the random-number states and the history, written by ``bp.save``: to a
temporary file, flushed to disk (fsync), then renamed over the old one. A
crash at any moment leaves either the old checkpoint or the new one, never
half of one. Each tensor's checksum goes into the file; loading checks them,
so a checkpoint damaged afterwards is refused, never resumed or evaluated.
"""
import os

from backprop import serialization

__all__ = ["save_checkpoint", "load_checkpoint"]


def save_checkpoint(state, path):
    """Write ``state`` (nested dicts/lists of Tensors and plain values) to ``path`` atomically."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    serialization.save(state, path)
    return path


def load_checkpoint(path):
    """Read a checkpoint written by ``save_checkpoint`` (Tensors come back as Tensors). A damaged or unreadable
    file (its checksums do not match, it is cut short, it is no safetensors file) is a ``ValueError`` of one line
    naming the file and, for a checksum, the tensor."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    try:
        return serialization.load(path)
    except ValueError as error:
        raise ValueError(f"checkpoint {error}") from error
