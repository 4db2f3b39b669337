"""Calling a module with other parameters and buffers (torch.nn.utils.stateless / torch.func.functional_call).

``functional_call(model, {"fc.weight": w, ...}, x)`` runs ``model(x)`` with
the given tensors standing in for the module's own, then puts the module's
own back: the output is a function of the given tensors (gradients flow to
them, e.g. fast weights in meta-learning, or per-sample gradients), and the
module is left as it was.

>>> import backprop as bp
>>> layer = bp.nn.Linear(2, 1)
>>> functional_call(layer, {"weight": bp.ones(1, 2), "bias": bp.zeros(1)}, bp.tensor([[1.0, 2.0]]))
tensor([[3.]])
"""
import contextlib
import warnings

from backprop.tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _named_tensors(module):
    yield from module.named_parameters(remove_duplicate=False)
    yield from module.named_buffers(remove_duplicate=False)


def _untie(module, given):
    """``given`` with every name tied to a given one (the same tensor under two names) mapped to that value."""
    names_of = {}
    for name, tensor in _named_tensors(module):
        names_of.setdefault(id(tensor), set()).add(name)
    untied = dict(given)
    for names in names_of.values():
        if len(names) < 2:
            continue
        values = {id(given[name]): given[name] for name in names if name in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                             "Consider using tie_weights=False")
        if values:
            value = next(iter(values.values()))
            for name in names:
                untied[name] = value
    return untied


def _swap(module, name, value):
    """Put ``value`` at the dotted ``name`` (a parameter, buffer or plain attribute); returns what was there."""
    prefix, _, attr = name.rpartition(".")
    owner = module.get_submodule(prefix)
    for registry in (owner._parameters, owner._buffers):
        if attr in registry:
            old = registry[attr]
            if value is _MISSING:
                del registry[attr]
            else:
                registry[attr] = value
            return old
    old = getattr(owner, attr, _MISSING)
    if old is not _MISSING and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{attr}`: {old} is not an instance of torch.Tensor")
    if value is not _MISSING:
        setattr(owner, attr, value)
    elif old is not _MISSING:
        delattr(owner, attr)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    given = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {name for name, _ in _named_tensors(module)}
        unexpected, missing = sorted(set(given) - valid), sorted(valid - set(given))
        errors = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []) + (
            [f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(errors))
    originals = {}
    try:
        for name, value in given.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, value in originals.items():
            now = _swap(module, name, value)
            if name in parameters_and_buffers and now is not _MISSING:
                parameters_and_buffers[name] = now  # what the call left there (a buffer it reassigned)


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with ``parameters_and_buffers`` ({dotted name: tensor}) in place of the
    module's own (``args`` a tuple, or one argument). ``tie_weights``: a tensor the module uses under two
    names (tied weights) is replaced under both. ``strict``: the names must be exactly the module's."""
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Deprecated in torch in favour of ``torch.func.functional_call`` (it warns likewise); see
    ``_functional_call``."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
