"""GCNConv and the normalised adjacency: against matrices worked out by hand and the dense formula in torch."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn.graph import normalized_adjacency

from .twin import assert_close, compare_module


class TorchGCN(torch.nn.Module):
    """Kipf & Welling's layer written out densely in torch: D^-1/2 (A + I) D^-1/2 X W^T + b."""

    def __init__(self, in_features, out_features, bias=True, normalize=True):
        super().__init__()
        linear = torch.nn.Linear(in_features, out_features, bias=bias)
        self.weight, self.bias, self.normalize = linear.weight, linear.bias, normalize

    def forward(self, x, a):
        if self.normalize:
            a = a + torch.eye(a.shape[-1], dtype=a.dtype)
            d = a.sum(-1) ** -0.5
            a = torch.diag_embed(d) @ a @ torch.diag_embed(d)
        out = a @ x @ self.weight.T
        return out if self.bias is None else out + self.bias


def _graph(n, seed, weighted=False):
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((n, n)) < 0.3, k=1).astype(float)
    if weighted:
        a *= rng.uniform(0.5, 2.0, (n, n))
    return a + a.T


def test_normalized_adjacency_of_a_path_by_hand():
    # path 0 - 1 - 2: with self-loops the degrees are 2, 3, 2, so Â_ij = (A + I)_ij / sqrt(d_i d_j)
    a = bp.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=bp.float64)
    r6 = 1 / math.sqrt(6)
    expected = [[1 / 2, r6, 0], [r6, 1 / 3, r6], [0, r6, 1 / 2]]
    np.testing.assert_allclose(normalized_adjacency(a).numpy(), expected, rtol=1e-12)
    # without self-loops: degrees 1, 2, 1
    r2 = 1 / math.sqrt(2)
    np.testing.assert_allclose(normalized_adjacency(a, add_self_loops=False).numpy(),
                               [[0, r2, 0], [r2, 0, r2], [0, r2, 0]], rtol=1e-12)


def test_isolated_node_keeps_only_its_self_loop_or_nothing():
    a = bp.zeros(3, 3, dtype=bp.float64)
    a[0, 1] = a[1, 0] = 2.0  # weighted edge between 0 and 1; node 2 alone
    np.testing.assert_allclose(normalized_adjacency(a).numpy(), [[1 / 3, 2 / 3, 0], [2 / 3, 1 / 3, 0], [0, 0, 1]],
                               rtol=1e-12)
    without = normalized_adjacency(a, add_self_loops=False).numpy()
    assert np.isfinite(without).all() and (without[2] == 0).all() and (without[:, 2] == 0).all()


def test_normalized_adjacency_batched_and_its_gradient_match_torch():
    a = np.stack([_graph(6, 0, weighted=True), _graph(6, 1, weighted=True)])
    ours = bp.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    d = (theirs + torch.eye(6, dtype=torch.float64)).sum(-1) ** -0.5
    expected = d[..., :, None] * (theirs + torch.eye(6, dtype=torch.float64)) * d[..., None, :]
    result = normalized_adjacency(ours)
    assert_close(result, expected, "float64")
    upstream = np.random.default_rng(2).standard_normal(a.shape)
    (result * bp.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    assert_close(ours.grad, theirs.grad, "float64", "adjacency grad")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_matches_dense_torch_formula(dtype, bias):
    torch.manual_seed(0)
    rng = np.random.default_rng(3)
    x, a = rng.standard_normal((9, 5)), _graph(9, 4, weighted=True)
    compare_module(nn.GCNConv(5, 3, bias=bias), TorchGCN(5, 3, bias=bias), [x, a], dtype=dtype)


def test_layer_batched_features_and_given_propagation_matrix():
    torch.manual_seed(1)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 4))
    compare_module(nn.GCNConv(4, 6), TorchGCN(4, 6), [x, _graph(7, 6)], dtype="float64")
    a = rng.standard_normal((2, 7, 7))  # normalize=False: the matrix is used as it comes, one per graph
    compare_module(nn.GCNConv(4, 6, normalize=False), TorchGCN(4, 6, normalize=False), [x, a], dtype="float64")


def test_gradcheck_and_gradgradcheck_in_features_and_adjacency():
    bp.manual_seed(0)
    layer = nn.GCNConv(3, 2).to(bp.float64)
    rng = np.random.default_rng(7)
    x = bp.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    a = bp.tensor(_graph(5, 8, weighted=True), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x, a: layer(x, a), (x, a))
    assert bp.autograd.gradgradcheck(lambda x, a: layer(x, a), (x, a))


def test_parameters_init_and_repr():
    bp.manual_seed(0)
    layer = nn.GCNConv(40, 24)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (24, 40) and (layer.bias.detach().numpy() == 0).all()
    bound, w = math.sqrt(6 / 64), layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound  # Glorot uniform fills its interval
    assert repr(nn.GCNConv(4, 2, bias=False)) == "GCNConv(in_features=4, out_features=2, bias=False, normalize=True)"
    assert nn.GCNConv(4, 2, bias=False).bias is None


def test_bad_shapes_say_what_was_expected():
    layer = nn.GCNConv(4, 2)
    with pytest.raises(ValueError, match=r"square adjacency matrix of shape \(\*, N, N\), got \(5, 4\)"):
        layer(bp.zeros(5, 4), bp.zeros(5, 4))
    with pytest.raises(ValueError, match=r"got input of shape \(5, 3\) .* expected \(\*, 5, 4\)"):
        layer(bp.zeros(5, 3), bp.zeros(5, 5))
    with pytest.raises(ValueError, match=r"expected \(\*, 6, 4\)"):
        layer(bp.zeros(5, 4), bp.zeros(6, 6))
