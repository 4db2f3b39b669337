"""Derivatives of whole functions, as torch.autograd.functional.

Each function here takes a Python function ``func`` of one or several Tensors and
the point ``inputs`` at which to differentiate it (a Tensor, or a tuple of Tensors
passed to ``func`` as separate arguments), and returns derivatives of ``func`` at
that point:

- ``jacobian(func, inputs)``: the full matrix J = d func / d inputs,
- ``hessian(func, inputs)``: the full matrix H = d^2 func / d inputs^2 of a scalar function,
- ``vjp`` (v^T J) and ``jvp`` (J v): one row-combination or one column-combination
  of J, at the cost of one or two backward passes, never forming J,
- ``vhp`` (v^T H) and ``hvp`` (H v): the same for H.

The structure of the results follows the structure of the arguments, as in
torch: a Tensor where ``inputs`` (or the outputs of ``func``) is a Tensor, a
tuple where it is a tuple, and for ``jacobian`` with several outputs and
several inputs a tuple of tuples, ``result[i][j]`` = d output_i / d input_j, of
shape ``output_i.shape + input_j.shape``. Lists are refused (TypeError), as
torch refuses them.

How they work: ``func`` runs on fresh copies of ``inputs`` that require grad
(with ``create_graph=True`` and an input that already requires grad, a view
of it, so that the results stay connected to the caller's graph); the
derivatives are gradients taken with ``backprop.autograd.grad``, one backward
pass per output element for a Jacobian. Without ``create_graph`` the results
(and the returned outputs of ``func``) are detached; with it they are part of
the graph and can be differentiated again.

An output that does not depend on an input (or does not require grad at all)
gives zeros there; with ``strict=True`` it raises RuntimeError instead, as does,
with ``strict=True, create_graph=True``, a derivative that is itself independent
of the inputs (a linear function's Jacobian), which could not be differentiated
again.

Not provided: forward-mode AD. ``strategy="forward-mode"`` (jacobian) and
``outer_jacobian_strategy="forward-mode"`` (hessian) raise NotImplementedError;
``vectorize=True`` is accepted and computes the same result with the loop over
output elements (no batched gradients: the same numbers, not the speed).
``jvp`` and ``hvp`` get forward-mode products without forward-mode AD by the
double-backward trick, as torch does: J v = d/du (u^T J) v, where u^T J is
linear in an auxiliary variable u.
"""
import backprop as bp
from backprop import autograd
from backprop.ops.shape import Reshape

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

_OUTPUTS = "outputs of the user-provided function"


# ------------------------------------------------------------------ arguments
def _as_tuple(value, what, fn_name):
    """(was it a tuple?, the Tensors as a tuple); TypeError for anything but a Tensor or a tuple of them."""
    if isinstance(value, bp.Tensor):
        return False, (value,)
    if not isinstance(value, tuple):
        raise TypeError(f"{fn_name}(): the {what} must be a Tensor or a tuple of Tensors, "
                        f"got {type(value).__name__}")
    for i, t in enumerate(value):
        if not isinstance(t, bp.Tensor):
            raise TypeError(f"{fn_name}(): the {what} must be a Tensor or a tuple of Tensors, "
                            f"but entry {i} is a {type(t).__name__}")
    return True, value


def _alias(t):
    """A view of ``t`` that is a new node of the graph (gradients through it reach ``t``)."""
    return Reshape.apply(t, shape=t.shape)


def _fresh(tensors, create_graph, requires_grad):
    """The tensors ``func`` (or the backward passes) work on.

    With ``create_graph`` an input that requires grad is aliased, so that the results stay a function
    of it; otherwise it is detached (and made to require grad when ``requires_grad``: the variables
    to differentiate with respect to).
    """
    fresh = []
    for t in tensors:
        if create_graph and t.requires_grad:
            fresh.append(_alias(t))
        else:
            fresh.append(t.detach().requires_grad_(requires_grad))
    return tuple(fresh)


def _check_v(v, refs, refs_is_tuple):
    """``v`` must have one Tensor per reference, each of the reference's shape."""
    if len(v) != len(refs):
        raise RuntimeError(f"v is a tuple of the wrong length: expected {len(refs)} Tensors, got {len(v)}")
    for i, (vi, ref) in enumerate(zip(v, refs)):
        if vi.shape != ref.shape:
            where = f"entry {i} of v" if refs_is_tuple else "v"
            raise RuntimeError(f"{where} has the wrong shape: expected {tuple(ref.shape)}, got {tuple(vi.shape)}")


def _v_or_default(v, refs, refs_is_tuple, create_graph, fn_name, of_what):
    """The checked tuple ``v``; None only where ``refs`` is one Tensor of one element (v is then 1)."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _fresh(v, create_graph, requires_grad=False)
        _check_v(v, refs, refs_is_tuple)
        return v
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(f"{fn_name}(): v may be None only when {of_what} is a single Tensor with a "
                           f"single element; pass v")
    return None


def _single_scalar_output(out, fn_name, strict):
    """The one-element Tensor that ``func`` of hessian/vhp/hvp must return (checked)."""
    is_tuple, outs = _as_tuple(out, _OUTPUTS, fn_name)
    _require_grad(outs, "outputs", strict)
    if is_tuple:
        raise RuntimeError(f"the function given to {fn_name}() must return a single Tensor, not a tuple")
    if out.numel() != 1:
        raise RuntimeError(f"the Tensor returned by the function given to {fn_name}() must have a single "
                           f"element, got shape {tuple(out.shape)}")
    return out


def _check_strategy(strategy, name):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(f'{name} must be "forward-mode" or "reverse-mode", got {strategy!r}')
    if strategy == "forward-mode":
        raise NotImplementedError(
            f'{name}="forward-mode" needs forward-mode automatic differentiation (dual numbers, '
            f'torch.autograd.forward_ad), which backprop does not provide; use "reverse-mode" '
            f"(the default), which gives the same result")


# ------------------------------------------------------------------ strictness
def _require_grad(tensors, kind, strict):
    """In strict mode: every output requires grad (kind "outputs"), every first derivative exists
    and depends on the inputs (kind "jacobian", on the way to a second derivative)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if kind == "outputs" and not t.requires_grad:
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients: in strict mode "
                f"every output must be computed differentiably from the inputs")
        if kind == "jacobian" and t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}, which strict "
                f"mode does not allow")
        if kind == "jacobian" and not t.requires_grad:
            raise RuntimeError(
                f"While computing the hessian: the jacobian of the user-provided function with respect "
                f"to input {i} is independent of the inputs, which strict mode does not allow (the "
                f"function must be twice differentiable with a jacobian that depends on the inputs; a "
                f"linear function's does not)")


_MISSING = {
    "jacobian": "Output {output} of the user-provided function is independent of input {i}",
    "back": "The output of the user-provided function is independent of input {i}",
    "back_trick": ("The gradient with respect to the inputs is independent of entry {i} of the auxiliary "
                   "grad_outputs of the double-backward trick (output {i} does not depend on the inputs)"),
    "double_back": "The jacobian of the user-provided function is independent of input {i}",
    "double_back_trick": ("The hessian of the user-provided function is independent of entry {i} of the "
                          "auxiliary grad_jacobian of the double-backward trick"),
}


def _zeros_where_missing(grads, refs, strict, create_graph, stage, output=None):
    """Gradients with None (no path) replaced by zeros shaped like ``refs``; RuntimeError in strict mode
    (the message of ``stage``, naming the input and, for a Jacobian's row, the ``output``).

    With ``strict`` and ``create_graph`` a gradient that does not require grad (constant in the inputs)
    is refused as well: it could not be differentiated again.
    """
    filled = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i, output=output) + ", which strict mode does not allow")
            g = bp.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            which = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(f"The {which} of the user-provided function is independent of input {i}, "
                               f"which strict mode does not allow with create_graph=True")
        filled.append(g)
    return tuple(filled)


# ------------------------------------------------------------------ gradients
def _grads(outputs, inputs, grad_outputs, create_graph):
    """sum_k grad_outputs_k . d outputs_k / d inputs, None for an input no output reaches.

    Outputs that are None or do not require grad contribute nothing (and are skipped, with their
    grad_outputs).
    """
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    outs, seeds = zip(*kept)
    return autograd.grad(outs, inputs, seeds, retain_graph=True, create_graph=create_graph,
                         allow_unused=True)


def _finish(tensors, create_graph):
    """The results as the caller gets them: detached unless they are to be differentiated again."""
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def _unpack(tensors, is_tuple):
    return tuple(tensors) if is_tuple else tensors[0]


# ------------------------------------------------------------------ public
def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: J[i][j] = d outputs_i / d inputs_j.

    Each block has the shape ``outputs[i].shape + inputs[j].shape``; J is one Tensor for one input
    and one output, a tuple over the inputs (or the outputs) when one of them is a tuple, and a tuple
    of tuples (outer: outputs, inner: inputs) when both are. Computed row by row, one backward pass
    per output element. ``vectorize=True`` is accepted (not with ``strict=True``, as torch) and gives
    the same result by the same loop; ``strategy="forward-mode"`` raises NotImplementedError
    (backprop has no forward-mode AD).

    >>> import backprop as bp
    >>> from backprop.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, bp.tensor([1.0, 2.0]))          # diag(2 x)
    tensor([[2., 0.],
            [0., 4.]])
    >>> ja, jb = jacobian(lambda a, b: a * b, (bp.tensor([3.0]), bp.tensor([5.0])))
    >>> ja, jb                                                     # (b, a)
    (tensor([[5.]]), tensor([[3.]]))
    """
    if strict and vectorize:
        raise RuntimeError("jacobian(): strict=True and vectorize=True cannot be used together; "
                           "set strict=False or vectorize=False")
    _check_strategy(strategy, "strategy")
    with autograd.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, requires_grad=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, _OUTPUTS, "jacobian")
        _require_grad(outputs, "outputs", strict)
        blocks = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]  # rows[j][k] = d out.flatten()[k] / d inputs[j]
            n = out.numel()
            identity = bp.eye(n, dtype=out.dtype, device=out.device) if n else None
            for k in range(n):
                seed = identity[k].reshape(out.shape)
                grads = _grads((out,), inputs, (seed,), create_graph)
                grads = _zeros_where_missing(grads, inputs, strict, create_graph, "jacobian", output=i)
                for j, g in enumerate(grads):
                    rows[j].append(g)
            row = tuple(
                bp.stack(r).reshape(out.shape + x.shape) if r
                else bp.zeros(out.shape + x.shape, dtype=x.dtype, device=x.device)
                for r, x in zip(rows, inputs))
            blocks.append(_unpack(_finish(row, create_graph), inputs_is_tuple))
    return _unpack(blocks, outputs_is_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``: H[i][j] = d^2 func / d inputs_i d inputs_j.

    ``func`` must return a single Tensor with a single element. H is one Tensor of shape
    ``inputs.shape + inputs.shape`` for one input, else a tuple of tuples of blocks of shape
    ``inputs[i].shape + inputs[j].shape``. Computed as the Jacobian of the gradient (the gradient
    taken with ``create_graph=True``). ``vectorize=True`` falls back to the loop;
    ``outer_jacobian_strategy="forward-mode"`` raises NotImplementedError (no forward-mode AD).

    >>> import backprop as bp
    >>> from backprop.autograd.functional import hessian
    >>> hessian(lambda x: (x[0] ** 2) * x[1], bp.tensor([1.0, 3.0]))   # [[2 y, 2 x], [2 x, 0]]
    tensor([[6., 2.],
            [2., 0.]])
    """
    _check_strategy(outer_jacobian_strategy, "outer_jacobian_strategy")
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs):
        return _single_scalar_output(func(*xs), "hessian", strict).reshape(())

    def gradient(*xs):
        g = jacobian(scalar, xs, create_graph=True)
        _require_grad(g, "jacobian", strict)
        return g

    h = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize)
    return h if inputs_is_tuple else h[0][0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product v^T J of ``func`` at ``inputs``: sum_i v_i . d outputs_i / d inputs.

    ``v`` has the structure and shapes of ``func``'s outputs; it may be None only when ``func``
    returns a single Tensor with a single element (v = 1: the gradient). Returns
    ``(func(*inputs), v^T J)``, the second with the structure of ``inputs``. One backward pass.

    >>> import backprop as bp
    >>> from backprop.autograd.functional import vjp
    >>> out, g = vjp(lambda x: x ** 2, bp.tensor([1.0, 2.0]), bp.tensor([1.0, 10.0]))
    >>> g                                                          # v * 2 x
    tensor([ 2., 40.])
    """
    with autograd.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, requires_grad=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, _OUTPUTS, "vjp")
        _require_grad(outputs, "outputs", strict)
        v = _v_or_default(v, outputs, outputs_is_tuple, create_graph, "vjp",
                          "the output of the user-provided function")
        grads = _grads(outputs, inputs, v, create_graph)
        result = _zeros_where_missing(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), outputs_is_tuple),
            _unpack(_finish(result, create_graph), inputs_is_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product J v of ``func`` at ``inputs``: sum_j d outputs / d inputs_j . v_j.

    ``v`` has the structure and shapes of ``inputs``; it may be None only when ``inputs`` is a
    single Tensor with a single element. Returns ``(func(*inputs), J v)``, the second with the
    structure of the outputs. By the double-backward trick (no forward-mode AD): with auxiliary
    u = 0 requiring grad, g(u) = u^T J is linear in u, and J v = d (g(u) . v) / d u.

    >>> import backprop as bp
    >>> from backprop.autograd.functional import jvp
    >>> out, t = jvp(lambda x: x ** 3, bp.tensor([1.0, 2.0]), bp.tensor([1.0, 1.0]))
    >>> t                                                          # 3 x^2 * v
    tensor([ 3., 12.])
    """
    with autograd.enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, requires_grad=True)
        v = _v_or_default(v, inputs, inputs_is_tuple, create_graph, "jvp",
                          "the input of the user-provided function")
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(outputs, _OUTPUTS, "jvp")
        _require_grad(outputs, "outputs", strict)
        u = tuple(bp.zeros_like(out, requires_grad=True) for out in outputs)
        u_jacobian = _grads(outputs, inputs, u, create_graph=True)  # u^T J, one per input
        _zeros_where_missing(u_jacobian, inputs, strict, create_graph, "back")
        grads = _grads(u_jacobian, u, v, create_graph)
        result = _zeros_where_missing(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), outputs_is_tuple),
            _unpack(_finish(result, create_graph), outputs_is_tuple))


def _gradient_for_second_order(func, inputs, v, create_graph, strict, fn_name):
    """Shared start of vhp and hvp: (is inputs a tuple, fresh inputs, checked v, output, gradient)."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, requires_grad=True)
    v = _v_or_default(v, inputs, inputs_is_tuple, create_graph, fn_name,
                      "the input of the user-provided function")
    out = _single_scalar_output(func(*inputs), fn_name, strict)
    gradient = _grads((out,), inputs, None, create_graph=True)
    _require_grad(gradient, "jacobian", strict)
    return inputs_is_tuple, inputs, v, out, gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product v^T H of a scalar ``func`` at ``inputs``: d (grad func . v) / d inputs.

    ``func`` must return a single Tensor with a single element; ``v`` has the structure and shapes of
    ``inputs`` (None only for a single one-element input). Returns ``(func(*inputs), v^T H)``, the
    second with the structure of ``inputs``. Two backward passes, the first with create_graph.

    >>> import backprop as bp
    >>> from backprop.autograd.functional import vhp
    >>> out, p = vhp(lambda x: (x[0] ** 2) * x[1], bp.tensor([1.0, 3.0]), bp.tensor([1.0, 0.0]))
    >>> p                                                          # first row of [[6, 2], [2, 0]]
    tensor([6., 2.])
    """
    with autograd.enable_grad():
        inputs_is_tuple, inputs, v, out, gradient = _gradient_for_second_order(
            func, inputs, v, create_graph, strict, "vhp")
        grads = _grads(gradient, inputs, v, create_graph)
        result = _zeros_where_missing(grads, inputs, strict, create_graph, "double_back")
    return _finish((out,), create_graph)[0], _unpack(_finish(result, create_graph), inputs_is_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product H v of a scalar ``func`` at ``inputs``: sum_j H[:, j] v_j.

    Arguments and results as ``vhp`` (for a twice continuously differentiable ``func``, H is
    symmetric and hvp = vhp; ``vhp`` is the cheaper). By the double-backward trick, as torch: with
    auxiliary u = 0 requiring grad, g(u) = u^T H is linear in u, and H v = d (g(u) . v) / d u.

    >>> import backprop as bp
    >>> from backprop.autograd.functional import hvp
    >>> out, p = hvp(lambda x: (x[0] ** 2) * x[1], bp.tensor([1.0, 3.0]), bp.tensor([1.0, 0.0]))
    >>> p                                                          # first column of [[6, 2], [2, 0]]
    tensor([6., 2.])
    """
    with autograd.enable_grad():
        inputs_is_tuple, inputs, v, out, gradient = _gradient_for_second_order(
            func, inputs, v, create_graph, strict, "hvp")
        u = tuple(bp.zeros_like(x, requires_grad=True) for x in inputs)
        u_hessian = _grads(gradient, inputs, u, create_graph=True)  # u^T H, one per input
        grads = _grads(u_hessian, u, v, create_graph)
        result = _zeros_where_missing(grads, inputs, strict, create_graph, "double_back_trick")
    return _finish((out,), create_graph)[0], _unpack(_finish(result, create_graph), inputs_is_tuple)
