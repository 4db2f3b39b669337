"""dtypes, the default dtype, Size and the legacy constructors, against torch."""
import copy
import pickle

import numpy as np
import pytest
import torch

import backprop as bp

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
           "short": "int16"}


@pytest.mark.parametrize("name", NAMES)
def test_a_dtype_has_torchs_attributes_and_is_its_numpy_dtype(name):
    ours, theirs = getattr(bp, name), getattr(torch, name)
    assert str(ours) == str(theirs).replace("torch.", "backprop.")
    for attribute in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert ours == np.dtype(name) and np.dtype(name) == ours and ours == getattr(np, name if name != "bool" else "bool_")
    assert np.dtype(ours) == np.dtype(name) and hash(ours) == hash(np.dtype(name))
    assert np.zeros(2, dtype=ours).dtype == np.dtype(name) and np.asarray([1], dtype=ours).dtype == np.dtype(name)
    assert ours.kind == np.dtype(name).kind and ours.char == np.dtype(name).char and ours.str == np.dtype(name).str
    assert pickle.loads(pickle.dumps(ours)) is ours and copy.deepcopy(ours) is ours
    assert isinstance(ours, bp.dtype) and bp.tensor([1], dtype=ours).dtype is ours


@pytest.mark.parametrize("alias", list(ALIASES))
def test_torchs_aliases(alias):
    assert getattr(bp, alias) is getattr(bp, ALIASES[alias])
    assert str(getattr(bp, alias)) == str(getattr(torch, alias)).replace("torch.", "backprop.")


def test_dtypes_are_equal_only_to_their_own_kind():
    assert bp.float32 != bp.float64 and bp.float32 != bp.int32 and bp.float32 != np.float64
    assert bp.float64 != None and bp.float32 != float and bp.int64 != int  # noqa: E711  (torch: no dtype is None)
    assert {bp.float32: 1}[np.dtype("float32")] == 1 and {np.dtype("int64"): 2}[bp.long] == 2
    assert bp.zeros(2).dtype == bp.float32 and bp.zeros(2).dtype is bp.float32


def test_the_default_dtype_as_torch():
    assert bp.get_default_dtype() is bp.float32 and str(torch.get_default_dtype()) == "torch.float32"
    try:
        for ours, theirs in ((bp.float64, torch.float64), (bp.float16, torch.float16), (bp.float32, torch.float32)):
            bp.set_default_dtype(ours)
            torch.set_default_dtype(theirs)
            for make in (lambda m: m.tensor([1.5]), lambda m: m.zeros(2), lambda m: m.rand(2), lambda m: m.arange(2.0),
                         lambda m: m.tensor([1, 2]) * 2.5, lambda m: m.tensor([1, 2]) / 2, lambda m: m.linspace(0, 1, 3),
                         lambda m: m.full((2,), 1.5), lambda m: m.Tensor(2), lambda m: m.ones(2, dtype=m.int32) + 0.5):
                assert str(make(bp).dtype) == str(make(torch).dtype).replace("torch.", "backprop.")
            assert bp.get_default_dtype() is ours
    finally:
        bp.set_default_dtype(bp.float32)
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        bp.set_default_dtype(bp.int64)
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.int64)


def test_size_is_a_tuple_printed_as_torchs():
    s, t = bp.zeros(2, 3, 4).shape, torch.zeros(2, 3, 4).shape
    assert isinstance(s, tuple) and isinstance(s, bp.Size) and s == (2, 3, 4) and s.numel() == t.numel() == 24
    assert bp.zeros(2, 3).size() == bp.Size([2, 3]) and isinstance(bp.zeros(2, 3).size(), bp.Size)
    for ours, theirs in ((s[1:], t[1:]), (s + (5,), t + (5,)), ((1,) + s, (1,) + t), (s * 2, t * 2)):
        assert type(ours) is bp.Size and type(theirs) is torch.Size and repr(ours) == repr(theirs).replace("torch", "backprop")
    assert s[0] == 2 and type(s[0]) is int and bp.Size([]).numel() == 1
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is bp.Size
    assert bp.numel(bp.zeros(2, 3)) == torch.numel(torch.zeros(2, 3)) == 6


LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor",
          "CharTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructors_from_sizes_and_data(name):
    ours, theirs = getattr(bp, name), getattr(torch, name)
    a, b = ours(2, 3), theirs(2, 3)
    assert a.shape == b.shape and str(a.dtype) == str(b.dtype).replace("torch.", "backprop.")
    data = [[1, 0], [3, 1]] if name != "FloatTensor" else [[1.5, 0], [3, -2.25]]
    a, b = ours(data), theirs(data)
    assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype).replace("torch.", "backprop.")
    assert a.type() == b.type() == f"torch.{name}"
    assert isinstance(a, ours) and isinstance(b, theirs) and a.shape == ours(bp.Size([2, 2])).shape
    assert not isinstance(bp.zeros(1, dtype=bp.int8 if name != "CharTensor" else bp.uint8), ours)
    assert ours().shape == theirs().shape == (0,)


def test_the_tensor_class_as_a_constructor():
    for args in ((2, 3), ([1, 2],), ([[1.5, 2], [3, 4]],), (), (np.array([1, 2]),), (np.array([1.5]),)):
        a, b = bp.Tensor(*args), torch.Tensor(*args)
        assert a.shape == b.shape and str(a.dtype) == str(b.dtype).replace("torch.", "backprop.")
        if args and not isinstance(args[0], int):
            assert a.tolist() == b.tolist()
    x = bp.tensor([1, 2])
    shared = bp.Tensor(x)
    assert shared.dtype == bp.int64 and torch.Tensor(torch.tensor([1, 2])).dtype == torch.int64
    shared[0] = 5
    assert x.tolist() == [5, 2]  # shares memory, as torch's
    with pytest.raises(TypeError):
        bp.LongTensor(bp.tensor([1.5]))
    with pytest.raises(TypeError):
        torch.LongTensor(torch.tensor([1.5]))
    assert isinstance(bp.tensor([1.0]), bp.Tensor) and bp.is_tensor(bp.zeros(1)) and not bp.is_tensor([1.0])
    assert bp.is_floating_point(bp.zeros(1)) and not bp.is_floating_point(bp.zeros(1, dtype=bp.int64))


def test_backprops_own_keywords_of_the_class_constructor():
    t = bp.Tensor(2.5, dtype=bp.float64, requires_grad=True)
    assert t.shape == () and t.dtype == bp.float64 and t.requires_grad and t.item() == 2.5


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", None])
def test_finfo_as_torchs(dtype):
    ours, theirs = (bp.finfo(getattr(bp, dtype)), torch.finfo(getattr(torch, dtype))) if dtype else (bp.finfo(), torch.finfo())
    assert repr(ours) == repr(theirs)
    for attribute in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torchs(dtype):
    ours, theirs = bp.iinfo(getattr(bp, dtype)), torch.iinfo(getattr(torch, dtype))
    assert repr(ours) == repr(theirs) and (ours.bits, ours.min, ours.max, ours.dtype) == (
        theirs.bits, theirs.min, theirs.max, theirs.dtype)


def test_set_default_tensor_type_sets_the_default_dtype():
    try:
        bp.set_default_tensor_type(bp.DoubleTensor)
        assert bp.get_default_dtype() is bp.float64
        bp.set_default_tensor_type("torch.FloatTensor")
        assert bp.get_default_dtype() is bp.float32
    finally:
        bp.set_default_dtype(bp.float32)
