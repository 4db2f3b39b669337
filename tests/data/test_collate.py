"""default_collate, default_convert and collate(collate_fn_map=...) against torch.utils.data's, case by case."""
import collections
import types

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import backprop as bp
from backprop.data import default_collate, default_convert
from backprop.data.collate import collate, default_collate_fn_map

Point = collections.namedtuple("Point", "x y")


def plain(obj):
    """A comparable picture of a collated batch: containers by type name, tensors as (dtype, shape, values)."""
    if isinstance(obj, (bp.Tensor, torch.Tensor)):
        array = obj.detach().numpy() if isinstance(obj, torch.Tensor) else obj.numpy()
        return ("tensor", np.dtype(array.dtype).name, tuple(array.shape), array.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.name, obj.tolist())
    if isinstance(obj, collections.abc.Mapping):
        return (type(obj).__name__, [(key, plain(value)) for key, value in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [plain(value) for value in obj])
    return (type(obj).__name__, obj)


def both(make):
    """``make(tensor)`` with bp.tensor and with torch.tensor: the same samples for each framework."""
    return make(bp.tensor), make(torch.tensor)


CASES = {
    "ints": lambda t: [1, 2, 3],
    "floats": lambda t: [0.5, 1.5],
    "bools": lambda t: [True, False],
    "int and float": lambda t: [1, 2.5],
    "bool and int": lambda t: [True, 2],
    "numpy scalars": lambda t: [np.int32(1), np.int32(2)],
    "numpy float32 scalars": lambda t: [np.float32(1.5), np.float32(2.5)],
    "numpy bool scalars": lambda t: [np.bool_(True), np.bool_(False)],
    "numpy arrays": lambda t: [np.zeros((2, 3)), np.ones((2, 3))],
    "0-d arrays": lambda t: [np.array(3.0), np.array(4.0)],
    "uint8 arrays": lambda t: [np.arange(4, dtype=np.uint8), np.arange(4, dtype=np.uint8)],
    "tensors": lambda t: [t([1.0, 2.0]), t([3.0, 4.0])],
    "int tensors": lambda t: [t([[1, 2]]), t([[3, 4]])],
    "scalar tensors": lambda t: [t(1), t(2)],
    "pairs": lambda t: [(t([1.0]), 0), (t([2.0]), 1)],
    "lists": lambda t: [[1, 2.0], [3, 4.0]],
    "strings": lambda t: ["a", "bc"],
    "bytes": lambda t: [b"a", b"b"],
    "pairs with strings": lambda t: [(np.zeros(2), "cat"), (np.ones(2), "dog")],
    "dicts": lambda t: [{"x": t([1.0]), "y": 1, "name": "a"}, {"x": t([2.0]), "y": 2, "name": "b"}],
    "nested": lambda t: [{"a": ([1, 2], {"b": 0.5})}, {"a": ([3, 4], {"b": 1.5})}],
    "ordered dicts": lambda t: [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    "namedtuples": lambda t: [Point(1, np.zeros(2)), Point(2, np.ones(2))],
    "read-only mappings": lambda t: [types.MappingProxyType({"k": 1}), types.MappingProxyType({"k": 2})],
    "one sample": lambda t: [(t([5]), 5.0, "x")],
}


@pytest.mark.parametrize("name", CASES)
def test_default_collate_as_torch(name):
    ours, theirs = both(CASES[name])
    assert plain(default_collate(ours)) == plain(tud.default_collate(theirs))


CONVERT = {
    "int": lambda t: 0,
    "float": lambda t: 1.5,
    "array": lambda t: np.array([0, 1]),
    "numpy scalar": lambda t: np.float64(1.0),
    "tensor": lambda t: t([1.0]),
    "namedtuple": lambda t: Point(np.array(0), np.array(1)),
    "list of arrays": lambda t: [np.array([0, 1]), np.array([2, 3])],
    "tuple": lambda t: (1, np.zeros(2)),
    "dict": lambda t: {"a": np.ones(2), "b": "text"},
    "string": lambda t: "text",
    "string array": lambda t: np.array(["a", "b"]),
}


@pytest.mark.parametrize("name", CONVERT)
def test_default_convert_as_torch(name):
    ours, theirs = both(CONVERT[name])
    assert plain(default_convert(ours)) == plain(tud.default_convert(theirs))


@pytest.mark.parametrize("samples, error", [
    ([None, None], TypeError),
    ([object()], TypeError),
    ([np.array(["a"]), np.array(["b"])], TypeError),
    ([np.array([object()])], TypeError),
    ([[1, 2], [3]], RuntimeError),
])
def test_default_collate_errors_as_torch(samples, error):
    with pytest.raises(error) as theirs:
        tud.default_collate(samples)
    with pytest.raises(error) as ours:
        default_collate(samples)
    assert str(ours.value) == str(theirs.value)


def test_tensors_of_different_shapes_are_torchs_error():
    with pytest.raises(RuntimeError) as theirs:
        tud.default_collate([torch.ones(2), torch.ones(3)])
    with pytest.raises(RuntimeError) as ours:
        default_collate([bp.ones(2), bp.ones(3)])
    assert str(ours.value) == str(theirs.value)


def test_tensors_that_require_grad_keep_their_graph():
    a, b = bp.ones(2, requires_grad=True), bp.ones(2, requires_grad=True)
    batch = default_collate([a * 2, b * 3])
    assert batch.requires_grad
    batch.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0] and b.grad.tolist() == [3.0, 3.0]


def test_collate_with_a_table_of_ones_own():
    def tensors_as_lists(batch, *, collate_fn_map):
        return [t.tolist() for t in batch]

    table = {**default_collate_fn_map, bp.Tensor: tensors_as_lists}
    assert collate([(bp.tensor([1, 2]), 3), (bp.tensor([4, 5]), 6)], collate_fn_map=table)[0] == [[1, 2], [4, 5]]

    def torch_tensors_as_lists(batch, *, collate_fn_map):
        return [t.tolist() for t in batch]

    theirs = tud._utils.collate.collate([(torch.tensor([1, 2]), 3), (torch.tensor([4, 5]), 6)],
                                        collate_fn_map={**tud._utils.collate.default_collate_fn_map,
                                                        torch.Tensor: torch_tensors_as_lists})
    assert theirs[0] == [[1, 2], [4, 5]]
    with pytest.raises(TypeError, match="found <class 'int'>"):
        collate([1, 2], collate_fn_map={})  # an empty table knows nothing but containers
