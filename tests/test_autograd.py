"""The engine: graph recording, traversal, accumulation, freeing, grad modes."""
import gc
import sys
import tracemalloc

import numpy as np
import pytest
import torch

import backprop as bp


def test_leaf_gradient_matches_the_chain_rule_through_a_shared_node():
    # y = a*b, used twice: L = y*y + y  ->  dL/da = (2y + 1) b
    a = bp.tensor([2.0, -1.0], requires_grad=True)
    b = bp.tensor([3.0, 0.5], requires_grad=True)
    y = a * b
    (y * y + y).sum().backward()
    ta = torch.tensor([2.0, -1.0], requires_grad=True)
    tb = torch.tensor([3.0, 0.5], requires_grad=True)
    ty = ta * tb
    (ty * ty + ty).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())


def test_tensor_used_twice_in_one_op_gets_both_contributions():
    x = bp.tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0
    y = bp.tensor([1.0, 2.0], requires_grad=True)
    (y + y).sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]


def test_second_backward_accumulates_into_grad():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]


def test_accumulated_grads_do_not_alias_between_leaves():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    b = bp.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_user_gradient_array_is_not_aliased_by_grad():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0], dtype=np.float32)
    (x + 1).backward(seed)
    seed[0] = 100.0
    assert x.grad.tolist() == [1.0, 1.0]


def test_graph_is_freed_and_second_backward_raises():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_non_scalar_needs_a_gradient():
    x = bp.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(bp.ones(2, 3))
    assert x.grad.tolist() == [[2.0] * 3] * 2


def test_backward_gradient_of_wrong_shape_is_refused():
    x = bp.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the tensor has shape \(2, 3\)"):
        (x * 2).backward(bp.ones(3))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        bp.ones(2).sum().backward()


def test_broadcast_gradient_is_summed_back_to_the_input_shape():
    w = bp.randn(3, requires_grad=True)
    x = bp.randn(4, 3)
    (x * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), x.numpy().sum(0), rtol=1e-6)
    b = bp.randn(4, 1, requires_grad=True)
    (x + b).sum().backward()
    assert b.grad.shape == (4, 1)
    np.testing.assert_allclose(b.grad.numpy(), np.full((4, 1), 3.0))


def test_chain_of_100k_ops_backpropagates_without_recursion():
    x = bp.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion over the depth would fail at once
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == 1.0


def test_traversal_order_is_deterministic():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = x.exp()
    c = a * b + a.tanh()
    names = [f"<{fn.name()}>" for fn in bp.autograd.topological_order(c.grad_fn)]
    again = [f"<{fn.name()}>" for fn in bp.autograd.topological_order(c.grad_fn)]
    assert names == again
    # depth first over inputs in order (c's inputs: a * b, then a.tanh()), reversed post-order
    assert names == ["<AddBackward0>", "<TanhBackward0>", "<MulBackward0>", "<ExpBackward0>", "<MulBackward0>"]


def test_every_node_runs_after_all_its_consumers():
    x = bp.tensor([0.5], requires_grad=True)
    h = x * 3
    y = h.sin() + h.cos() * h
    order = bp.autograd.topological_order(y.grad_fn)
    position = {fn: i for i, fn in enumerate(order)}
    for fn in order:
        for t in fn.inputs:
            if t.grad_fn is not None:
                assert position[t.grad_fn] > position[fn]


def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    w = bp.ones(2, requires_grad=True)
    with bp.no_grad():
        y = w * 2
        assert not bp.is_grad_enabled()
        with bp.enable_grad():
            z = w * 2
    assert bp.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_a_decorator_and_restored_after_an_exception():
    @bp.no_grad()
    def double(t):
        return t * 2

    assert not double(bp.ones(1, requires_grad=True)).requires_grad
    with pytest.raises(ValueError):
        with bp.no_grad():
            raise ValueError("boom")
    assert bp.is_grad_enabled()


def test_integer_and_bool_tensors_carry_no_gradient():
    with pytest.raises(RuntimeError, match="floating point"):
        bp.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        bp.tensor([True]).requires_grad_()
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    index = bp.tensor([1, 0])
    y = w[index] * index  # int operand promotes, gets no grad
    y.sum().backward()
    assert index.grad is None
    assert w.grad.tolist() == [0.0, 1.0]  # y = (w1 * 1, w0 * 0)
    assert not (w > 1).requires_grad


def test_mixed_precision_gradient_comes_back_in_the_input_dtype():
    w = bp.ones(3, requires_grad=True)  # float32
    x = bp.tensor(np.arange(3.0))  # float64 array keeps float64
    y = w * x
    assert y.dtype == bp.float64
    y.sum().backward()
    assert w.grad.dtype == bp.float32
    assert w.grad.tolist() == [0.0, 1.0, 2.0]


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = x * 4
    h.retain_grad()
    (h * h + k).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    assert k.grad is None
    assert not h.is_leaf and x.is_leaf


def test_in_place_change_of_a_saved_tensor_is_detected():
    x = bp.tensor([1.0, 2.0])
    w = bp.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()  # Mul saved x
    x[0] = 10.0
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*version 0.*version 1"):
        y.backward()


def test_in_place_change_of_a_saved_output_is_detected():
    w = bp.tensor([0.0, 1.0], requires_grad=True)
    y = w.exp()  # Exp saved its output
    with bp.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_change_through_a_view_is_detected():
    x = bp.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = bp.tensor([1.0, 1.0], requires_grad=True)
    y = (w * x).sum()
    row = x[0]  # a view sharing x's version counter
    row[1] = 7.0
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_in_place_change_of_an_unsaved_input_is_fine():
    x = bp.tensor([1.0, 2.0])
    w = bp.tensor([3.0, 4.0], requires_grad=True)
    y = (w + x).sum()  # Add saves nothing
    x[0] = 10.0
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = bp.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        w[0] = 3.0
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        w -= 1.0
    with bp.no_grad():
        w -= 1.0
        w[1] = 5.0
    assert w.tolist() == [0.0, 5.0] and w.requires_grad and w.is_leaf


def test_data_assignment_replaces_values_without_touching_the_graph():
    w = bp.ones(2, requires_grad=True)
    w.data = np.array([2.0, 3.0], dtype=np.float32)
    (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 6.0]
    assert w.array is w.array  # the raw array, no copy
    assert isinstance(w.data, bp.Tensor) and not w.data.requires_grad and np.shares_memory(w.data.array, w.array)
    with pytest.raises(TypeError, match="expects a Tensor"):
        w.data = [1.0, 2.0]


def _mlp_step(w1, w2, x):
    h = (x @ w1).tanh()
    loss = (h @ w2).log_softmax(1)[:, 0].mean()
    loss.backward()
    w1.grad = None
    w2.grad = None


def test_memory_is_flat_over_1000_steps():
    w1 = bp.randn(64, 128, requires_grad=True)
    w2 = bp.randn(128, 10, requires_grad=True)
    x = bp.randn(32, 64)
    for _ in range(20):
        _mlp_step(w1, w2, x)
    gc.collect()
    tracemalloc.start()
    for _ in range(100):
        _mlp_step(w1, w2, x)
    start, _ = tracemalloc.get_traced_memory()
    for _ in range(900):
        _mlp_step(w1, w2, x)
    end, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # one leaked graph per step would hold the activations (32x128 float32 =
    # 16 KB each, several per step): 900 steps leak > 14 MB. Allow 1 MB of noise.
    assert end - start < 1_000_000, f"memory grew by {end - start} bytes over 900 steps"


def test_graph_nodes_are_released_after_backward():
    import weakref

    x = bp.randn(8, requires_grad=True)
    y = (x * 2).exp()
    node = weakref.ref(y.grad_fn)
    big = weakref.ref(y.grad_fn.inputs[0])  # the intermediate x * 2
    y.sum().backward()
    gc.collect()
    assert big() is None  # the backward freed the reference to the intermediate
    assert node() is not None  # the node object itself lives on in y.grad_fn



def test_gradcheck_fails_on_a_nan_gradient():
    class NanGrad(bp.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return grad * float("nan")

    x = bp.tensor([1.0, 2.0], dtype=bp.float64, requires_grad=True)
    with pytest.raises(bp.autograd.GradcheckError, match="nan"):
        bp.autograd.gradcheck(NanGrad.apply, (x,))


def test_integer_results_of_float_inputs_carry_no_graph():
    w = bp.tensor([1.5, -2.0], requires_grad=True)
    assert not w.long().requires_grad and w.long().grad_fn is None
    assert not w.argmax().requires_grad
    assert not (w > 0).requires_grad


def test_forward_learns_from_needs_input_grad_whether_backward_may_follow():
    seen = []

    class Probe(bp.autograd.Function):
        def forward(self, x, y):
            seen.append(self.needs_input_grad)
            return x * y

        def backward(self, grad):
            return grad, grad

    w, c = bp.tensor([1.0], requires_grad=True), bp.tensor([2.0])
    Probe.apply(w, c)
    Probe.apply(c, c)
    with bp.no_grad():
        Probe.apply(w, c)
    assert seen == [(True, False), (), ()]


def _column_major(array):
    t = bp.tensor(np.zeros(array.shape), requires_grad=True)
    t.data = np.asfortranarray(array)  # the array itself: bp.tensor() would copy it row-major
    return t


def test_gradcheck_perturbs_a_column_major_input():
    x = _column_major(np.random.default_rng(0).standard_normal((3, 4)))
    assert x.detach().numpy().flags.f_contiguous
    assert bp.autograd.gradcheck(lambda x: (x * bp.tensor(np.arange(4.0))).sum(1), (x,))


def test_a_copied_leaf_gradient_keeps_its_memory_order():
    class SumWithColumnMajorView(bp.autograd.Function):  # backward hands out a view: the engine copies it
        def forward(self, x):
            self.shape = x.shape
            return x.sum()

        def backward(self, grad):
            return np.full(self.shape[::-1], float(grad)).T

    x = _column_major(np.ones((3, 5)))
    SumWithColumnMajorView.apply(x).backward()
    grad = x.grad.numpy()
    assert grad.base is None and grad.flags.f_contiguous
    np.testing.assert_array_equal(grad, np.ones((3, 5)))
