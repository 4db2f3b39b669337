"""Torch twins for layer tests: copy a torch module's weights into the backprop
module, run the same input through both, compare outputs and every gradient."""
import numpy as np
import torch

import backprop as bp

TOLERANCE = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def copy_weights(torch_module, bp_module):
    """torch state_dict -> NumPy arrays -> strict load into the backprop module."""
    state = {k: v.detach().cpu().numpy() for k, v in torch_module.state_dict().items()}
    bp_module.load_state_dict(state, strict=True)


def assert_close(ours, theirs, dtype="float32", what="value"):
    theirs = theirs.detach().cpu().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = ours.detach().numpy() if isinstance(ours, bp.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, err_msg=what, **TOLERANCE[dtype])


def compare_module(bp_module, torch_module, inputs, dtype="float32", seed=0, copy=True, forward=None):
    """Run ``inputs`` (NumPy arrays; float ones get gradients) through both modules.

    Compares the output(s), the input gradients and every parameter gradient
    under one random upstream gradient. ``forward(module, *inputs)`` overrides
    how the module is called (e.g. to pick the output of an LSTM).
    Returns (bp outputs, torch outputs).
    """
    torch_module = torch_module.to(getattr(torch, dtype))
    bp_module.to(getattr(bp, dtype))
    if copy:
        copy_weights(torch_module, bp_module)
    call = forward or (lambda module, *xs: module(*xs))
    bp_inputs, torch_inputs = [], []
    for array in inputs:
        array = np.asarray(array)
        floating = array.dtype.kind == "f"
        if floating:
            array = array.astype(dtype)
        bp_inputs.append(bp.tensor(array, requires_grad=floating))
        torch_inputs.append(torch.tensor(array, requires_grad=floating))
    ours, theirs = call(bp_module, *bp_inputs), call(torch_module, *torch_inputs)
    ours_list = list(ours) if isinstance(ours, (tuple, list)) else [ours]
    theirs_list = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    rng = np.random.default_rng(seed)
    bp_total, torch_total = 0, 0
    for i, (o, t) in enumerate(zip(ours_list, theirs_list)):
        assert_close(o, t, dtype, f"output {i}")
        if t.requires_grad:
            upstream = rng.standard_normal(t.shape).astype(dtype)
            bp_total = bp_total + (o * bp.tensor(upstream)).sum()
            torch_total = torch_total + (t * torch.tensor(upstream)).sum()
    if isinstance(torch_total, torch.Tensor):
        bp_total.backward()
        torch_total.backward()
        for i, (a, b) in enumerate(zip(bp_inputs, torch_inputs)):
            if b.grad is not None:
                assert_close(a.grad, b.grad, dtype, f"grad of input {i}")
        theirs_params = dict(torch_module.named_parameters())
        for name, param in bp_module.named_parameters():
            expected = theirs_params[name].grad
            if expected is None:
                assert param.grad is None, f"{name}: torch has no grad, backprop has one"
            else:
                assert_close(param.grad, expected, dtype, f"grad of {name}")
    return ours, theirs
