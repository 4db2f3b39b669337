"""repr/str/format of tensors, dtypes, Size and devices: character for character as torch prints them (with
backprop's prefix where torch writes ``torch.``)."""
import numpy as np
import pytest
import torch

import backprop as bp


def same_repr(array, **kwargs):
    ours, theirs = bp.tensor(array, **kwargs), torch.tensor(array, **kwargs_for_torch(kwargs))
    assert repr(ours) == repr(theirs).replace("torch.", "backprop."), f"\nbackprop: {ours!r}\ntorch:    {theirs!r}"
    assert str(ours) == repr(ours)


def kwargs_for_torch(kwargs):
    return {k: getattr(torch, str(v).split(".")[-1]) if k == "dtype" else v for k, v in kwargs.items()}


rng = np.random.default_rng(0)
ARRAYS = {
    "halves": np.array([1.5, 2.25, -3.0], dtype=np.float32),
    "whole floats": np.array([1.0, 2.0, -30.0], dtype=np.float32),
    "ints": np.array([1, -20, 300]),
    "bools": np.array([True, False]),
    "scalar float": np.float32(3.14159),
    "scalar int": np.int64(7),
    "scalar whole float": np.float32(2.0),
    "wide range": np.array([1e-3, 10.0, 1e4], dtype=np.float32),
    "tiny": np.array([1e-5, 2e-5], dtype=np.float32),
    "huge": np.array([1e9, 2.0], dtype=np.float32),
    "huge whole": np.array([1e9, 2e9], dtype=np.float32),
    "non-finite": np.array([np.nan, np.inf, -np.inf, 1.5], dtype=np.float32),
    "non-finite whole": np.array([np.nan, 2.0, -np.inf], dtype=np.float32),
    "zeros": np.zeros(3, dtype=np.float32),
    "negative zero": np.array([-0.0, 1.0], dtype=np.float32),
    "matrix": rng.standard_normal((3, 4)).astype(np.float32),
    "3-d": rng.standard_normal((2, 3, 2)).astype(np.float32),
    "int matrix": rng.integers(-100, 100, (4, 5)),
    "long vector wraps": rng.standard_normal(30).astype(np.float32),
    "long int vector wraps": np.arange(40),
    "summarised vector": np.arange(2000, dtype=np.float32) / 7,
    "summarised matrix": rng.standard_normal((50, 50)).astype(np.float32),
    "summarised 3-d": rng.integers(0, 10, (12, 12, 12)),
    "float64": np.array([0.1, 0.2], dtype=np.float64),
    "float16": np.array([0.1, 65504.0], dtype=np.float16),
    "int32": np.array([1, 2], dtype=np.int32),
    "uint8": np.array([1, 255], dtype=np.uint8),
    "int8": np.array([-1, 2], dtype=np.int8),
    "int16 matrix": np.array([[1, 2], [3, 4]], dtype=np.int16),
    "empty": np.zeros(0, dtype=np.float32),
    "empty int": np.zeros(0, dtype=np.int64),
    "empty matrix": np.zeros((0, 3), dtype=np.float32),
    "empty float64 matrix": np.zeros((2, 0), dtype=np.float64),
}


@pytest.mark.parametrize("name", list(ARRAYS))
def test_repr_matches_torch(name):
    same_repr(ARRAYS[name])


def test_python_data_and_suffixes_match_torch():
    same_repr([1.0, 2.0], requires_grad=True)
    same_repr([[1.0, 2.0], [3.0, 4.0]], dtype=bp.float64, requires_grad=True)
    same_repr(3.5, requires_grad=True)
    ours, theirs = bp.tensor([1.0, 2.0], requires_grad=True) * 2, torch.tensor([1.0, 2.0], requires_grad=True) * 2
    assert repr(ours) == repr(theirs) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    for n in (7, 9):  # 7: grad_fn wrapped onto a line of its own; 9: after the last line of values
        ours = bp.tensor(np.arange(n, dtype=np.float32) * 1.5, requires_grad=True) * 1
        theirs = torch.tensor(np.arange(n, dtype=np.float32) * 1.5, requires_grad=True) * 1
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("options", [
    dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
    dict(edgeitems=1, threshold=10), dict(linewidth=40), dict(profile="short"), dict(profile="full"),
])
def test_printoptions_match_torch(options):
    try:
        bp.set_printoptions(**options)
        torch.set_printoptions(**options)
        for name in ("halves", "wide range", "matrix", "long vector wraps", "summarised vector", "ints", "tiny"):
            same_repr(ARRAYS[name])
    finally:
        bp.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert repr(bp.tensor([1.23456])) == "tensor([1.2346])"


def test_the_default_dtype_decides_which_dtype_is_shown():
    try:
        bp.set_default_dtype(bp.float64)
        torch.set_default_dtype(torch.float64)
        for array in (np.array([1.5], dtype=np.float32), np.array([1.5]), np.zeros(0)):
            same_repr(array)
        same_repr([1.5, 2.0])
    finally:
        bp.set_default_dtype(bp.float32)
        torch.set_default_dtype(torch.float32)


def test_format_of_a_0d_tensor_is_its_numbers_format():
    loss = bp.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235"
    assert f"{bp.tensor(3):>4d}" == "   3" and f"{bp.tensor(2.5)}" == "2.5"
    t = bp.tensor([1.5, 2.0])
    assert f"{t}" == repr(t) == f"{torch.tensor([1.5, 2.0])}"
    with pytest.raises(TypeError):
        f"{t:.2f}"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.5, 2.0]):.2f}"


def test_dtype_size_and_device_print_as_torch():
    assert str(bp.float32) == repr(bp.float32) == str(torch.float32).replace("torch", "backprop")
    assert repr(bp.int64) == "backprop.int64" and str(bp.bool) == "backprop.bool"
    assert repr(bp.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape).replace("torch", "backprop")
    assert str(bp.Size([])) == "backprop.Size([])" and str(bp.zeros(5).size()) == "backprop.Size([5])"
    for spec in ("cpu", "cuda:1"):
        assert repr(bp.device(spec)) == repr(torch.device(spec)) and str(bp.device(spec)) == str(torch.device(spec))
    assert repr(bp.device("cuda", 0)) == repr(torch.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert repr(bp.channels_last) == "backprop.channels_last"


def test_parameter_repr_matches_torch():
    ours, theirs = bp.nn.Parameter(bp.tensor([1.0, 2.0])), torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(ours) == repr(theirs)
