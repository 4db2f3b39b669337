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


def to_numpy(obj):
    """A torch state dict with its tensors as NumPy arrays ("step" a 0-d array too)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().numpy().copy()
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy(v) for v in obj)
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


def pair(name, kwargs, ours, theirs, group_options=None):
    """Our optimiser and torch's (its for-loop kernels: foreach=False, which ours records too)."""
    return (getattr(bp.optim, name)(groups(ours, group_options), foreach=False, **kwargs),
            getattr(torch.optim, name)(groups(theirs, group_options), foreach=False, **kwargs))


def assert_state_close(opt, ref, ours, theirs, dtype, what=""):
    """Every parameter's state: the same keys, "step" the same count, the Tensors close (0-d ones too)."""
    for i, (p, q) in enumerate(zip(ours, theirs)):
        mine, torchs = opt.state.get(p, {}), ref.state.get(q, {})
        assert mine.keys() == torchs.keys(), f"{what} param {i}: state keys {sorted(mine)} != {sorted(torchs)}"
        for key, value in mine.items():
            expected = torchs[key]
            if key == "step":
                assert value == expected.item(), f"{what} param {i} step"
                continue
            assert isinstance(value, bp.Tensor) and value.dtype == bp.dtypes.of(expected.numpy().dtype), \
                f"{what} param {i} {key}: {value!r} vs torch's {expected.dtype}"
            np.testing.assert_allclose(value.numpy(), expected.numpy(), err_msg=f"{what} param {i} {key}",
                                       **TOLERANCE[dtype])


def run_twins(name, kwargs, dtype, steps=20, group_options=None, check_state=False):
    """Step both optimisers with one seeded gradient sequence; param 2 has no gradient every third step and
    param 3 never has one; parameters (and with ``check_state`` the states) compared after every step.
    Returns the parameters and optimisers."""
    arrays = initial_arrays(dtype, shapes=[(3, 4), (4,), (2, 3, 2), (2,)])
    grads = gradient_sequence(arrays, steps)
    ours, theirs = make_params(arrays)
    opt, ref = pair(name, kwargs, ours, theirs, group_options)
    for t, step_grads in enumerate(grads):
        step_grads = step_grads[:2] + [None if t % 3 == 2 else step_grads[2], None]
        set_grads(ours, theirs, step_grads)
        opt.step()
        ref.step()
        assert_params_close(ours, theirs, dtype, f"{name} step {t}")
        if check_state:
            assert_state_close(opt, ref, ours, theirs, dtype, f"{name} step {t}")
    np.testing.assert_array_equal(ours[3].detach().numpy(), arrays[3])
    return ours, theirs, opt, ref


def stepped_pair(name, kwargs, options, steps, stepped):
    """Both optimisers on float64 twins with parameter groups ``options``, stepped ``stepped`` times of a
    sequence of ``steps`` gradients. Returns ours, theirs, opt, ref and the whole gradient sequence."""
    arrays = initial_arrays("float64")
    grads = gradient_sequence(arrays, steps)
    ours, theirs = make_params(arrays)
    opt, ref = pair(name, kwargs, ours, theirs, options)
    for step_grads in grads[:stepped]:
        set_grads(ours, theirs, step_grads)
        opt.step()
        ref.step()
    return ours, theirs, opt, ref, grads
