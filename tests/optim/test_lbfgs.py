"""LBFGS against torch: the same iterates and the same number of closure calls, with and without the
strong-Wolfe line search, on Rosenbrock's function and a least-squares fit; its state dict both ways."""
import numpy as np
import pytest
import torch

import backprop as bp
from tests.optim.twins import to_numpy

START = np.array([-1.2, 1.0, -0.5, 0.8])


def _rosenbrock(x, lib):
    """sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2: a curved valley, minimum at (1, ..., 1)."""
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _twins(kwargs, start=START, dtype="float64"):
    ours = bp.nn.Parameter(bp.tensor(start.astype(dtype)))
    theirs = torch.nn.Parameter(torch.tensor(start.astype(dtype)))
    return ours, theirs, bp.optim.LBFGS([ours], **kwargs), torch.optim.LBFGS([theirs], **kwargs)


def _closure(optimizer, param, function, lib, calls):
    def closure():
        calls.append(param.detach().numpy().copy())  # where each evaluation happens
        optimizer.zero_grad()
        loss = function(param, lib)
        loss.backward()
        return loss
    return closure


CASES = [
    dict(line_search_fn="strong_wolfe"),
    dict(lr=1, line_search_fn="strong_wolfe", history_size=3, max_iter=7),
    dict(lr=0.1),  # a fixed step: no line search
    dict(lr=0.05, max_iter=5, history_size=2),
]


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_rosenbrock_iterates_and_closure_calls_are_torchs(kwargs):
    ours, theirs, opt, ref = _twins(kwargs)
    our_calls, their_calls = [], []
    for step in range(6):
        loss = opt.step(_closure(opt, ours, _rosenbrock, bp, our_calls))
        expected = ref.step(_closure(ref, theirs, _rosenbrock, torch, their_calls))
        assert len(our_calls) == len(their_calls), f"step {step}: closure calls"
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(np.array(our_calls), np.array(their_calls), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
        state, torch_state = opt.state[ours], ref.state[theirs]
        assert (state["func_evals"], state["n_iter"]) == (torch_state["func_evals"], torch_state["n_iter"])
        assert len(state["old_dirs"]) == len(torch_state["old_dirs"]) <= opt.defaults["history_size"]
    first = _rosenbrock(START, np)
    assert _rosenbrock(ours.detach().numpy(), np) < first / 10  # it did descend


def test_strong_wolfe_reaches_rosenbrocks_minimum():
    ours, theirs, opt, ref = _twins(dict(line_search_fn="strong_wolfe", max_iter=100, tolerance_grad=1e-10,
                                         tolerance_change=1e-14))
    calls = []
    opt.step(_closure(opt, ours, _rosenbrock, bp, calls))
    ref.step(_closure(ref, theirs, _rosenbrock, torch, []))
    np.testing.assert_allclose(ours.detach().numpy(), np.ones(4), atol=1e-6)
    assert opt.state[ours]["func_evals"] == ref.state[theirs]["func_evals"] == len(calls)


def test_float32_follows_torch():
    ours, theirs, opt, ref = _twins(dict(line_search_fn="strong_wolfe", max_iter=10), dtype="float32")
    for _ in range(2):
        opt.step(_closure(opt, ours, _rosenbrock, bp, []))
        ref.step(_closure(ref, theirs, _rosenbrock, torch, []))
    assert ours.dtype == bp.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_a_line_fit_over_two_parameters_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 2))
    t = x @ np.array([[2.0], [-1.0]]) + 0.5 + 0.1 * rng.standard_normal((30, 1))
    weights = rng.standard_normal((2, 1)), np.zeros(1)
    ours = [bp.nn.Parameter(bp.tensor(w.copy())) for w in weights]
    theirs = [torch.nn.Parameter(torch.tensor(w.copy())) for w in weights]
    options = dict(line_search_fn="strong_wolfe", tolerance_grad=1e-10, tolerance_change=1e-12)
    opt, ref = bp.optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)

    def closure(optimizer, params, lib):
        def evaluate():
            optimizer.zero_grad()
            loss = ((lib.tensor(x) @ params[0] + params[1] - lib.tensor(t)) ** 2).mean()
            loss.backward()
            return loss
        return evaluate

    opt.step(closure(opt, ours, bp))
    ref.step(closure(ref, theirs, torch))
    solution = np.linalg.lstsq(np.hstack([x, np.ones((30, 1))]), t, rcond=None)[0].ravel()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([ours[0].detach().numpy().ravel(), ours[1].detach().numpy()]),
                               solution, atol=1e-6)


def test_torchs_state_dict_continues_in_backprop():
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=4, history_size=5)
    ours, theirs, opt, ref = _twins(kwargs)
    for _ in range(2):
        ref.step(_closure(ref, theirs, _rosenbrock, torch, []))
    resumed = bp.nn.Parameter(bp.tensor(theirs.detach().numpy().copy()))
    opt = bp.optim.LBFGS([resumed], **kwargs)
    opt.load_state_dict(to_numpy(ref.state_dict()))  # its tensors as NumPy arrays
    assert opt.state[resumed]["n_iter"] == 8 and len(opt.state[resumed]["old_dirs"]) == 5
    for _ in range(2):
        opt.step(_closure(opt, resumed, _rosenbrock, bp, []))
        ref.step(_closure(ref, theirs, _rosenbrock, torch, []))
    np.testing.assert_allclose(resumed.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    again = bp.optim.LBFGS([bp.nn.Parameter(bp.tensor(START.copy()))], **kwargs)
    again.load_state_dict(opt.state_dict())  # ours into ours
    assert again.state_dict()["state"][0].keys() == ref.state_dict()["state"][0].keys()


def test_lbfgs_arguments_as_torch():
    w = bp.nn.Parameter(bp.zeros(2))
    assert bp.optim.LBFGS([w], max_iter=8).defaults["max_eval"] == 10  # max_iter * 5 // 4
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        bp.optim.LBFGS([{"params": [w]}, {"params": [bp.nn.Parameter(bp.zeros(1))]}])
    with pytest.raises(TypeError):
        bp.optim.LBFGS([w]).step()  # a closure is required
    opt = bp.optim.LBFGS([w], line_search_fn="backtracking")
    w.grad = bp.ones(2)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (w * w).sum())


def test_a_zero_gradient_returns_at_once():
    w = bp.nn.Parameter(bp.ones(3))
    opt = bp.optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 0
    assert len(calls) == 1 and w.detach().numpy().tolist() == [1, 1, 1]
