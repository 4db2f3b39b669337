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

    __slots__ = ("_data", "grad", "requires_grad", "grad_fn", "_version", "_output_nr", "_base", "_view_op",
                 "_views", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to us: array + tensor calls Tensor.__radd__
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        self._data = _to_array(data, dtype, device)
        self.grad = None
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
        t.grad = None
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

    def t(self):
        """The transpose of a tensor of at most 2 dimensions (a view), as torch.Tensor.t."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

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
        key = ops.indexing.array_key(key)
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

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from backprop.creation import randn

        values = randn(*self.shape, dtype=self.dtype, device=self.device, generator=generator) * std + mean
        return self._inplace("normal_()", lambda t: ops.overwrite(t, values))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from backprop.creation import rand

        values = rand(*self.shape, dtype=self.dtype, device=self.device, generator=generator) * (b - a) + a
        return self._inplace("uniform_()", lambda t: ops.overwrite(t, values))

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

    def __and__(self, other):
        return ops.logical(self, other, "bitwise_and")

    __rand__ = __and__

    def __or__(self, other):
        return ops.logical(self, other, "bitwise_or")

    __ror__ = __or__

    def __xor__(self, other):
        return ops.logical(self, other, "bitwise_xor")

    __rxor__ = __xor__

    def __invert__(self):
        return Tensor._make(backend.array_module(self._data).invert(self._data))

    def __getitem__(self, key):
        return ops.getitem(self, key)

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


_SLOT_DEFAULTS = {"_base": None, "_output_nr": 0, "_view_op": None, "_views": None}


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
