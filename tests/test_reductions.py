"""What the op registry cannot express for the reductions, scans and sorting ops: the named-tuple types of
their results, out=, the in-place scans, topk(sorted=False) and their errors, each against torch."""
import numpy as np
import pytest
import torch

import backprop as bp

X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 3.0, -2.0, 0.0]], dtype=np.float32)


def both(values=X):
    return bp.tensor(values), torch.tensor(values)


TUPLE_OPS = [
    ("sort", lambda lib, x: lib.sort(x, 1)), ("topk", lambda lib, x: lib.topk(x, 2)),
    ("kthvalue", lambda lib, x: lib.kthvalue(x, 2)), ("median", lambda lib, x: lib.median(x, 1)),
    ("nanmedian", lambda lib, x: lib.nanmedian(x, 0)), ("mode", lambda lib, x: lib.mode(x, 1)),
    ("cummax", lambda lib, x: lib.cummax(x, 1)), ("cummin", lambda lib, x: lib.cummin(x, 0)),
    ("max", lambda lib, x: lib.max(x, 1)), ("min", lambda lib, x: lib.min(x, 1, keepdim=True)),
    ("aminmax", lambda lib, x: lib.aminmax(x, dim=1)), ("sort", lambda lib, x: x.sort(descending=True)),
]


@pytest.mark.parametrize("name,fn", TUPLE_OPS)
def test_named_tuple_results_as_torch(name, fn):
    b, t = both()
    ours, theirs = fn(bp, b), fn(torch, t)
    assert type(ours).__name__ == type(theirs).__name__ == name
    fields = ("min", "max") if name == "aminmax" else ("values", "indices")
    assert ours._fields == fields
    first, second = ours  # unpacks
    for mine, torch_value, field in zip((first, second), theirs, fields):
        assert getattr(ours, field) is mine
        np.testing.assert_array_equal(mine.numpy(), torch_value.numpy())


def test_std_mean_var_mean_and_unique_give_plain_tuples():
    b, t = both()
    for name in ["std_mean", "var_mean"]:
        ours, theirs = getattr(bp, name)(b, 1), getattr(torch, name)(t, 1)
        assert type(ours) is tuple and len(ours) == len(theirs) == 2
        for mine, torch_value in zip(ours, theirs):
            np.testing.assert_allclose(mine.numpy(), torch_value.numpy(), rtol=1e-6)
    ours = bp.unique(bp.tensor([3, 1, 3]), return_counts=True)
    assert type(ours) is tuple and [o.tolist() for o in ours] == [[1, 3], [1, 2]]


def test_out_writes_into_the_given_tensors():
    b, t = both()
    for fn in [lambda lib, x, o: lib.sum(x, 1, out=o), lambda lib, x, o: lib.cumsum(x, 1, out=o),
               lambda lib, x, o: lib.amax(x, 0, out=o), lambda lib, x, o: lib.quantile(x, 0.5, 1, out=o),
               lambda lib, x, o: lib.nansum(x, out=o), lambda lib, x, o: lib.logcumsumexp(x, 0, out=o)]:
        ours, theirs = bp.zeros(0), torch.zeros(0)  # resized, as torch resizes an empty out
        assert fn(bp, b, ours) is ours
        fn(torch, t, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    values, indices = bp.zeros(2, 4), bp.zeros(2, 4, dtype=bp.int64)
    result = bp.sort(b, 1, descending=True, out=(values, indices))
    assert result.values is values and result.indices is indices
    expected = torch.sort(t, 1, descending=True)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())


def test_out_refuses_a_graph_as_torch():
    x = bp.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="out="):
        bp.cumsum(x, 1, out=bp.zeros(2, 4))
    with pytest.raises(RuntimeError):
        torch.cumsum(torch.tensor(X, requires_grad=True), 1, out=torch.zeros(2, 4))


@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
def test_in_place_scans(name):
    b, t = both()
    assert getattr(b, name)(1) is b
    getattr(t, name)(1)
    np.testing.assert_allclose(b.numpy(), t.numpy(), rtol=1e-6)


def test_in_place_scan_is_recorded():
    x, y = bp.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    a, c = x * 1, y * 1
    a.cumprod_(1)
    c.cumprod_(1)
    a.sum().backward()
    c.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-6)


def test_topk_unsorted_gives_the_same_elements():
    b, t = both()
    ours, theirs = bp.topk(b, 3, sorted=False), torch.topk(t, 3, sorted=False)
    assert sorted(ours.indices.tolist()[0]) == sorted(theirs.indices.tolist()[0])
    np.testing.assert_array_equal(np.sort(ours.values.numpy(), 1), np.sort(theirs.values.numpy(), 1))


@pytest.mark.parametrize("call,error", [
    (lambda lib, x: lib.topk(x, 5), RuntimeError),
    (lambda lib, x: lib.kthvalue(x, 0), RuntimeError),
    (lambda lib, x: lib.quantile(x, 1.5), RuntimeError),
    (lambda lib, x: lib.quantile(x, lib.tensor([0.5], dtype=lib.float64)), RuntimeError),
    (lambda lib, x: lib.logcumsumexp(x.long(), 0), NotImplementedError),
    (lambda lib, x: lib.histc(x.long()), NotImplementedError),
    (lambda lib, x: lib.bincount(x.long()), RuntimeError),
    (lambda lib, x: lib.searchsorted(x, x[:1], right=True, side="left"), RuntimeError),
    (lambda lib, x: lib.sort(x, 2), IndexError),
])
def test_errors_as_torch(call, error):
    b, t = both()
    with pytest.raises(error):
        call(torch, t)
    with pytest.raises(error):
        call(bp, b)


def test_cumprod_second_derivative_with_zeros_matches_torch():
    values = np.array([2.0, 0.0, 3.0, 0.0, -1.5])
    x, y = bp.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    weights = np.array([0.3, -1.0, 2.0, 0.5, 1.5])
    (g,) = bp.autograd.grad((bp.cumprod(x, 0) * bp.tensor(weights)).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad((torch.cumprod(y, 0) * torch.tensor(weights)).sum(), y, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), h.detach().numpy(), rtol=1e-12)
    (gg,) = bp.autograd.grad((g * g).sum(), x)
    (hh,) = torch.autograd.grad((h * h).sum(), y)
    np.testing.assert_allclose(gg.numpy(), hh.numpy(), rtol=1e-12)


def test_named_results_print_as_torchs():
    """torch prints a return type one field a line: torch.return_types.min(\\nvalues=...,\\nindices=...)."""
    values = [[1.0, 2.0], [0.0, 5.0]]
    for call in (lambda lib, x: x.min(0), lambda lib, x: x.sort(), lambda lib, x: lib.linalg.slogdet(x)):
        ours, theirs = (repr(call(lib, lib.tensor(values))) for lib in (bp, torch))
        assert ours == theirs.replace("torch.", "backprop.")
