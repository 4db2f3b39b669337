"""Tensor creation, attributes, conversions and printing, against torch."""
import numpy as np
import pytest
import torch

import backprop as bp


def torch_dtype_name(dtype):
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("data", [1, 2.5, True, [1, 2], [1.0, 2], [[1, 2], [3, 4]], [True, False], [], [[1.5]]])
def test_tensor_from_python_data_has_torchs_dtype_and_values(data):
    ours, theirs = bp.tensor(data), torch.tensor(data)
    assert torch_dtype_name(ours.dtype) == torch_dtype_name(theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64", "bool", "uint8", "float16"])
def test_tensor_from_numpy_keeps_the_dtype_and_copies(dtype):
    array = np.arange(4).astype(dtype)
    t = bp.tensor(array)
    assert t.dtype == np.dtype(dtype) == np.dtype(torch_dtype_name(torch.tensor(array).dtype))
    array[0] = 1
    assert t.tolist()[0] == np.arange(4).astype(dtype)[0]


def test_from_numpy_shares_memory():
    array = np.zeros(3, dtype=np.float64)
    t = bp.from_numpy(array)
    array[1] = 5
    assert t.tolist() == [0.0, 5.0, 0.0] and t.dtype == bp.float64


def test_tensor_from_tensor_copies():
    a = bp.tensor([1.0, 2.0])
    b = bp.tensor(a)
    b[0] = 9
    assert a.tolist() == [1.0, 2.0]


def test_unsupported_data_is_refused_clearly():
    with pytest.raises(TypeError, match="nested list of numbers"):
        bp.tensor("abc")
    with pytest.raises(TypeError, match="nested list of numbers"):
        bp.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        bp.tensor(np.array([1j]))


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3), lambda m: m.ones((2, 3)), lambda m: m.zeros(()), lambda m: m.full((2,), 3),
        lambda m: m.full((2,), 3.0), lambda m: m.full((2,), True), lambda m: m.arange(5), lambda m: m.arange(0, 1, 0.25),
        lambda m: m.arange(1, 7, 2), lambda m: m.arange(2.0), lambda m: m.linspace(0, 1, 5), lambda m: m.eye(3),
        lambda m: m.eye(2, 3), lambda m: m.zeros(2, dtype=m.int32), lambda m: m.ones(2, dtype=m.float64),
        lambda m: m.zeros_like(m.ones(2, 2, dtype=m.int64)), lambda m: m.ones_like(m.zeros(3)),
    ],
)
def test_factories_match_torch(make):
    ours, theirs = make(bp), make(torch)
    assert torch_dtype_name(ours.dtype) == torch_dtype_name(theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_random_factories_shapes_dtypes_and_seeding():
    bp.manual_seed(3)
    a = bp.randn(1000)
    bp.manual_seed(3)
    b = bp.randn(1000)
    assert a.tolist() == b.tolist()
    assert a.dtype == bp.float32 and abs(a.mean().item()) < 0.15 and abs(a.std().item() - 1) < 0.1
    u = bp.rand(2, 500)
    assert u.shape == (2, 500) and 0 <= u.min().item() and u.max().item() < 1
    r = bp.randint(0, 5, (100,))
    assert r.dtype == bp.int64 and set(r.tolist()) <= set(range(5))
    assert bp.randn(2, 3, dtype=bp.float64).dtype == bp.float64
    assert bp.randn(2, requires_grad=True).requires_grad


def test_attributes():
    t = bp.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.dim() == 3 and t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4 and len(t) == 2
    assert t.dtype == bp.float32 and t.dtype == np.float32
    assert str(t.device) == "cpu" and t.device == "cpu" and t.device == bp.device("cpu")
    assert t.is_leaf and t.grad is None and t.grad_fn is None and not t.requires_grad
    assert t.T.shape == (4, 3, 2)
    assert isinstance(t.array, np.ndarray)  # the raw array; t.data is a Tensor, as in torch
    assert isinstance(t.data, bp.Tensor) and np.shares_memory(t.data.array, t.array)


def test_device_strings():
    assert str(bp.device("cuda:0")) == "cuda:0" and str(bp.device("cuda:1")) == "cuda:1"
    with pytest.raises(ValueError, match="'cpu', 'cuda' or 'cuda:N'"):
        bp.device("tpu")


def test_conversions():
    t = bp.tensor([1.5, -2.0])
    assert t.to(bp.float64).dtype == bp.float64 and t.double().dtype == bp.float64
    assert t.long().tolist() == [1, -2] and t.int().dtype == bp.int32
    assert t.to("cpu") is t and t.to(bp.float32) is t
    assert t.to(bp.zeros(1, dtype=bp.float16)).dtype == bp.float16
    assert bp.tensor(3).item() == 3 and isinstance(bp.tensor(3.5).item(), float)
    assert float(bp.tensor([2.5])) == 2.5 and int(bp.tensor(7)) == 7
    assert np.asarray(t).tolist() == [1.5, -2.0]
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


def test_cast_is_differentiable():
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    (w.double() * 3).sum().backward()
    assert w.grad.dtype == bp.float32 and w.grad.tolist() == [3.0, 3.0]


def test_numpy_refuses_a_tensor_that_requires_grad():
    w = bp.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    d = w.detach()
    assert not d.requires_grad and d.array is w.array


def test_repr_looks_like_torchs():
    assert repr(bp.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(bp.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(bp.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(bp.tensor([1.0], dtype=bp.float64)) == "tensor([1.], dtype=backprop.float64)"
    assert "grad_fn=<MulBackward0>" in repr(bp.tensor([1.0], requires_grad=True) * 2)


def test_numpy_array_on_the_left_gives_a_tensor():
    t = bp.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([2.0, 3.0], dtype=np.float32) * t
    assert isinstance(y, bp.Tensor) and y.requires_grad
    y.sum().backward()
    assert t.grad.tolist() == [2.0, 3.0]


def test_setitem_fill_copy_and_inplace_arithmetic_on_plain_tensors():
    t = bp.zeros(2, 3)
    t[0, 1] = 5
    t[1] = bp.tensor([1.0, 2.0, 3.0])
    t[t > 2] = -1
    assert t.tolist() == [[0.0, -1.0, 0.0], [1.0, 2.0, -1.0]]
    t += 1
    t *= 2
    assert t.tolist() == [[2.0, 0.0, 2.0], [4.0, 6.0, 0.0]]
    t.fill_(7)
    assert t.tolist() == [[7.0] * 3] * 2
    t.copy_(bp.ones(2, 3))
    assert t.sum().item() == 6
    i = bp.tensor([1, 2])
    with pytest.raises(TypeError, match="can't be cast to backprop.int64 in place"):
        i += 0.5

