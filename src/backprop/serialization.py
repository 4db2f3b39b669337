"""``save`` and ``load``: tensors and state dicts in one safetensors file.

Tensors are stored under their keys (a lone tensor under ``"tensor"``);
every other value (numbers, strings, lists, nested dicts without tensors;
int dict keys come back as strings)
goes as JSON into the file's metadata. Loading reads arrays and JSON only:
it never executes code, unlike a pickle. The file is written to a
temporary name, flushed to disk (fsync) and renamed into place, so a crash never leaves half a file.
Needs the optional ``safetensors`` package (``pip install backprop[weights]``).
"""
import json
import os
import tempfile

from backprop import backend
from backprop.tensor import Tensor

_SINGLE = "tensor"
_META_KEY = "backprop"


def _safetensors():
    try:
        from safetensors import numpy as st_numpy
    except ImportError as error:
        raise ImportError(
            "bp.save/bp.load need the safetensors package: pip install safetensors "
            "(or pip install 'backprop[weights]')"
        ) from error
    return st_numpy


def _layout(obj, prefix, arrays):
    """Move the Tensors of ``obj`` into ``arrays`` by dotted key; return the rest (JSON-able)."""
    if isinstance(obj, Tensor):
        arrays[prefix] = backend.to_numpy(obj._data)
        return {"__tensor__": prefix}
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if isinstance(key, int) and not isinstance(key, bool):
                key = str(key)  # an optimiser's state is keyed by parameter index; it comes back as a str
            if not isinstance(key, str):
                raise TypeError(f"save(): dict keys must be strings or ints, got {key!r} of type {type(key).__name__}")
            out[key] = _layout(value, f"{prefix}.{key}" if prefix else key, arrays)
        return out
    if isinstance(obj, (list, tuple)):
        return [_layout(v, f"{prefix}.{i}", arrays) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save() stores Tensors, numbers, strings, lists and dicts; got {type(obj).__name__} at {prefix!r}")


def _fsync(path):
    """Flush a file (or a directory's entry list) to the disk, so a rename survives a power cut."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0)
    try:
        handle = os.open(path, flags)
    except OSError:  # some file systems do not open directories
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def save(obj, path):
    """Write a Tensor, a state dict, or a dict of them with plain values, to ``path``."""
    st_numpy = _safetensors()
    arrays = {}
    layout = _layout(obj, _SINGLE if isinstance(obj, Tensor) else "", arrays)
    metadata = {_META_KEY: json.dumps(layout)}
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".safetensors")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; the saved file gets a normal file's mode
    try:
        st_numpy.save_file({k: a if a.flags.c_contiguous else a.copy() for k, a in arrays.items()}, temporary, metadata=metadata)
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync(directory)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _join(layout, arrays):
    if isinstance(layout, dict):
        if set(layout) == {"__tensor__"}:
            return Tensor._make(arrays[layout["__tensor__"]])
        return {key: _join(value, arrays) for key, value in layout.items()}
    if isinstance(layout, list):
        return [_join(v, arrays) for v in layout]
    return layout


def load(path):
    """Read what ``save`` wrote: Tensors back as Tensors, plain values as they were."""
    st_numpy = _safetensors()
    from safetensors import safe_open

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file {path!r}")
    try:
        with safe_open(path, framework="numpy") as handle:
            metadata = handle.metadata() or {}
        arrays = st_numpy.load_file(path)
    except Exception as error:  # safetensors' own error type for a truncated or foreign file
        raise ValueError(f"{path!r} is not a readable safetensors file ({error})") from error
    if _META_KEY not in metadata:  # a plain safetensors file from elsewhere: its tensors by name
        return {key: Tensor._make(array) for key, array in arrays.items()}
    return _join(json.loads(metadata[_META_KEY]), arrays)
