"""Tensor.register_post_accumulate_grad_hook, against torch's."""
import gc
import sys
import weakref

import numpy as np
import pytest
import torch

import backprop as bp


def loss(lib, w, x):
    """w is used three times (so its gradient is a sum of three contributions) and x once."""
    return (w * w).sum() + (lib.tanh(w) * 3).sum() + (w @ x).sum()


def record(w):
    """The (hook's argument is ``w``, a copy of its .grad) of each call; the hook holds no reference to ``w``."""
    calls, ident = [], id(w)
    w.register_post_accumulate_grad_hook(lambda t: calls.append((id(t) == ident, t.grad.detach().numpy().copy())))
    return calls


def test_called_once_per_pass_with_the_complete_gradient():
    w0, x0 = np.array([0.5, -1.0, 2.0], np.float32), np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]], np.float32)
    w, x = bp.tensor(w0, requires_grad=True), bp.tensor(x0, requires_grad=True)
    tw, tx = torch.tensor(w0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    calls, torch_calls = record(w), record(tw)
    for passes in (1, 2):  # the second pass adds to .grad: the hook sees the accumulated gradient
        loss(bp, w, x).backward()
        loss(torch, tw, tx).backward()
        assert len(calls) == len(torch_calls) == passes
        assert calls[-1][0] is True
        np.testing.assert_allclose(calls[-1][1], torch_calls[-1][1], rtol=1e-5, atol=1e-6)
    analytic = 2 * (2 * w0 + 3 * (1 - np.tanh(w0) ** 2) + x0.sum(1))
    np.testing.assert_allclose(calls[-1][1], analytic, rtol=1e-5, atol=1e-6)


def test_not_called_for_leaves_without_a_gradient_in_the_pass():
    used, unused = bp.tensor([1.0, 2.0], requires_grad=True), bp.tensor([3.0], requires_grad=True)
    detached = bp.tensor([4.0], requires_grad=True)
    calls = {name: record(t) for name, t in [("used", used), ("unused", unused), ("detached", detached)]}
    (used * detached.detach()).sum().backward()
    assert [len(calls[name]) for name in ("used", "unused", "detached")] == [1, 0, 0]
    assert unused.grad is None and detached.grad is None
    (unused * 2).sum().backward()
    assert [len(calls[name]) for name in ("used", "unused", "detached")] == [1, 1, 0]


def test_a_backward_from_the_leaf_itself():
    w = bp.tensor(2.0, requires_grad=True)
    calls = record(w)
    w.backward()
    assert len(calls) == 1 and calls[0][1] == 1.0


def test_hooks_run_in_registration_order_and_remove():
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    order = []
    first = w.register_post_accumulate_grad_hook(lambda t: order.append("first"))
    w.register_post_accumulate_grad_hook(lambda t: order.append("second"))
    (w * 2).sum().backward()
    assert order == ["first", "second"]
    first.remove()
    (w * 2).sum().backward()
    assert order == ["first", "second", "second"]
    first.remove()  # a second remove is harmless
    (w * 2).sum().backward()
    assert order == ["first", "second", "second", "second"]


def test_only_on_a_leaf_that_requires_grad():
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="requires_grad"):
        bp.tensor([1.0, 2.0]).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        w.register_post_accumulate_grad_hook("not a function")


def test_the_hook_does_not_keep_the_tensor_alive():
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    handle = w.register_post_accumulate_grad_hook(lambda t: None)
    alive = weakref.ref(w)
    del w
    gc.collect()
    assert alive() is None
    handle.remove()  # removing after the tensor is gone is harmless
    # a new tensor that reuses a dead one's id does not inherit its hooks (the dead one's are never removed here)
    stale, ids = [], []
    for _ in range(20):
        v = bp.tensor([1.0, 2.0], requires_grad=True)
        ids.append(id(v))
        calls = []
        v.register_post_accumulate_grad_hook(lambda t, calls=calls: calls.append(1))
        (v * 2).sum().backward()
        assert calls == [1] and stale == []
        v.register_post_accumulate_grad_hook(lambda t: stale.append(1))  # would run for the next tensor of this id
        del v
    assert len(set(ids)) < len(ids)  # an id was reused: the case above did happen


def test_a_tensor_freed_at_interpreter_exit_is_quiet(monkeypatch):
    from backprop import autograd

    errors = []
    monkeypatch.setattr(sys, "unraisablehook", errors.append)
    w = bp.tensor([1.0, 2.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)
    monkeypatch.setattr(autograd, "_post_accumulate_hooks", None)  # what interpreter shutdown does to the global
    del w
    gc.collect()
    assert [str(e.exc_value) for e in errors] == []
