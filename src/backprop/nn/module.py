"""Module: the base of every layer and network.

A Module registers what is assigned to its attributes, in order:
``Parameter`` objects into ``_parameters``, sub-modules into ``_modules``,
and tensors declared with ``register_buffer`` (running statistics) into
``_buffers``. From those registries come ``parameters()``,
``state_dict()`` with torch's dotted keys ("features.0.weight"),
``train()``/``eval()``, ``to(device)`` and the printed tree, as in
``torch.nn.Module``.

Hooks, as torch's: forward pre-hooks see (and may replace) a module's
arguments, forward hooks see (and may replace) what it returns - how
explanation methods read a layer's activations without changing the network -
and full backward (pre-)hooks see the gradients with respect to its outputs
and inputs. A backward hook is built as torch builds it: in ``__call__`` one
identity ``autograd.Function`` (``BackwardHookFunction``) is applied to all the
module's input tensors at once and one to all its output tensors; the
outputs' node runs first in the backward pass and keeps ``grad_output`` (after
the backward pre-hooks), the inputs' node receives every ``grad_input``
together and calls the backward hooks. A module without hooks takes the
fast path: ``__call__`` is ``forward`` after one flag (``_has_hooks``, set by the
``register_*`` methods) is checked.
"""
import collections
import warnings

from backprop import autograd
from backprop import backend
from backprop import dtypes
from backprop.hooks import RemovableHandle
from backprop.nn.parameter import Parameter
from backprop.tensor import Tensor

class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns; printed as torch prints it."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


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
        object.__setattr__(self, "_forward_hooks", collections.OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", {})
        object.__setattr__(self, "_forward_hooks_always_called", {})
        object.__setattr__(self, "_forward_pre_hooks", collections.OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", {})
        object.__setattr__(self, "_backward_pre_hooks", collections.OrderedDict())
        object.__setattr__(self, "_backward_hooks", collections.OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    _has_hooks = False  # True once a hook is registered; False again at the first call after the last is removed

    def __call__(self, *args, **kwargs):
        if self._has_hooks:  # one attribute for the four registries: Module's __getattr__ makes each lookup slow
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """``__call__`` with hooks, in torch's order: forward pre-hooks, the inputs' backward-hook node, forward,
        forward hooks, the outputs' backward-hook node. When any of it raises, the forward hooks registered with
        ``always_call=True`` that have not run yet run (with ``output`` None if forward itself raised; an error of
        theirs is then only a warning) and the error goes on."""
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            object.__setattr__(self, "_has_hooks", False)  # all removed: the fast path again
            return self.forward(*args, **kwargs)
        result = None
        called = set()
        try:
            backward_pre_hooks = list(self._backward_pre_hooks.values())  # the hooks of this call, as torch
            backward_hooks = list(self._backward_hooks.values())
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {new}.")
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            backward = None
            if backward_hooks or backward_pre_hooks:
                backward = _BackwardHook(self, backward_hooks, backward_pre_hooks)
                args = backward.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                new = self._forward_hook(hook_id, hook, args, kwargs, result)
                if new is not None:
                    result = new
            if backward is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=3)
                result = backward.setup_output_hook(result)
            return result
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id not in self._forward_hooks_always_called or hook_id in called:
                    continue
                try:
                    new = self._forward_hook(hook_id, hook, args, kwargs, result)
                    if new is not None:
                        result = new
                except Exception as error:
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {error}", stacklevel=3)
            raise

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every forward pass, as torch: ``args`` the positional inputs (a tuple);
        a return value other than None replaces them (a single value is wrapped into a 1-tuple). With
        ``with_kwargs=True`` it is ``hook(module, args, kwargs)``, returning None or ``(new_args, new_kwargs)``.
        Hooks run in registration order, a ``prepend=True`` one before all the others. Returns a
        ``RemovableHandle``.

        >>> import backprop as bp
        >>> layer = bp.nn.Identity()
        >>> handle = layer.register_forward_pre_hook(lambda module, args: args[0] * 10)
        >>> layer(bp.tensor(2.0)).item()
        20.0
        """
        return self._add_hook("register_forward_pre_hook", "hook(module, args)", self._forward_pre_hooks, hook,
                              prepend, (self._forward_pre_hooks_with_kwargs, with_kwargs))

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after every forward pass, as torch: ``args`` the positional
        inputs (a tuple); a return value other than None replaces the output (and is what later hooks see).
        ``with_kwargs=True``: ``hook(module, args, kwargs, output)``. ``always_call=True``: the hook also runs
        when the call raises (forward, or a hook before it), with the output so far (None if forward raised).
        Hooks run in registration order, a ``prepend=True`` one before all the others. Returns a handle whose
        ``remove()`` unregisters it (also on leaving a ``with`` block).

        >>> import backprop as bp
        >>> layer, seen = bp.nn.ReLU(), []
        >>> handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.shape))
        >>> _ = layer(bp.zeros(2, 3)); handle.remove(); _ = layer(bp.zeros(4, 3))
        >>> seen
        [backprop.Size([2, 3])]
        """
        return self._add_hook("register_forward_hook", "hook(module, args, output)", self._forward_hooks, hook, prepend,
                              (self._forward_hooks_with_kwargs, with_kwargs),
                              (self._forward_hooks_always_called, always_call))

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the gradients with respect to the module's outputs are known,
        before those with respect to its inputs are computed, as torch. ``grad_output`` has one entry per
        output (the output itself when it is not a tuple): None for a non-Tensor, for an output that does not
        require grad and for one that got no gradient. A return value other than None (a tuple of the same
        length, or a Tensor for one output) replaces ``grad_output`` from there on. Order and ``prepend``
        as the forward hooks; returns a ``RemovableHandle``. While backward hooks are registered, the module's
        forward receives, and the caller gets back, new Tensors sharing memory with the ones passed and returned
        (torch gives views; unlike torch, changing them in place is not refused, and the gradients stay right).
        """
        return self._add_hook("register_full_backward_pre_hook", "hook(module, grad_output)",
                              self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the module's
        positional inputs have been computed, as torch. ``grad_input`` has one entry per positional argument:
        None for a non-Tensor, zeros for a Tensor that does not require grad (or did not influence the
        outputs) while another one does; ``grad_output`` as in ``register_full_backward_pre_hook`` (after
        the pre-hooks' replacements). A return value other than None, a tuple of the same length, replaces
        ``grad_input``: what flows on to the inputs. When no input requires grad, the hooks run as soon as
        ``grad_output`` is known, with ``grad_input`` all None (they may only return None; a warning says
        so); when no output requires grad they never run. Order and ``prepend`` as the forward hooks;
        returns a ``RemovableHandle``.

        >>> import backprop as bp
        >>> layer, seen = bp.nn.Linear(3, 2), []
        >>> _ = layer.register_full_backward_hook(lambda m, grad_input, grad_output: seen.append(
        ...     (grad_input[0].shape, grad_output[0].shape)))
        >>> layer(bp.ones(4, 3, requires_grad=True)).sum().backward()
        >>> seen
        [(backprop.Size([4, 3]), backprop.Size([4, 2]))]
        """
        return self._add_hook("register_full_backward_hook", "hook(module, grad_input, grad_output)",
                              self._backward_hooks, hook, prepend)

    def _add_hook(self, method, signature, hooks, hook, prepend, *options):
        """Register ``hook`` in ``hooks`` (first if ``prepend``); an option: (its dict, whether this hook has it)."""
        if not callable(hook):
            raise TypeError(f"{method} expects a callable {signature}, got {hook!r}")
        handle = _Handle(hooks, *[flags for flags, _ in options])
        hooks[handle.id] = hook
        for flags, on in options:
            if on:
                flags[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        object.__setattr__(self, "_has_hooks", True)
        return handle

    def _forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def register_backward_hook(self, hook):
        """torch's deprecated non-full backward hook, which saw the gradients of one autograd node rather than
        the module's: not provided; raises NotImplementedError. Use ``register_full_backward_hook``."""
        raise NotImplementedError(
            "Module.register_backward_hook (torch's deprecated non-full backward hook) is not provided in backprop; "
            "use register_full_backward_hook(hook), with the same hook(module, grad_input, grad_output)")

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
                    mismatched.append(f"{key}: expected shape {tuple(target.shape)}, got {tuple(shape)}")
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


# ------------------------------------------------------------------ hooks
class _Handle(RemovableHandle):
    """A ``RemovableHandle`` that also forgets the hook's options (with_kwargs, always_call)."""

    def __init__(self, hooks, *options):
        super().__init__(hooks)
        self._options = options

    def remove(self):
        super().remove()
        for options in self._options:
            options.pop(self.id, None)


class BackwardHookFunction(autograd.Function):
    """The identity on several Tensors, one node for all: its backward receives all their gradients together
    and hands them to ``on_backward``, whose return (one per Tensor) is what flows on (torch's
    ``BackwardHookFunction``, with the hook called in the node's backward). ``materialize``: whether
    gradients that did not arrive come as zeros (the inputs' node, as torch) or as None (the outputs')."""

    @staticmethod
    def forward(ctx, on_backward, materialize, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(materialize)
        # returned as they are: the engine gives each a new Tensor sharing its memory and version (torch a view)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.on_backward(grads))


def _pack(index, values, size):
    """``values`` at the positions ``index`` of a ``size``-tuple, None elsewhere."""
    packed = [None] * size
    for i, value in zip(index, values):
        packed[i] = value
    return tuple(packed)


class _BackwardHook:
    """The full backward (pre-)hooks of one call of a module (torch.utils.hooks.BackwardHook): the outputs' node
    keeps ``grad_output`` (after the pre-hooks) for the inputs' node, which calls the hooks with ``grad_input``."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    @staticmethod
    def _apply(values, on_backward, materialize):
        """The Tensors among ``values`` through one BackwardHookFunction; (new values, their positions), or
        (values, None) when none of them requires grad or grad mode is off."""
        index = [i for i, value in enumerate(values) if isinstance(value, Tensor)]
        tensors = [values[i] for i in index]
        if not (autograd.is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return values, None
        items = list(values)
        for i, new in zip(index, BackwardHookFunction.apply(on_backward, materialize, *tensors)):
            items[i] = new
        return (tuple(items) if type(values) is tuple else type(values)(*items)), index

    def setup_input_hook(self, args):
        args, self.input_index = self._apply(args, self._input_backward, True)
        self.n_inputs = len(args)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        values, self.output_index = self._apply((result,) if single else result, self._output_backward, False)
        self.n_outputs = 1 if single else len(values)
        return values[0] if single else values

    def _output_backward(self, grads):
        grad_outputs = _pack(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, grad_outputs)
            if new is None:
                continue
            new = (new,) if isinstance(new, Tensor) else tuple(new)
            if len(new) != len(grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(new)}, but expected {len(grad_outputs)}")
            grad_outputs = new
        self.grad_outputs = grad_outputs
        if self.input_index is None and self.hooks:  # no input requires grad: the hooks run now
            warnings.warn(f"Full backward hook of {type(self.module).__name__} is firing when gradients are "
                          "computed with respect to module outputs since no inputs require gradients", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                new = hook(self.module, grad_inputs, grad_outputs)
                if new is not None and not (isinstance(new, tuple) and all(g is None for g in new)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        if self.input_index is None:
            self.grad_outputs = None
        return tuple(grad_outputs[i] for i in self.output_index)

    def _input_backward(self, grads):
        if self.grad_outputs is None:  # the gradient reached the inputs without passing through the outputs
            return grads
        grad_inputs = _pack(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            new = hook(self.module, grad_inputs, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(new)}, but expected {len(grad_inputs)}")
            grad_inputs = tuple(new)
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.input_index)
