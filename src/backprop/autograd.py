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

``Tensor.backward()`` applies the chain rule backwards through that graph:
starting from dL/dL = 1 it visits every Function in reverse topological
order (each one after all the Functions that used its output), so that the
gradient of a node's output is complete - summed over all its uses - before
the node turns it into the gradients of its inputs,
dL/dx_i = sum_k dL/dy_k * dy_k/dx_i.

Accumulation, as in PyTorch:
- within one backward pass, the gradients reaching a tensor along several
  paths are added;
- a leaf tensor (created by the user, ``requires_grad=True``) *adds* the
  result to ``.grad``: a second ``backward`` sums with the first until
  ``.grad`` is reset (``zero_grad`` sets it to None);
- a non-leaf tensor keeps no ``.grad`` unless ``retain_grad()`` was called.

A leaf's post-accumulate-grad hooks (``Tensor.register_post_accumulate_grad_hook``)
run once per backward pass, after the whole pass, in the order the leaves
first received a gradient; by then each ``.grad`` holds everything this
pass adds to it (data-parallel training averages the gradients there).

After a backward pass the graph is freed (each Function drops its inputs and
saved arrays) unless ``retain_graph=True``; a second pass through a freed
graph raises RuntimeError.
"""
import functools
import threading
import weakref

from backprop import backend
from backprop import dtypes


# ----------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled():
    """True when ops record the graph (the default; False inside ``no_grad``)."""
    return _grad_mode.enabled


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self.previous = []

    def __enter__(self):
        self.previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc):
        _grad_mode.enabled = self.previous.pop()
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Run without recording the graph (inference, weight updates).

    >>> import backprop as bp
    >>> w = bp.ones(2, requires_grad=True)
    >>> with bp.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record the graph again, e.g. inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


# ------------------------------------------------------------------ Function
class Function:
    """One differentiable operation, one node of the computational graph.

    Subclasses implement ``forward(*arrays, **params) -> array`` and
    ``backward(grad_output) -> gradient or tuple of gradients`` (one per
    tensor input, ``None`` for an input that needs none). ``forward`` stores
    on ``self`` what ``backward`` needs; arrays that are inputs or the output
    go through ``save_for_backward`` so that an in-place change to them
    before ``backward`` is detected. ``backward`` may return a gradient of
    the broadcast shape: the engine sums it back to the input's shape.

    ``self.needs_input_grad`` (one bool per input) is set before ``forward``
    runs, and only when the graph is being recorded (grad mode on and some
    input requires a gradient); otherwise it stays the empty tuple. So
    ``forward`` can skip what only ``backward`` needs (a mask, saved
    activations) with ``if self.needs_input_grad: ...`` - inference under
    ``no_grad`` then computes and keeps nothing for a backward that never comes.
    """

    inputs = None  # the input Tensors while the graph is alive
    is_view = False  # True: the output may share memory (and so its version) with inputs[0]
    needs_input_grad = ()
    saved_tensors = ()
    _versions = ()  # (version counter, version when saved, shape) per saved input/output
    _retained = None  # weak reference to the output tensor when it called retain_grad()

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors and record it in the graph when needed."""
        fn = cls()
        if backend.cupy is not None and len(inputs) > 1:  # only once a GPU is in use can devices differ
            _check_same_device(cls, inputs)
        if _grad_mode.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:  # set before forward: non-empty tells forward that backward may follow
                fn.needs_input_grad = needs
        out = fn.forward(*[t._data for t in inputs], **params)
        result = _tensor.Tensor._make(out)
        if cls.is_view:
            result._version = inputs[0]._version
        if fn.needs_input_grad and out.dtype.kind == "f":  # integer results carry no gradient
            fn.inputs = inputs
            result.grad_fn = fn
            result.requires_grad = True
            if fn.saved_tensors:
                fn._versions = _saved_versions(fn.saved_tensors, inputs, result)
        return result

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _check_same_device(cls, inputs):
    devices = [t.device for t in inputs]
    for d in devices[1:]:
        if d != devices[0]:
            raise RuntimeError(
                f"expected all tensors to be on the same device, but found at least two devices, {devices[0]} "
                f"and {d}, in {cls.__name__}: move one with .to({str(devices[0])!r}) or .to({str(d)!r})"
            )


def _saved_versions(saved, inputs, output):
    """(version counter, value now, shape) for each saved array that is an input or the output."""
    versions = []
    for array in saved:
        if array is output._data:
            versions.append((output._version, output._version[0], array.shape))
            continue
        for t in inputs:
            if t._data is array:
                versions.append((t._version, t._version[0], array.shape))
                break
    return versions


def _check_versions(fn):
    for counter, expected, shape in fn._versions:
        if counter[0] != expected:
            raise RuntimeError(
                "one of the tensors needed for gradient computation has been modified by an "
                f"in-place operation: a tensor of shape {shape} saved by {fn!r} was at version "
                f"{expected} when saved and is at version {counter[0]} now; "
                "use an out-of-place op or .clone() the tensor before changing it"
            )


# ----------------------------------------------------------- the graph walk
def sum_to(grad, shape):
    """Undo broadcasting: sum ``grad`` over the axes that broadcast ``shape`` up.

    This is the one place where the engine reduces a gradient to the shape of
    the input it belongs to (a (3,) bias added to a (2, 3) batch gets the sum
    of the two rows).
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


def topological_order(root):
    """The Functions reachable from ``root``, each before the ones it depends on.

    Iterative depth-first search (no recursion, so a chain of 100,000 ops
    works), visiting inputs in order, so the order is deterministic. A node is
    emitted after all its inputs (post-order); reversed, every node comes
    before the nodes that produced its inputs.
    """
    order = []
    visited = {root}
    stack = [(root, iter(_inputs_of(root)))]
    while stack:
        fn, pending = stack[-1]
        for t in pending:
            parent = t.grad_fn
            if parent is not None and t.requires_grad and parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(_inputs_of(parent))))
                break
        else:
            stack.pop()
            order.append(fn)
    order.reverse()
    return order


def _inputs_of(fn):
    if fn.inputs is None:
        raise RuntimeError(
            "trying to backward through the graph a second time: its saved values were freed by "
            "the first backward(); call backward(retain_graph=True) the first time to keep them"
        )
    return fn.inputs


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulate d tensor / d leaf into ``leaf.grad`` for every leaf of the graph."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward() needs a tensor that requires grad; this one has requires_grad=False "
            "and no grad_fn (was it computed under no_grad, or from tensors that do not require grad?)"
        )
    xp = backend.array_module(tensor._data)
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar (one-element) tensor, got shape "
                f"{tensor.shape}; pass gradient= a tensor of shape {tensor.shape}"
            )
        grad = xp.ones_like(tensor._data)
    else:
        grad = gradient._data if isinstance(gradient, _tensor.Tensor) else xp.asarray(gradient)
        if grad.shape != tensor.shape:
            raise RuntimeError(
                f"backward(): gradient has shape {grad.shape} but the tensor has shape {tensor.shape}"
            )
        grad = grad.astype(tensor.dtype, copy=False)
    # arrays already owned by someone, copied before use as .grad; kept alive here so that no id is reused
    handed_out = {id(grad): grad}
    touched = {}  # id -> leaf, in the order the leaves first got a gradient: for the post-accumulate hooks
    if tensor.grad_fn is None:
        _accumulate(tensor, grad, handed_out, touched)
        _run_post_accumulate_hooks(touched)
        return

    grads = {tensor.grad_fn: grad}
    for fn in topological_order(tensor.grad_fn):
        grad = grads.pop(fn)
        if fn._retained is not None and fn._retained() is not None:
            _accumulate(fn._retained(), grad, handed_out, touched)
        if fn._versions:
            _check_versions(fn)
        input_grads = fn.backward(grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for t, g in zip(fn.inputs, input_grads):
            if g is None or not t.requires_grad:
                continue
            data = t._data
            if g.shape != data.shape:
                g = sum_to(g, data.shape)
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
            parent = t.grad_fn
            if parent is None:
                _accumulate(t, g, handed_out, touched)
            elif parent in grads:
                grads[parent] = grads[parent] + g  # out of place: g may be shared
            else:
                grads[parent] = g
        if not retain_graph:
            _free(fn)
    _run_post_accumulate_hooks(touched)


def _accumulate(leaf, grad, handed_out, touched):
    touched.setdefault(id(leaf), leaf)
    if leaf.grad is None:
        if grad.base is not None or id(grad) in handed_out or not getattr(grad.flags, "writeable", True):
            grad = grad.copy(order="K")  # in the gradient's memory order (a column-major weight's stays so)
        handed_out[id(grad)] = grad
        leaf.grad = _tensor.Tensor._make(grad)
    else:
        leaf.grad._data = leaf.grad._data + grad


# id(leaf) -> (weak reference to the leaf, {handle id: hook}); weak, so that a hook never keeps a tensor alive
_post_accumulate_hooks = {}


def register_post_accumulate_grad_hook(leaf, hook):
    """Run ``hook(leaf)`` after each backward pass that gave ``leaf`` a gradient; returns a RemovableHandle."""
    from backprop.hooks import RemovableHandle

    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    if leaf.grad_fn is not None or not leaf.requires_grad:
        raise RuntimeError("post-accumulate-grad hooks can only be registered on a leaf tensor that requires grad "
                           f"(got one with requires_grad={leaf.requires_grad}, grad_fn={leaf.grad_fn})")
    key = id(leaf)
    entry = _post_accumulate_hooks.get(key)
    if entry is None or entry[0]() is not leaf:
        def forget(reference, key=key, hooks=_post_accumulate_hooks):  # the dict bound: globals are None at exit
            if key in hooks and hooks[key][0] is reference:
                del hooks[key]
        entry = _post_accumulate_hooks[key] = (weakref.ref(leaf, forget), {})
    handle = RemovableHandle(entry[1])
    entry[1][handle.id] = hook
    return handle


def _run_post_accumulate_hooks(touched):
    if not _post_accumulate_hooks:
        return
    for key, leaf in touched.items():
        entry = _post_accumulate_hooks.get(key)
        if entry is not None and entry[0]() is leaf:
            for hook in list(entry[1].values()):
                hook(leaf)


def _free(fn):
    """Drop the inputs and everything saved; keep a retain_grad() reference."""
    retained = fn._retained
    fn.__dict__.clear()
    if retained is not None:
        fn._retained = retained


# ----------------------------------------------------------------- gradcheck
class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numerical gradients differ."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
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
        raise ValueError("gradcheck: expected at least one input with requires_grad=True, got none")

    def outputs():
        out = fn(*inputs)
        out = out if isinstance(out, (tuple, list)) else (out,)
        return [o for o in out if isinstance(o, Tensor) and dtypes.is_floating(o.dtype)]

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
        f"gradcheck: gradient of output element {k} with respect to input {i} at index {index} "
        f"is {a!r} by backward but {n!r} by finite differences (eps={eps}, atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(message)
    return False


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
            x.grad = None
            if not out.requires_grad:
                rows.append(xp.zeros(x.numel()))
                continue
            seed = xp.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[k] = 1
            out.backward(seed, retain_graph=True)
            rows.append(xp.zeros(x.numel()) if x.grad is None else x.grad._data.reshape(-1).copy())
    x.grad = None
    if not rows:
        return xp.zeros((0, x.numel()))
    return xp.stack(rows)


from backprop import tensor as _tensor  # noqa: E402  (Tensor and the engine use each other)
