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
