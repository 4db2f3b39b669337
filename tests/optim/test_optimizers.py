"""Every optimiser and option, step for step against torch on the same parameters and gradients."""
import numpy as np
import pytest
import torch

import backprop as bp
from tests.optim.twins import (
    assert_params_close, gradient_sequence, groups, initial_arrays, make_params, pair, run_twins, set_grads,
    stepped_pair, str_keys, to_bp, to_torch,
)

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, momentum=0.5, weight_decay=0.1)),  # lerp weight >= 0.5
    ("RMSprop", dict(lr=0.01, eps=1e-3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.5), eps=1e-4, maximize=True)),  # lerp weight >= 0.5
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.5, maximize=True)),
]
# one option set per optimiser that keeps every kind of state it has
STATEFUL = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
]


def _case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_twenty_steps_match_torch(case, dtype):
    ours, theirs, opt, ref = run_twins(*case, dtype)
    assert (ours[3] in opt.state) == (theirs[3] in ref.state)  # a parameter never given a grad: no state
    for p in ours:
        for value in opt.state.get(p, {}).values():
            if isinstance(value, bp.Tensor):
                assert value.dtype == p.dtype and value.shape == p.shape


GROUPS = [
    ("SGD", dict(lr=0.1, momentum=0.9), [{"params": [0, 2], "lr": 0.01, "momentum": 0.5}, {"params": [1, 3]}]),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.2),
     [{"params": [0], "lr": 0.3, "initial_accumulator_value": 5.0}, {"params": [1, 2, 3], "lr_decay": 0.1}]),
    ("RMSprop", dict(lr=0.01), [{"params": [0, 1], "centered": True, "lr": 0.03}, {"params": [2, 3], "momentum": 0.8}]),
    ("Adam", dict(lr=0.01), [{"params": [2], "betas": (0.5, 0.9), "lr": 0.1}, {"params": [0, 1, 3], "amsgrad": True}]),
    ("AdamW", dict(lr=0.01), [{"params": [3, 1], "weight_decay": 0.5}, {"params": [0, 2], "lr": 0.002}]),
]


@pytest.mark.parametrize("name,kwargs,group_options", GROUPS, ids=[g[0] for g in GROUPS])
def test_param_groups_with_their_own_options_match_torch(name, kwargs, group_options):
    _, _, opt, ref = run_twins(name, kwargs, "float64", group_options=group_options)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref.param_groups]


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_add_param_group_later_matches_torch(name, kwargs):
    arrays = initial_arrays("float64")
    grads = gradient_sequence(arrays, 6)
    ours, theirs = make_params(arrays)
    opt, ref = pair(name, kwargs, ours[:2], theirs[:2])
    for t, step_grads in enumerate(grads):
        if t == 3:
            opt.add_param_group({"params": [ours[2]], "lr": 0.2})
            ref.add_param_group({"params": [theirs[2]], "lr": 0.2})
        set_grads(ours, theirs, step_grads)
        opt.step()
        ref.step()
    assert_params_close(ours, theirs, "float64")
    assert opt.param_groups[1].keys() == ref.param_groups[1].keys()  # torch's switches (foreach ...) too


def test_sgd_with_dampening_equal_to_momentum_is_the_lectures_exponential_average():
    """g~ <- beta g~ + (1 - beta) g, w <- w - eta g~ (torch starts the average at the first gradient)."""
    beta, eta = 0.8, 0.1
    arrays = initial_arrays("float64", shapes=[(5,)])
    grads = [g[0] for g in gradient_sequence(arrays, 20)]
    w = bp.nn.Parameter(bp.tensor(arrays[0].copy()))
    opt = bp.optim.SGD([w], lr=eta, momentum=beta, dampening=beta)
    expected, average = arrays[0].copy(), None
    for g in grads:
        average = g.copy() if average is None else beta * average + (1 - beta) * g
        expected = expected - eta * average
        w.grad = bp.tensor(g)
        opt.step()
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-13, atol=1e-15)


def test_adagrad_is_the_lectures_rule():
    """w_j <- w_j - eta / sqrt(G_jj) g_j with G_jj the accumulated squared gradient (eps = 0)."""
    arrays = initial_arrays("float64", shapes=[(6,)])
    grads = [g[0] for g in gradient_sequence(arrays, 10)]
    w = bp.nn.Parameter(bp.tensor(arrays[0].copy()))
    opt = bp.optim.Adagrad([w], lr=0.3, eps=0.0)
    expected, G = arrays[0].copy(), np.zeros(6)
    for g in grads:
        G += g * g
        expected = expected - 0.3 / np.sqrt(G) * g
        w.grad = bp.tensor(g)
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-13)


# ------------------------------------------------------------------ state dicts
def _step_all(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = bp.tensor(g.copy())
        opt.step()


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "bp.save"])
@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_state_dict_round_trip_continues_identically(name, kwargs, through_file, tmp_path):
    arrays = initial_arrays("float64")
    grads = gradient_sequence(arrays, 20)
    options = [{"params": [0, 2], "lr": 0.05}, {"params": [1]}]
    cls = getattr(bp.optim, name)
    straight, _ = make_params(arrays)
    _step_all(cls(groups(straight, options), **kwargs), straight, grads)

    first, _ = make_params(arrays)
    interrupted = cls(groups(first, options), **kwargs)
    _step_all(interrupted, first, grads[:8])
    state = interrupted.state_dict()
    if through_file:
        bp.save(str_keys(state), tmp_path / "optimizer.safetensors")
        state = bp.load(tmp_path / "optimizer.safetensors")
        assert all(isinstance(k, str) for k in state["state"])
    resumed = [bp.nn.Parameter(bp.tensor(p.detach().numpy().copy())) for p in first]
    opt = cls(groups(resumed, options), **dict(kwargs, lr=123.0))  # the loaded groups bring back the lrs
    opt.load_state_dict(state)
    assert [g["lr"] for g in opt.param_groups] == [0.05, kwargs["lr"]]
    if "betas" in opt.defaults:
        assert isinstance(opt.param_groups[0]["betas"], tuple)
    _step_all(opt, resumed, grads[8:])
    for p, q in zip(resumed, straight):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_state_dict_is_torchs_format_with_torchs_values(name, kwargs):
    options = [{"params": [2, 0], "lr": 0.05}, {"params": [1]}]
    ours, theirs, opt, ref, grads = stepped_pair(name, kwargs, options, 10, 5)
    mine, torchs = opt.state_dict(), ref.state_dict()
    assert mine["state"].keys() == torchs["state"].keys() == {0, 1, 2}
    for index, state in mine["state"].items():
        assert state.keys() == torchs["state"][index].keys()
        for key, value in state.items():
            expected = torchs["state"][index][key]
            if key == "step":
                assert isinstance(value, float) and value == expected.item() == 5
            else:
                np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-12, atol=1e-14)
    for group, expected in zip(mine["param_groups"], torchs["param_groups"]):
        assert group == expected

    # torch's state dict (its tensors converted) continues in backprop as in torch, and ours in torch
    ours_again = [bp.nn.Parameter(bp.tensor(q.detach().numpy().copy())) for q in theirs]
    theirs_again = [torch.nn.Parameter(q.detach().clone()) for q in theirs]
    opt_again, ref_again = pair(name, kwargs, ours_again, theirs_again, options)
    opt_again.load_state_dict(to_bp(torchs))
    ref_again.load_state_dict(to_torch(mine))
    for p, q in zip(ours_again, ours):
        assert opt_again.state[p].keys() == opt.state[q].keys()
    for step_grads in grads[5:]:
        set_grads(ours, theirs, step_grads)
        set_grads(ours_again, theirs_again, step_grads)
        for o in (opt, ref, opt_again, ref_again):
            o.step()
    assert_params_close(ours_again, theirs, "float64", "torch's state in backprop")
    assert_params_close(ours, theirs_again, "float64", "our state in torch")


def test_load_state_dict_casts_to_the_parameters_dtype_and_copies():
    w = bp.nn.Parameter(bp.zeros(3, dtype=bp.float32))
    opt = bp.optim.Adam([w])
    buffer = bp.tensor(np.ones(3))  # float64
    opt.load_state_dict({"state": {0: {"step": bp.tensor(2.0), "exp_avg": buffer, "exp_avg_sq": buffer}},
                         "param_groups": [dict(opt.state_dict()["param_groups"][0])]})
    state = opt.state[w]
    assert state["step"] == 2.0 and isinstance(state["step"], float)
    assert state["exp_avg"].dtype == bp.float32
    state["exp_avg_sq"].data[0] = 5
    assert buffer.data[0] == 1


@pytest.mark.parametrize("change,message", [
    (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "2 parameter groups, the optimizer 1"),
    (lambda sd: sd["param_groups"][0]["params"].append(7), "group 0 has 3 parameters, the optimizer's 2"),
    (lambda sd: sd["state"][0].__setitem__("momentum_buffer", bp.zeros(5)), r"shape \(5,\), the parameter \(3,\)"),
    (lambda sd: sd.pop("state"), "with 'state' and 'param_groups'"),
])
def test_load_state_dict_errors(change, message):
    params = [bp.nn.Parameter(bp.zeros(3)), bp.nn.Parameter(bp.zeros(2))]
    opt = bp.optim.SGD(params, lr=0.1, momentum=0.9)
    for p in params:
        p.grad = bp.ones(*p.shape)
    opt.step()
    state = opt.state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        bp.optim.SGD(params, lr=0.1, momentum=0.9).load_state_dict(state)
