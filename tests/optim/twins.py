"""Optimiser twins: the same parameters in backprop and torch, stepped with the same gradients."""
import numpy as np
import torch

import backprop as bp

SHAPES = [(3, 4), (4,), (2, 3, 2)]
# |ours - torch| <= atol + rtol |torch| after 20 steps: the same operations in the same order, so only
# the last-bit differences of fused (FMA) kernels remain
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-5, atol=1e-6)}


def initial_arrays(dtype, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def gradient_sequence(arrays, steps, seed=1):
    """One seeded sequence: the per-step gradients of every parameter (None: no gradient that step)."""
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(a.shape).astype(a.dtype) * 2 for a in arrays] for _ in range(steps)]


def make_params(arrays):
    ours = [bp.nn.Parameter(bp.tensor(a.copy())) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a.copy())) for a in arrays]
    return ours, theirs


def groups(params, group_options):
    """Split params into groups: ``group_options`` is None (one plain list) or one dict per group, each with
    the indices under "params"."""
    if group_options is None:
        return list(params)
    return [dict(options, params=[params[i] for i in options["params"]]) for options in group_options]


def set_grads(ours, theirs, grads):
    for p, q, g in zip(ours, theirs, grads):
        p.grad = None if g is None else bp.tensor(g.copy())
        q.grad = None if g is None else torch.tensor(g.copy())


def assert_params_close(ours, theirs, dtype, what=""):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), err_msg=f"{what} param {i}",
                                   **TOLERANCE[dtype])


def to_bp(obj):
    """A torch state dict with its tensors as backprop tensors (as after torch -> NumPy -> backprop)."""
    if isinstance(obj, torch.Tensor):
        return bp.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_bp(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_bp(v) for v in obj)
    return obj


def to_torch(obj):
    """Our state dict with its tensors as torch tensors ("step" as torch keeps it: a float32 scalar tensor)."""
    if isinstance(obj, dict):
        return {k: (torch.tensor(float(v)) if k == "step" else to_torch(v)) for k, v in obj.items()}
    if isinstance(obj, bp.Tensor):
        return torch.tensor(obj.numpy().copy())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def str_keys(state_dict):
    """bp.save stores dicts with str keys only: the optimiser's state indices as str."""
    return {"state": {str(k): v for k, v in state_dict["state"].items()}, "param_groups": state_dict["param_groups"]}
