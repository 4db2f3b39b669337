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
