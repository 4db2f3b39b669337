"""Embedding against torch: lookup, summed gradients of repeated indices, padding_idx, init."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F
from backprop.ops import embedding as E

from .twin import assert_close, compare_module


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 2, 3)])
def test_matches_torch_with_repeated_indices(dtype, shape):
    index = np.random.default_rng(0).integers(0, 4, size=shape)  # 4 of 10 rows: repeats for sure
    compare_module(nn.Embedding(10, 3), torch.nn.Embedding(10, 3), [index], dtype=dtype)


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_row_is_zero_and_gets_no_gradient(padding_idx):
    ours, theirs = nn.Embedding(6, 4, padding_idx=padding_idx), torch.nn.Embedding(6, 4, padding_idx=padding_idx)
    row = padding_idx % 6
    assert ours.padding_idx == theirs.padding_idx == row
    np.testing.assert_array_equal(ours.weight.detach().numpy()[row], np.zeros(4, np.float32))
    index = np.array([[row, 1, row], [2, row, 5]])
    compare_module(ours, theirs, [index], dtype="float64")
    np.testing.assert_array_equal(ours.weight.grad.numpy()[row], np.zeros(4))


def test_repeated_index_gradient_is_the_sum():
    layer = nn.Embedding(3, 2)
    (layer(bp.tensor([1, 1, 1, 2])) * bp.tensor([[1.0, 2.0]])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[0, 0], [3, 6], [1, 2]])


def test_init_is_standard_normal():
    bp.manual_seed(0)
    w = nn.Embedding(2000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert nn.Embedding(4, 3).weight.dtype == bp.float32


def test_functional_matches_torch():
    weight = np.random.default_rng(1).standard_normal((7, 3))
    index = np.array([[0, 6, 6], [2, 0, 1]])
    ours_w, theirs_w = bp.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    y, t = F.embedding(bp.tensor(index), ours_w, padding_idx=6), torch.nn.functional.embedding(
        torch.tensor(index), theirs_w, padding_idx=6)
    assert_close(y, t, "float64")
    upstream = np.random.default_rng(2).standard_normal(t.shape)
    (y * bp.tensor(upstream)).sum().backward()
    (t * torch.tensor(upstream)).sum().backward()
    assert_close(ours_w.grad, theirs_w.grad, "float64", "weight grad")


def test_gradcheck():
    w = bp.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    index = bp.tensor([[0, 4, 4], [2, 0, 1]])
    assert bp.autograd.gradcheck(lambda w: E.embedding(index, w), (w,))
    assert bp.autograd.gradcheck(lambda w: E.embedding(index, w, padding_idx=4) * (index != 4).unsqueeze(-1), (w,))


def test_from_pretrained():
    weight = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
    layer = nn.Embedding.from_pretrained(weight)
    assert not layer.weight.requires_grad
    assert layer(bp.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(weight, freeze=False).weight.requires_grad


def test_errors():
    layer = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index 5 is out of range for 5 embeddings"):
        layer(bp.tensor([0, 5]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        layer(bp.tensor([-1]))
    with pytest.raises(TypeError, match="integer index tensor.*float32"):
        layer(bp.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx must be within"):
        nn.Embedding(5, 2, padding_idx=5)


def test_state_dict_and_repr_like_torch():
    ours, theirs = nn.Embedding(5, 2, padding_idx=1), torch.nn.Embedding(5, 2, padding_idx=1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (2, 4)])
def test_one_hot_matches_torch(values, num_classes):
    ours = F.one_hot(bp.tensor(values, dtype=bp.int64), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    assert ours.dtype == bp.int64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("values,num_classes", [([0.0, 1.0], -1), ([0, 3], 3), ([-1, 0], 2)])
def test_one_hot_refuses_what_torch_refuses(values, num_classes):
    with pytest.raises(RuntimeError):
        torch.nn.functional.one_hot(torch.tensor(values), num_classes)
    with pytest.raises(RuntimeError):
        F.one_hot(bp.tensor(values), num_classes)
