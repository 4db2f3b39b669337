"""Reverse-mode automatic differentiation: Function, the graph walk, grad modes.

Every differentiable op is a ``Function`` subclass with ``forward`` (arrays
in, one array out) and ``backward`` (the gradient of the output in, one
gradient per input out). ``Function.apply`` runs ``forward`` and, when an
input requires a gradient and grad mode is on, records the op in the
output's ``grad_fn``: the dynamic computational graph is built as the
program runs. Before ``forward`` runs, ``apply`` sets the Function's
``needs_input_grad`` (which inputs want a gradient) only when the op is being
recorded; an empty ``needs_input_grad`` tells ``forward`` that no backward
will follow (``no_grad``, or no input requires grad), so it need not save
anything for one.

The graph is made of nodes (the Functions) joined by edges: a node keeps, for
each input, the node that produced it and which of that node's outputs it was
(``(node, output_nr)``), or the leaf tensor itself, or None for a constant
(``grad_fn.next_functions`` shows them as PyTorch does). Edges are fixed when
the op runs, so an input changed in place later (which moves that tensor to a
new node) does not change the path its old value's gradient takes.

``Tensor.backward()`` applies the chain rule backwards through that graph:
starting from dL/dL = 1 it visits every Function in reverse topological
order (each one after all the Functions that used its output), so that the
gradient of a node's output is complete - summed over all its uses - before
the node turns it into the gradients of its inputs,
dL/dx_i = sum_k dL/dy_k * dy_k/dx_i.

Higher-order gradients, with one backward formula per op: a formula is
written once, with operators and the array namespace
``xp = backend.array_module(grad)``. With ``create_graph=False`` (the default)
the gradients are raw arrays, ``xp`` is NumPy (or CuPy) and nothing is
recorded: as fast as a hand-written array backward. With ``create_graph=True``
the gradients and the saved values are Tensors, ``xp`` is the differentiable
namespace of ``backprop.ops.namespace`` (the same names, each a recorded op),
so the same formula builds the graph of the gradient, which can be
differentiated again. A fused op whose backward reuses intermediate arrays of
its forward (a convolution's columns, a batch norm's x-hat) cannot be
differentiated through those arrays; such an op gives ``decompose``, its
forward written with other ops, and with ``create_graph=True`` its gradient
is the gradient of that composite (the readable reference of the fused op).

Accumulation, as in PyTorch:
- within one backward pass, the gradients reaching a tensor along several
  paths are added;
- a leaf tensor (created by the user, ``requires_grad=True``) *adds* the
  result to ``.grad``: a second ``backward`` sums with the first until
  ``.grad`` is reset (``zero_grad`` sets it to None);
- a non-leaf tensor keeps no ``.grad`` unless ``retain_grad()`` was called.

Hooks: ``Tensor.register_hook`` (may replace the gradient of that tensor)
and a leaf's post-accumulate-grad hooks, which run once per backward pass,
after the whole pass, in the order the leaves first received a gradient.

After a backward pass the graph is freed (each Function drops its inputs and
saved arrays) unless ``retain_graph=True`` (the default with
``create_graph=True``); a second pass through a freed graph raises RuntimeError.
"""
import functools
import inspect
import threading
import traceback
import weakref

from backprop import backend
from backprop import dtypes
from backprop import hooks as hooks_module

_numpy_scalar = backend.numpy.generic


# ----------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    grad = True  # the grad mode a program sets (is_grad_enabled)
    inference = False  # inside inference_mode
    enabled = True  # ops record the graph: grad and not inference (the one flag the ops read)


_grad_mode = _GradMode()


def _set_mode(grad, inference):
    _grad_mode.grad, _grad_mode.inference = grad, inference
    _grad_mode.enabled = grad and not inference


def is_grad_enabled():
    """True when grad mode is on (the default; False inside ``no_grad``)."""
    return _grad_mode.grad


class _ModeContext:
    """A context manager and decorator that sets the grad mode (and the inference mode) and restores it;
    usable as a bare decorator too (``@bp.no_grad``), as torch's."""

    def __new__(cls, *args, **kwargs):
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]) \
                and not isinstance(args[0], bool):  # ``@no_grad`` without parentheses
            return cls()(args[0])
        return super().__new__(cls)

    def _mode(self):
        """(grad, inference) inside the block."""
        raise NotImplementedError

    def __enter__(self):
        if "previous" not in self.__dict__:
            self.previous = []
        self.previous.append((_grad_mode.grad, _grad_mode.inference))
        _set_mode(*self._mode())
        return None

    def __exit__(self, *exc):
        _set_mode(*self.previous.pop())
        return False

    def __call__(self, func):
        make = self._fresh

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with make():
                return func(*args, **kwargs)

        return wrapper

    def _fresh(self):
        return self


class set_grad_enabled(_ModeContext):
    """Turn graph recording on or off: a context manager, a decorator, or a plain call, as torch's
    (``bp.set_grad_enabled(False)`` takes effect at once, until ``set_grad_enabled(True)``)."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.previous = [(_grad_mode.grad, _grad_mode.inference)]
        _set_mode(self.mode, _grad_mode.inference)  # a plain call sets the mode (torch does the same)

    def _mode(self):
        return self.mode, _grad_mode.inference

    def __enter__(self):
        return None  # the mode was set when the object was made

    def __exit__(self, *exc):
        _set_mode(*self.previous[0])
        return False

    def __call__(self, func):
        _set_mode(*self.previous[0])  # as a decorator: the mode applies only while func runs
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(_ModeContext):
    """Run without recording the graph (inference, weight updates).

    >>> import backprop as bp
    >>> w = bp.ones(2, requires_grad=True)
    >>> with bp.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    def _mode(self):
        return False, _grad_mode.inference

    def _fresh(self):
        return no_grad()


class enable_grad(_ModeContext):
    """Record the graph again, e.g. inside a ``no_grad`` block (inside ``inference_mode`` nothing is
    recorded all the same, as torch)."""

    def _mode(self):
        return True, _grad_mode.inference

    def _fresh(self):
        return enable_grad()


class inference_mode(_ModeContext):
    """``no_grad`` for inference, as torch.inference_mode: nothing is recorded inside, even under
    ``enable_grad``; ``mode=False`` turns grad mode on and inference mode off.

    >>> import backprop as bp
    >>> with bp.inference_mode():
    ...     y = bp.ones(2, requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def _mode(self):
        return (False, True) if self.mode else (True, False)

    def _fresh(self):
        return inference_mode(self.mode)


def is_inference_mode_enabled():
    return _grad_mode.inference


# ---------------------------------------------------------- anomaly detection
class _Anomaly(threading.local):
    enabled = False
    check_nan = True


_anomaly = _Anomaly()


class set_detect_anomaly:
    """Turn anomaly detection on or off (context manager, decorator, or a plain call).

    When on, every op remembers where its forward was called, and a backward
    that produces a NaN raises a RuntimeError naming the op and showing that
    place: where a loss turned into NaN.
    """

    def __init__(self, mode, check_nan=True):
        self.previous = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self.previous
        return False

    def __call__(self, func):
        mode, check_nan = _anomaly.enabled, _anomaly.check_nan

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_detect_anomaly(mode, check_nan):
                return func(*args, **kwargs)

        return wrapper


class detect_anomaly(set_detect_anomaly):
    """``with bp.autograd.detect_anomaly(): ...``: anomaly detection on inside the block."""

    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)


def is_anomaly_enabled():
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    return _anomaly.check_nan


# ------------------------------------------------------------------ Function
class Function:
    """One differentiable operation, one node of the computational graph.

    The library's ops subclass it with ``forward(*arrays, **params) -> array``
    and ``backward(grad_output) -> gradient or tuple of gradients`` (one per
    tensor input, ``None`` for an input that needs none). ``forward`` stores
    on ``self`` what ``backward`` needs; arrays that are inputs or the output
    go through ``save_for_backward`` so that an in-place change to them
    before ``backward`` is detected, and so that with ``create_graph=True``
    ``backward`` receives them as the Tensors they were (connected to the
    graph). ``backward`` may return a gradient of the broadcast shape: the
    engine sums it back to the input's shape.

    ``self.needs_input_grad`` (one bool per input) is set before ``forward``
    runs, and only when the graph is being recorded (grad mode on and some
    input requires a gradient); otherwise it stays the empty tuple. So
    ``forward`` can skip what only ``backward`` needs (a mask, saved
    activations) with ``if self.needs_input_grad: ...`` - inference under
    ``no_grad`` then computes and keeps nothing for a backward that never comes.

    PyTorch's form works too: a subclass whose ``forward(ctx, ...)`` and
    ``backward(ctx, ...)`` are static methods on Tensors, called through
    ``apply`` (see ``_ctx_apply``): one engine for both.
    """

    inputs = None  # the input Tensors while the graph is alive
    _edges = None  # per input: (node, output_nr), (leaf tensor, 0) or None
    _params = None  # apply's keyword arguments (for ``decompose``)
    is_view = False  # True: the output may share memory (and so its version) with inputs[0]
    needs_input_grad = ()
    saved_tensors = ()
    _saved = ()  # per saved array: (source, index, version counter, version when saved, shape)
    _retained = None  # output_nr -> weak reference of an output that called retain_grad()
    _tensor_hooks = None  # output_nr -> {handle id: hook}, from Tensor.register_hook on a non-leaf
    _trace = None  # where forward was called, under detect_anomaly
    _pre_hooks = _post_hooks = None  # Function.register_prehook / register_hook: {handle id: hook}
    _n_outputs = 1
    _tensor_backward = False  # True for PyTorch-style Functions: backward takes and returns Tensors
    decompose = None  # optional staticmethod(*tensors, **params) -> Tensor: the op written with other ops

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(inspect.getattr_static(cls, "forward", None), staticmethod):
            _make_ctx_function(cls)

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors and record it in the graph when needed."""
        fn = cls()
        if backend.cupy is not None and len(inputs) > 1:  # only once a GPU is in use can devices differ
            _check_same_device(cls, inputs)
        recording = _grad_mode.enabled
        if recording:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:  # set before forward: non-empty tells forward that backward may follow
                fn.needs_input_grad = needs
        out = fn.forward(*[t._data for t in inputs], **params)
        result = _tensor.Tensor._make(out)
        if cls.is_view:
            _tensor.mark_view(result, inputs[0], cls, params, recording)
        if fn.needs_input_grad and out.dtype.kind == "f":  # integer results carry no gradient
            fn.inputs = inputs
            fn._edges = tuple([
                (t.grad_fn, t._output_nr) if t.grad_fn is not None else ((t, 0) if t.requires_grad else None)
                for t in inputs])
            fn._params = params
            result.grad_fn = fn
            result.requires_grad = True
            if fn.saved_tensors:
                fn._saved = _saved_arrays(fn.saved_tensors, inputs, result)
            if _anomaly.enabled:
                fn._trace = traceback.format_stack()[:-1]
        if isinstance(out, _numpy_scalar):  # NumPy gives 0-d results as scalars, which in-place ops cannot change
            result._data = backend.numpy.asarray(out)
        return result

    @classmethod
    def call(cls, *args, **params):
        """The op inside another op's backward formula: on arrays, just its forward (nothing is
        recorded: ``create_graph=False``); on Tensors, ``apply`` (the formula's graph is recorded)."""
        if isinstance(args[0], _tensor.Tensor):
            return cls.apply(*args, **params)
        return cls().forward(*args, **params)

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    # ------------------------------------------------------- introspection
    def name(self):
        """PyTorch's name of this node, e.g. ``MulBackward0`` (``MyFunctionBackward`` for a custom Function)."""
        named = self.__dict__.get("_name")
        if named is not None:
            return named
        cls = type(self).__name__
        if self._tensor_backward:
            return cls + "Backward"
        variant = _TORCH_NAMES.get(cls)
        if variant is None:
            return cls + "Backward0"
        return variant if isinstance(variant, str) else variant(self)

    @property
    def next_functions(self):
        """Per input, ``(node, output_nr)``: the node that made it, an ``AccumulateGrad`` for a leaf,
        ``(None, 0)`` for a constant (a custom Function's non-Tensor arguments have none, as torch)."""
        if self._edges is None:
            return ()
        shown = self.__dict__.get("_tensor_args")
        result = []
        for i, edge in enumerate(self._edges):
            if shown is not None and i not in shown:
                continue
            if edge is None:
                result.append((None, 0))
            elif isinstance(edge[0], Function):
                result.append(edge)
            else:
                result.append((_accumulator(edge[0]), 0))
        return tuple(result)

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node's backward (may return new grad_inputs)."""
        return _add_hook(self, "_post_hooks", hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node's backward (may return new grad_outputs)."""
        return _add_hook(self, "_pre_hooks", hook)

    @property
    def metadata(self):
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"  # as torch prints a node

    # ------------------------------------------------ values for create_graph
    def _input_tensor(self, i):
        """Input i as a Tensor connected to the graph where it was when the op ran."""
        t, edge = self.inputs[i], self._edges[i]
        if edge is None:
            return _tensor.Tensor._make(t._data)
        target, nr = edge
        if not isinstance(target, Function):  # a leaf
            return target
        if t.grad_fn is target and t._output_nr == nr:  # still where it was
            return t
        return _stand_in(t._data, target, nr)

    def _saved_as_tensors(self):
        """The saved arrays as Tensors: inputs and outputs connected to the graph, the rest constants."""
        result = []
        for array, (source, index, _, _, _) in zip(self.saved_tensors, self._saved):
            if array is None:
                result.append(None)
            elif source == "input":
                result.append(self._input_tensor(index))
            elif source == "output":
                result.append(_stand_in(array, self, index))
            else:
                result.append(array if isinstance(array, _tensor.Tensor) else _tensor.Tensor._make(array))
        return tuple(result)


def _by_params(fn, name):
    """A name that depends on the op's arguments, read from ``_params`` while the node is alive (``_free`` keeps
    the name it gives)."""
    params = fn.__dict__.get("_params") or {}
    return name(params)


def _pow_name(fn):
    edges = fn._edges or (None, None)
    if edges[1] is None:
        return "PowBackward0"  # tensor ** constant
    return "PowBackward2" if edges[0] is None else "PowBackward1"


def _matmul_name(fn):
    inputs = fn.__dict__.get("inputs")
    if not inputs:
        return "MatMulBackward0"
    return {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0"}.get(
        (inputs[0].ndim, inputs[1].ndim), "MatMulBackward0")


def _linear_name(fn):
    """torch's linear: addmm (with a bias) or mm on a batch of vectors, a view of a matmul otherwise."""
    inputs = fn.__dict__.get("inputs")
    if not inputs or inputs[0].ndim != 2:
        return "ViewBackward0"
    return "AddmmBackward0" if len(inputs) == 3 else "MmBackward0"


def _slice_name(params):
    key = [k for k in params.get("key", ()) if k is not Ellipsis]
    return "SelectBackward0" if key and isinstance(key[-1], int) else "SliceBackward0"


# backprop's op class -> torch's node name where the two differ: a name, or a function of the node (for the
# names that depend on the arguments, kept by ``_free`` as ``_name``)
_TORCH_NAMES = {
    "ReLU": "ReluBackward0",
    "Cast": "ToCopyBackward0",
    "Reshape": "ViewBackward0",
    "CopySlices": "torch::autograd::CopySlices",
    "Pow": _pow_name,
    "MatMul": _matmul_name,
    "MaxAll": lambda fn: _by_params(fn, lambda p: "MaxBackward1" if p.get("largest", True) else "MinBackward1"),
    "Sum": lambda fn: _by_params(fn, lambda p: "SumBackward0" if p.get("axes") is None else "SumBackward1"),
    "Mean": lambda fn: _by_params(fn, lambda p: "MeanBackward0" if p.get("axes") is None else "MeanBackward1"),
    "Slice": lambda fn: _by_params(fn, _slice_name),
    "Clamp": "ClampBackward1",
    "Arctan": "AtanBackward0",
    # fused ops, named after the node torch's own composition ends in
    "Linear": _linear_name,
    "ConvNd": "ConvolutionBackward0",
    "MaxPoolNd": lambda fn: _by_params(
        fn, lambda p: "MaxPool2DWithIndicesBackward0" if len(p.get("kernel", (0, 0))) == 2 else "SqueezeBackward1"),
    "AvgPoolNd": lambda fn: _by_params(
        fn, lambda p: "AvgPool2DBackward0" if len(p.get("kernel", (0, 0))) == 2 else "SqueezeBackward1"),
    "BatchNorm": "NativeBatchNormBackward0",
    "LayerNorm": "NativeLayerNormBackward0",
    "Dropout": "MulBackward0",
    "NLL": "NllLossBackward0",
    "SoftmaxCrossEntropy": "NllLossBackward0",
    "CrossEntropy": "NllLossBackward0",
    "MSELoss": "MseLossBackward0",
}
_NAMED_BY_ARGUMENTS = {"MatMul", "MaxAll", "Sum", "Mean", "Slice", "Linear", "MaxPoolNd", "AvgPoolNd"}


def _stand_in(array, node, nr):
    t = _tensor.Tensor._make(array, grad_fn=node)
    t._output_nr = nr
    return t


def _add_hook(owner, attribute, hook):
    hooks = owner.__dict__.get(attribute)
    if hooks is None:
        hooks = {}
        setattr(owner, attribute, hooks)
    return hooks_module.register(hooks, hook)


class AccumulateGrad:
    """The node of a leaf in ``next_functions``: it adds the gradient into ``variable.grad``."""

    def __init__(self, variable):
        self.variable = variable

    @property
    def next_functions(self):
        return ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


class _WeakIdMap:
    """tensor -> value, keyed by identity and holding the tensor weakly (a Tensor's ``==`` is elementwise,
    so a WeakKeyDictionary cannot hold Tensors)."""

    def __init__(self):
        self.entries = {}  # id -> (weak reference, value)

    def get(self, t):
        entry = self.entries.get(id(t))
        return entry[1] if entry is not None and entry[0]() is t else None

    def set(self, t, value):
        def forget(reference, key=id(t), entries=self.entries):  # the dict bound: globals are None at exit
            if key in entries and entries[key][0] is reference:
                del entries[key]
        self.entries[id(t)] = (weakref.ref(t, forget), value)
        return value

    def __bool__(self):
        return bool(self.entries)


_accumulators = _WeakIdMap()


def _accumulator(leaf):
    return _accumulators.get(leaf) or _accumulators.set(leaf, AccumulateGrad(leaf))


def _check_same_device(cls, inputs):
    devices = [t.device for t in inputs]
    for d in devices[1:]:
        if d != devices[0]:
            raise RuntimeError(
                f"expected all tensors to be on the same device, but found at least two devices, {devices[0]} "
                f"and {d}, in {cls.__name__}: move one with .to({str(devices[0])!r}) or .to({str(d)!r})"
            )


def _saved_sources(saved, inputs, outputs):
    """Per saved value: ("input", i) or ("output", k) or ("other", None), its version counter,
    the version when saved and its shape (for the in-place check)."""
    Tensor = _tensor.Tensor
    result = []
    for value in saved:
        if value is None:
            result.append(_NOT_TRACKED)
            continue
        array = value._data if isinstance(value, Tensor) else value
        entry = _NOT_TRACKED
        for k, out in enumerate(outputs):
            if isinstance(out, Tensor) and (out is value or out._data is array):
                entry = ("output", k, out._version, out._version[0], array.shape)
                break
        else:
            for i, t in enumerate(inputs):
                if isinstance(t, Tensor) and (t is value or t._data is array):
                    entry = ("input", i, t._version, t._version[0], array.shape)
                    break
            else:
                if isinstance(value, Tensor):
                    entry = ("other", None, value._version, value._version[0], array.shape)
        result.append(entry)
    return tuple(result)


def _saved_arrays(saved, inputs, output):
    """``_saved_sources`` for the library's ops (saved arrays, one output): the same entries, fewer checks."""
    result = []
    for array in saved:
        if array is None:
            result.append(_NOT_TRACKED)
        elif array is output._data:
            result.append(("output", 0, output._version, output._version[0], array.shape))
        else:
            for i, t in enumerate(inputs):
                if t._data is array:
                    result.append(("input", i, t._version, t._version[0], array.shape))
                    break
            else:
                result.append(_NOT_TRACKED)
    return tuple(result)


_NOT_TRACKED = ("other", None, None, 0, None)


def _check_versions(fn):
    for source, _, counter, expected, shape in fn._saved:
        if counter is not None and counter[0] != expected:
            raise RuntimeError(
                "one of the tensors needed for gradient computation has been modified by an "
                f"in-place operation: a tensor of shape {shape} saved by {fn!r} was at version "
                f"{expected} when saved and is at version {counter[0]} now; "
                "use an out-of-place op or .clone() the tensor before changing it"
            )


# -------------------------------------------------- PyTorch-style Functions
class FunctionCtx:
    """What a PyTorch-style ``forward(ctx, ...)`` and ``backward(ctx, ...)`` share (the node itself)."""

    def save_for_backward(self, *tensors):
        for t in tensors:  # a sparse tensor (backprop.sparse) is a tensor to torch: it may be saved too
            if t is not None and not isinstance(t, _tensor.Tensor) and not getattr(t, "is_sparse", False):
                raise TypeError(f"save_for_backward() takes Tensors or None, got {type(t).__name__}")
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


def _make_ctx_function(cls):
    """Give a PyTorch-style subclass its own apply and node behaviour."""
    cls._tensor_backward = True
    cls.apply = classmethod(_ctx_apply)
    cls.saved_tensors = property(_ctx_saved_tensors)
    for name in ("save_for_backward", "mark_dirty", "mark_non_differentiable", "set_materialize_grads"):
        setattr(cls, name, getattr(FunctionCtx, name))


def _ctx_saved_tensors(self):
    saved = self.__dict__.get("_ctx_saved")
    if saved is not None:  # inside backward
        return saved
    if self.__dict__.get("_freed"):
        raise RuntimeError(
            "trying to backward through the graph a second time (or to read saved_tensors after it was freed); "
            "call backward(retain_graph=True) the first time")
    return self.__dict__.get("to_save", ())


def _ctx_apply(cls, *args, **kwargs):
    """``MyFunction.apply(*args)``: forward on Tensors without recording, then one node for all outputs."""
    Tensor = _tensor.Tensor
    ctx = object.__new__(cls)
    ctx.materialize_grads = True
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx.needs_input_grad = needs
    record = _grad_mode.enabled and True in needs
    edges = tuple(_edge_of(a) if isinstance(a, Tensor) else None for a in args)
    with no_grad():
        if getattr(cls, "setup_context", None) is not None:  # torch 2's form: forward without ctx
            outputs = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    dirty = [t for t in ctx.__dict__.get("dirty", ())]
    non_differentiable = [t for t in ctx.__dict__.get("non_differentiable", ())]
    results = []
    for k, out in enumerate(outs):
        if not isinstance(out, Tensor):
            results.append(out)
            continue
        is_dirty = any(out is t for t in dirty)
        if is_dirty and record and out.requires_grad and out.grad_fn is None:
            raise RuntimeError(f"{cls.__name__}: a leaf tensor that requires grad is being used in an in-place "
                               "operation (mark_dirty)")
        differentiable = not any(out is t for t in non_differentiable)
        if not is_dirty and any(out is a for a in args):  # an input returned as it is: a new tensor, as torch
            alias = Tensor._make(out._data)
            alias._version = out._version
            out = alias
        if record and dtypes.is_floating(out.dtype) and differentiable:
            if is_dirty:  # changed in place: moved to this node as an in-place op moves it (its base, its
                # other views and a retained grad follow)
                source = Tensor._make(out._data, grad_fn=ctx)
                source._output_nr, source.requires_grad = k, True
                out._move_to(source, None)
            else:
                out.grad_fn, out._output_nr, out.requires_grad = ctx, k, True
        elif not is_dirty:
            out.requires_grad = False
        results.append(out)
    if record:
        ctx.inputs = args
        ctx._edges = edges
        if not all(isinstance(a, Tensor) for a in args):
            ctx._tensor_args = frozenset(i for i, a in enumerate(args) if isinstance(a, Tensor))
        ctx._n_outputs = len(outs)
        ctx._output_meta = tuple((o.shape, o.dtype) if isinstance(o, Tensor) else None for o in results)
        to_save = ctx.__dict__.pop("to_save", ())
        ctx._saved = _saved_sources(to_save, args, results)
        # a saved output is kept as its array (the output refers to this node: no reference cycle)
        ctx._saved_values = tuple(t._data if src[0] == "output" else t for t, src in zip(to_save, ctx._saved))
        if _anomaly.enabled:
            ctx._trace = traceback.format_stack()[:-1]
    return results[0] if single else tuple(results)


# ----------------------------------------------------------- the graph walk
def sum_to(grad, shape):
    """Undo broadcasting: sum ``grad`` over the axes that broadcast ``shape`` up.

    This is the one place where the engine reduces a gradient to the shape of
    the input it belongs to (a (3,) bias added to a (2, 3) batch gets the sum
    of the two rows). Works on arrays and on Tensors (``create_graph``).
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(grad.shape[lead:])
    if grad.shape != shape:  # a gradient of a smaller shape broadcasts up (e.g. 0-d)
        grad = backend.array_module(grad).broadcast_to(grad, shape)
    return grad


def _nodes_of(edges):
    for edge in edges:
        if edge is not None and isinstance(edge[0], Function):
            yield edge[0]


def _edges_of(fn):
    if fn.inputs is None:
        raise RuntimeError(
            "trying to backward through the graph a second time: its saved values were freed by "
            "the first backward(); call backward(retain_graph=True) the first time to keep them"
        )
    return fn._edges


def topological_order(roots, stop=()):
    """The Functions reachable from ``roots`` (a node or a list), each before the ones it depends on.

    Iterative depth-first search (no recursion, so a chain of 100,000 ops
    works), visiting inputs in order, so the order is deterministic. A node is
    emitted after all its inputs (post-order); reversed, every node comes
    before the nodes that produced its inputs. Nodes in ``stop`` are emitted
    but not walked through (the boundary of a sub-graph).
    """
    if isinstance(roots, Function):
        roots = [roots]
    order = []
    visited = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, _nodes_of(_edges_of(root)))]
        while stack:
            fn, pending = stack[-1]
            for parent in pending:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(()) if parent in stop else _nodes_of(_edges_of(parent))))
                    break
            else:
                stack.pop()
                order.append(fn)
    order.reverse()
    return order


def _edge_of(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t, 0) if t.requires_grad else None


def _key(edge):
    target, nr = edge
    return (id(target), nr)


def run_backward(outputs, grad_outputs, retain_graph=False, create_graph=False, inputs=None, accumulate=True,
                 allow_unused=True, boundary=False):
    """The backward pass from ``outputs`` (with dL/doutput ``grad_outputs``, arrays or Tensors).

    ``inputs=None``: every leaf reached adds its gradient to ``.grad``. Otherwise only the
    tensors in ``inputs`` get one: added to their ``.grad`` (``accumulate``, Tensor.backward's
    ``inputs=``) or returned, one per input (``autograd.grad``); the walk then skips the nodes
    that lead to none of them. ``boundary``: no input lies upstream of another, so the walk
    need not go past them (a decomposed op's sub-graph: its cost stays that of the op).
    """
    with set_grad_enabled(create_graph):  # the gradient's own graph is recorded only with create_graph
        return _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate, allow_unused,
                             boundary)


def _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate, allow_unused, boundary):
    Tensor = _tensor.Tensor
    graph = create_graph
    grads = {}  # node -> gradient of its output (a list when it has several)
    leaves = {}  # id(leaf) -> [leaf, gradient], in the order the leaves first got one
    targets = None
    if inputs is not None:
        targets = {}
        for position, t in enumerate(inputs):
            edge = _edge_of(t)
            if edge is None:
                raise RuntimeError(f"one of the differentiated Tensors (input {position}) does not require grad")
            targets.setdefault(_key(edge), []).append(position)
    captured = {}
    handed_out = {}  # arrays owned elsewhere (the seeds, .grads given out): copied before becoming a .grad

    def deliver(edge, g):
        target, nr = edge
        if isinstance(target, Function):
            if target._n_outputs == 1:
                old = grads.get(target)
                grads[target] = g if old is None else old + g  # out of place: g may be shared
            else:
                slots = grads.get(target)
                if slots is None:
                    slots = grads[target] = [None] * target._n_outputs
                slots[nr] = g if slots[nr] is None else slots[nr] + g
        else:
            entry = leaves.get(id(target))
            if entry is None:
                leaves[id(target)] = [target, g]
            else:
                entry[1] = entry[1] + g

    roots = []
    for out, g in zip(outputs, grad_outputs):
        edge = _edge_of(out)
        if edge is None:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: backward() needs a tensor "
                "that requires grad (was it computed under no_grad, or from tensors that do not require grad?)")
        if graph and not isinstance(g, Tensor):
            g = Tensor._make(g)
        if not graph:
            handed_out[id(g)] = g
        deliver(edge, g)
        if isinstance(edge[0], Function):
            roots.append(edge[0])

    stop = {t.grad_fn for t in inputs if t.grad_fn is not None} if boundary else ()
    order = topological_order(roots, stop) if roots else []
    run = None  # the nodes to execute, when only some inputs want a gradient
    if targets is not None:
        run = set()
        for fn in reversed(order):  # inputs first
            for edge in fn._edges:
                if edge is not None and (_key(edge) in targets or edge[0] in run):
                    run.add(fn)
                    break

    fast = not graph and not _anomaly.enabled  # arrays, no checks: the common first-order pass
    for fn in order:
        g = grads.pop(fn, None)
        if g is None:
            continue
        if fn._tensor_hooks is not None or fn._retained is not None:
            g = _output_hooks(fn, g, graph, handed_out)
        if targets is not None:
            for nr in range(fn._n_outputs):
                positions = targets.get((id(fn), nr))
                if positions is not None:
                    value = g if fn._n_outputs == 1 else g[nr]
                    if value is not None:
                        captured[(id(fn), nr)] = value
            if fn not in run:
                continue
        if fn._saved:
            _check_versions(fn)
        if fn._pre_hooks:
            g = _node_hooks(fn, "_pre_hooks", g, None, graph)
        if fast and not fn._tensor_backward:
            input_grads = fn.backward(g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
        else:
            input_grads = _node_backward(fn, g, graph)
        if fn._post_hooks:
            input_grads = _node_hooks(fn, "_post_hooks", g, input_grads, graph)
        node_inputs = fn.inputs
        for i, (edge, gi) in enumerate(zip(fn._edges, input_grads)):
            if gi is None or edge is None:
                continue
            if graph:
                gi = _fit_tensor(gi, node_inputs[i])
            else:  # the same on arrays, inlined: the hot path of every first-order pass
                data = node_inputs[i]._data
                if gi.shape != data.shape:
                    gi = sum_to(gi, data.shape)
                if gi.dtype != data.dtype:
                    gi = gi.astype(data.dtype)
            target = edge[0]
            if isinstance(target, Function) and target._n_outputs == 1:  # deliver() inlined, its common case
                old = grads.get(target)
                grads[target] = gi if old is None else old + gi
            else:
                deliver(edge, gi)
        if not retain_graph:
            _free(fn)

    touched = []
    for leaf, g in leaves.values():
        g = _leaf_hooks(leaf, g, graph)
        if targets is None:
            _accumulate(leaf, g, graph, handed_out)
            touched.append(leaf)
        elif (id(leaf), 0) in targets:
            captured[(id(leaf), 0)] = g
    if targets is None:
        _run_post_accumulate_hooks(touched)
        return None
    results = [None] * len(inputs)
    for key, positions in targets.items():
        g = captured.get(key)
        for position in positions:
            results[position] = g
    if accumulate:
        for t, g in zip(inputs, results):
            if g is not None and not (t.grad_fn is not None and t.retains_grad):  # retain_grad() added it
                _accumulate(t, g, graph, handed_out)
        _run_post_accumulate_hooks([t for t, g in zip(inputs, results) if g is not None and t.grad_fn is None])
        return None
    for position, g in enumerate(results):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"one of the differentiated Tensors (input {position}) appears to not have been used in the graph; "
                "set allow_unused=True if this is the desired behavior")
    return results


def _fit_tensor(g, t):
    """The recorded gradient of input ``t`` (create_graph): a Tensor summed back to its shape, cast to its dtype."""
    Tensor = _tensor.Tensor
    if not isinstance(g, Tensor):
        g = Tensor._make(backend.array_module(t._data).asarray(g))
    if g.shape != t.shape:
        g = sum_to(g, t.shape)
    if g.dtype != t.dtype:
        g = g.to(t.dtype)
    return g


def _node_backward(fn, g, graph):
    """One node's input gradients, as arrays (``graph`` False) or recorded Tensors."""
    if fn._tensor_backward:
        return _ctx_backward(fn, g, graph)
    if not graph:
        result = fn.backward(g)
        if type(result) is not tuple:
            result = (result,)
        if _anomaly.enabled:
            _check_nan(fn, result)
        return result
    with enable_grad():
        if type(fn).decompose is not None:
            ins = [fn._input_tensor(i) for i in range(len(fn.inputs))]
            wanted = [i for i, t in enumerate(ins) if t.requires_grad and fn.needs_input_grad[i]]
            for i in wanted:  # a node of its own per input: a tensor passed twice gets each partial derivative
                ins[i] = _Alias.apply(ins[i])
            out = type(fn).decompose(*ins, **fn._params)
            found = run_backward([out], [g], retain_graph=True, create_graph=True,
                                 inputs=[ins[i] for i in wanted], accumulate=False, boundary=True)
            result = [None] * len(ins)
            for i, gi in zip(wanted, found):
                result[i] = gi
            result = tuple(result)
        else:
            arrays = fn.saved_tensors
            fn.saved_tensors = fn._saved_as_tensors()
            try:
                result = fn.backward(g)
            finally:
                fn.saved_tensors = arrays
            if type(result) is not tuple:
                result = (result,)
    if _anomaly.enabled:
        _check_nan(fn, result)
    return result


class _Alias(Function):
    """y = x (the same array); dL/dx = dL/dy: a separate node for one use of a tensor."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


def _ctx_backward(fn, g, graph):
    """A PyTorch-style node: Tensors in, Tensors out, recorded when ``graph``."""
    Tensor = _tensor.Tensor
    grads = g if fn._n_outputs > 1 else [g]
    tensors = []
    for k, gk in enumerate(grads):
        if gk is None and fn.materialize_grads and fn._output_meta[k] is not None:
            shape, dtype = fn._output_meta[k]
            like = next(a for a in fn.inputs if isinstance(a, Tensor))  # zeros on the inputs' device
            gk = backend.array_module(like._data).zeros(shape, dtype=dtype)
        if gk is not None and not isinstance(gk, Tensor):
            gk = Tensor._make(gk)
        tensors.append(gk)
    saved = []
    for value, (source, index, _, _, _) in zip(fn._saved_values, fn._saved):
        if source == "output":
            value = _stand_in(value, fn, index) if graph else Tensor._make(value)
        elif source == "input" and graph:
            value = fn._input_tensor(index)
        saved.append(value)
    fn._ctx_saved = tuple(saved)
    try:
        with set_grad_enabled(graph):
            result = type(fn).backward(fn, *tensors)
    finally:
        fn._ctx_saved = None
    if type(result) is not tuple:
        result = (result,)
    n_args = len(fn.inputs)
    if len(result) < n_args or any(r is not None for r in result[n_args:]):
        raise RuntimeError(
            f"function {type(fn).__name__}Backward returned an incorrect number of gradients "
            f"(expected {n_args}, got {len(result)})")
    result = result[:n_args]
    for i, r in enumerate(result):
        if r is not None and not isinstance(r, Tensor):
            if fn._edges[i] is not None:
                raise TypeError(f"{type(fn).__name__}.backward returned {type(r).__name__} for input {i}; "
                                "expected a Tensor or None")
        elif r is not None and fn._edges[i] is not None and r.shape != fn.inputs[i].shape \
                and not _expandable(fn.inputs[i].shape, r.shape):
            raise RuntimeError(f"Function {type(fn).__name__}Backward returned an invalid gradient at index {i} - "
                               f"got {list(r.shape)} but expected shape compatible with {list(fn.inputs[i].shape)}")
    if _anomaly.enabled:
        _check_nan(fn, result)
    if graph:
        return result
    return tuple(r._data if isinstance(r, Tensor) else None for r in result)


def _expandable(shape, to):
    """``shape`` broadcasts to ``to`` (torch's test of a custom Function's gradient, summed back to ``shape``)."""
    if len(shape) > len(to):
        return False
    return all(a == b or a == 1 for a, b in zip(reversed(shape), reversed(to)))


def _check_nan(fn, grads):
    if not _anomaly.check_nan:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g._data if isinstance(g, _tensor.Tensor) else g
        if data.dtype.kind == "f" and bool(backend.array_module(data).isnan(data).any()):
            where = "".join(fn._trace[-6:]) if fn._trace else "  (not recorded: the op ran before detect_anomaly)\n"
            raise RuntimeError(
                f"Function '{fn.name()}' returned nan values in its {i}th output (the gradient of its input {i}).\n"
                f"Its forward was called here:\n{where}")


def _output_hooks(fn, g, graph, handed_out):
    """Tensor hooks of the node's outputs (may replace the gradient), then retain_grad (the caller checked that
    the node has one or the other)."""
    hooks, retained = fn._tensor_hooks, fn._retained
    single = fn._n_outputs == 1
    slots = [g] if single else list(g)
    for nr, gk in enumerate(slots):
        if gk is None:
            continue
        if hooks and nr in hooks:
            gk = _apply_tensor_hooks(hooks[nr], gk, graph)
        if retained and nr in retained:
            t = retained[nr]()
            if t is not None:
                _accumulate(t, gk, graph, handed_out)
        slots[nr] = gk
    return slots[0] if single else slots


def _node_hooks(fn, kind, g, input_grads, graph):
    """``Function.register_prehook`` hooks (kind "_pre_hooks": ``hook(grad_outputs)``, may return new
    grad_outputs) or ``register_hook`` hooks ("_post_hooks": ``hook(grad_inputs, grad_outputs)``, may return
    new grad_inputs), on tuples of Tensors as torch."""
    Tensor = _tensor.Tensor

    def tensors(values):
        return tuple(v if v is None or isinstance(v, Tensor) else Tensor._make(v) for v in values)

    def back(values):
        return tuple(v if v is None or graph or not isinstance(v, Tensor) else v._data for v in values)

    outputs = tensors([g] if fn._n_outputs == 1 else g)
    if kind == "_pre_hooks":
        for hook in list(fn._pre_hooks.values()):
            new = hook(outputs)
            if new is not None:
                outputs = tensors(new)
        outputs = back(outputs)
        return outputs[0] if fn._n_outputs == 1 else list(outputs)
    found = tensors(input_grads)
    for hook in list(fn._post_hooks.values()):
        new = hook(found, outputs)
        if new is not None:
            found = tensors(new)
    return back(found)


def _leaf_hooks(leaf, g, graph):
    if not _tensor_hooks:
        return g
    hooks = _tensor_hooks.get(leaf)
    return _apply_tensor_hooks(hooks, g, graph) if hooks else g


def _apply_tensor_hooks(hooks, g, graph):
    """``Tensor.register_hook`` hooks in turn on the gradient ``g`` (shown as a Tensor); a returned Tensor replaces it."""
    Tensor = _tensor.Tensor
    for hook in list(hooks.values()):
        new = hook(g if isinstance(g, Tensor) else Tensor._make(g))
        if new is not None:
            g = new if graph else new._data
    return g


# leaf -> {handle id: hook}, from Tensor.register_hook on a leaf; weak, so that a hook never keeps a tensor alive
_tensor_hooks = _WeakIdMap()


def register_hook(t, hook):
    """``hook(grad)`` when the gradient of ``t`` has been computed; a returned Tensor replaces it."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        hooks = _tensor_hooks.get(t)
        if hooks is None:
            hooks = _tensor_hooks.set(t, {})
    else:
        fn = t.grad_fn
        if fn._tensor_hooks is None:
            fn._tensor_hooks = {}
        hooks = fn._tensor_hooks.setdefault(t._output_nr, {})
    return hooks_module.register(hooks, hook)


def retain_grad(t):
    fn = t.grad_fn
    if fn._retained is None:
        fn._retained = {}
    fn._retained[t._output_nr] = weakref.ref(t)


def backward(tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d tensor / d leaf into ``leaf.grad`` for every leaf of the graph (or only ``inputs``)."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward() needs a tensor that requires grad; this one has requires_grad=False "
            "and no grad_fn (was it computed under no_grad, or from tensors that do not require grad?)"
        )
    grad = _seed(tensor, gradient, "backward()", create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, _tensor.Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("backward(): inputs= must be a non-empty sequence of tensors")
    run_backward([tensor], [grad], retain_graph, create_graph, inputs=inputs, accumulate=True)


def _seed(tensor, gradient, what, graph):
    """dL/dtensor to start from: ones for a one-element tensor, else the given gradient."""
    Tensor = _tensor.Tensor
    xp = backend.array_module(tensor._data)
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"{what} without a gradient needs a scalar (one-element) tensor, got shape "
                f"{tuple(tensor.shape)}; pass gradient= a tensor of shape {tuple(tensor.shape)}"
            )
        return xp.ones_like(tensor._data)
    if isinstance(gradient, Tensor):
        if gradient.shape != tensor.shape:
            raise RuntimeError(f"{what}: gradient has shape {tuple(gradient.shape)} but the tensor has shape {tuple(tensor.shape)}")
        if graph:
            return gradient if gradient.dtype == tensor.dtype else gradient.to(tensor.dtype)
        grad = gradient._data
    else:
        grad = xp.asarray(gradient)
    if grad.shape != tensor.shape:
        raise RuntimeError(f"{what}: gradient has shape {tuple(grad.shape)} but the tensor has shape {tuple(tensor.shape)}")
    return grad.astype(tensor.dtype, copy=False)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not added to ``.grad``).

    sum_k grad_outputs_k . d outputs_k / d input, one per input (torch.autograd.grad). With
    ``create_graph=True`` the results are part of the graph: differentiate them again for
    second derivatives (Hessian-vector products, gradient penalties, ...).

    >>> import backprop as bp
    >>> x = bp.tensor(2.0, requires_grad=True)
    >>> (dy,) = bp.autograd.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 12
    >>> (d2y,) = bp.autograd.grad(dy, x)                         # 6 x = 12
    >>> dy.item(), d2y.item()
    (12.0, 12.0)
    """
    Tensor = _tensor.Tensor
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not provided by backprop")
    single_input = isinstance(inputs, Tensor)
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    else:
        grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad(): got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__} at position {i}")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        seeds.append(_seed(out, g, "grad()", create_graph))
    results = run_backward(outputs, seeds, retain_graph, create_graph, inputs=inputs, accumulate=False,
                           allow_unused=allow_unused)
    final = []
    for t, g in zip(inputs, results):
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._make(g)
        if g is None and materialize_grads:
            g = Tensor._make(backend.array_module(t._data).zeros_like(t._data))
        final.append(g)
    return tuple(final)


def _accumulate(t, g, graph, handed_out):
    """Add ``g`` to ``t.grad`` (a new Tensor the first time; out of place when recording).

    ``handed_out``: id -> array of the arrays already owned by someone (the seed, an earlier .grad):
    such a gradient, or a view, is copied before it becomes a ``.grad`` of its own.
    """
    Tensor = _tensor.Tensor
    if graph:
        if not isinstance(g, Tensor):
            g = Tensor._make(g)
        t.grad = g if t.grad is None else t.grad + g
        return
    if isinstance(g, Tensor):
        g = g._data
    if isinstance(g, _numpy_scalar):  # a 0-d gradient as a NumPy scalar: .grad holds an array, changeable in place
        g = backend.numpy.array(g)
    if t.grad is None:
        if g.base is not None or id(g) in handed_out or not getattr(g.flags, "writeable", True):
            g = g.copy(order="K")  # in the gradient's memory order (a column-major weight's stays so)
        handed_out[id(g)] = g
        t.grad = Tensor._make(g)
    else:
        t.grad._data = backend.numpy.asarray(t.grad._data + g) if not g.ndim else t.grad._data + g


# leaf -> {handle id: hook}; weak, so that a hook never keeps a tensor alive
_post_accumulate_hooks = _WeakIdMap()


def register_post_accumulate_grad_hook(leaf, hook):
    """Run ``hook(leaf)`` after each backward pass that gave ``leaf`` a gradient; returns a RemovableHandle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    if leaf.grad_fn is not None or not leaf.requires_grad:
        raise RuntimeError("post-accumulate-grad hooks can only be registered on a leaf tensor that requires grad "
                           f"(got one with requires_grad={leaf.requires_grad}, grad_fn={leaf.grad_fn})")
    hooks = _post_accumulate_hooks.get(leaf)
    if hooks is None:
        hooks = _post_accumulate_hooks.set(leaf, {})
    return hooks_module.register(hooks, hook)


def _run_post_accumulate_hooks(touched):
    if not _post_accumulate_hooks:
        return
    for leaf in touched:
        hooks = _post_accumulate_hooks.get(leaf)
        if hooks:
            for hook in list(hooks.values()):
                if hook(leaf) is not None:
                    raise RuntimeError("Tensor post accumulate grad hooks should return None.")


_KEPT = frozenset(("_edges", "_retained", "_tensor_hooks", "_pre_hooks", "_post_hooks", "_metadata", "_n_outputs",
                   "materialize_grads", "_tensor_args", "_name"))


def _free(fn):
    """Drop the inputs and everything saved; keep the edges (``next_functions``), hooks and retain_grad()."""
    attributes = fn.__dict__
    keep = {k: attributes[k] for k in _KEPT.intersection(attributes)}
    if type(fn).__name__ in _NAMED_BY_ARGUMENTS:
        keep["_name"] = fn.name()
    attributes.clear()
    attributes.update(keep)
    if fn._tensor_backward:
        fn._freed = True


# ---------------------------------------------------------------- Variable
class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, _tensor.Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's legacy wrapper: ``Variable(t, requires_grad=True)`` is the tensor itself (sharing its values)."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        t = data.detach() if isinstance(data, _tensor.Tensor) else _tensor.Tensor(data)
        if requires_grad:
            t.requires_grad_(True)
        return t


# ----------------------------------------------------------------- gradcheck
class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numerical gradients differ."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """Compare backprop's gradients of ``fn`` with central finite differences.

    For every input x that requires grad and every output element y_k,
    the analytic dy_k/dx_j (from ``backward``) must be close to
    (f(x + eps e_j) - f(x - eps e_j))_k / (2 eps):
    |analytic - numerical| <= atol + rtol * |numerical|.
    Floating inputs are copied to float64 first. Returns True, or raises
    ``GradcheckError`` naming the worst element (``raise_exception=False``:
    returns False instead).

    >>> import backprop as bp
    >>> x = bp.randn(3, requires_grad=True)
    >>> bp.autograd.gradcheck(lambda x: (x * x).sum(), (x,))
    True
    """
    inputs, wrt = _float64_inputs(inputs, "gradcheck")

    def outputs():
        return _floating_outputs(fn(*inputs))

    return _compare_jacobians(outputs, wrt, eps, atol, rtol, raise_exception, "gradcheck")


def _floating_outputs(result):
    """The floating-point Tensors among what a checked function returned (one value, a tuple or a list)."""
    result = result if isinstance(result, (tuple, list)) else (result,)
    return [o for o in result if isinstance(o, _tensor.Tensor) and dtypes.is_floating(o.dtype)]


def _float64_inputs(inputs, what):
    """The inputs with every floating Tensor copied to float64, and those that require grad."""
    Tensor = _tensor.Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(
        Tensor._make(t._data.astype(dtypes.float64), requires_grad=t.requires_grad)
        if isinstance(t, Tensor) and dtypes.is_floating(t.dtype) else t
        for t in inputs
    )
    wrt = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError(f"{what}: expected at least one input with requires_grad=True, got none")
    return inputs, wrt


def _compare_jacobians(outputs, wrt, eps, atol, rtol, raise_exception, what):
    worst = None
    for i, x in enumerate(wrt):
        numerical = _numerical_jacobian(outputs, x, eps)
        analytic = _analytic_jacobian(outputs, x)
        xp = backend.array_module(numerical)
        error = xp.abs(analytic - numerical) - (atol + rtol * xp.abs(numerical))
        error = xp.where(xp.isnan(error), xp.inf, error)  # a nan gradient is a failure too
        if error.size and float(error.max()) > 0:
            k, j = (int(v) for v in xp.unravel_index(int(error.argmax()), error.shape))
            candidate = (float(error[k, j]), i, j, k, float(analytic[k, j]), float(numerical[k, j]))
            worst = max(worst, candidate) if worst else candidate
    if worst is None:
        return True
    _, i, j, k, a, n = worst
    index = tuple(int(v) for v in backend.numpy.unravel_index(j, wrt[i].shape)) if wrt[i].ndim else ()
    message = (
        f"{what}: gradient of output element {k} with respect to input {i} at index {index} "
        f"is {a!r} by backward but {n!r} by finite differences (eps={eps}, atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """``gradcheck`` of the gradient: the second derivatives of ``fn`` by ``create_graph=True``
    against finite differences of its first derivatives (torch.autograd.gradgradcheck).

    The gradient checked is v . d fn / d inputs for a fixed random v (``grad_outputs``, or
    seeded normal values), as a function of the inputs and of v.

    >>> import backprop as bp
    >>> x = bp.randn(3, dtype=bp.float64, requires_grad=True)
    >>> bp.autograd.gradgradcheck(lambda x: (x * x * x).sum(), (x,))
    True
    """
    Tensor = _tensor.Tensor
    inputs, wrt = _float64_inputs(inputs, "gradgradcheck")
    with no_grad():
        first = _floating_outputs(fn(*inputs))
    if grad_outputs is None:
        rng = backend.numpy.random.default_rng(0)
        grad_outputs = [Tensor._make(backend.array_module(o._data).asarray(rng.standard_normal(o.shape)),
                                     requires_grad=True) for o in first]
    else:
        grad_outputs = [Tensor._make(g._data.astype(dtypes.float64), requires_grad=True)
                        for g in ([grad_outputs] if isinstance(grad_outputs, Tensor) else grad_outputs)]

    def first_derivatives():
        with enable_grad():
            outs = _floating_outputs(fn(*inputs))
            pairs = [(o, v) for o, v in zip(outs, grad_outputs) if o.requires_grad]
            if not pairs:
                return []
            found = grad([o for o, _ in pairs], wrt, [v for _, v in pairs], create_graph=True, allow_unused=True)
        return [g for g in found if g is not None]

    return _compare_jacobians(first_derivatives, wrt + grad_outputs, eps, atol, rtol, raise_exception,
                              "gradgradcheck")


def _flat_outputs(outputs):
    with no_grad():
        arrays = [o._data.ravel() for o in outputs()]
    if not arrays:
        return backend.numpy.zeros(0)
    return backend.array_module(arrays[0]).concatenate(arrays)


def _numerical_jacobian(outputs, x, eps):
    """(n_outputs, x.numel()) matrix of central differences."""
    data = x._data  # perturbed in place, element j in row-major order whatever its memory layout
    columns = []
    for j in range(data.size):
        index = tuple(int(i) for i in backend.numpy.unravel_index(j, data.shape))
        original = data[index].copy()
        data[index] = original + eps
        plus = _flat_outputs(outputs)
        data[index] = original - eps
        minus = _flat_outputs(outputs)
        data[index] = original
        columns.append((plus - minus) / (2 * eps))
    xp = backend.array_module(data)
    if not columns:
        return xp.zeros((_flat_outputs(outputs).size, 0))
    return xp.stack(columns, axis=1)


def _analytic_jacobian(outputs, x):
    """(n_outputs, x.numel()) matrix of gradients from backward, one row per output element."""
    outs = outputs()
    xp = backend.array_module(x._data)
    rows = []
    for out in outs:
        for k in range(out.numel()):
            if not out.requires_grad:
                rows.append(xp.zeros(x.numel()))
                continue
            seed = xp.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[k] = 1
            (g,) = run_backward([out], [seed], retain_graph=True, inputs=[x], accumulate=False)
            rows.append(xp.zeros(x.numel()) if g is None else
                        (g._data if isinstance(g, _tensor.Tensor) else g).reshape(-1).copy())
    if not rows:
        return xp.zeros((0, x.numel()))
    return xp.stack(rows)


from backprop import tensor as _tensor  # noqa: E402  (Tensor and the engine use each other)
from backprop.autograd import functional  # noqa: E402
