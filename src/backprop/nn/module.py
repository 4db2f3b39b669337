"""Module: the base of every layer and network.

A Module registers what is assigned to its attributes, in order:
``Parameter`` objects into ``_parameters``, sub-modules into ``_modules``,
and tensors declared with ``register_buffer`` (running statistics) into
``_buffers``. From those registries come ``parameters()``,
``state_dict()`` with torch's dotted keys ("features.0.weight"),
``train()``/``eval()``, ``to(device)`` and the printed tree, as in
``torch.nn.Module``. Forward hooks (``register_forward_hook``) see, and may
replace, what a module returns: how explanation methods read a layer's
activations without changing the network.
"""
import collections

from backprop import autograd
from backprop import backend
from backprop import dtypes
from backprop.hooks import RemovableHandle
from backprop.nn.parameter import Parameter
from backprop.tensor import Tensor

_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: subclass it, create layers in ``__init__``, compute in ``forward``.

    >>> import backprop as bp
    >>> class Net(bp.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = bp.nn.Linear(2, 3)
    ...         self.out = bp.nn.Linear(3, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> [name for name, _ in Net().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_hook(self, hook):
        """Call ``hook(module, args, output)`` after every forward pass, as torch: ``args`` the positional
        inputs (a tuple); a return value other than None replaces the output (and is what later hooks see).
        Hooks run in the order they were registered. Returns a handle whose ``remove()`` unregisters it.

        >>> import backprop as bp
        >>> layer, seen = bp.nn.ReLU(), []
        >>> handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
        >>> _ = layer(bp.zeros(2, 3)); handle.remove(); _ = layer(bp.zeros(4, 3))
        >>> seen
        [(2, 3)]
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook expects a callable hook(module, args, output), got {hook!r}")
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------ registering
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call super().__init__() in {type(self).__name__}.__init__ before assigning {name!r}")
        for registry in (self._parameters, self._modules, self._buffers):
            if name in registry and not (registry is self._buffers and (value is None or isinstance(value, Tensor))
                                         and not isinstance(value, Parameter)):
                del registry[name]
        if isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        elif name in self._parameters and value is None:
            self._parameters[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter expects a Parameter or None for {name!r}, got {type(param).__name__}")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that belongs to the module's state but is not learned (e.g. running_mean)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer expects a Tensor or None for {name!r}, got {type(tensor).__name__}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module expects a Module for {name!r}, got {type(module).__name__}")
        self._modules[name] = module

    register_module = add_module

    # -------------------------------------------------------------- iterating
    def named_modules(self, prefix="", memo=None):
        """(dotted name, module) for this module and every descendant, depth first, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if module is None or id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m) for child, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True):
        """(dotted name, Parameter) pairs, each parameter once, in registration order."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """Parameters and persistent buffers under torch's dotted keys (detached, sharing memory)."""
        state = collections.OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dot + name] = param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    state[dot + name] = buffer.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors or arrays) into the parameters and buffers with the same keys.

        With ``strict=True`` every missing key, unexpected key and shape mismatch
        is named in one RuntimeError and nothing is changed.
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                shape = tuple(getattr(state_dict[key], "shape", ()))
                if shape != target.shape:
                    mismatched.append(f"{key}: expected shape {target.shape}, got {shape}")
        problems = mismatched + ([f"missing keys: {missing}"] if strict and missing else []) + (
            [f"unexpected keys: {unexpected}"] if strict and unexpected else [])
        if problems:
            raise RuntimeError(f"load_state_dict of {type(self).__name__} failed:\n  " + "\n  ".join(problems))
        with autograd.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    value = state_dict[key]
                    array = value._data if isinstance(value, Tensor) else backend.numpy.asarray(value)
                    target.copy_(backend.to_device(array, target.device).astype(target.dtype, copy=False))
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Training mode (dropout drops, batch norm uses batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient (to None by default, as torch)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = Tensor._make(param.grad._data * 0)

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on self (e.g. a custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, device=None, dtype=None):
        """Move (or cast) every parameter and buffer in place; returns self."""
        for arg in args:
            if isinstance(arg, (str, backend.device)):
                device = arg
            else:
                dtype = arg
        dtype = dtypes.as_dtype(dtype)
        for module in self.modules():
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is None:
                        continue
                    data = tensor._data
                    if dtype is not None and dtypes.is_floating(data.dtype):
                        data = data.astype(dtype)
                    if device is not None:
                        data = backend.to_device(data, device)
                    tensor._data = data
                    if tensor.grad is not None:  # the gradient follows, as in torch
                        tensor.grad._data = backend.to_device(tensor.grad._data.astype(data.dtype), backend.device_of(data))
        return self

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(backend.device("cuda", index))

    # ------------------------------------------------------------------ print
    def extra_repr(self):
        """The arguments shown between the parentheses of ``repr``; layers override it."""
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines)})" if len(lines) <= 1 else \
                f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))
