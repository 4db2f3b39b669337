"""Optimizer: parameter groups, per-parameter state, ``step``, hooks and state dicts.

The base of every optimiser. One training step of the lectures' loop:
draw a batch, forward pass, loss, backward pass, then the update
w_j <- w_j - eta dJ/dw_j (or a refinement of it), done by ``step()``.
"""
import copy
import functools
import numbers
from collections import OrderedDict, defaultdict

from backprop import autograd, backend, dtypes
from backprop.checks import check_number
from backprop.hooks import register
from backprop.tensor import Tensor

__all__ = ["Optimizer"]

_UNORDERED = "optimizer parameters need an ordered collection (a list), not a set, whose order changes between runs"


def _hooked(step):
    """Wrap a ``step`` so the pre- and post-hooks run around it (once, even when a subclass calls its parent's)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self._stepping:
            return step(self, *args, **kwargs)
        self._opt_called = True  # a scheduler stepped before the optimizer's first step warns, as torch's
        for hook in list(self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"a step pre-hook must return None or (args, kwargs), got {result!r}")
                args, kwargs = result
        self._stepping = True
        try:
            loss = step(self, *args, **kwargs)
        finally:
            self._stepping = False
        for hook in list(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return loss

    return wrapper


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of parameters and hyperparameters) and ``state``.

    ``params`` is an iterable of Parameters (one group), of ``(name, Parameter)``
    pairs, or of dicts ``{"params": [...], "lr": ...}`` (one group each; what a
    dict leaves out comes from ``defaults``). ``state[p]`` is the per-parameter
    dict an optimiser keeps (momentum buffers, running averages, ``"step"``).
    A subclass implements ``_update(param, grad, state, group)`` on raw arrays,
    or overrides ``step`` itself.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0, 2.0]))
    >>> opt = bp.optim.SGD([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.detach()
    tensor([0., 0.])
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        self._state_dict_pre_hooks = OrderedDict()
        self._state_dict_post_hooks = OrderedDict()
        self._load_state_dict_pre_hooks = OrderedDict()
        self._load_state_dict_post_hooks = OrderedDict()
        self._stepping = False
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                "params given to the optimizer should be an iterable of Tensors or of dicts, "
                f"got a {type(params).__name__}; wrap it in a list"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _hooked(cls.__dict__["step"])

    # ------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters, with its own hyperparameters (the rest from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"param_group needs a 'params' entry, got keys {sorted(param_group)}")
        group = dict(param_group)
        number = len(self.param_groups)
        params, names = _unpack(group["params"], number)
        if names:
            group["param_names"] = names
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"param group {number} contains the same parameter more than once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if any(("param_names" in g) != bool(names) for g in self.param_groups):
            raise ValueError("all optimizer param groups should be with or without names")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise ValueError for a bad hyperparameter (each optimiser adds its own checks)."""
        if "lr" in group:
            _check_at_least(self, group, "lr")

    # -------------------------------------------------------------- step
    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (default, as torch) or to zeros in place (the same
        Tensor, cut off from any graph ``backward(create_graph=True)`` gave it, as torch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    grad = p.grad
                    if grad.grad_fn is not None:
                        grad.detach_()
                    grad.requires_grad = False
                    with autograd.no_grad():
                        grad.zero_()

    def _evaluate(self, closure):
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    @_hooked
    def step(self, closure=None):
        """One update of every parameter that has a gradient; ``closure()`` re-evaluates the loss first.

        Returns the closure's loss (None without a closure). Parameters whose
        ``.grad`` is None are skipped, as torch.
        """
        loss = self._evaluate(closure)
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if grad._data.shape != p._data.shape:
                    raise ValueError(f"{type(self).__name__}.step(): a gradient has shape {tuple(grad._data.shape)}, "
                                     f"its parameter {tuple(p._data.shape)}")
                self._update(p, grad._data, self.state[p], group)
                p._version[0] += 1
        return loss

    def _update(self, param, grad, state, group):
        raise NotImplementedError(f"{type(self).__name__} must implement _update(param, grad, state, group) or step()")

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return new ``(args, kwargs)``."""
        return register(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each ``step`` (e.g. a max-norm constraint)."""
        return register(self._step_post_hooks, hook)

    # ------------------------------------------------------- state dicts
    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before ``state_dict()`` builds the dict."""
        return _register(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs on the built dict; it may return a replacement."""
        return _register(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs before loading; it may return the dict to load instead."""
        return _register(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs after ``load_state_dict()`` has loaded."""
        return _register(self._load_state_dict_post_hooks, hook, prepend)

    def state_dict(self):
        """``{"state": {index: {name: Tensor or number}}, "param_groups": [{..., "params": [index]}]}``, as torch.

        Parameters are numbered in the order of the groups; the Tensors are the
        optimiser's own (not copies), as torch.
        """
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): dict(v) for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self._state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load what ``state_dict()`` returned, also after ``bp.save``/``bp.load`` (str keys) or from torch's.

        State tensors are copied onto each parameter's device and dtype;
        ``"step"`` becomes a number. Raises ValueError when the groups differ
        in number or size.
        """
        for hook in list(self._load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"load_state_dict expects a dict with 'state' and 'param_groups', got {got}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has {len(saved['params'])} parameters, "
                                 f"the optimizer's {len(group['params'])}")
        params = {int(i): p for saved, group in zip(saved_groups, self.param_groups)
                  for i, p in zip(saved["params"], group["params"])}
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            index = int(key) if isinstance(key, str) and key.isdigit() else key
            if index in params:
                param = params[index]
                state[param] = {name: self._load_state_value(value, param, name, index)
                                for name, value in values.items()}
            else:
                state[index] = values
        self.state = state
        self.param_groups = [_merge_group(group, saved) for group, saved in zip(self.param_groups, saved_groups)]
        for hook in list(self._load_state_dict_post_hooks.values()):
            hook(self)

    def _load_state_value(self, value, param, name, index):
        """One loaded state value as this optimiser keeps it (LBFGS keeps flat vectors and lists)."""
        return _cast(value, param, name, index)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key not in ("params", "param_names")]
        return "\n".join(lines + [")"])


def _register(hooks, hook, prepend):
    handle = register(hooks, hook)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _switches(optimizer, foreach=None, differentiable=False, **more):
    """torch's implementation switches (``foreach``, ``fused``, ``capturable``, ``differentiable``) as group entries.

    They choose among torch's kernels and change no value here, so they are
    recorded (the state dicts then carry torch's keys) and otherwise ignored;
    ``differentiable=True`` (gradients through the update) is refused.
    """
    name = type(optimizer).__name__
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported: the update runs on raw arrays, "
                                  f"outside autograd")
    if more.get("fused") and foreach:
        raise RuntimeError(f"{name}: `fused` and `foreach` cannot be `True` together.")
    return dict(foreach=foreach, differentiable=differentiable, **more)


def _scalar_dtype():
    """torch's dtype for 0-d optimiser state: float64 if that is the default dtype, else float32."""
    return "float64" if dtypes.get_default_dtype() == dtypes.float64 else "float32"


def _scalar_state(param, value):
    """A 0-d state Tensor in torch's scalar dtype, on the parameter's array module."""
    return Tensor._make(backend.array_module(param._data).asarray(value, dtype=_scalar_dtype()))


def _unpack(params, number):
    """The group's parameters as a list, and their names where given as (name, parameter) pairs."""
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, (set, frozenset)):
        raise TypeError(_UNORDERED)
    params = list(params)
    names = [p[0] for p in params if isinstance(p, tuple)]
    if names:
        if len(names) != len(params):
            raise ValueError("all optimizer params should be with or without names; some names are missing")
        params = [p[1] for p in params]
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizer can only optimize Tensors (bp.nn.Parameter); "
                            f"param {i} of group {number} is a {type(p).__name__}")
        if not p.is_leaf:
            raise ValueError(f"can't optimize a non-leaf Tensor (param {i} of group {number} has a grad_fn)")
    return params, names


def _cast(value, param, name, index, shape=None):
    """A loaded state value as this optimiser keeps it: a number for "step", else a Tensor like ``param``
    (of ``shape``, by default the parameter's, unless 0-d)."""
    if isinstance(value, Tensor):
        value = value._data
    if not backend.is_array(value):
        return value
    if name == "step":
        return float(value.item())
    shape = param._data.shape if shape is None else tuple(shape)
    if value.ndim and value.shape != shape:
        expected = "the parameter" if shape == param._data.shape else "expected"
        raise ValueError(f"loaded state {name!r} of parameter {index} has shape {tuple(value.shape)}, "
                         f"{expected} {shape}")
    value = backend.to_device(value, param.device)
    dtype = param._data.dtype if value.dtype.kind == "f" else value.dtype
    if value.shape != param._data.shape:
        return Tensor._make(value.astype(dtype, copy=True))
    state = backend.array_module(param._data).empty_like(param._data, dtype=dtype)  # the parameter's memory order
    state[...] = value
    return Tensor._make(state)


def _merge_group(group, saved):
    """The saved hyperparameters on this group's parameters (JSON's lists back to tuples where ours are tuples)."""
    merged = {}
    for key, value in saved.items():
        if isinstance(value, list) and isinstance(group.get(key), tuple):
            value = tuple(value)
        merged[key] = copy.deepcopy(value) if key != "params" else value
    for key, value in group.items():
        merged.setdefault(key, value)
    merged["params"] = group["params"]
    if "param_names" in group and "param_names" not in saved:
        merged["param_names"] = group["param_names"]
    return merged


def _check_at_least(optimizer, group, name, low=0.0):
    """The group's ``name`` is a number >= ``low`` (infinity allowed, as torch allows it)."""
    check_number(f"{type(optimizer).__name__}: {name}", group[name], at_least=low, finite=False)


def _check_betas(optimizer, group):
    betas = group["betas"]
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2
            and all(isinstance(b, numbers.Real) and 0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"{type(optimizer).__name__}: betas must be two numbers in [0, 1), got {betas!r}")


def _check_adam_like(optimizer, group, *more):
    """The checks of Adam and its variants: lr, eps, weight_decay (and ``more``) >= 0, betas in [0, 1)."""
    for name in ("lr", "eps", "weight_decay") + more:
        _check_at_least(optimizer, group, name)
    _check_betas(optimizer, group)


def _next_step(state, param, *names):
    """Count one more step in a parameter's state and return the count; the first time, start the state:
    a zero Tensor like the parameter for each name."""
    if not state:
        state["step"] = 0.0
        for name in names:
            state[name] = _zeros_like(param)
    state["step"] += 1
    return state["step"]


def _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2):
    """Adam's running averages in place: m <- beta1 m + (1 - beta1) g, v <- beta2 v + (1 - beta2) g^2."""
    scratch = backend.array_module(grad).empty_like(exp_avg)
    _lerp_(exp_avg, grad, 1 - beta1, scratch)
    exp_avg_sq *= beta2
    backend.array_module(grad).multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    exp_avg_sq += scratch


def _adam_direction(param, grad, group):
    """g for Adam and its variants: decoupled weight decay shrinks w <- w (1 - eta lambda) in place first,
    else L2 weight decay adds lambda w; ``maximize`` negates."""
    decay = group["weight_decay"]
    if decay != 0 and group["decoupled_weight_decay"]:
        param *= 1 - group["lr"] * decay
        decay = 0
    return _descent_direction(param, grad, group["maximize"], decay)


def _descent_direction(param, grad, maximize, weight_decay):
    """g with maximize (-g) and L2 weight decay (g + lambda w) applied, as torch: a new array only when needed."""
    if weight_decay != 0:
        out = backend.array_module(param).multiply(param, weight_decay)
        return out.__isub__(grad) if maximize else out.__iadd__(grad)
    return -grad if maximize else grad


def _lerp_(start, end, weight, scratch):
    """start <- start + weight (end - start) in place, in torch's two-branch form (``scratch`` is overwritten)."""
    xp = backend.array_module(start)
    xp.subtract(end, start, out=scratch)
    if weight < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1 - weight
        xp.subtract(end, scratch, out=start)


def _zeros_like(param):
    """A state Tensor of zeros with the parameter's array module, dtype and device."""
    return Tensor._make(backend.array_module(param._data).zeros_like(param._data))
