"""Adadelta, Adamax, NAdam, RAdam, ASGD and Rprop step for step against torch (parameters and state), their
state dicts both ways, torch's implementation switches, and SparseAdam's refusal."""
import numpy as np
import pytest
import torch

import backprop as bp
from tests.optim.twins import (
    assert_params_close, assert_state_close, gradient_sequence, initial_arrays, make_params, pair, run_twins, set_grads,
    stepped_pair, to_bp, to_numpy, to_torch,
)

CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.6, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(rho=0.95, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.5), eps=1e-3, weight_decay=0.1)),  # lerp weight >= 0.5
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.8), weight_decay=0.1)),  # rho_inf = 9: rho_t > 5 only from step 4
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),  # averaging from step 6 on
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(0.05, 0.2))),  # the clipping bites
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("Adafactor", dict()),  # matrices (factored), a stack of matrices and vectors
    ("Adafactor", dict(lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=1.5, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.5, d=1.0, maximize=True)),  # the update clipping bites
]
STATEFUL = [("Adadelta", dict(weight_decay=0.1)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
            ("RAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.05, t0=3)), ("Rprop", dict(lr=0.05)),
            ("Adafactor", dict(lr=0.05))]


def _case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_twenty_five_steps_match_torch_parameters_and_state(case, dtype):
    ours, theirs, opt, ref = run_twins(*case, dtype, steps=25, check_state=True)
    assert ours[3] not in opt.state  # never given a gradient: no state, as torch
    assert opt.param_groups[0] == {k: v for k, v in ref.param_groups[0].items() if k != "params"} | {
        "params": ours}


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=[c[0] for c in STATEFUL])
def test_state_dicts_cross_over_between_torch_and_backprop(name, kwargs):
    """Mid-way, torch's state dict (tensors converted) and ours are loaded into fresh optimisers of both kinds:
    all four continue as torch continues after loading its own (loading casts the 0-d state to the
    parameters' dtype, so a reloaded torch optimiser is the reference)."""
    options = [{"params": [2, 0], "lr": 0.02}, {"params": [1]}]
    _, theirs, opt, ref, grads = stepped_pair(name, kwargs, options, 14, 7)
    mine, torchs = opt.state_dict(), ref.state_dict()
    assert mine["param_groups"] == torchs["param_groups"]
    runs = []
    for library, state in [("torch", torchs), ("bp", to_bp(torchs)), ("torch", to_torch(mine)), ("bp", mine),
                           ("bp", to_numpy(torchs))]:
        ours_again, theirs_again = make_params([q.detach().numpy() for q in theirs])
        optimizer = pair(name, dict(kwargs, lr=9.0), ours_again, theirs_again, [dict(g, lr=9.0) for g in options])
        optimizer, params = (optimizer[0], ours_again) if library == "bp" else (optimizer[1], theirs_again)
        optimizer.load_state_dict(state)
        assert [g["lr"] for g in optimizer.param_groups] == [0.02, kwargs.get("lr", opt.defaults["lr"])]
        runs.append((optimizer, params))
    for step_grads in grads[7:]:
        for optimizer, params in runs:
            for p, g in zip(params, step_grads):
                p.grad = bp.tensor(g.copy()) if isinstance(p, bp.Tensor) else torch.tensor(g.copy())
            optimizer.step()
    reference = runs[0][1]
    for what, (_, params) in zip(["torch's state in backprop", "our state in torch", "ours in backprop",
                                  "torch's state as NumPy arrays in backprop"], runs[1:]):
        assert_params_close(params, reference, "float64", what)


def test_scalar_state_is_kept_in_torchs_scalar_dtype():
    """NAdam's mu_product and ASGD's eta and mu are float32 0-d Tensors (torch's scalar dtype) even for
    float64 parameters: the float64 iterates above only match because of it."""
    w = bp.nn.Parameter(bp.zeros(3, dtype=bp.float64))
    for cls in (bp.optim.NAdam, bp.optim.ASGD):
        opt = cls([w])
        w.grad = bp.ones(3, dtype=bp.float64)
        opt.step()
        scalars = {k: v for k, v in opt.state[w].items() if isinstance(v, bp.Tensor) and v.dim() == 0}
        assert scalars and all(v.dtype == bp.float32 for v in scalars.values())


def test_rprop_rule_by_hand():
    """Same sign: the step grows by eta+; a sign change: it shrinks by eta- and that weight does not move."""
    w = bp.nn.Parameter(bp.tensor([1.0, 1.0], dtype=bp.float64))
    opt = bp.optim.Rprop([w], lr=0.1, etas=(0.5, 2.0))
    expected = np.array([1.0, 1.0])
    for g, moves in [([1.0, 1.0], [-0.1, -0.1]), ([1.0, -1.0], [-0.2, 0.0]), ([1.0, -1.0], [-0.4, 0.05])]:
        w.grad = bp.tensor(g, dtype=bp.float64)
        opt.step()
        expected += moves
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam",
                                  "RAdam", "ASGD", "Rprop", "LBFGS", "Adafactor", "Muon"])
def test_signature_defaults_and_group_keys_are_torchs(name):
    import inspect
    ours, theirs = getattr(bp.optim, name), getattr(torch.optim, name)
    mine, torchs = inspect.signature(ours.__init__).parameters, inspect.signature(theirs.__init__).parameters
    assert list(mine) == list(torchs)
    for key, parameter in torchs.items():
        assert mine[key].kind == parameter.kind, key
        assert mine[key].default == parameter.default, key
    group = ours([bp.nn.Parameter(bp.zeros(2, 2))]).param_groups[0]
    expected = theirs([torch.nn.Parameter(torch.zeros(2, 2))]).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {k: v for k, v in expected.items() if k != "params"}


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop", "NAdam", "Rprop"])
def test_differentiable_is_refused_in_one_line(name):
    with pytest.raises(NotImplementedError, match=f"^{name}: differentiable=True is not supported"):
        getattr(bp.optim, name)([bp.nn.Parameter(bp.zeros(2))], differentiable=True)


def test_fused_and_foreach_together_are_refused_as_torch():
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        bp.optim.Adam([bp.nn.Parameter(bp.zeros(2))], fused=True, foreach=True)
    w = bp.nn.Parameter(bp.zeros(2))
    opt = bp.optim.AdamW([w], fused=True, capturable=True)  # accepted: they choose kernels, no value changes
    assert opt.param_groups[0]["fused"] is True and opt.param_groups[0]["capturable"] is True


def test_sparse_adam_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="SparseAdam: sparse gradients are not supported"):
        bp.optim.SparseAdam([bp.nn.Parameter(bp.zeros(2))])


@pytest.mark.parametrize("make,message", [
    (lambda p: bp.optim.Adadelta(p, rho=1.5), r"rho must be in \[0, 1\]"),
    (lambda p: bp.optim.Adamax(p, betas=(0.9, 1.0)), "betas must be two numbers in"),
    (lambda p: bp.optim.NAdam(p, momentum_decay=-1), "momentum_decay must be a number >= 0"),
    (lambda p: bp.optim.RAdam(p, lr=-1), "lr must be a number >= 0"),
    (lambda p: bp.optim.Rprop(p, etas=(1.5, 1.2)), "etas must be"),
])
def test_bad_hyperparameters_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make([bp.nn.Parameter(bp.zeros(2))])


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor"])
def test_a_zero_dimensional_parameter_steps_as_torchs(name):
    ours = [bp.nn.Parameter(bp.tensor(1.5, dtype=bp.float64))]
    theirs = [torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))]
    opt, ref = pair(name, dict(lr=0.1), ours, theirs)
    for t in range(10):
        g = np.sin(t) + 0.3
        ours[0].grad, theirs[0].grad = bp.tensor(g, dtype=bp.float64), torch.tensor(g, dtype=torch.float64)
        opt.step()
        ref.step()
    assert ours[0].shape == ()
    assert_params_close(ours, theirs, "float64", name)


MUON = [dict(lr=0.02), dict(lr=0.02, nesterov=False, weight_decay=0.0), dict(lr=0.01, momentum=0.5,
        adjust_lr_fn="match_rms_adamw"), dict(lr=0.05, ns_steps=3, adjust_lr_fn="original", eps=1e-3)]


@pytest.mark.parametrize("shape,seed", [((4, 3), 0), ((3, 5), 1), ((8, 8), 2), ((16, 6), 3), ((2, 9), 4)])
def test_muon_newton_schulz_in_bfloat16_is_torchs_exactly(shape, seed):
    from torch.optim._muon import _zeropower_via_newtonschulz

    from backprop.optim.muon import _orthogonalise
    g = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 3
    expected = _zeropower_via_newtonschulz(torch.tensor(g), (3.4445, -4.775, 2.0315), 5, 1e-7).float().numpy()
    np.testing.assert_array_equal(_orthogonalise(g, (3.4445, -4.775, 2.0315), 5, 1e-7), expected)
    wide = expected if shape[0] <= shape[1] else expected.T
    assert np.abs(wide @ wide.T - np.eye(min(shape))).max() < 0.5  # roughly orthonormal rows (or columns)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", MUON, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_muon_twenty_steps_match_torch(kwargs, dtype):
    """Wide, tall and square matrices. The update does not depend on the weights, so ours and torch's can only
    differ where a bfloat16 rounding in the Newton-Schulz iteration went the other way (its float32 sums add up
    in another order): by at most one bfloat16 step (2^-7 for entries below 2) of each update so far."""
    arrays = [a.astype(dtype) for a in initial_arrays("float32", shapes=[(3, 4), (5, 2), (6, 6)])]
    grads = gradient_sequence(arrays, 20)
    ours, theirs = make_params(arrays)
    opt, ref = bp.optim.Muon(ours, **kwargs), torch.optim.Muon(theirs, **kwargs)
    for t, step_grads in enumerate(grads):
        set_grads(ours, theirs, step_grads)
        opt.step()
        ref.step()
        for p, q in zip(ours, theirs):
            rows, cols = p.shape
            ratio = 0.2 * max(rows, cols) ** 0.5 if kwargs.get("adjust_lr_fn") == "match_rms_adamw" else \
                max(1, rows / cols) ** 0.5
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0,
                                       atol=(t + 1) * kwargs["lr"] * ratio * 2 ** -7, err_msg=f"step {t}")
        # the momentum buffers see only the gradients: the same to float precision
        assert_state_close(opt, ref, ours, theirs, dtype, f"Muon step {t}")
    assert opt.param_groups[0] == {k: v for k, v in ref.param_groups[0].items() if k != "params"} | {"params": ours}


def test_muon_refuses_parameters_that_are_not_matrices():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters, got one of shape \(3,\)"):
        bp.optim.Muon([bp.nn.Parameter(bp.zeros(3))])
