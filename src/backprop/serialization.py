"""``save`` and ``load`` (``torch.save`` / ``torch.load``): one safetensors file, never a pickle.

Tensors and NumPy arrays are stored as the file's tensors, under their keys
(a state dict's tensors under its own keys, a lone tensor under
``"tensor"``, nested ones under dotted paths); everything else (numbers,
strings, bools, None, lists, tuples, dicts and OrderedDicts with any keys of
those kinds, such as an optimiser state's integer keys) goes as JSON into
the file's metadata and comes back as it was saved. Loading reads arrays and
JSON only: it never executes code, unlike a pickle, so an object that only
pickle could store (a whole Module, a lambda, an instance of your class) is
refused when saving: save its ``state_dict()``.

``save(obj, f)`` writes to a path (atomically: a temporary file, flushed to
disk, then renamed into place, so a crash never leaves half a file) or to a
binary file object (``io.BytesIO``, an open file). ``load`` reads either,
and also any plain safetensors file (``safetensors.torch.save_file`` in
PyTorch writes one): its tensors as a dict. ``map_location`` places the
tensors as torch's does. Uses the ``safetensors`` package, a dependency of
backprop that ``pip install backprop`` brings.

Every file ``save`` writes carries a CRC-32 of each tensor (its dtype, shape
and bytes) and of the JSON layout in its metadata (``"backprop.checksums"``); ``load`` checks them
and refuses a damaged file with one line naming the file and the tensor.
Files without checksums (older backprop, other programs) load unchecked.

>>> import io, collections
>>> import backprop as bp
>>> buffer = io.BytesIO()
>>> bp.save({"state": {0: {"step": 3}}, "shape": (2, 3), "w": bp.ones(2)}, buffer)
>>> _ = buffer.seek(0)
>>> back = bp.load(buffer)
>>> back["state"], back["shape"], back["w"]
({0: {'step': 3}}, (2, 3), tensor([1., 1.]))
"""
import base64
import collections
import json
import os
import re
import zlib

import numpy

from backprop import backend
from backprop.files import atomic_path
from backprop.tensor import Tensor

__all__ = ["save", "load"]

_SINGLE = "tensor"
_META_KEY = "backprop"
_CHECKSUMS_KEY = "backprop.checksums"  # JSON {"layout": crc32 hex, "tensors": {key: crc32 hex}}
_TAG = "__bp__"  # a JSON object with this key stands for a value JSON has no form of


def _safetensors():
    try:
        from safetensors import numpy as st_numpy
    except ImportError as error:
        raise ImportError(
            "bp.save/bp.load need the safetensors package, a dependency of backprop that is missing here: "
            "pip install safetensors"
        ) from error
    return st_numpy


def _refuse(obj, where):
    kind = type(obj).__name__
    at = f" at {where!r}" if where else ""
    if callable(getattr(obj, "state_dict", None)):
        raise TypeError(f"save() cannot store a whole {kind} object{at} (only pickle could, and backprop never "
                        f"pickles): save its state_dict() instead, e.g. bp.save(model.state_dict(), path)")
    raise TypeError(f"save() stores Tensors, NumPy arrays, numbers, strings, bools, None and lists, tuples and dicts "
                    f"of them; got {kind}{at}, which only pickle could store: for a model or optimiser save its "
                    f"state_dict() instead")


class _Writer:
    """Turns an object into (JSON layout, {key: array}); each Tensor or array once, however often it appears."""

    def __init__(self):
        self.arrays, self.keys = {}, {}

    def key(self, obj, path):
        if id(obj) in self.keys:
            return self.keys[id(obj)][0]
        key, n = path, 1
        while key in self.arrays:
            n += 1
            key = f"{path}#{n}"
        array = backend.to_numpy(obj._data if isinstance(obj, Tensor) else obj)
        self.arrays[key] = array if array.flags.c_contiguous else numpy.ascontiguousarray(array)
        self.keys[id(obj)] = (key, obj)  # obj kept alive so that its id is not reused meanwhile
        return key

    def layout(self, obj, path):
        join = (lambda part: f"{path}.{part}" if path else str(part))
        if isinstance(obj, Tensor):
            entry = {_TAG: "tensor", "key": self.key(obj, path or _SINGLE), "device": str(obj.device)}
            if obj.requires_grad:
                entry["requires_grad"] = True
            return entry
        if isinstance(obj, numpy.ndarray) and type(obj) is numpy.ndarray:
            if obj.dtype.hasobject or obj.dtype.kind in "SUV":
                raise TypeError(f"save() stores numeric NumPy arrays, got one of dtype {obj.dtype}"
                                + (f" at {path!r}" if path else ""))
            return {_TAG: "ndarray", "key": self.key(obj, path or _SINGLE)}
        if isinstance(obj, numpy.generic) and obj.dtype.kind in "biufc":
            return {_TAG: "numpy_scalar", "key": self.key(numpy.asarray(obj), path or _SINGLE)}
        if obj is None or type(obj) in (bool, int, float, str):
            return obj
        if isinstance(obj, backend.device):
            return {_TAG: "device", "value": str(obj)}
        if type(obj) is complex:
            return {_TAG: "complex", "value": [obj.real, obj.imag]}
        if type(obj) is bytes:
            return {_TAG: "bytes", "base64": base64.b64encode(obj).decode("ascii")}
        if type(obj) is list:
            return [self.layout(value, join(i)) for i, value in enumerate(obj)]
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):  # a namedtuple's class only pickle could store
            entry = {_TAG: "tuple", "items": [self.layout(value, join(i)) for i, value in enumerate(obj)]}
            if type(obj).__name__ == "Size":
                entry[_TAG] = "Size"
            return entry
        if type(obj) in (set, frozenset):
            return {_TAG: type(obj).__name__, "items": [self.layout(value, path) for value in obj]}
        if type(obj) in (dict, collections.OrderedDict):
            plain = type(obj) is dict and all(type(key) is str for key in obj) and _TAG not in obj \
                and set(obj) != {"__tensor__"}
            if plain:
                return {key: self.layout(value, join(key)) for key, value in obj.items()}
            items = [[self.layout(key, join("key")), self.layout(value, join(key))] for key, value in obj.items()]
            return {_TAG: type(obj).__name__, "items": items}
        _refuse(obj, path)


def _check_pickle_module(pickle_module, name):
    import pickle

    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(f"{name}(): backprop never pickles (it writes one safetensors file), so "
                         f"pickle_module={getattr(pickle_module, '__name__', pickle_module)!r} cannot be used")


def _crc32(data, start=0):
    """CRC-32 of a bytes-like object (a C-contiguous array: its bytes as stored in the file), as 8 hex digits."""
    return f"{zlib.crc32(data, start) & 0xFFFFFFFF:08x}"


def _tensor_crc32(array):
    """CRC-32 of an array's dtype and shape (``"float32 (2, 3)"``), then its bytes: a header whose dtype or shape
    changed (the same number of bytes read as other numbers) fails the check as changed bytes do."""
    return _crc32(_little_endian(array), zlib.crc32(f"{array.dtype.name} {tuple(array.shape)}".encode()))


def _metadata(layout, arrays):
    """The file's metadata: the layout as JSON, and the checksums of that JSON and of every array's bytes."""
    text = json.dumps(layout)
    checksums = {"layout": _crc32(text.encode()),
                 "tensors": {key: _tensor_crc32(array) for key, array in arrays.items()}}
    return {_META_KEY: text, _CHECKSUMS_KEY: json.dumps(checksums)}


def _little_endian(array):
    """The array as safetensors stores it: little-endian bytes (NumPy's own order on nearly every machine)."""
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not numpy.little_endian):
        array = array.astype(array.dtype.newbyteorder("<"))
    return array.reshape(-1).view(numpy.uint8) if array.size else b""


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Write ``obj`` (Tensors, arrays, plain values, and lists/tuples/dicts of them) to ``f``: a path or a
    binary file object. ``pickle_protocol`` and torch's private flags are accepted and mean nothing here."""
    _check_pickle_module(pickle_module, "save")
    st_numpy = _safetensors()
    writer = _Writer()
    metadata = _metadata(writer.layout(obj, ""), writer.arrays)
    if hasattr(f, "write"):
        f.write(st_numpy.save(writer.arrays, metadata=metadata))
        return
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"save() expects a path (str or os.PathLike) or a binary file object, got {type(f).__name__}")
    with atomic_path(f, suffix=".safetensors") as temporary:
        try:
            st_numpy.save_file(writer.arrays, temporary, metadata=metadata)
        except Exception as error:  # noqa: BLE001  (safetensors' SafetensorError: only its text holds the OS error)
            found = None if isinstance(error, OSError) else re.search(r"\(os error (\d+)\)", str(error))
            if found is None:
                raise
            code = int(found.group(1))  # a full disk: 'I/O error: No space left on device (os error 28)'
            raise OSError(code, os.strerror(code), os.fspath(f)) from error


# --- loading ------------------------------------------------------------------------------------------------------
_CONVERT = ("Convert it once in PyTorch: `from safetensors.torch import save_file; "
            "save_file(torch.load(PATH), 'model.safetensors')` (a dict of tensors such as a state_dict), "
            "then bp.load('model.safetensors')")


def _foreign(head, source, name):
    """The error for a file that is not safetensors, saying what it is if it can tell."""
    if head.startswith(b"PK\x03\x04"):
        names = _zip_names(source)
        if any(n.endswith("data.pkl") or n.endswith("constants.pkl") for n in names):
            return ValueError(f"{name} is a PyTorch pickle file (torch.save's zip format), which backprop does not "
                              f"read by design: loading a pickle can run any code. {_CONVERT}")
        if names and all(n.endswith(".npy") for n in names):
            return ValueError(f"{name} is a NumPy .npz archive, not a backprop (safetensors) file: numpy.load reads it")
        return ValueError(f"{name} is a zip archive, not a backprop (safetensors) file")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ValueError(f"{name} is a Python pickle file (PyTorch's legacy torch.save format), which backprop does "
                          f"not read by design: loading a pickle can run any code. {_CONVERT}")
    if head.startswith(b"\x93NUMPY"):
        return ValueError(f"{name} is a NumPy .npy file, not a backprop (safetensors) file: numpy.load reads it")
    return ValueError(f"{name} is not a readable safetensors file (it does not start with a safetensors header)")


def _zip_names(source):
    import zipfile

    try:
        with zipfile.ZipFile(source) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return []


def _read(f):
    """(metadata, {key: array}) of the safetensors file at path or file object ``f``."""
    import io

    st_numpy = _safetensors()
    if hasattr(f, "read"):
        data = f.read()
        name, source, head, total = (f"the file object {getattr(f, 'name', type(f).__name__)!r}", io.BytesIO(data),
                                     data[:9], len(data))
    elif isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such file {path!r}")
        with open(path, "rb") as handle:
            head = handle.read(9)
        data, name, source, total = None, repr(path), path, os.path.getsize(path)
    else:
        raise TypeError(f"load() expects a path (str or os.PathLike) or a binary file object, got {type(f).__name__}")
    # safetensors: an 8-byte little-endian header size, then the header, a JSON object
    if not (len(head) == 9 and head[8:9] == b"{"):
        raise _foreign(head, source, name)
    if 8 + int.from_bytes(head[:8], "little") > total:
        raise ValueError(f"{name} is damaged: it is cut short (its header alone needs "
                         f"{8 + int.from_bytes(head[:8], 'little')} bytes, the file has {total})")
    try:
        if data is None:
            from safetensors import safe_open

            with safe_open(path, framework="numpy") as handle:
                metadata = handle.metadata() or {}
            arrays = st_numpy.load_file(path)
        else:
            size = int.from_bytes(data[:8], "little")
            metadata = json.loads(data[8:8 + size]).get("__metadata__") or {}
            arrays = st_numpy.load(data)
    except Exception as error:  # safetensors' own error type for a truncated or foreign file, or a bad header
        reason = " ".join(str(error).split())  # one line
        raise ValueError(f"{name} is not a readable safetensors file (damaged or cut short: {reason})") from error
    _verify(metadata, arrays, name)
    return metadata, arrays


def _verify(metadata, arrays, name):
    """Check the checksums ``save`` wrote (a file without them, from elsewhere or an older backprop, passes)."""
    if _CHECKSUMS_KEY not in metadata:
        return
    try:
        checksums = json.loads(metadata[_CHECKSUMS_KEY])
        layout, tensors = checksums["layout"], dict(checksums["tensors"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{name} is damaged: its checksums cannot be read") from None
    if _META_KEY in metadata and _crc32(metadata[_META_KEY].encode()) != layout:
        raise ValueError(f"{name} is damaged: its values other than tensors (the layout in its metadata) do not "
                         f"match their checksum")
    for key, array in arrays.items():
        if tensors.get(key) != _tensor_crc32(array):
            raise ValueError(f"{name} is damaged: tensor {key!r} does not match its checksum")
    missing = sorted(set(tensors) - set(arrays))
    if missing:
        raise ValueError(f"{name} is damaged: tensor {missing[0]!r} is missing")


def _placer(map_location):
    """place(tensor, saved_location) -> the tensor where ``map_location`` says (torch's four forms)."""
    from backprop import cuda

    def move(tensor, where):
        where = backend.device(where)
        if where.type == "cuda" and not cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but backprop.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use load with "
                               "map_location='cpu' (or torch.device('cpu')) to map your storages to the CPU.")
        return tensor if where == tensor.device else tensor.to(where)

    if map_location is None:
        return move
    if isinstance(map_location, (str, backend.device)):
        target = backend.device(map_location)
        return lambda tensor, location: move(tensor, target)
    if isinstance(map_location, dict):
        return lambda tensor, location: move(tensor, map_location.get(location, location))
    if callable(map_location):
        def call(tensor, location):
            result = map_location(tensor, location)
            if result is None:
                return move(tensor, location)
            if not isinstance(result, Tensor):
                raise TypeError(f"load(): map_location returned {type(result).__name__}, expected the storage "
                                f"(tensor) it was given, moved where it should be, or None")
            return result
        return call
    raise TypeError(f"load(): map_location must be None, a str, a device, a dict or a callable, "
                    f"got {type(map_location).__name__}")


class _Reader:
    """Rebuilds what ``_Writer`` laid out; each stored array becomes one object, however often it is referred to."""

    def __init__(self, arrays, place):
        self.arrays, self.place, self.made = arrays, place, {}

    def array(self, key):
        array = self.arrays[key]
        return array if array.flags.writeable else array.copy()

    def value(self, layout):
        if isinstance(layout, list):
            return [self.value(item) for item in layout]
        if not isinstance(layout, dict):
            return layout
        if set(layout) == {"__tensor__"}:  # files written before tags (a tensor on the CPU)
            layout = {_TAG: "tensor", "key": layout["__tensor__"], "device": "cpu"}
        tag = layout.get(_TAG)
        if tag is None:
            return {key: self.value(value) for key, value in layout.items()}
        if tag in ("tensor", "ndarray", "numpy_scalar"):
            key = layout["key"]
            if (tag, key) not in self.made:
                self.made[tag, key] = self.stored(tag, key, layout)
            return self.made[tag, key]
        if tag in ("tuple", "set", "frozenset", "Size"):
            kind = {"tuple": tuple, "set": set, "frozenset": frozenset}.get(tag) or _size_type()
            return kind(self.value(item) for item in layout["items"])
        if tag in ("dict", "OrderedDict"):
            kind = dict if tag == "dict" else collections.OrderedDict
            return kind((self.value(key), self.value(value)) for key, value in layout["items"])
        if tag == "device":
            return backend.device(layout["value"])
        if tag == "complex":
            return complex(*layout["value"])
        if tag == "bytes":
            return base64.b64decode(layout["base64"])
        raise ValueError(f"load(): unknown entry {tag!r} in the file's layout (written by a newer backprop?)")

    def stored(self, tag, key, layout):
        if tag == "ndarray":
            return self.array(key)
        if tag == "numpy_scalar":
            return self.array(key)[()]
        tensor = self.place(Tensor._make(self.array(key)), layout.get("device", "cpu"))
        if layout.get("requires_grad"):
            tensor.requires_grad_(True)
        return tensor


def _size_type():
    import backprop

    return getattr(backprop, "Size", tuple)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ``save`` wrote (or any safetensors file: its tensors as a dict) from a path or a binary file object.

    ``map_location``: None (where they were saved), ``"cpu"``/``"cuda:N"``/a ``device`` (all there), a dict
    ``{"cuda:0": "cpu"}`` (saved location to new one) or ``fn(tensor, location)`` returning the tensor placed
    (or None: where saved). ``weights_only``, ``mmap`` and pickle's arguments are accepted: loading never runs
    code, whatever they say.
    """
    _check_pickle_module(pickle_module, "load")
    for name, value in (("weights_only", weights_only), ("mmap", mmap)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"load(): {name} must be a bool or None, got {type(value).__name__}")
    place = _placer(map_location)
    metadata, arrays = _read(f)
    reader = _Reader(arrays, place)
    if _META_KEY not in metadata:  # a plain safetensors file from elsewhere: its tensors by name
        return {key: reader.value({_TAG: "tensor", "key": key, "device": "cpu"}) for key in arrays}
    return reader.value(json.loads(metadata[_META_KEY]))
