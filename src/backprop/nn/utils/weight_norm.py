"""Weight normalisation through a forward pre-hook (torch's legacy ``torch.nn.utils.weight_norm``).

w = g v / ||v||: the direction v and the length g are learned separately
(Salimans & Kingma 2016). The module's parameter ``weight`` is replaced by
``weight_g`` (the norms, one per slice along ``dim``, shaped to broadcast) and
``weight_v`` (same shape as w); before every forward ``weight`` is recomputed
from them as a plain attribute, so gradients reach g and v.
"""
import warnings

from backprop import autograd
from backprop.nn.parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v, pow=2, dim=0):
    """||v|| over every axis but ``dim``, kept as size-1 axes (shape (n, 1, ...) for dim 0); over all of v
    (a 0-d tensor) for ``dim=-1``."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    axes = tuple(axis for axis in range(v.ndim) if axis != dim)
    return v.norm(pow, dim=axes, keepdim=True)


def _weight_norm(v, g, dim=0):
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        with autograd.no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g v / ||v|| (norm over all axes but ``dim``; ``dim=None``: over the
    whole tensor): parameters ``<name>_g`` and ``<name>_v`` replace it, in the state_dict too. Returns the
    module. Deprecated in torch in favour of ``nn.utils.parametrizations.weight_norm`` (it warns likewise).

    >>> import backprop as bp
    >>> layer = weight_norm(bp.nn.Linear(3, 2))
    >>> list(layer.state_dict()), tuple(layer.weight_g.shape)
    (['bias', 'weight_g', 'weight_v'], (2, 1))
    """
    warnings.warn("torch.nn.utils.weight_norm is deprecated in favor of torch.nn.utils.parametrizations.weight_norm.",
                  FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm``: ``<name>`` becomes a Parameter again holding the current g v / ||v||."""
    return _remove_hook(module, WeightNorm, name, "weight_norm")


def _remove_hook(module, kind, name, what):
    """Take ``module``'s forward pre-hook of class ``kind`` on ``name`` off, restoring the parameter."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
