"""Collation: a list of samples into one batch (``torch.utils.data.default_collate`` and ``default_convert``).

``default_collate`` follows torch rule for rule: Tensors are stacked along a
new first dimension, NumPy arrays become Tensors and are stacked, NumPy
scalars become a Tensor of their dtype, Python floats a float64 Tensor,
ints an int64 one (bools a bool one), strings and bytes stay as they are;
dicts, named tuples and lists are collated field by field (a tuple of
fields becomes a list, as in torch). ``collate(batch, collate_fn_map=...)``
is the same walk with a table of your own from element type to function
(``default_collate_fn_map`` is the default's).

>>> import backprop as bp
>>> batch = default_collate([{"x": numpy.zeros(2), "n": 1}, {"x": numpy.ones(2), "n": 2}])
>>> tuple(batch["x"].shape), batch["n"].tolist()
((2, 2), [1, 2])
>>> numbers, names = default_collate([(0.5, "a"), (1.5, "b")])
>>> numbers.tolist(), numbers.dtype == bp.float64, names
([0.5, 1.5], True, ('a', 'b'))
"""
import collections.abc
import copy
import re

import numpy

from backprop import backend
from backprop import creation
from backprop.tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]

_STRINGS_OR_OBJECTS = re.compile(r"[SaUO]")  # NumPy dtype codes that are not numbers
_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors of one shape stacked along a new first dimension (with the graph if one requires grad)."""
    shape = batch[0].shape
    for i, t in enumerate(batch):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(t.shape)} at entry {i}")
    if any(t.requires_grad for t in batch):
        from backprop import ops

        return ops.stack(batch)
    xp = backend.array_module(batch[0]._data)
    return Tensor._make(xp.stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if _STRINGS_OR_OBJECTS.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERROR.format(batch[0].dtype))
    return collate([Tensor._make(numpy.asarray(b)) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return Tensor._make(numpy.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return Tensor._make(numpy.asarray(batch, dtype=numpy.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    return creation.tensor(list(batch))  # torch.tensor's inference: ints int64, bools bool, a float among them float32


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    numpy.ndarray: collate_numpy_array_fn,
    (numpy.bool_, numpy.number, numpy.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def _rebuild(elem, values):
    """A container like ``elem`` holding ``values`` (its fields collated or converted), as torch builds it."""
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(values)
                return clone
            return type(elem)(values)
        except TypeError:
            return dict(values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*values)
    if isinstance(elem, tuple):
        return list(values)  # torch's "backwards compatibility": a tuple of fields comes back as a list
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(elem)(list(values))
    except TypeError:
        return list(values)


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) with the functions of ``collate_fn_map`` (element type -> function
    ``fn(batch, *, collate_fn_map)``, looked up by exact type, then by isinstance in the table's order); mappings
    and sequences are walked field by field."""
    elem = batch[0]
    if collate_fn_map is not None:
        if type(elem) in collate_fn_map:
            return collate_fn_map[type(elem)](batch, collate_fn_map=collate_fn_map)
        for kind, function in collate_fn_map.items():
            if isinstance(elem, kind):
                return function(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return _rebuild(elem, [collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)])
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return _rebuild(elem, [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)])
    raise TypeError(_ERROR.format(type(elem)))


def default_collate(batch):
    """One batch from a list of samples, by torch's rules (see the module's docstring).

    >>> import backprop as bp
    >>> default_collate([1, 2]).dtype == bp.int64, default_collate([1.0, 2.0]).dtype == bp.float64
    (True, True)
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """One sample made of Tensors where it held NumPy arrays (and scalars), containers walked as ``default_collate``
    walks them; anything else unchanged (the DataLoader's ``collate_fn`` when it does not batch)."""
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and type(data).__name__ not in ("str_", "bytes_", "string_"):
        if isinstance(data, numpy.ndarray) and _STRINGS_OR_OBJECTS.search(data.dtype.str) is not None:
            return data
        return Tensor._make(numpy.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return _rebuild(data, [default_convert(d) for d in data])
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
