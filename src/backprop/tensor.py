"""Tensor: an array, the gradient that flows back to it, and the op that made it.

A Tensor wraps one array of the backend (``t.data``: NumPy on the CPU, CuPy
on a GPU). When it ``requires_grad``, every op that uses it records itself
in its result's ``grad_fn``; ``backward()`` walks those records in reverse
and leaves dL/dt in ``t.grad`` for every leaf ``t``.

Operators and methods only translate arguments and call the ops in
``backprop.ops``, where each op's forward and backward live side by side.
"""
import weakref

import numpy

from backprop import autograd
from backprop import backend
from backprop import dtypes


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    >>> import backprop as bp
    >>> w = bp.tensor([1.0, -2.0], requires_grad=True)
    >>> x = bp.tensor([3.0, 4.0])
    >>> y = (w * x).sum()
    >>> y.backward()
    >>> w.grad
    tensor([3., 4.])
    """

    __slots__ = ("_data", "grad", "requires_grad", "grad_fn", "_version", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to us: array + tensor calls Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        self._data = _to_array(data, dtype, device)
        self.grad = None
        self.grad_fn = None
        self._version = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, grad_fn=None, requires_grad=False):
        """Wrap an array without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t._data = data
        t.grad = None
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad or grad_fn is not None
        t._version = [0]
        return t

    # ------------------------------------------------------------ attributes
    @property
    def data(self):
        """The raw array (no copy). Assigning replaces the values, not the graph."""
        return self._data

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        if not backend.is_array(value):
            raise TypeError(f"Tensor.data expects an array or a Tensor, got {type(value).__name__}")
        self._data = value

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False):
        """Compute d self / d leaf for every leaf and add it to ``leaf.grad``.

        ``gradient`` is dL/dself when self is not a scalar. The graph is freed
        afterwards unless ``retain_graph=True``.
        """
        autograd.backward(self, gradient, retain_graph)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after every backward pass that adds to this leaf's ``.grad`` (once per pass, when the
        pass is done); returns a handle whose ``remove()`` unregisters it, as in torch.

        >>> import backprop as bp
        >>> w = bp.tensor([1.0, 2.0], requires_grad=True)
        >>> handle = w.register_post_accumulate_grad_hook(lambda t: print("grad", t.grad))
        >>> (w * w).sum().backward()
        grad tensor([2., 4.])
        >>> handle.remove()
        >>> (w * w).sum().backward()
        """
        return autograd.register_post_accumulate_grad_hook(self, hook)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) is only allowed on leaf tensors; use .detach() on a result"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after ``backward``."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() needs a tensor that requires grad")
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)

    def detach(self):
        """The same array, cut off from the graph (shares memory and version)."""
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    # -------------------------------------------------------------- convert
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return backend.to_numpy(self._data)

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self._data)
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, dtype=None, device=None, copy=False):
        """``t.to("cuda")``, ``t.to(bp.float64)``, ``t.to(other_tensor)``, or both."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, backend.device)):
                device = arg
            else:
                dtype = arg
        result = self
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            result = ops.cast(result, dtypes.as_dtype(dtype))
        if device is not None and backend.device(device) != self.device:
            result = ops.to_device(result, backend.device(device))
        if copy and result is self:
            result = self.clone()
        return result

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(backend.device("cuda", index))

    def clone(self):
        return ops.clone(self)

    def contiguous(self):
        return self

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if dtypes.category(self.dtype) == 2 or self._data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be an index, got {self.dtype} {self.shape}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        body = numpy.array2string(
            backend.to_numpy(self._data), separator=", ", prefix="tensor(", precision=4,
            floatmode="maxprec_equal" if dtypes.is_floating(self.dtype) else "maxprec",
        )
        extras = []
        if self.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.device != backend.CPU:
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------- in place
    def _check_inplace(self, what):
        if self.requires_grad and autograd.is_grad_enabled():
            kind = "a leaf tensor that requires grad" if self.is_leaf else "a tensor that requires grad"
            raise RuntimeError(
                f"{what} changes {kind} in place, which would corrupt its gradient; "
                "do it inside bp.no_grad(), or on .detach() / .data"
            )

    def _write(self, values, key=Ellipsis):
        """Write ``values`` (an array or number) into ``self`` and bump the version."""
        self._data[key] = values
        self._version[0] += 1
        return self

    def __setitem__(self, key, value):
        self._check_inplace("assignment to an element")
        if isinstance(value, Tensor):
            value = value._data
        self._write(value, ops.indexing.array_key(key))

    def zero_(self):
        self._check_inplace("zero_()")
        return self._write(0)

    def fill_(self, value):
        self._check_inplace("fill_()")
        return self._write(value._data if isinstance(value, Tensor) else value)

    def copy_(self, source):
        self._check_inplace("copy_()")
        source = source._data if isinstance(source, Tensor) else source
        return self._write(backend.to_device(source, self.device) if backend.is_array(source) else source)

    def _inplace(self, op, other, name):
        if self.requires_grad and autograd.is_grad_enabled() and not self.is_leaf:
            return op(self, other)  # recorded out of place; the name is rebound to the result
        self._check_inplace(name)
        result = op(self.detach(), other)._data
        if dtypes.category(result.dtype) > dtypes.category(self.dtype):
            raise TypeError(f"{name}: the result of type {result.dtype} can't be cast to {self.dtype} in place")
        return self._write(result)

    def __iadd__(self, other):
        return self._inplace(ops.add, other, "+=")

    def __isub__(self, other):
        return self._inplace(ops.sub, other, "-=")

    def __imul__(self, other):
        return self._inplace(ops.mul, other, "*=")

    def __itruediv__(self, other):
        return self._inplace(ops.div, other, "/=")

    def add_(self, other, alpha=1):
        return self._inplace(ops.add, other if alpha == 1 else other * alpha, "add_()")

    def sub_(self, other, alpha=1):
        return self._inplace(ops.sub, other if alpha == 1 else other * alpha, "sub_()")

    def mul_(self, other):
        return self._inplace(ops.mul, other, "mul_()")

    def div_(self, other):
        return self._inplace(ops.div, other, "div_()")

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __lt__(self, other):
        return ops.compare(self, other, "less")

    def __le__(self, other):
        return ops.compare(self, other, "less_equal")

    def __gt__(self, other):
        return ops.compare(self, other, "greater")

    def __ge__(self, other):
        return ops.compare(self, other, "greater_equal")

    def __eq__(self, other):
        return ops.compare(self, other, "equal")

    def __ne__(self, other):
        return ops.compare(self, other, "not_equal")

    def __getitem__(self, key):
        return ops.getitem(self, key)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # --------------------------------------------------------------- methods
    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def where(self, condition, other):
        return ops.where(condition, self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def sum(self, dim=None, keepdim=False, dtype=None):
        return ops.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return ops.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return ops.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        return ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return ops.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        return ops.prod(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return ops.logsumexp(self, dim, keepdim)

    def softmax(self, dim):
        return ops.softmax(self, dim)

    def log_softmax(self, dim):
        return ops.log_softmax(self, dim)

    def matmul(self, other):
        return ops.matmul(self, other)

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    def view(self, *shape):
        return ops.view(self, *shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return ops.expand(self, *sizes)

    def split(self, split_size_or_sections, dim=0):
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def all(self):
        return Tensor._make(backend.array_module(self._data).asarray(self._data.all()))

    def any(self):
        return Tensor._make(backend.array_module(self._data).asarray(self._data.any()))


def _to_array(data, dtype=None, device=None):
    """An array of the backend from a number, nested list, array or Tensor (always a copy)."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        array = data._data.copy()
    elif backend.is_array(data):
        array = data.copy()
    else:
        try:
            array = numpy.array(data)
        except ValueError:  # ragged nested lists
            array = numpy.array(None)
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise TypeError(
                f"tensor() expects a number, a nested list of numbers, an array or a Tensor, "
                f"got {type(data).__name__} holding {array.dtype}"
            )
        if dtype is None and not isinstance(data, numpy.ndarray | numpy.generic):
            if array.dtype.kind == "f":
                array = array.astype(dtypes.default_float)
            elif array.dtype.kind in "iu":
                array = array.astype(dtypes.int64)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    dtypes.as_dtype(array.dtype)  # reject complex, strings, ...
    if device is not None:
        array = backend.to_device(array, device)
    return array


from backprop import ops  # noqa: E402  (the ops wrap their results in Tensor)
