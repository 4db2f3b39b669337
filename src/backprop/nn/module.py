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
import collections.abc
import functools
import typing
import warnings

from backprop import autograd
from backprop import backend
from backprop import dtypes
from backprop.hooks import RemovableHandle, register
from backprop.nn.parameter import Buffer, Parameter, is_lazy
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
        ordered = collections.OrderedDict
        self.__dict__.update(  # the registries, set without __setattr__ (which needs them)
            training=True, _parameters={}, _buffers={}, _non_persistent_buffers_set=set(), _modules={},
            _forward_hooks=ordered(), _forward_hooks_with_kwargs={}, _forward_hooks_always_called={},
            _forward_pre_hooks=ordered(), _forward_pre_hooks_with_kwargs={}, _backward_pre_hooks=ordered(),
            _backward_hooks=ordered(), _state_dict_hooks=ordered(), _state_dict_pre_hooks=ordered(),
            _load_state_dict_pre_hooks=ordered(), _load_state_dict_post_hooks=ordered())

    def forward(self, *input):
        """What a call computes: subclasses define it (calling the module runs the hooks around it)."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    _has_hooks = False  # True once a hook is registered; False again at the first call after the last is removed

    def __call__(self, *args, **kwargs):
        if self._has_hooks or _global_call_hooks:  # one attribute for the four registries (Module's __getattr__
            return self._call_with_hooks(args, kwargs)  # makes each lookup slow), one flag for the global ones
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        """``__call__`` with hooks, in torch's order: forward pre-hooks, the inputs' backward-hook node, forward,
        forward hooks, the outputs' backward-hook node. When any of it raises, the forward hooks registered with
        ``always_call=True`` that have not run yet run (with ``output`` None if forward itself raised; an error of
        theirs is then only a warning) and the error goes on."""
        global _global_call_hooks
        if _global_call_hooks and not (_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                                       or _global_backward_pre_hooks):
            _global_call_hooks = False  # all global hooks removed
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            object.__setattr__(self, "_has_hooks", False)  # all removed: the fast path again
            if not _global_call_hooks:
                return self.forward(*args, **kwargs)
        result = None
        called = set()
        # the hooks of this call, as torch: the global ones (register_module_*) before the module's own
        forward_hooks = [*_global_forward_hooks.items(), *self._forward_hooks.items()]
        try:
            backward_pre_hooks = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
            backward_hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            for hook_id, hook in [*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
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
            for hook_id, hook in forward_hooks:
                if hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called:
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
            for hook_id, hook in forward_hooks:
                always = hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called
                if not always or hook_id in called:
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
        handle = _handle_for(hooks, hook, options)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        object.__setattr__(self, "_has_hooks", True)
        return handle

    def _forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
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
        """Register Parameters, Modules and buffers by the value assigned, as torch: a Parameter goes to
        ``_parameters``, a Module to ``_modules``, a Tensor assigned to a buffer's name (or a ``Buffer``) to
        ``_buffers``; a name already registered accepts only its kind (or None)."""
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(f"cannot assign parameters before Module.__init__() call "
                                     f"(call super().__init__() first in {type(self).__name__}.__init__)")
            self._forget(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            buffers = self.__dict__.get("_buffers")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError(f"cannot assign module before Module.__init__() call "
                                         f"(call super().__init__() first in {type(self).__name__}.__init__)")
                self._forget(name, self.__dict__, self._parameters, self._buffers)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                    "(torch.nn.Module or None expected)")
                modules[name] = value
            elif isinstance(value, Buffer) or (buffers is not None and name in buffers):
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                    "(torch.nn.Buffer, torch.Tensor or None expected)")
                if isinstance(value, Buffer):
                    persistent = value.persistent
                else:
                    persistent = name not in self._non_persistent_buffers_set
                self.__dict__.pop(name, None)
                self.register_buffer(name, value, persistent)
            else:
                object.__setattr__(self, name, value)

    def _forget(self, name, *registries):
        for registry in registries:
            registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):  # only called when normal lookup fails
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def _check_name(self, kind, name, registry):
        """torch's checks of a new parameter's, buffer's or module's name (KeyError, TypeError)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\"" + (f", got: {name}" if kind == "module" else ""))
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if name not in registry and self._has_attribute(name):
            raise KeyError(f"attribute '{name}' already exists")

    def _has_attribute(self, name):
        """``hasattr(self, name)`` without the cost of a failed lookup (an exception) for a new name."""
        return (name in self.__dict__ or name in self._parameters or name in self._buffers or name in self._modules
                or hasattr(type(self), name))

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None: then it is left out of ``parameters()`` and ``state_dict()``)
        under ``name``, reachable as an attribute."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        if param is not None:
            for hook in _global_parameter_registration_hooks.values():
                output = hook(self, name, param)
                param = param if output is None else output
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that belongs to the module's state but is not learned (e.g. running_mean); a
        ``persistent=False`` one is left out of ``state_dict()``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        for hook in _global_buffer_registration_hooks.values():
            output = hook(self, name, tensor)
            tensor = tensor if output is None else output
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add the child ``module`` (or None) under ``name``, reachable as an attribute."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name("module", name, self._modules)
        for hook in _global_module_registration_hooks.values():
            output = hook(self, name, module)
            module = module if output is None else output
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for ``add_module``."""
        self.add_module(name, module)

    def _get_name(self):
        return type(self).__name__

    def get_submodule(self, target):
        """The sub-module at the dotted path ``target`` ("" is self); AttributeError naming the first step
        that is missing or not a Module."""
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at the dotted path ``target``, whose parent must exist; with ``strict=True`` only
        an existing sub-module may be replaced."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        """The Parameter at the dotted path ``target`` ("layer.0.weight")."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        param = getattr(module, name)
        if not isinstance(param, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` ("bn.running_mean")."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    # -------------------------------------------------------------- iterating
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every descendant, depth first; a module reached twice
        is given once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self, remove_duplicate=True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, member) over this module (and its descendants if ``recurse``); ``get_members_fn`` a
        registry's name ("_parameters") or, as torch's, a function ``module -> (name, member) pairs``."""
        if isinstance(get_members_fn, str):
            registry = get_members_fn
            get_members_fn = lambda module: getattr(module, registry).items()  # noqa: E731
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in get_members_fn(module):
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs in registration order; a shared parameter once unless
        ``remove_duplicate=False``; ``recurse=False``: this module's own only."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) pairs, the non-persistent buffers included."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ state
    _version = 1  # saved in the state_dict's metadata; a module whose layout changed raises it (as torch)

    def get_extra_state(self):
        """What a module adds to its state_dict under "_extra_state"; override it with ``set_extra_state``."""
        raise RuntimeError(f"Module.get_extra_state() called on {type(self).__name__}, which does not override it "
                           "(a module with extra state overrides get_extra_state and set_extra_state)")

    def set_extra_state(self, state):
        """Receives what ``get_extra_state`` saved, on ``load_state_dict``."""
        raise RuntimeError(f"Module.set_extra_state() called on {type(self).__name__}, which does not override it "
                           "(a module with extra state overrides get_extra_state and set_extra_state)")

    def _has_extra_state(self, method):
        return getattr(type(self), method) is not getattr(Module, method)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """This module's own parameters and persistent buffers (and extra state) into ``destination``."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        if self._has_extra_state("get_extra_state"):
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers under torch's dotted keys ("features.0.weight"), detached (sharing
        memory) unless ``keep_vars``; a module shared in two places appears under both names, as in torch.
        The dict carries ``_metadata`` (each module's ``_version``) as torch's."""
        if args:  # torch's deprecated positional form: (destination, prefix, keep_vars)
            warnings.warn("Positional args are being deprecated, use kwargs instead.", FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = collections.OrderedDict()
            destination._metadata = collections.OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        for hook, public in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if public and result is not None:
                raise RuntimeError("state_dict post-hook must return None")
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Load this module's own entries of ``state_dict`` (keys ``prefix + name``), as torch: report into
        ``missing_keys``, ``unexpected_keys`` and ``error_msgs`` rather than raise. Values may be Tensors or
        arrays (backprop also takes NumPy arrays, and anything NumPy converts, as a real torch tensor)."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local_state = {name: value for name, value in self._parameters.items() if value is not None}
        local_state.update((name, value) for name, value in self._buffers.items()
                           if value is not None and name not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if is_lazy(param):  # still without a shape (the saved one was too): nothing to copy into
                continue
            if not isinstance(value, Tensor):
                if not (backend.is_array(value) or hasattr(value, "__array__")):
                    error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                      f"Tensor-like object from checkpoint but received {type(value)}")
                    continue
                value = Tensor._make(value if backend.is_array(value) else backend.numpy.asarray(value))
            if param.ndim == 0 and value.shape == (1,):  # torch's allowance for 0.3-era 1-element checkpoints
                value = value[0]
            if value.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with autograd.no_grad():
                    if assign:
                        if isinstance(param, Parameter):
                            if isinstance(value, Parameter):
                                value.requires_grad_(param.requires_grad)
                            else:
                                value = Parameter(value, requires_grad=param.requires_grad)
                        setattr(self, name, value)
                    else:  # param.copy_(value), without building an op: the shapes are known to match
                        param._write(backend.to_device(value._data, param.device).astype(param._data.dtype,
                                                                                       copy=False))
            except Exception as error:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{param.shape} and whose dimensions in the checkpoint are {value.shape}, an "
                                  f"exception occurred : {error.args}.")
        extra_key = prefix + _EXTRA_STATE
        if self._has_extra_state("set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    first, dot, _ = key[len(prefix):].partition(".")
                    if (dot and first not in self._modules) or (not dot and first not in local_state):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy the values of ``state_dict`` (Tensors, or arrays) into the parameters and buffers of the same
        keys, as torch: returns ``_IncompatibleKeys(missing_keys, unexpected_keys)``; with ``strict=True``
        missing or unexpected keys raise RuntimeError ("Error(s) in loading state_dict for Net: ..."), as
        does a size mismatch with any ``strict`` (the entries that fit are loaded all the same, as in torch).
        ``assign=True``: the module's parameters and buffers become the given tensors (wrapped in new
        Parameters keeping each parameter's ``requires_grad``) instead of receiving copies."""
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = collections.OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing, unexpected, errors)
            if module._modules:
                by_child = {}  # each child's entries, found in one pass
                for key, value in local_state_dict.items():
                    child, dot, _ = key[len(prefix):].partition(".")
                    if dot:
                        by_child.setdefault(child, {})[key] = value
                for name, child in module._modules.items():
                    if child is not None:
                        load(child, by_child.get(name, {}), f"{prefix}{name}.")
            incompatible = _IncompatibleKeys(missing, unexpected)
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be "
                                         "modified, it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected:
                names = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {names}. ")
            if missing:
                names = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {names}. ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def register_state_dict_pre_hook(self, hook):
        """Call ``hook(module, prefix, keep_vars)`` before ``state_dict()`` collects this module's entries."""
        return register(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict()`` collected this
        module's entries (it may change ``state_dict`` in place; it must return None)."""
        return self._register_state_dict_hook(hook, public=True)

    def _register_state_dict_hook(self, hook, public=False):
        """torch's private form of the post-hook, whose return value (if not None) replaces the state_dict."""
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = (hook, public)
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """Call ``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        (the module first when ``with_module``) before this module loads its entries: it may rename keys."""
        return register(self._load_state_dict_pre_hooks, functools.partial(hook, self) if with_module else hook)

    def register_load_state_dict_pre_hook(self, hook):
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` before this module loads its entries of a state_dict."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict`` loaded this module and its
        children; it may change ``incompatible_keys``' lists in place."""
        return register(self._load_state_dict_post_hooks, hook)

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Training mode (dropout drops, batch norm uses batch statistics) for this module and, through their
        own ``train``, its children; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None by default, else to zeros in place (as torch)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                if param.grad.grad_fn is not None:
                    param.grad.detach_()
                else:
                    param.grad.requires_grad_(False)
                param.grad.zero_()

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module, then on self (e.g. a custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """``fn`` on every parameter, gradient and buffer: a parameter keeps its identity (its data is
        replaced, as torch's ``param.data = fn(param)``), a buffer is replaced by ``fn``'s result."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        with autograd.no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                param.data = fn(param)
                if param.grad is not None:
                    param.grad.data = fn(param.grad)
            for name, buffer in self._buffers.items():
                if buffer is not None:
                    self._buffers[name] = fn(buffer)
        return self

    def to(self, *args, **kwargs):
        """Move and/or cast the parameters and buffers in place, as torch: ``to(device)``, ``to(dtype)``,
        ``to(tensor)`` (its device and dtype), ``to(device, dtype, non_blocking)``, keywords ``device=``,
        ``dtype=``, ``non_blocking=``, ``memory_format=``. Only floating tensors are cast, and only to a
        floating dtype; returns self."""
        device, dtype = _parse_to(args, kwargs)
        if dtype is not None and not dtypes.is_floating(dtype):
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")
        if device is not None:
            device = backend.device("cuda", device) if isinstance(device, int) else backend.device(device)
        return self._apply(_converter(device, dtype))

    def type(self, dst_type):
        """Cast every parameter and buffer (floating or not) to ``dst_type``; returns self."""
        return self._apply(lambda t: t.type(dst_type))

    def _cast_floating(self, dtype):
        return self._apply(_converter(None, dtype))

    def float(self):
        return self._cast_floating(dtypes.float32)

    def double(self):
        return self._cast_floating(dtypes.float64)

    def half(self):
        return self._cast_floating(dtypes.float16)

    def bfloat16(self):
        """Refused: backprop has no bfloat16 dtype (NumPy has none)."""
        raise NotImplementedError("Module.bfloat16 is not provided by backprop: backprop has no bfloat16 dtype; "
                                  "use half() (float16) or float()")

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer new, uninitialised memory on ``device`` (same shapes and dtypes)."""
        from backprop.creation import empty_like

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def share_memory(self):
        """Nothing to do: backprop runs in one process (torch moves the storage to shared memory)."""
        return self

    def compile(self, *args, **kwargs):
        """torch compiles the forward in place; backprop has no compiler, so this does nothing (returns None,
        as torch's)."""
        return None

    call_super_init = False
    dump_patches = False
    T_destination = typing.TypeVar("T_destination", bound=dict)

    # ------------------------------------------------------------------ print
    def extra_repr(self):
        """The arguments shown between the parentheses of ``repr``; layers override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"

    def __dir__(self):
        keys = {*dir(type(self)), *self.__dict__, *self._parameters, *self._modules, *self._buffers}
        return sorted(key for key in keys if not key[0].isdigit())


_EXTRA_STATE = "_extra_state"


def _addindent(s_, numSpaces):
    """``s_`` with every line but the first indented by ``numSpaces`` spaces (how a child's repr nests; torch's
    helper, which programs import for their own reprs)."""
    return s_.replace("\n", "\n" + " " * numSpaces)


def _typename(value):
    """How torch names a value's type in its messages: a tensor's type ('torch.FloatTensor'), else
    module.qualname (builtins unqualified)."""
    if isinstance(value, Tensor):
        return value.type()
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module in (None, "builtins") else f"{module}.{kind.__qualname__}"


def _converter(device, dtype):
    """t -> t.to(device, dtype if t is floating), done on the arrays (no op recorded; a tensor that needs no
    change is returned as it is)."""
    def convert(t):
        data = t._data
        if dtype is not None and dtypes.is_floating(data.dtype) and data.dtype != dtype.dtype:
            data = data.astype(dtype.dtype)
        if device is not None and backend.device_of(data) != device:
            data = backend.to_device(data, device)
        return t if data is t._data else Tensor._make(data)

    return convert


def _parse_to(args, kwargs):
    """(device, dtype) from the arguments of ``Module.to``, as torch's forms."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments: unexpected keyword {next(iter(kwargs))!r}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, bool):
            continue  # non_blocking: copies are synchronous here
        elif isinstance(arg, (str, backend.device, int)):
            device = arg
        elif arg is not None:
            dtype = arg
    return device, dtypes.as_dtype(dtype) if dtype is not None else None


# ------------------------------------------------------------------ global hooks
# torch.nn.modules.module's global hooks: called for every module (debugging and profiling tools use them), before
# each module's own; ``_global_call_hooks`` tells ``__call__`` to look at them
_global_call_hooks = False
_global_forward_pre_hooks = collections.OrderedDict()
_global_forward_hooks = collections.OrderedDict()
_global_forward_hooks_with_kwargs = {}
_global_forward_hooks_always_called = {}
_global_backward_pre_hooks = collections.OrderedDict()
_global_backward_hooks = collections.OrderedDict()
_global_buffer_registration_hooks = collections.OrderedDict()
_global_module_registration_hooks = collections.OrderedDict()
_global_parameter_registration_hooks = collections.OrderedDict()


def _register_global(hooks, hook, *options):
    """Put ``hook`` into the global ``hooks``; an option: (its dict, whether this hook has it)."""
    global _global_call_hooks
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    _global_call_hooks = True
    return _handle_for(hooks, hook, options)


def _handle_for(hooks, hook, options):
    """Put ``hook`` into ``hooks`` under a new handle; an option: (its dict, whether this hook has it)."""
    handle = _Handle(hooks, *[flags for flags, _ in options])
    hooks[handle.id] = hook
    for flags, on in options:
        if on:
            flags[handle.id] = True
    return handle


def register_module_forward_pre_hook(hook):
    """Call ``hook(module, args)`` before the forward of every module (as ``Module.register_forward_pre_hook``,
    before the module's own pre-hooks); returns a handle."""
    return _register_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Call ``hook(module, args, output)`` after the forward of every module (as
    ``Module.register_forward_hook``, before the module's own hooks); returns a handle."""
    return _register_global(_global_forward_hooks, hook, (_global_forward_hooks_with_kwargs, with_kwargs),
                            (_global_forward_hooks_always_called, always_call))


def register_module_full_backward_pre_hook(hook):
    """``Module.register_full_backward_pre_hook`` for every module; returns a handle."""
    return _register_global(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """``Module.register_full_backward_hook`` for every module; returns a handle."""
    return _register_global(_global_backward_hooks, hook)


def register_module_backward_hook(hook):
    """torch's deprecated non-full global backward hook: not provided (see ``Module.register_backward_hook``)."""
    raise NotImplementedError("register_module_backward_hook (torch's deprecated non-full backward hook) is not "
                              "provided in backprop; use register_module_full_backward_hook")


def register_module_buffer_registration_hook(hook):
    """Call ``hook(module, name, buffer)`` whenever a module registers a buffer; a return value other than None
    is registered instead. Returns a handle."""
    return _register_global(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """Call ``hook(module, name, submodule)`` whenever a module registers a sub-module; a return value other
    than None is registered instead. Returns a handle."""
    return _register_global(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """Call ``hook(module, name, param)`` whenever a module registers a parameter; a return value other than
    None is registered instead. Returns a handle."""
    return _register_global(_global_parameter_registration_hooks, hook)


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
