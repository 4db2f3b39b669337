"""Parameter: a tensor that a Module learns."""
from backprop.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that a Module registers as learnable
    when assigned to one of its attributes (``self.weight = Parameter(...)``).

    >>> import backprop as bp
    >>> p = Parameter(bp.zeros(2))
    >>> p.requires_grad, p.is_leaf
    (True, True)
    """

    def __init__(self, data=None, requires_grad=True):
        if not isinstance(data, Tensor):
            data = Tensor([] if data is None else data)
        self._data = data._data  # shares memory with the tensor it wraps, as torch.nn.Parameter
        self.grad = None
        self.grad_fn = None
        self._output_nr, self._base = 0, None
        self._version = data._version
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        """A new Parameter with a copy of the values and the same requires_grad; the gradient is not copied
        (as torch: ``copy.deepcopy(model)`` gives a model without gradients)."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.detach().clone(), self.requires_grad)
        return memo[id(self)]


class Buffer(Tensor):
    """A tensor that a Module registers as a buffer when assigned to one of its attributes
    (``self.running_mean = Buffer(bp.zeros(3))``), as ``register_buffer`` does; ``persistent=False`` keeps it
    out of the state_dict. It shares memory with the tensor it wraps and does not require grad.

    >>> import backprop as bp
    >>> class Net(bp.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.steps = Buffer(bp.zeros(1), persistent=False)
    >>> list(Net().state_dict()), [name for name, _ in Net().named_buffers()]
    ([], ['steps'])
    """

    def __init__(self, data=None, *, persistent=True):
        if not isinstance(data, Tensor):
            data = Tensor([] if data is None else data)
        self._data = data._data
        self._grad = None
        self.grad_fn = None
        self._output_nr, self._base = 0, None
        self._version = data._version
        self.requires_grad = False
        self.persistent = persistent


_UNINITIALIZED = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                  "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                  "`forward` to initialize the parameters before accessing their attributes.")


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet (a lazy module's, until its first forward): ``materialize(shape)``
    gives it memory and turns it into its ``cls_to_become`` (the same object: an optimizer holding it keeps it)."""

    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Become a ``cls_to_become`` of ``shape`` (uninitialised values), on this one's device and dtype unless
        given."""
        from backprop.creation import empty

        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self._data = empty(*shape, device=device, dtype=dtype)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINITIALIZED)

    def size(self, dim=None):
        raise RuntimeError(_UNINITIALIZED)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _empty_data(device, dtype):
    from backprop.creation import empty

    return empty(0, device=device, dtype=dtype)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter of a lazy module before its shape is known; a Parameter once materialised."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(_empty_data(device, dtype), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer of a lazy module before its shape is known; a plain Tensor once materialised."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        data = _empty_data(device, dtype)
        self._data, self._grad, self.grad_fn = data._data, None, None
        self._version, self._output_nr, self._base = [0], 0, None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)


def is_lazy(param):
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)
