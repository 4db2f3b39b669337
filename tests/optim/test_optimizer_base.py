"""The Optimizer base: argument checks, zero_grad, closure, hooks, MaxNorm, and one training run against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn


def _param(*shape):
    return nn.Parameter(bp.ones(*shape))


@pytest.mark.parametrize("make,error,message", [
    (lambda: bp.optim.SGD(_param(2), lr=0.1), TypeError, "iterable of Tensors or of dicts, got a Parameter"),
    (lambda: bp.optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: bp.optim.SGD([_param(2), 3.0], lr=0.1), TypeError, "param 1 of group 0 is a float"),
    (lambda: bp.optim.SGD({_param(2)}, lr=0.1), TypeError, "not a set"),
    (lambda: bp.optim.SGD([(_param(2) * 2)], lr=0.1), ValueError, "non-leaf"),
    (lambda: bp.optim.SGD([_param(2)], lr=-0.1), ValueError, "SGD: lr must be a number >= 0.0, got -0.1"),
    (lambda: bp.optim.SGD([_param(2)], lr=0.1, momentum=-1), ValueError, "momentum must be"),
    (lambda: bp.optim.SGD([_param(2)], lr=0.1, nesterov=True), ValueError, "Nesterov momentum needs momentum > 0"),
    (lambda: bp.optim.SGD([_param(2)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "dampening 0"),
    (lambda: bp.optim.Adam([_param(2)], betas=(1.0, 0.9)), ValueError, r"betas must be two numbers in \[0, 1\)"),
    (lambda: bp.optim.AdamW([_param(2)], betas=(0.9,)), ValueError, "betas must be two numbers"),
    (lambda: bp.optim.Adam([_param(2)], lr="0.1"), TypeError, r"Adam: lr must be a number >= 0.0, got '0.1' \(a str\)"),
    (lambda: bp.optim.Adam([{"params": [_param(2)], "lr": -1.0}]), ValueError, "lr must be a number >= 0.0"),
    (lambda: bp.optim.Adagrad([_param(2)], lr_decay=-1), ValueError, "lr_decay"),
    (lambda: bp.optim.RMSprop([_param(2)], alpha=-0.5), ValueError, "alpha"),
    (lambda: bp.optim.RMSprop([{"lr": 0.1}]), ValueError, "needs a 'params' entry"),
])
def test_bad_arguments_raise_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_parameter_in_two_groups_or_twice_in_one_is_an_error():
    w, b = _param(2), _param(3)
    with pytest.raises(ValueError, match="more than one parameter group"):
        bp.optim.SGD([{"params": [w]}, {"params": [b, w]}], lr=0.1)
    with pytest.raises(ValueError, match="group 0 contains the same parameter more than once"):
        bp.optim.SGD([w, b, w], lr=0.1)
    opt = bp.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": w})
    with pytest.raises(TypeError, match="param_group must be a dict, got list"):
        opt.add_param_group([b])


def test_a_tensor_that_does_not_require_grad_is_accepted_and_skipped():
    frozen, w = bp.zeros(3), _param(3)
    opt = bp.optim.Adam([frozen, w], lr=0.1)
    w.grad = bp.ones(3)
    opt.step()
    assert frozen.tolist() == [0.0, 0.0, 0.0] and frozen not in opt.state
    np.testing.assert_allclose(w.detach().numpy(), 0.9, rtol=1e-6)


def test_a_gradient_of_the_wrong_shape_is_an_error():
    w = _param(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):  # as torch
        w.grad = bp.ones(1)
    w._grad = bp.ones(1)  # set behind the check (as code writing .grad's internals could): step() still refuses
    with pytest.raises(ValueError, match=r"gradient has shape \(1,\), its parameter \(3,\)"):
        bp.optim.SGD([w], lr=0.1).step()


def test_named_parameters_give_param_names_as_torch():
    model = nn.Linear(2, 3)
    opt = bp.optim.SGD(model.named_parameters(), lr=0.1)
    ref = torch.optim.SGD(torch.nn.Linear(2, 3).named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ref.param_groups[0]["param_names"] == ["weight", "bias"]
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], [model.weight, model.bias]))
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_zero_grad_sets_to_none_or_to_zeros():
    w = _param(3)
    opt = bp.optim.SGD([w], lr=0.1)
    w.grad = bp.tensor([1.0, 2.0, 3.0])
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_step_with_a_closure_reevaluates_the_loss_and_returns_it():
    w = nn.Parameter(bp.tensor([3.0, -1.0]))
    opt = bp.optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    with bp.no_grad():  # the closure runs with grad enabled even so, as torch
        loss = opt.step(closure)
    assert calls == [10.0] and loss.item() == 10.0
    assert w.tolist() == [1.5, -0.5]  # w - 0.25 * 2 w


def test_step_hooks_run_around_each_step_and_can_be_removed():
    w = _param(2)
    opt = bp.optim.Adam([w], lr=0.1)
    seen = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", o is opt, w.tolist())))
    post = opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", args, kwargs, w.tolist())))
    w.grad = bp.ones(2)
    opt.step()
    assert seen[0] == ("pre", True, [1.0, 1.0])
    assert seen[1][:3] == ("post", (), {}) and seen[1][3] == pytest.approx([0.9, 0.9])
    post.remove()
    opt.step()
    assert [s[0] for s in seen] == ["pre", "post", "pre"]
    pre.remove()
    opt.step()
    assert len(seen) == 3
    with pytest.raises(TypeError, match="a hook must be callable"):
        opt.register_step_post_hook(3)


def test_a_subclass_that_calls_its_parents_step_runs_each_hook_once():
    class Logged(bp.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    w = _param(2)
    opt = Logged([w], lr=0.1)
    calls = []
    opt.register_step_post_hook(lambda *a: calls.append(1))
    w.grad = bp.ones(2)
    opt.step()
    assert calls == [1] and w.tolist() == pytest.approx([0.9, 0.9])


def test_repr_lists_the_groups():
    text = repr(bp.optim.SGD([_param(2)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9" in text


# ---------------------------------------------------------------- max-norm
def _unit_norms_clipped(array, leading, alpha):
    """NumPy by hand: each unit (the first ``leading`` axes index units) rescaled to norm <= alpha."""
    flat = array.reshape(int(np.prod(array.shape[:leading])), -1).astype(np.float64)
    norms = np.sqrt((flat ** 2).sum(axis=1, keepdims=True))
    flat = np.where(norms > alpha, flat * alpha / norms, flat)
    return flat.reshape(array.shape)


def test_max_norm_attached_runs_after_every_step():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.LocallyConnected2d(3, 2, input_size=4, kernel_size=2),
                          nn.Flatten(), nn.Linear(18, 4))
    opt = bp.optim.SGD(model.parameters(), lr=1.0)
    handle = bp.optim.MaxNorm(model, max_norm=0.4).attach(opt)
    units = {"0.weight": 1, "1.weight": 3, "3.weight": 1}  # leading axes that index units
    x = bp.randn(2, 1, 6, 6)
    for _ in range(2):
        opt.zero_grad()
        (model(x) ** 2).sum().backward()
        stepped = {k: p.detach().numpy() - p.grad.numpy() for k, p in model.named_parameters()}
        opt.step()
        for name, p in model.named_parameters():
            leading = units.get(name)
            expected = stepped[name] if leading is None else _unit_norms_clipped(stepped[name], leading, 0.4)
            if leading is not None:
                assert not np.allclose(expected, stepped[name])  # some units were too long: the hook acted
            np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-5, atol=1e-7, err_msg=name)
    handle.remove()
    opt.zero_grad()
    (model(x) ** 2).sum().backward()
    stepped = model[3].weight.detach().numpy() - model[3].weight.grad.numpy()
    opt.step()
    assert np.sqrt((stepped ** 2).sum(axis=1)).max() > 0.4
    np.testing.assert_allclose(model[3].weight.detach().numpy(), stepped, rtol=1e-6)


def test_max_norm_arguments_are_checked():
    with pytest.raises(TypeError, match="MaxNorm expects a Module, got list"):
        bp.optim.MaxNorm([nn.Linear(2, 2)], 1.0)
    with pytest.raises(ValueError, match="max_norm must be a positive number, got 0"):
        bp.optim.MaxNorm(nn.Linear(2, 2), 0)


# ---------------------------------------------------------------- end to end
def test_an_mlp_trained_with_adam_matches_its_torch_twin():
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    start = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    opt = bp.optim.Adam(ours.parameters(), lr=0.01, weight_decay=1e-3)
    ref = torch.optim.Adam(theirs.parameters(), lr=0.01, weight_decay=1e-3)
    for _ in range(10):
        opt.zero_grad()
        ref.zero_grad()
        nn.CrossEntropyLoss()(ours(bp.tensor(x)), bp.tensor(y)).backward()
        torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
        ref.step()
    expected = theirs.state_dict()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[key].numpy(), rtol=1e-4, atol=1e-5, err_msg=key)
        assert np.abs(value.numpy() - start[key]).max() > 0.02  # ten steps of about lr each moved every tensor


def test_state_dict_hooks_run_as_torchs():
    """Pre-hooks see the optimizer, post-hooks the dict (and may replace it); prepend puts a hook first."""
    import torch

    for lib, make in [("bp", lambda: bp.optim.SGD([bp.nn.Parameter(bp.zeros(2))], lr=0.1)),
                      ("torch", lambda: torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1))]:
        opt, calls = make(), []
        opt.register_state_dict_pre_hook(lambda o: calls.append("pre"))
        opt.register_state_dict_pre_hook(lambda o: calls.append("first"), prepend=True)
        opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
        handle = opt.register_state_dict_post_hook(lambda o, sd: calls.append(sorted(sd)))
        state = opt.state_dict()
        assert calls == ["first", "pre", ["extra", "param_groups", "state"]], lib
        assert state["extra"] == 1
        handle.remove()
        calls.clear()
        opt.state_dict()
        assert calls == ["first", "pre"], lib

        loaded = []
        opt.register_load_state_dict_pre_hook(
            lambda o, sd: {"state": sd["state"], "param_groups": [dict(g, lr=0.5) for g in sd["param_groups"]]})
        opt.register_load_state_dict_post_hook(lambda o: loaded.append(o.param_groups[0]["lr"]))
        opt.load_state_dict({"state": {}, "param_groups": state["param_groups"]})
        assert loaded == [0.5] and opt.param_groups[0]["lr"] == 0.5, lib


def test_zero_grad_without_none_zeroes_the_same_tensor_in_place_as_torch():
    import torch

    for lib in (bp, torch):
        w = (nn.Parameter if lib is bp else torch.nn.Parameter)(lib.ones(2))
        (w * w).sum().backward(create_graph=True)  # a gradient with a graph of its own
        grad = w.grad
        assert grad.requires_grad
        (bp.optim if lib is bp else torch.optim).SGD([w], lr=0.1).zero_grad(set_to_none=False)
        assert w.grad is grad and grad.tolist() == [0.0, 0.0]
        assert not grad.requires_grad and grad.grad_fn is None
