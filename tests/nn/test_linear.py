"""Linear's memory layouts against torch: the fast path for a batch of vectors (2-D input,
products laid out by ``ops.linalg.product``), the plain path for other shapes, row-major
and column-major weights, and the layout that gradients and optimiser state keep."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.ops.linalg import product

from .twin import compare_module

rng = np.random.default_rng(0)


@pytest.mark.parametrize("m,k,n", [(3, 5, 4), (4, 5, 3), (4, 4, 4), (1, 3, 2), (0, 3, 2), (2, 0, 3)])
@pytest.mark.parametrize("orders", ["CC", "CF", "FC", "FF"])
def test_product_is_the_matrix_product_laid_out_along_the_shorter_side(m, k, n, orders):
    a = np.asarray(rng.standard_normal((m, k)), order=orders[0])
    b = np.asarray(rng.standard_normal((k, n)), order=orders[1])
    result = product(a, b)
    np.testing.assert_allclose(result, a @ b, rtol=1e-12, atol=1e-12)
    if m < n and m > 1:
        assert result.flags.f_contiguous and not result.flags.c_contiguous
    elif m > 1 or n > 1:
        assert result.flags.c_contiguous


@pytest.mark.parametrize("order", ["C", "F"])
def test_product_writes_into_out_in_its_layout(order):
    a, b = rng.standard_normal((3, 6)), rng.standard_normal((6, 5))
    out = np.empty((3, 5), order=order)
    assert product(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    assert out.flags[f"{order}_CONTIGUOUS"]


def _layer(in_features, out_features, column_major):
    """nn.Linear, its weight stored row-major (as created) or column-major (as a user may assign it)."""
    layer = nn.Linear(in_features, out_features)
    if column_major:
        layer.weight.data = np.asfortranarray(layer.weight.detach().numpy())
    return layer


@pytest.mark.parametrize("column_major", [False, True])
def test_loading_weights_keeps_their_layout(column_major):
    layer = _layer(6, 4, column_major)
    assert layer.weight.detach().numpy().flags.c_contiguous != column_major
    layer.load_state_dict({k: v.detach().numpy() for k, v in torch.nn.Linear(6, 4).state_dict().items()})
    assert layer.weight.detach().numpy().flags.f_contiguous == column_major  # loading copies into place


@pytest.mark.parametrize("in_features,out_features", [(6, 4), (4, 6), (5, 5)])
@pytest.mark.parametrize("shape", [(2, None), (9, None), (3, 2, None), (None,)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_matches_torch_on_both_paths_and_layouts(in_features, out_features, shape, dtype):
    """Batches smaller and larger than the layer (both product layouts), N-D and 1-D inputs (the plain path)."""
    x = rng.standard_normal(tuple(in_features if s is None else s for s in shape))
    compare_module(nn.Linear(in_features, out_features), torch.nn.Linear(in_features, out_features), [x], dtype=dtype)


@pytest.mark.parametrize("column_major", [False, True])
def test_weight_gradient_and_momentum_keep_the_weights_layout(column_major):
    layer = _layer(6, 4, column_major)
    optimizer = bp.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        layer(bp.randn(3, 6)).sum().backward()
        optimizer.step()
        assert layer.weight.grad.numpy().flags.f_contiguous == column_major
        buffer = optimizer.state[layer.weight]["momentum_buffer"].numpy()
        assert buffer.flags.f_contiguous == column_major
    assert layer.weight.detach().numpy().flags.f_contiguous == column_major


def test_loaded_optimizer_state_takes_the_parameters_layout():
    layer = _layer(6, 4, column_major=True)
    optimizer = bp.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    layer(bp.randn(3, 6)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    state["state"][0]["momentum_buffer"] = bp.tensor(np.ascontiguousarray(state["state"][0]["momentum_buffer"].numpy()))
    expected = state["state"][0]["momentum_buffer"].numpy().copy()
    optimizer.load_state_dict(state)
    loaded = optimizer.state[layer.weight]["momentum_buffer"].numpy()
    assert loaded.flags.f_contiguous
    np.testing.assert_array_equal(loaded, expected)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("batch", [2, 9])
def test_input_gradient_takes_the_inputs_layout(order, batch):
    x = bp.tensor(np.zeros((batch, 6)), requires_grad=True)
    x.data = np.asarray(rng.standard_normal((batch, 6)), order=order)
    nn.Linear(6, 4).double()(x).sum().backward()
    assert x.grad.numpy().flags[f"{order}_CONTIGUOUS"]


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_functional_linear_with_any_weight_layout_matches_torch(layout):
    x, b = rng.standard_normal((3, 5)), rng.standard_normal(4)
    weight = rng.standard_normal((4, 10))[:, ::2] if layout == "strided" else np.asarray(
        rng.standard_normal((4, 5)), order=layout)
    ours = [bp.tensor(x, requires_grad=True), bp.nn.Parameter(bp.zeros(4, 5)), bp.tensor(b, requires_grad=True)]
    ours[1].data = weight  # the array itself, in its layout
    theirs = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, weight, b)]
    out, expected = bp.nn.functional.linear(*ours), torch.nn.functional.linear(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_under_no_grad_records_and_keeps_nothing():
    layer = nn.Linear(6, 4)
    with bp.no_grad():
        y = layer(bp.randn(3, 6))
    assert y.grad_fn is None and not y.requires_grad
