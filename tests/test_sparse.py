"""The minimal sparse COO tensor (backprop.ops.sparse, bp.sparse) against torch's: construction, coalescing,
conversions, products with dense matrices and their gradients, a graph-convolution step, and the clear error for
what is not provided."""
import numpy as np
import pytest
import torch

import backprop as bp

INDICES = [[0, 1, 1, 2, 0], [2, 0, 2, 1, 2]]  # (0, 2) twice
VALUES = [1.0, -2.0, 3.0, 0.5, 4.0]


def both(size=(3, 4), requires_grad=False):
    return (bp.sparse_coo_tensor(INDICES, bp.tensor(VALUES), size, requires_grad=requires_grad),
            torch.sparse_coo_tensor(INDICES, torch.tensor(VALUES), size, requires_grad=requires_grad))


def same(b, t):
    np.testing.assert_allclose(b.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_construction_and_attributes():
    s, t = both()
    assert s.is_sparse and not bp.ones(2).is_sparse
    assert tuple(s.shape) == tuple(t.shape) and s._nnz() == t._nnz() and s.is_coalesced() == t.is_coalesced()
    assert tuple(bp.sparse_coo_tensor(INDICES, bp.tensor(VALUES)).shape) == tuple(
        torch.sparse_coo_tensor(INDICES, torch.tensor(VALUES)).shape)
    same(s.to_dense(), t.to_dense())
    with pytest.raises(RuntimeError):
        s.indices()  # uncoalesced: torch refuses too
    assert s._indices().tolist() == t._indices().tolist()  # as stored
    same(s._values(), t._values())
    legacy = bp.sparse.FloatTensor(bp.tensor(INDICES), bp.tensor(VALUES, dtype=bp.float64), bp.Size([3, 4]))
    assert legacy.dtype == bp.float32 and tuple(legacy.shape) == (3, 4)
    with pytest.raises(RuntimeError, match="size is inconsistent"):
        bp.sparse_coo_tensor(INDICES, bp.tensor(VALUES), (2, 4))


def test_coalesce_sums_duplicates_in_sorted_order():
    s, t = both()
    cs, ct = s.coalesce(), t.coalesce()
    assert cs.indices().tolist() == ct.indices().tolist()
    same(cs.values(), ct.values())
    assert cs._nnz() == ct._nnz() and cs.is_coalesced()


@pytest.mark.parametrize("sparse_dim", [None, 1])
def test_to_sparse_of_a_dense_tensor(sparse_dim):
    x = [[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [-2.0, 0.0, 3.0]]
    s = bp.tensor(x).to_sparse() if sparse_dim is None else bp.tensor(x).to_sparse(sparse_dim)
    t = torch.tensor(x).to_sparse() if sparse_dim is None else torch.tensor(x).to_sparse(sparse_dim)
    assert s.indices().tolist() == t.indices().tolist()
    same(s.values(), t.values())
    same(s.to_dense(), t.to_dense())


@pytest.mark.parametrize("form", ["sparse.mm", "mm", "matmul", "method", "vector", "dense_left"])
def test_products_with_a_dense_operand_and_their_gradients(form):
    rng = np.random.default_rng(0)
    d = rng.standard_normal((4,) if form == "vector" else (4, 2))
    upstream = rng.standard_normal({"vector": (3,), "dense_left": (2, 3)}.get(form, (3, 2)))
    results = []
    for lib in (bp, torch):
        values = lib.tensor(VALUES, requires_grad=True)
        s = lib.sparse_coo_tensor(INDICES, values, (3, 4))
        dense = lib.tensor(d, dtype=lib.float32, requires_grad=True)
        y = {"sparse.mm": lambda: lib.sparse.mm(s, dense), "mm": lambda: lib.mm(s, dense),
             "matmul": lambda: s @ dense, "method": lambda: s.mm(dense), "vector": lambda: s @ dense,
             "dense_left": lambda: lib.mm(dense.T, s.t())}[form]()
        y.backward(lib.tensor(upstream, dtype=lib.float32))
        results.append((y, values.grad, dense.grad))
    for b, t in zip(*results):
        same(b, t)


def test_a_sparse_leaf_gets_a_sparse_gradient_with_its_pattern():
    s, t = both(requires_grad=True)
    d = np.arange(8.0, dtype=np.float32).reshape(4, 2)
    bp.sparse.mm(s, bp.tensor(d)).sum().backward()
    torch.sparse.mm(t, torch.tensor(d)).sum().backward()
    assert s.grad.is_sparse
    same(s.grad.to_dense(), t.grad.to_dense())


def test_sparse_sum():
    s, t = both()
    same(bp.sparse.sum(s), torch.sparse.sum(t))
    same(bp.sparse.sum(s, (0, 1)), torch.sparse.sum(t, (0, 1)))
    partial, expected = bp.sparse.sum(s, 0), torch.sparse.sum(t, 0)
    assert partial.is_sparse and expected.is_sparse
    same(partial.to_dense(), expected.to_dense())


def test_a_graph_convolution_step_matches_torch():
    """relu(A_hat X W) with a normalised sparse adjacency: loss and the weight's gradient as torch's."""
    rng = np.random.default_rng(1)
    edges = np.array([[0, 1, 1, 2, 2, 3, 0, 1, 2, 3], [1, 0, 2, 1, 3, 2, 0, 1, 2, 3]])
    degree = np.bincount(edges[0]).astype(np.float32)
    weights = (1 / np.sqrt(degree[edges[0]] * degree[edges[1]])).astype(np.float32)
    x, w = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    grads = []
    for lib in (bp, torch):
        adjacency = lib.sparse_coo_tensor(lib.tensor(edges), lib.tensor(weights), (4, 4))
        weight = lib.tensor(w, requires_grad=True)
        loss = lib.relu(lib.sparse.mm(adjacency, lib.tensor(x) @ weight)).pow(2).sum()
        loss.backward()
        grads.append((loss, weight.grad))
    for b, t in zip(*grads):
        same(b, t)


def test_what_is_not_provided_says_so():
    s, _ = both()
    with pytest.raises(NotImplementedError, match="not provided by backprop's sparse tensors"):
        s.exp()
    with pytest.raises(AttributeError, match="torch.sparse.softmax is not provided"):
        bp.sparse.softmax
    assert not hasattr(bp.sparse, "softmax")
    with pytest.raises(NotImplementedError, match="two sparse tensors"):
        bp.sparse.mm(s, s.t())


def test_a_custom_function_saves_a_sparse_operand():
    """Graph-attention code multiplies by a sparse matrix inside its own autograd.Function, saving it."""

    class SparseTimesDense(bp.autograd.Function):
        @staticmethod
        def forward(ctx, adjacency, dense):
            ctx.save_for_backward(adjacency)
            return bp.sparse.mm(adjacency, dense)

        @staticmethod
        def backward(ctx, grad):
            (adjacency,) = ctx.saved_tensors
            return None, bp.sparse.mm(adjacency.t(), grad)

    values = [[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 0.0, 4.0]]
    dense = bp.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    SparseTimesDense.apply(bp.tensor(values).to_sparse(), dense).sum().backward()
    expected = np.array(values).T @ np.ones((3, 2))
    np.testing.assert_allclose(dense.grad.numpy(), expected)
