"""Pruning (torch.nn.utils.prune): zero some weights through a mask, keeping the original weights.

Pruning ``module.weight`` moves the parameter to ``weight_orig``, adds the
buffer ``weight_mask`` (1 keep, 0 pruned) and makes ``weight`` the product
``weight_orig * weight_mask``, recomputed by a forward pre-hook before every
call: gradients reach only the kept entries. Pruning the same tensor again
prunes among the entries still kept (a ``PruningContainer`` remembers the
methods); ``remove`` makes the pruned values permanent, ``weight`` a plain
Parameter again. The state_dict holds ``weight_orig`` and ``weight_mask``,
as torch's.

>>> import backprop as bp
>>> layer = l1_unstructured(bp.nn.Linear(4, 2), "weight", amount=0.5)
>>> list(layer.state_dict()), int((layer.weight == 0).sum())
(['bias', 'weight_orig', 'weight_mask'], 4)
"""
import numbers
from abc import ABC, abstractmethod

from backprop import autograd
from backprop import backend
from backprop.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """A way of choosing a mask; also the forward pre-hook that applies it. Subclasses set ``PRUNING_TYPE``
    ("unstructured", "structured" or "global") and write ``compute_mask(t, default_mask)``."""

    _tensor_name = None
    PRUNING_TYPE = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for ``t`` (same shape), given the mask of the earlier prunings ``default_mask``."""

    def apply_mask(self, module):
        """``<name>_orig * <name>_mask``: the pruned tensor (differentiable in the original)."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` by this method (built from ``args``, ``kwargs``), after any earlier one."""
        old = None
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                del module._forward_pre_hooks[key]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter {name} of {module}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        with autograd.no_grad():
            mask = method.compute_mask(importance_scores.detach(), default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask this method computes (from ``importance_scores`` if given)."""
        scores = t if importance_scores is None else importance_scores
        mask = self.compute_mask(scores.detach(), _ones_like(t) if default_mask is None else default_mask)
        return t * mask

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes the original Parameter holding the pruned values."""
        with autograd.no_grad():
            weight = self.apply_mask(module)
        delattr(module, self._tensor_name)
        orig = module._parameters.pop(self._tensor_name + "_orig")
        orig.data = weight.detach()
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _ones_like(t):
    return Tensor._make(backend.array_module(t._data).ones_like(t._data))


def _as_mask(array, like):
    return Tensor._make(array.astype(like._data.dtype, copy=False))


class PruningContainer(BasePruningMethod):
    """Several prunings of one tensor in turn: each new one chooses among the entries (or channels) the
    earlier ones kept."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found '{method._tensor_name}'")
        self._tensor_name = method._tensor_name
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the part of ``t`` the earlier masks kept."""
        method = self._pruning_methods[-1]
        mask = default_mask._data
        if method.PRUNING_TYPE == "unstructured":
            kept = mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to have the attribute `dim` "
                                     "defined.")
            dim = method.dim % t.ndim
            others = tuple(d for d in range(t.ndim) if d != dim)
            kept = [slice(None)] * t.ndim
            kept[dim] = mask.sum(axis=others) != 0
            kept = tuple(kept)
        elif method.PRUNING_TYPE == "global":
            kept = (slice(None),) * t.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        partial = method.compute_mask(Tensor._make(t._data[kept]), default_mask=_as_mask(mask[kept], default_mask))
        new = mask.copy()
        new[kept] = partial._data
        return _as_mask(new, default_mask)


class Identity(BasePruningMethod):
    """Prunes nothing (the mask of ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


def _check_amount(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _count(amount, size):
    """How many of ``size`` units to prune: ``amount`` itself (an int) or that fraction of them, rounded."""
    count = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if isinstance(amount, numbers.Integral) and amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
    return count


def _lowest(scores, k):
    """The indices of the ``k`` smallest of the 1-d array ``scores``."""
    xp = backend.array_module(scores)
    return xp.argsort(scores, kind="stable")[:k]


def _random(shape):
    from backprop.creation import generator

    return generator().random(shape)


class _Unstructured(BasePruningMethod):
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count(self.amount, t.numel())
        mask = default_mask._data.copy()
        if count:
            flat = mask.reshape(-1)
            flat[_lowest(self._scores(t).reshape(-1), count)] = 0
        return _as_mask(mask, default_mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomUnstructured(_Unstructured):
    """Prunes ``amount`` of the entries (a fraction, or a count) chosen at random."""

    def _scores(self, t):
        return _random(tuple(t.shape))


class L1Unstructured(_Unstructured):
    """Prunes ``amount`` of the entries (a fraction, or a count): those of smallest absolute value."""

    def _scores(self, t):
        return backend.array_module(t._data).abs(t._data)


class _Structured(BasePruningMethod):
    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask):
        if t.ndim <= 1:
            raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                             f"shape {t.shape} with {t.ndim} dims")
        if self.dim >= t.ndim:
            raise IndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        dim = self.dim % t.ndim
        size = t.shape[dim]
        count = _count(self.amount, size)
        if not count:
            return default_mask
        keep = backend.numpy.ones(size, dtype=bool)
        keep[_lowest(self._channel_scores(t, dim), count)] = False
        shape = [1] * t.ndim
        shape[dim] = size
        mask = default_mask._data * keep.reshape(shape)
        return _as_mask(mask, default_mask)


class RandomStructured(_Structured):
    """Prunes ``amount`` of the channels along ``dim`` (all their entries), chosen at random."""

    def __init__(self, amount, dim=-1):
        _check_amount(amount)
        self.amount, self.dim = amount, dim

    def _channel_scores(self, t, dim):
        return _random((t.shape[dim],))

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    """Prunes ``amount`` of the channels along ``dim``: those of smallest L``n`` norm."""

    def __init__(self, amount, n, dim=-1):
        _check_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def _channel_scores(self, t, dim):
        others = tuple(d for d in range(t.ndim) if d != dim)
        return t.norm(self.n, dim=others)._data

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given ``mask`` is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        mask = self.mask._data if isinstance(self.mask, Tensor) else backend.numpy.asarray(self.mask)
        return _as_mask(default_mask._data * mask.reshape(tuple(default_mask.shape)), default_mask)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Register the pruning machinery on ``module.<name>`` without pruning anything."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (a fraction, or a count) of ``module.<name>``'s entries at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune ``amount`` (a fraction, or a count) of ``module.<name>``'s entries: those of smallest |value|
    (or of smallest ``importance_scores``)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` of the channels along ``dim`` of ``module.<name>``, chosen at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune ``amount`` of the channels along ``dim`` of ``module.<name>``: those of smallest L``n`` norm."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune several tensors together, ``parameters`` (module, name) pairs: ``pruning_method`` (an
    unstructured method class, with ``kwargs`` such as ``amount``) chooses among all their entries at once."""
    from backprop.nn.utils import parameters_to_vector

    if not hasattr(parameters, "__iter__"):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    with autograd.no_grad():
        scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n)) for m, n in parameters])
        default_mask = parameters_to_vector([getattr(m, n + "_mask", _ones_like(getattr(m, n)))
                                             for m, n in parameters])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    with autograd.no_grad():
        mask = container.compute_mask(scores.detach(), default_mask.detach())
    start = 0
    for module, name in parameters:
        size = getattr(module, name).numel()
        custom_from_mask(module, name, mask=Tensor._make(mask._data[start:start + size]))
        start += size


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: the parameter holds the pruned values, the mask and
    the hook go."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether ``module`` or one of its sub-modules has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())
