"""Tensor: an array, the gradient that flows back to it, and the op that made it.

A Tensor wraps one array of the backend (``t.data``: NumPy on the CPU, CuPy
on a GPU). When it ``requires_grad``, every op that uses it records itself
in its result's ``grad_fn``; ``backward()`` walks those records in reverse
and leaves dL/dt in ``t.grad`` for every leaf ``t``.

Operators and methods only translate arguments and call the ops in
``backprop.ops``, where each op's forward and backward live side by side.
"""
import math
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

    __slots__ = ("_data", "_grad", "requires_grad", "grad_fn", "_version", "_output_nr", "_base", "_view_op",
                 "_views", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to us: array + tensor calls Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, requires_grad=False, device=None):
        """torch's legacy constructor: ``Tensor(2, 3)`` (sizes: uninitialised), ``Tensor([1, 2])`` (data, as the
        default float dtype), ``Tensor(other)`` (shares ``other``'s memory), ``Tensor()`` (empty). ``dtype=``
        and ``requires_grad=`` are backprop's additions; prefer ``bp.tensor(data)``."""
        self._data = _legacy_array(args, dtypes.as_dtype(dtype), device, "Tensor")
        self._grad = None
        self.grad_fn = None
        self._version = [0]
        self._output_nr = 0
        self._base = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, grad_fn=None, requires_grad=False):
        """Wrap an array without copying or checking (the ops' fast path)."""
        t = object.__new__(cls)
        t._data = data
        t._grad = None
        t.grad_fn = grad_fn
        t.requires_grad = requires_grad or grad_fn is not None
        t._version = [0]
        t._output_nr = 0
        t._base = None
        return t

    def __getattr__(self, name):
        """Defaults of the graph slots for a subclass whose ``__init__`` does not set them (called only when the
        attribute is not found: no cost otherwise)."""
        if name in _SLOT_DEFAULTS:
            return _SLOT_DEFAULTS[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __array_namespace__(self, api_version=None):
        """NumPy's function names as differentiable ops on Tensors (``backprop.ops.namespace``): what a
        backward formula's ``xp`` is when the gradient's graph is recorded (``create_graph=True``)."""
        from backprop.ops import namespace

        return namespace

    # ------------------------------------------------------------ attributes
    @property
    def grad(self):
        """dL/dt after ``backward()`` (a leaf's, or a retained one's); None before."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {tuple(value.shape)}, the tensor "
                                   f"has {tuple(self.shape)}")
        self._grad = value

    @property
    def data(self):
        """A Tensor sharing this one's memory that does not require grad, as torch's ``.data`` (changes made
        through it are not seen by the version counter: prefer ``detach()``). Assigning replaces the values."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        if not backend.is_array(value):
            raise TypeError(f"Tensor.data expects a Tensor, got {type(value).__name__}")
        if self.requires_grad and not dtypes.is_floating(value.dtype):
            raise RuntimeError(f"data set to a tensor that requires gradients must be floating point, got {value.dtype}")
        self._data = value

    @property
    def array(self):
        """The backend array holding the values, no copy: a NumPy array on the CPU, a CuPy array on a GPU."""
        return self._data

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        dtype = self._data.dtype
        return _DTYPES.get(dtype, dtype)

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return int(self._data.size) * self._data.itemsize

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def stride(self, dim=None):
        """Steps in elements between neighbours along each dimension (of the NumPy/CuPy array underneath)."""
        strides = tuple(step // self._data.itemsize for step in self._data.strides)
        return strides if dim is None else strides[dim]

    def data_ptr(self):
        """The address of the first element."""
        return _address(self._data)

    def storage_offset(self):
        """How many elements after the start of the memory it shares (its base array's) this tensor starts."""
        root = self._data
        while backend.is_array(root.base):
            root = root.base
        return (_address(self._data) - _address(root)) // self._data.itemsize

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    @property
    def layout(self):
        return strided

    def get_device(self):
        """The GPU's index for a CUDA tensor, -1 on the CPU."""
        return -1 if self.device.type == "cpu" else self.device.index

    def pin_memory(self, device=None):
        """This tensor (page-locked memory is CUDA's business: NumPy's arrays are copied as they are)."""
        return self

    def is_pinned(self, device=None):
        return False

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return self.permute(*range(self.ndim - 1, -1, -1))

    def t(self):
        """The transpose of a tensor of at most 2 dimensions (a view), as torch.Tensor.t."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d self / d leaf for every leaf and add it to ``leaf.grad``.

        ``gradient`` is dL/dself when self is not a scalar. The graph is freed
        afterwards unless ``retain_graph=True`` (the default with
        ``create_graph=True``, which records the gradients' own graph so that
        they can be differentiated again). ``inputs``: only these tensors get
        a gradient.
        """
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a Tensor it returns replaces the
        gradient. Returns a handle whose ``remove()`` unregisters it.

        >>> import backprop as bp
        >>> x = bp.tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([20., 40.])
        """
        return autograd.register_hook(self, hook)

    @property
    def retains_grad(self):
        fn = self.grad_fn
        return fn is not None and fn._retained is not None and self._output_nr in fn._retained and \
            fn._retained[self._output_nr]() is self

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
            autograd.retain_grad(self)

    def detach(self):
        """The same array, cut off from the graph (shares memory and version)."""
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    def detach_(self):
        """Cut this tensor off the graph in place: it becomes a leaf that does not require grad."""
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("detach_() of a view is not allowed: use detach(), which returns a new tensor")
        self.grad_fn, self.requires_grad = None, False
        return self

    # -------------------------------------------------------------- convert
    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use .detach().numpy()")
        return backend.to_numpy(self._data)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar "
                               "(item() needs a tensor with one element)")
        return self._data.item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self._data)
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
        """torch's forms: ``t.to(dtype)``, ``t.to(device)``, ``t.to(device, dtype)``, ``t.to(other_tensor)``,
        with ``non_blocking`` (accepted; NumPy and CuPy copies are synchronous here) and ``copy``."""
        flags = []
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, bool):
                flags.append(arg)
            elif isinstance(arg, (str, backend.device, int)):
                device = arg
            else:
                dtype = arg
        if len(flags) > 1:
            copy = flags[1]
        result = self
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if dtype != self._data.dtype:
                result = ops.cast(result, dtype)
        if device is not None:
            device = backend.device("cuda", device) if isinstance(device, int) else backend.device(device)
            if device != self.device:
                result = ops.to_device(result, device)
        if copy and result is self:
            result = self.clone()
        return result

    def float(self, memory_format=None):
        return self.to(dtypes.float32)

    def double(self, memory_format=None):
        return self.to(dtypes.float64)

    def half(self, memory_format=None):
        return self.to(dtypes.float16)

    def long(self, memory_format=None):
        return self.to(dtypes.int64)

    def int(self, memory_format=None):
        return self.to(dtypes.int32)

    def short(self, memory_format=None):
        return self.to(dtypes.int16)

    def char(self, memory_format=None):
        return self.to(dtypes.int8)

    def byte(self, memory_format=None):
        return self.to(dtypes.uint8)

    def bool(self, memory_format=None):
        return self.to(dtypes.bool_)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """Without an argument, torch's name of this tensor's type ('torch.FloatTensor', 'torch.cuda.LongTensor'
        ...); with a dtype, a legacy type (``bp.DoubleTensor``) or such a name, this tensor cast to it."""
        if dtype is None:
            return _legacy_name(self.dtype, self.device.type)
        device = None
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype, device = _legacy_type_of_name(dtype)
        elif isinstance(dtype, _LegacyType):
            dtype, device = dtype.dtype, dtype.device_type
        return self.to(dtype=dtype, device=device if device != self.device.type else None)

    def type_as(self, other):
        return self.to(other.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new tensor (a copy) of ``data``, with this tensor's dtype and device unless given."""
        t = Tensor._make(_to_array(data, dtype or self.dtype, device or self.device))
        return t.requires_grad_(True) if requires_grad else t

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("empty", size, dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("ones", size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return self._new("full", (size,), dtype, device, requires_grad, fill_value)

    def _new(self, name, size, dtype, device, requires_grad, *fill):
        """``new_NAME``: an array of ``xp.NAME`` with this tensor's dtype and device unless given."""
        xp = backend.namespace(self.device if device is None else device)
        dtype = dtypes.as_dtype(dtype) or self.dtype
        t = Tensor._make(getattr(xp, name)(ops.util.shape_arg(size), *fill, dtype=dtype.dtype))
        return t.requires_grad_(True) if requires_grad else t

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        if device is None or isinstance(device, int):
            device = backend.device("cuda", device or 0)
        return self.to(device)

    def contiguous(self, memory_format=None):
        """This tensor when its elements lie in row-major order (``is_contiguous()``), else a copy that does."""
        return self if self._data.flags.c_contiguous else ops.clone(self)

    def __bool__(self):
        if self._data.size != 1:
            amount = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous; use .any() or .all()")
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if dtypes.category(self.dtype) == 2 or self._data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index, got "
                            f"{self.dtype} of shape {tuple(self.shape)}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        return _tensor_repr(self)

    def __format__(self, spec):
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); any other as its repr (a format spec raises
        TypeError, as in torch)."""
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # ------------------------------------------------------------- in place
    # An in-place op computes its result out of place (recorded as usual), writes the values into this
    # tensor's memory (so views see them) and moves the tensor to the result's node: its old value's
    # gradient still flows through the node that used it (edges are fixed when an op runs). A change made
    # through a view moves the view's base too (``CopySlices``). See docs/autograd.md.
    def _check_inplace(self, what):
        """torch's rule: outside no_grad, a leaf that requires grad (or a view of one) may not change in place."""
        if not autograd._grad_mode.enabled:
            return
        root = self._view_root()
        if root.requires_grad and root.grad_fn is None:
            kind = "a leaf Variable that requires grad" if root is self else "a view of a leaf Variable that requires grad"
            raise RuntimeError(
                f"{kind} is being used in an in-place operation ({what}); do it inside bp.no_grad(), "
                "or on .detach() / .data")

    def _view_root(self):
        t = self
        while t._base is not None:
            t = t._base
        return t

    def _view_chain(self):
        """(root base, the view ops from it to this tensor, in order)."""
        chain, t = [], self
        while t._base is not None:
            chain.append(t._view_op)
            t = t._base
        return t, tuple(reversed(chain))

    def _write(self, values, key=Ellipsis):
        """Write ``values`` (an array or number) into ``self`` and bump the version."""
        self._data[key] = values
        self._version[0] += 1
        return self

    def _inplace(self, name, compute):
        """``self = compute(self)`` in place: the values written into this tensor, the graph moved to the result."""
        recording = autograd._grad_mode.enabled
        if recording:
            self._check_inplace(name)
        result = compute(self)
        _check_castable(name, result.dtype, self.dtype)
        if not recording or not result.requires_grad:
            return self._write(result._data)
        if result.dtype != self.dtype:
            result = result.to(self.dtype)
        _keep_old_values(result.grad_fn, self)
        self._write(result._data)
        _alias_saved_output(result, self)
        self._move_to(result, None)
        return self

    def _move_to(self, source, key):
        """After an in-place change: this tensor (or its region ``key``) now holds ``source``'s value. The
        tensor moves to ``source``'s node; through a view, its base moves to a ``CopySlices`` node and the
        view to that view of the moved base; every other live view of the base follows (as torch
        regenerates a view's grad_fn once its base changed in place)."""
        if self._base is None and key is None:
            _rebase(self, source)
            _refresh_views(self, None)
            return
        root, chain = self._view_chain()
        _rebase(root, ops.indexing.CopySlices.apply(root, source, chain=chain, key=key))
        if root is not self:  # the view itself: the same view of the moved base
            _rebase(self, _replay(root, chain))
        _refresh_views(root, self)

    def __setitem__(self, key, value):
        key = ops.indexing.array_key(key, self.shape)
        recording = autograd._grad_mode.enabled
        tracked = recording and (self.requires_grad or getattr(value, "requires_grad", False))
        if not tracked:
            if recording:
                self._check_inplace("assignment to an element")
            if isinstance(value, Tensor):
                value = backend.to_device(value._data, self.device)
            return self._write_checked(value, key)
        self._check_inplace("assignment to an element")
        source = ops.indexing.values_for(self, value)
        self._write_checked(source._data, key)
        self._move_to(source, key)

    def _write_checked(self, values, key):
        """``_write`` of ``t[key] = values``, with torch's RuntimeError when the shapes do not broadcast."""
        try:
            return self._write(values, key)
        except ValueError as error:
            shape = getattr(values, "shape", ())
            raise RuntimeError(f"t[key] = value: the value of shape {tuple(shape)} cannot be broadcast to the "
                               f"shape of the region it is assigned to: {error}") from None

    def zero_(self):
        return self._inplace("zero_()", lambda t: ops.overwrite(t, 0))

    def fill_(self, value):
        return self._inplace("fill_()", lambda t: ops.overwrite(t, value))

    def copy_(self, source, non_blocking=False):
        return self._inplace("copy_()", lambda t: ops.overwrite(t, source))

    # random fills: the values drawn on the host by backprop.creation, then written in as fill_ writes
    def _fill_random(self, name, values):
        return self._inplace(name, lambda t: ops.overwrite(t, values))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from backprop.creation import randn

        values = randn(*self.shape, dtype=self._floating_or_default(), generator=generator) * std + mean
        return self._fill_random("normal_()", values)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from backprop.creation import rand

        values = rand(*self.shape, dtype=self._floating_or_default(), generator=generator) * (b - a) + a
        return self._fill_random("uniform_()", values)

    def _floating_or_default(self):
        return self.dtype if self.is_floating_point() else dtypes.default_float

    def _draw(self, name, kind, generator, *parameters):
        from backprop.creation import draw

        return self._fill_random(name, draw(kind, self._data.shape, self.dtype, generator, *parameters))

    def random_(self, from_=0, to=None, *, generator=None):
        """Integers uniform on [from_, to) (``random_(to)``: [0, to); no bound: [0, 2^mantissa] for floats,
        the dtype's range for integers), as torch's ``random_(from, to)``."""
        if to is None and from_ != 0:
            from_, to = 0, from_
        return self._draw("random_()", "random", generator, from_, to)

    def exponential_(self, lambd=1.0, *, generator=None):
        return self._draw("exponential_()", "exponential", generator, lambd)

    def geometric_(self, p, *, generator=None):
        return self._draw("geometric_()", "geometric", generator, p)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self._draw("log_normal_()", "log_normal", generator, mean, std)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self._draw("cauchy_()", "cauchy", generator, median, sigma)

    def bernoulli_(self, p=0.5, *, generator=None):
        from backprop.creation import bernoulli

        probability = p.to(self.device) if isinstance(p, Tensor) else p
        like = probability if isinstance(probability, Tensor) else self
        return self._fill_random("bernoulli_()", bernoulli(like, None if like is probability else probability,
                                                           generator=generator).expand(*self.shape))

    def bernoulli(self, p=None, *, generator=None):
        from backprop.creation import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from backprop.creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def __iadd__(self, other):
        return self._inplace("+=", lambda t: ops.add(t, other))

    def __isub__(self, other):
        return self._inplace("-=", lambda t: ops.sub(t, other))

    def __imul__(self, other):
        return self._inplace("*=", lambda t: ops.mul(t, other))

    def __itruediv__(self, other):
        return self._inplace("/=", lambda t: ops.div(t, other))

    def __ipow__(self, other):
        return self._inplace("**=", lambda t: ops.pow(t, other))

    # ------------------------------------------------------------ operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(self, other)  # self first, as torch: ``2 + x`` records x as the first operand

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(self, other)

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

    # & | ^ ~ // % << >>: torch's functions of the same meaning (ops.bitwise_and ...)
    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return ops.bitwise_xor(other, self)

    def __invert__(self):
        return ops.bitwise_not(self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __lshift__(self, other):
        return ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return ops.bitwise_right_shift(other, self)

    def __ifloordiv__(self, other):
        return self._inplace("//=", lambda t: ops.floor_divide(t, other))

    def __imod__(self, other):
        return self._inplace("%=", lambda t: ops.remainder(t, other))

    def __ilshift__(self, other):
        return self._inplace("<<=", lambda t: ops.bitwise_left_shift(t, other))

    def __irshift__(self, other):
        return self._inplace(">>=", lambda t: ops.bitwise_right_shift(t, other))

    def __iand__(self, other):
        return self._inplace("&=", lambda t: ops.bitwise_and(t, other))

    def __ior__(self, other):
        return self._inplace("|=", lambda t: ops.bitwise_or(t, other))

    def __ixor__(self, other):
        return self._inplace("^=", lambda t: ops.bitwise_xor(t, other))

    def __getitem__(self, key):
        return ops.getitem(self, key)

    def __contains__(self, element):
        """``element in t``: some entry equals ``element`` (a number or a tensor), as torch."""
        if not isinstance(element, (Tensor, int, float, bool)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element).__name__}")
        return bool((self == element).any())

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # --------------------------------------------------------------- methods
    # exp, sum, reshape, ... (and exp_, add_, ...) come from the ops' manifest (backprop.ops.manifest):
    # ops/__init__.py attaches every declared op here. Written by hand: what has a signature of its own.
    def where(self, condition, other):
        return ops.where(condition, self, other)


class _InPlaceCastError(RuntimeError, TypeError):
    """torch raises RuntimeError when an in-place result cannot be cast to the tensor's dtype; backprop raised
    TypeError before: the error is both."""


_SLOT_DEFAULTS = {"_grad": None, "_base": None, "_output_nr": 0, "_view_op": None, "_views": None}


def _check_castable(name, result, target):
    if dtypes.category(result) > dtypes.category(target):
        raise _InPlaceCastError(f"{name}: result type {result} can't be cast to the desired output type {target}: "
                                f"the result of type {result} can't be cast to {target} in place")


def _alias_saved_output(result, t):
    """After ``result``'s values were written into ``t`` (an in-place op): a node that saved its output keeps
    ``t``'s memory instead, under ``t``'s version counter, so that a later in-place change of ``t`` is refused
    at backward (torch's in-place ops save ``self`` as their output); the result's own array is released."""
    fn = result.grad_fn
    if fn is None or not fn._saved:
        return
    entries = list(fn._saved)
    changed = False
    for j, (source, k, counter, version, shape) in enumerate(entries):
        if source == "output" and k == result._output_nr and counter is result._version:
            entries[j] = (source, k, t._version, t._version[0], shape)
            changed = True
            if fn._tensor_backward:
                values = list(fn._saved_values)
                values[j] = t._data
                fn._saved_values = tuple(values)
            else:
                arrays = list(fn.saved_tensors)
                if arrays[j] is result._data:
                    arrays[j] = t._data
                fn.saved_tensors = tuple(arrays)
    if changed:
        fn._saved = tuple(entries)


def _rebase(t, source):
    """``t`` now stands where ``source`` does in the graph (after an in-place change); a retain_grad() follows."""
    _move_retained(t, source.grad_fn, source._output_nr)
    t.grad_fn, t._output_nr, t.requires_grad = source.grad_fn, source._output_nr, source.requires_grad


def _move_retained(t, fn, output_nr):
    """``t.retain_grad()`` follows ``t`` to its new node after an in-place change, as torch."""
    old = t.grad_fn
    if old is None or old._retained is None:
        return
    reference = old._retained.get(t._output_nr)
    if reference is None or reference() is not t:
        return
    del old._retained[t._output_nr]
    if fn is not None:
        if fn._retained is None:
            fn._retained = {}
        fn._retained[output_nr] = reference


class _Views(list):
    """Weak references to the live views of a base tensor (pruned of dead ones as it grows)."""

    limit = 64

    def add(self, view):
        self.append(_weak(view))
        if len(self) >= self.limit:
            self.keep([reference for reference in self if reference() is not None])

    def keep(self, alive):
        """Only the references ``alive`` from now on; room to grow to twice as many before the next pruning."""
        self[:] = alive
        self.limit = max(64, 2 * len(alive))


_replaying = [False]  # True while _replay rebuilds views: its intermediate views are not registered


def _replay(root, chain):
    """The view ``chain`` (from ``_view_chain``) applied again to ``root``: a view of root's current graph."""
    _replaying[0] = True
    try:
        view = root
        for cls, params in chain:
            view = cls.apply(view, **params)
    finally:
        _replaying[0] = False
    return view


def _refresh_views(root, done):
    """``root`` changed in place through the graph: every live view of it (but ``done``) becomes that view of
    root's new value (a view made under no_grad is not tracked, and keeps no graph)."""
    views = root._views
    if not views:
        return
    alive = []
    for reference in views:
        view = reference()
        if view is None:
            continue
        alive.append(reference)
        if view is done:
            continue
        _rebase(view, _replay(root, view._view_chain()[1]))
    views.keep(alive)


def _keep_old_values(fn, t):
    """Before ``t`` is overwritten in place: a node that saved ``t``'s values (or will recompute from them)
    keeps a private copy of them, so that its backward still sees the value it was given."""
    if fn is None or fn.inputs is None:
        return
    saved = [entry for entry in fn._saved if entry[0] == "input" and fn.inputs[entry[1]] is t]
    if not saved and type(fn).decompose is None:
        return
    if not any(x is t for x in fn.inputs):
        return
    old = Tensor._make(t._data.copy(), grad_fn=t.grad_fn)
    old._output_nr, old.requires_grad = t._output_nr, t.requires_grad
    fn.inputs = tuple(old if x is t else x for x in fn.inputs)
    fn.saved_tensors = tuple(old._data if a is t._data else a for a in fn.saved_tensors)
    fn._saved = tuple((source, i, old._version, old._version[0], shape) if source == "input" and fn.inputs[i] is old
                      else (source, i, counter, version, shape)
                      for source, i, counter, version, shape in fn._saved)


def mark_view(result, base, cls, params, recording):
    """``result`` is a view of ``base`` made by op ``cls`` (shares its memory and version counter), unless its
    array is a copy (a reshape of a non-contiguous tensor, as torch's). Made while the graph is recorded
    (``recording``), it is registered with its root base, whose in-place changes it follows
    (``_refresh_views``); not needed for the views of a leaf that requires grad, which changes in place
    only under no_grad (its graph stays)."""
    array, of = result._data, base._data
    owner = array.base
    if owner is None or (owner is not of and owner is not of.base
                         and not backend.array_module(array).may_share_memory(array, of)):
        return
    result._version = base._version
    result._base = base
    result._view_op = (cls, params)
    if recording and not _replaying[0]:
        root = base if base._base is None else base._view_root()
        if root.requires_grad and root.grad_fn is None:
            return
        views = root._views
        if views is None:
            views = root._views = _Views()
        views.add(result)


_weak = weakref.ref


_DTYPES = dtypes._BY_NUMPY  # a NumPy dtype -> backprop's DType (Tensor.dtype)


class Size(tuple):
    """The shape of a tensor: a tuple of ints, printed as torch prints its Size.

    >>> import backprop as bp
    >>> bp.zeros(2, 3).shape
    backprop.Size([2, 3])
    >>> bp.Size([2, 3]).numel(), bp.zeros(2, 3).shape == (2, 3)
    (6, True)
    """

    __slots__ = ()

    def __repr__(self):
        return f"{dtypes.display_prefix}.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        return math.prod(self)

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return Size, (tuple(self),)


class memory_format:
    """How a tensor's elements are laid out in memory: ``bp.contiguous_format``, ``bp.preserve_format``,
    ``bp.channels_last``. Accepted where torch takes ``memory_format=``; backprop's tensors are row-major."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"{dtypes.display_prefix}.{self.name}"


class layout(memory_format):
    """A tensor's kind of storage: ``bp.strided`` (dense), the only one of backprop's Tensor (``layout=``
    accepted where torch takes it)."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")  # backprop.sparse's COO tensors


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def _address(array):
    """The address of an array's first element (NumPy or CuPy)."""
    if isinstance(array, numpy.ndarray):
        return array.__array_interface__["data"][0]
    return array.data.ptr


# ----------------------------------------------------------------- legacy types
_LEGACY = {dtypes.float32: "Float", dtypes.float64: "Double", dtypes.float16: "Half", dtypes.int64: "Long",
           dtypes.int32: "Int", dtypes.int16: "Short", dtypes.int8: "Char", dtypes.uint8: "Byte",
           dtypes.bool_: "Bool"}
_LEGACY_DTYPES = {name: dtype for dtype, name in _LEGACY.items()}


def _legacy_name(dtype, device_type="cpu"):
    """torch's name of a tensor type: 'torch.FloatTensor', 'torch.cuda.LongTensor' ..."""
    return ("torch.cuda." if device_type == "cuda" else "torch.") + _LEGACY[dtype] + "Tensor"


def _legacy_type_of_name(name):
    """(dtype, device type) of a name as 'torch.FloatTensor' or 'torch.cuda.DoubleTensor'."""
    parts = name.split(".")
    kind = parts[-1][:-len("Tensor")]
    if kind not in _LEGACY_DTYPES or parts[0] not in ("torch", "backprop") or len(parts) > 3 or (
            len(parts) == 3 and parts[1] != "cuda"):
        raise ValueError(f"invalid type: {name!r}; expected a name such as 'torch.FloatTensor'")
    return _LEGACY_DTYPES[kind], "cuda" if len(parts) == 3 else "cpu"


def _legacy_array(args, dtype, device, who):
    """The array of a legacy constructor ``who(*args)``: sizes give an uninitialised tensor, one sequence of
    numbers or an array gives its values as ``dtype`` (the default float dtype when None), a Tensor its memory."""
    if len(args) == 1 and isinstance(args[0], Tensor):
        source = args[0]
        if dtype is not None and dtype != source._data.dtype:
            raise TypeError(f"{who}(tensor) expected a tensor of dtype {dtype}, got {source.dtype}")
        return source._data if device is None else backend.to_device(source._data, device)
    if dtype is None:
        dtype = dtypes.default_float
    if not args or isinstance(args[0], Size) and len(args) == 1 or all(
            isinstance(n, (int, numpy.integer)) and not isinstance(n, bool) for n in args):
        shape = tuple(args[0]) if args and isinstance(args[0], Size) else tuple(int(n) for n in args) or (0,)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"{who}(): negative dimension in size {shape}")
        xp = backend.namespace(backend.placed(device))
        return xp.empty(shape, dtype=dtype.dtype)
    if len(args) > 1:
        raise TypeError(f"{who}() expected sizes (ints) or one sequence of data, got {len(args)} arguments")
    data = args[0]
    if isinstance(data, (str, bytes)) or isinstance(data, bool):
        raise TypeError(f"{who}(): data must be a sequence of numbers, got {type(data).__name__}")
    return _to_array(data, dtype, device)


class _LegacyType(type):
    """The metaclass of ``bp.FloatTensor`` and its kin: calling one makes a tensor of its dtype (from sizes or
    data, as torch's legacy constructors), and ``isinstance(t, bp.FloatTensor)`` checks a tensor's dtype."""

    def __call__(cls, *args, device=None):
        if device is not None and backend.device(device).type != cls.device_type:
            raise RuntimeError(f"{cls.__name__} lives on {cls.device_type}, got device={device!r}")
        return Tensor._make(_legacy_array(args, cls.dtype, device or cls.device_type, cls.__name__))

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == cls.device_type

    def __repr__(cls):
        return f"<class '{_legacy_name(cls.dtype, cls.device_type).replace('torch', dtypes.display_prefix)}'>"


def legacy_types(device_type):
    """{'FloatTensor': the legacy type of float32 on ``device_type`` ('cpu' or 'cuda'), 'LongTensor': ...}."""
    return {f"{name}Tensor": _LegacyType(f"{name}Tensor", (), {"dtype": dtype, "device_type": device_type,
                                                               "__module__": "backprop"})
            for dtype, name in _LEGACY.items()}


# ------------------------------------------------------------------ torch.is_tensor ...
def is_tensor(obj):
    """True when ``obj`` is a backprop Tensor (or a Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def is_nonzero(input):
    """The truth of a one-element tensor (RuntimeError for any other, as torch)."""
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'no values' if input.numel() == 0 else 'more than one value'}"
                           " is ambiguous")
    return input.__bool__()


def is_storage(obj):
    return False


def numel(input):
    return input.numel()


def set_default_tensor_type(t):
    """torch's older way of setting the default float dtype: ``bp.DoubleTensor`` or 'torch.DoubleTensor'."""
    dtypes.set_default_dtype(getattr(t, "dtype", None) or _legacy_type_of_name(t)[0])


# ---------------------------------------------------------------------- printing
class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """How tensors print, as torch.set_printoptions: ``precision`` digits after the point (4), ``threshold``
    elements above which a tensor is summarised with '...' (1000), ``edgeitems`` shown at each end then (3),
    ``linewidth`` (80), ``sci_mode`` (True/False; None: chosen from the values), ``profile`` 'default',
    'short' or 'full'."""
    if profile is not None:
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = _PROFILES[profile]
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return {name: getattr(PRINT_OPTS, name) for name in ("precision", "threshold", "edgeitems", "linewidth",
                                                           "sci_mode")}


class _Formatter:
    """torch's _Formatter (torch/_tensor_str.py): one width and one notation for all the values printed."""

    def __init__(self, values, floating):
        self.floating, self.int_mode, self.sci_mode, self.max_width = floating, True, False, 1
        precision = PRINT_OPTS.precision
        if not floating:
            self.max_width = max([len(str(v)) for v in values.tolist()] or [1])
            return
        finite = values[numpy.isfinite(values) & (values != 0)]
        if finite.size == 0:
            return
        magnitude = numpy.abs(finite).astype(numpy.float64)
        low, high = magnitude.min(), magnitude.max()
        self.int_mode = bool((finite == numpy.ceil(finite)).all())
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        numbers = finite.tolist()
        if self.sci_mode:
            widths = [len(f"{v:.{precision}e}") for v in numbers]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in numbers]
        else:
            widths = [len(f"{v:.{precision}f}") for v in numbers]
        self.max_width = max(widths)

    def format(self, value):
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
            else:
                text = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized(array):
    """The elements a summarised print shows (edgeitems at each end of each dimension)."""
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        return numpy.concatenate([array[:edge], array[-edge:]]) if array.shape[0] > 2 * edge else array
    if not edge:
        return array[(slice(0, 0),) * array.ndim]
    rows = list(range(edge)) + list(range(array.shape[0] - edge, array.shape[0])) if array.shape[0] > 2 * edge \
        else range(array.shape[0])
    return numpy.stack([_summarized(array[i]) for i in rows])


def _vector_str(array, indent, summarize, formatter):
    element_length = formatter.max_width + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and array.shape[0] > 2 * edge:
        data = [formatter.format(v) for v in array[:edge].tolist()] + [" ..."] + [
            formatter.format(v) for v in array[-edge:].tolist()]
    else:
        data = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _array_str(array, indent, summarize, formatter):
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    edge, n = PRINT_OPTS.edgeitems, array.shape[0]
    if summarize and n > 2 * edge:
        slices = [_array_str(array[i], indent + 1, summarize, formatter) for i in range(edge)] + ["..."] + [
            _array_str(array[i], indent + 1, summarize, formatter) for i in range(n - edge, n)]
    else:
        slices = [_array_str(array[i], indent + 1, summarize, formatter) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def _tensor_repr(t):
    """``repr(t)`` by torch's rules (torch/_tensor_str.py's _str_intern for a dense tensor)."""
    prefix = "tensor("
    indent = len(prefix)
    array = backend.to_numpy(t._data)
    dtype, suffixes = t.dtype, []
    if t.device != backend.get_default_device():
        suffixes.append(f"device='{t.device}'")
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype != dtypes.default_float:
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype not in (dtypes.default_float, dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={dtype}")
        summarize = array.size > PRINT_OPTS.threshold
        formatter = _Formatter((_summarized(array) if summarize else array).reshape(-1), dtype.is_floating_point)
        body = _array_str(array, indent, summarize, formatter)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _to_array(data, dtype=None, device=None):
    """An array of the backend from a number, nested list, array or Tensor (always a copy), on ``device``: when
    None, an array's or Tensor's own device, the default device for Python data."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
    if backend.is_array(data):
        array = data.copy()
        if device is None:
            device = backend.device_of(array)
    else:
        try:
            array = numpy.array(_numbers(data))
        except ValueError:  # ragged nested lists
            array = numpy.array(None)
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise TypeError(
                f"tensor() expects a number, a nested list of numbers, an array or a Tensor, "
                f"got {type(data).__name__} holding {array.dtype}"
            )
        if dtype is None and not isinstance(data, numpy.generic):
            if array.dtype.kind == "f":
                array = array.astype(dtypes.default_float.dtype)
            elif array.dtype.kind in "iu":
                array = array.astype(numpy.int64)
    if dtype is not None and array.dtype != dtype.dtype:
        array = array.astype(dtype.dtype)
    dtypes.as_dtype(array.dtype)  # reject complex, strings, ...
    device = backend.placed(device)
    if device is not backend.CPU or not isinstance(array, numpy.ndarray):
        array = backend.to_device(array, device)
    return array


def _numbers(data):
    """Nested lists that hold Tensors (``[t1, t2]`` of 0-d tensors, as torch.tensor accepts) as plain numbers."""
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)) and data and any(isinstance(x, (Tensor, list, tuple)) for x in data):
        return [_numbers(x) for x in data]
    return data


from backprop import ops  # noqa: E402  (the ops wrap their results in Tensor)
