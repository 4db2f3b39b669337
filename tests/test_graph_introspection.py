"""The graph as torch shows it, and the engine's controls, against torch on the same inputs: ``grad_fn.name()``
and the ``next_functions`` tree (``AccumulateGrad.variable``), tensor hooks, ``retain_grad``,
``backward(inputs=...)``, ``autograd.grad`` (``allow_unused``, ``materialize_grads``), anomaly detection, the
grad modes (``no_grad``, ``set_grad_enabled``, ``inference_mode``) and ``Variable``.

Known differences from torch in the graph's shape (the gradients are the same):
- A Python number that torch passes to a scalar overload is a constant input in backprop, shown as
  ``(None, 0)``: ``x ** 2`` has two entries in ``next_functions`` (torch: one), ``1 - x`` is ``SubBackward0``
  with two (torch: ``RsubBackward1`` with one).
- Ops that backprop fuses or composes differently: ``nn.Linear`` / ``F.linear`` is one ``LinearBackward0``
  node with the edges (input, weight, bias) where torch shows ``AddmmBackward0`` over ``TBackward0``;
  ``F.mse_loss`` is made of Sub, Mul and Mean nodes (torch: ``MseLossBackward0``); ``transpose`` and ``.T``
  are ``PermuteBackward0`` (torch: ``TransposeBackward0`` / ``PermuteBackward0``), ``unsqueeze``, ``flatten``
  and ``squeeze`` are ``ViewBackward0``, ``split`` outputs are ``SliceBackward0``, ``max(dim)`` is
  ``MaxDimBackward0``.
- The ``CopySlices`` node of a change through a view has, as its second edge, the node of the new value of
  the region (torch: the edges of the in-place op applied to the region).
- Tensors made under ``inference_mode`` are not marked (no ``Tensor.is_inference()``) and may later be used
  in recorded computations, which torch refuses.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional  # noqa: F401  (torch.nn.functional as lib.nn.functional)

import backprop as bp
import backprop.nn.functional  # noqa: F401
from same_as_torch import assert_both_raise, assert_same

A = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]], dtype=np.float32)
B = np.array([[1.1, 0.4, -0.2], [0.9, -1.3, 0.8]], dtype=np.float32)
V = np.array([0.5, -1.2, 2.0], dtype=np.float32)


def leaf(lib, array=A):
    return lib.tensor(array, requires_grad=True)


def tree(fn):
    """(name, [(subtree, output_nr), ...]) of a node; None for a constant."""
    if fn is None:
        return None
    return (fn.name(), [(tree(child), nr) for child, nr in fn.next_functions])


# -------------------------------------------------------------- names and trees
GRAPHS = {
    "2 * x": lambda lib, x, y: 2 * x,
    "x * 2": lambda lib, x, y: x * 2,
    "x + y": lambda lib, x, y: x + y,
    "x - y": lambda lib, x, y: x - y,
    "x / y": lambda lib, x, y: x / y,
    "x + 1": lambda lib, x, y: x + 1,
    "-x": lambda lib, x, y: -x,
    "x * constant": lambda lib, x, y: x * lib.tensor(B),
    "x ** y": lambda lib, x, y: x.abs() ** y,
    "exp().sum()": lambda lib, x, y: x.exp().sum(),
    "sum(0)": lambda lib, x, y: x.sum(0),
    "mean()": lambda lib, x, y: x.mean(),
    "mean(1)": lambda lib, x, y: x.mean(1),
    "x @ y.T": lambda lib, x, y: x @ y.T,
    "x[0] @ y[1]": lambda lib, x, y: x[0] @ y[1],
    "tanh, sigmoid, relu": lambda lib, x, y: lib.relu(x.tanh() + x.sigmoid()),
    "log(abs)": lambda lib, x, y: x.abs().log(),
    "sqrt(abs)": lambda lib, x, y: x.abs().sqrt(),
    "sin cos": lambda lib, x, y: x.sin() * x.cos(),
    "x[0]": lambda lib, x, y: x[0],
    "x[:, 1:]": lambda lib, x, y: x[:, 1:],
    "x[index]": lambda lib, x, y: x[lib.tensor([1, 0, 1])],
    "reshape": lambda lib, x, y: x.reshape(3, 2),
    "view": lambda lib, x, y: x.view(6),
    "permute": lambda lib, x, y: x.permute(1, 0),
    "expand": lambda lib, x, y: x[:1].expand(4, 3),
    "clone": lambda lib, x, y: x.clone(),
    "cat": lambda lib, x, y: lib.cat([x, y]),
    "stack": lambda lib, x, y: lib.stack([x, y]),
    "max()": lambda lib, x, y: x.max(),
    "min()": lambda lib, x, y: x.min(),
    "softmax": lambda lib, x, y: x.softmax(1),
    "log_softmax": lambda lib, x, y: x.log_softmax(1),
    "where": lambda lib, x, y: lib.where(x > 0, x, y),
    "double()": lambda lib, x, y: x.double(),
    "clamp(0, 1)": lambda lib, x, y: x.clamp(0, 1),
    "clamp(min=0)": lambda lib, x, y: x.clamp(min=0),
    "clamp(max=0)": lambda lib, x, y: x.clamp(max=0),
    "add_ on a non-leaf": lambda lib, x, y: (x * 1).add_(y),
    "exp_ then mul_": lambda lib, x, y: (x * 1).exp_().mul_(y),
    "element assignment": lambda lib, x, y: (lambda z: (z.__setitem__(0, y[1]), z)[1])(x * 1),
    "two uses of one node": lambda lib, x, y: (lambda z: z * z)(x + y),
}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_node_names_and_tree_shape_match_torch(graph):
    def scenario(lib):
        x, y = leaf(lib), leaf(lib, B)
        out = GRAPHS[graph](lib, x, y)
        return [tree(out.grad_fn)]

    assert_same(scenario)


def test_names_survive_the_backward_that_frees_the_graph():
    def scenario(lib):
        x = leaf(lib)
        outs = [x.sum(0), x.max(), x.clamp(min=0), x[0], x.mean(1)]
        names = [o.grad_fn.name() for o in outs]
        sum(o.sum() for o in outs).backward()
        return [names, [o.grad_fn.name() for o in outs]]

    assert_same(scenario)


def test_accumulate_grad_holds_the_leaf():
    def scenario(lib):
        x, y = leaf(lib), leaf(lib, B)
        z = x * y
        node, nr = z.grad_fn.next_functions[0]
        again = (x * 3).grad_fn.next_functions[0][0]
        return [node.name(), nr, node.variable is x, z.grad_fn.next_functions[1][0].variable is y,
                node is again, node.next_functions == (), (x * 2).grad_fn.next_functions[1]]

    assert_same(scenario)


def test_linear_layer_reaches_its_weight_and_bias():
    """torch's Linear is Addmm over T (see the module docstring); both reach exactly the weight and the bias."""
    def scenario(lib):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2)
        out = layer(lib.tensor(A))
        found, stack = [], [out.grad_fn]
        while stack:
            for child, _ in stack.pop().next_functions:
                if child is None:
                    continue
                if hasattr(child, "variable"):
                    found.append("weight" if child.variable is layer.weight else
                                 "bias" if child.variable is layer.bias else "other")
                else:
                    stack.append(child)
        return [sorted(found), out.grad_fn is not None, layer.weight.grad_fn is None]

    assert_same(scenario)


def test_multi_output_node_edges_name_the_output():
    def scenario(lib):
        x = leaf(lib, V)
        y = x * 2
        y.retain_grad()

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2, t * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        a, b = Two.apply(y)
        z = b + a
        return [[(child.name(), nr) for child, nr in z.grad_fn.next_functions], tree(z.grad_fn)]

    assert_same(scenario)


# ------------------------------------------------------------------- hooks
def test_a_leaf_hook_sees_and_replaces_the_gradient():
    def scenario(lib):
        x, seen = leaf(lib, V), []
        x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
        (x * x).sum().backward()
        return [x.grad, seen[0]]

    assert_same(scenario)


def test_several_hooks_run_in_order_and_chain():
    def scenario(lib):
        x, seen = leaf(lib, V), []
        x.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: seen.append(g.clone()))  # None keeps the gradient
        x.register_hook(lambda g: g + 1)
        (x * x).sum().backward()
        return [x.grad, seen[0]]

    assert_same(scenario)


def test_a_removed_hook_no_longer_runs():
    def scenario(lib):
        x = leaf(lib, V)
        first = x.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g + 1)
        first.remove()
        (x * x).sum().backward()
        return [x.grad]

    assert_same(scenario)


def test_a_non_leaf_hook_changes_what_flows_on():
    def scenario(lib):
        x, seen = leaf(lib, V), []
        y = x * 2
        handle = y.register_hook(lambda g: seen.append(g.clone()) or g * 3)
        (y * y).sum().backward(retain_graph=True)
        handle.remove()
        z = x * 2
        z.register_hook(lambda g: None)
        (z * y).sum().backward()
        return [x.grad, seen[0], len(seen)]

    assert_same(scenario)


def test_hook_and_retain_grad_in_either_order():
    def scenario(lib):
        x = leaf(lib, V)
        y = x * 2
        y.register_hook(lambda g: g * 3)
        y.retain_grad()
        z = x * 2
        z.retain_grad()
        z.register_hook(lambda g: g * 3)
        (y * y + z * z).sum().backward()
        return [x.grad, y.grad, z.grad]

    assert_same(scenario)


def test_a_hook_before_and_after_an_in_place_change():
    def scenario(lib):
        x, seen = leaf(lib, V), []
        y = x * 2
        y.register_hook(lambda g: seen.append(("old", g.clone())))
        y.mul_(3)
        y.register_hook(lambda g: seen.append(("new", g.clone())))
        (y * y).sum().backward()
        return [x.grad, [s[0] for s in seen], seen[0][1], seen[1][1]]

    assert_same(scenario)


def test_a_hook_on_a_tensor_that_does_not_require_grad_is_refused():
    assert_both_raise(lambda lib: lib.tensor(V).register_hook(lambda g: g), RuntimeError,
                      "doesn't require gradient")


def test_a_post_accumulate_grad_hook_that_returns_a_value_is_refused():
    """torch raises (found trying ``lambda p: p.grad.mul_(2)`` on both: backprop ignored the returned value)."""
    def scenario(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a.register_post_accumulate_grad_hook(lambda p: p.grad.mul_(2))
        (a * a).sum().backward()

    assert_both_raise(scenario, RuntimeError, "should return None")


def test_a_hook_runs_once_per_backward_with_the_summed_gradient():
    def scenario(lib):
        x, seen = leaf(lib, V), []
        x.register_hook(lambda g: seen.append(g.clone()))
        (x * 2 + x * x).sum().backward()
        (x * 5).sum().backward()
        return [x.grad, len(seen), seen[0], seen[1]]

    assert_same(scenario)


# ------------------------------------------------------------- retain_grad
def test_retain_grad_keeps_a_non_leaf_gradient():
    def scenario(lib):
        x = leaf(lib, V)
        y = x * 2
        z = x * 3
        y.retain_grad()
        (y * y * z).sum().backward()
        return [y.grad, y.retains_grad, z.retains_grad, x.retains_grad, x.grad]

    assert_same(scenario)


def test_retained_gradients_accumulate_over_backward_calls():
    def scenario(lib):
        x = leaf(lib, V)
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward(retain_graph=True)
        (y * y).sum().backward()
        return [y.grad, x.grad]

    assert_same(scenario)


def test_retain_grad_on_a_leaf_is_a_no_op_and_needs_grad():
    def scenario(lib):
        x = leaf(lib, V)
        x.retain_grad()
        (x * x).sum().backward()
        return [x.grad, x.retains_grad]

    assert_same(scenario)
    assert_both_raise(lambda lib: lib.tensor(V).retain_grad(), RuntimeError, "requires_grad=False|requires grad")


# ---------------------------------------------------- backward(inputs=) and grad
def test_backward_inputs_fills_only_those():
    def scenario(lib):
        x, y = leaf(lib, V), leaf(lib, V * 2)
        m = x * y
        (m * m).sum().backward(inputs=[x])
        first = [x.grad, y.grad]
        n = x * y
        n.retain_grad()
        (n * n).sum().backward(inputs=[n, y])
        return first + [n.grad, y.grad, x.grad]

    assert_same(scenario)


def test_backward_inputs_a_single_tensor_and_an_unreached_one():
    def scenario(lib):
        x, y = leaf(lib, V), leaf(lib, V * 2)
        (x * 3).sum().backward(inputs=x)
        (x * 3).sum().backward(inputs=[y])
        return [x.grad, y.grad]

    assert_same(scenario)


def test_grad_allow_unused_and_materialize():
    def scenario(lib):
        x, y = leaf(lib, V), leaf(lib, V * 2)
        unused = list(lib.autograd.grad((x * 3).sum(), [x, y], allow_unused=True))
        zeros = list(lib.autograd.grad((x * 3).sum(), [x, y], materialize_grads=True))
        return [unused, zeros, x.grad, y.grad]

    assert_same(scenario)
    assert_both_raise(
        lambda lib: lib.autograd.grad((leaf(lib, V) * 3).sum(), [leaf(lib, V), leaf(lib, V)]),
        RuntimeError, r"(?i)not have been used in the graph")


def test_grad_with_grad_outputs_several_outputs_and_a_non_leaf_input():
    def scenario(lib):
        x, y = leaf(lib, V), leaf(lib, V * 2)
        seed = lib.tensor([1.0, -2.0, 0.5])
        (g,) = lib.autograd.grad(x * y, x, grad_outputs=seed)
        m = x * 2
        both = lib.autograd.grad([(m * y).sum(), (x + y).sum()], [m, x, y])
        return [type(both).__name__, g, list(both), x.grad]

    assert_same(scenario)


def test_grad_errors():
    assert_both_raise(lambda lib: lib.autograd.grad(leaf(lib, V) * 3, leaf(lib, V)), RuntimeError)

    def non_scalar(lib):
        x = leaf(lib, V)
        lib.autograd.grad(x * 3, x)

    assert_both_raise(non_scalar, RuntimeError, "scalar")

    def twice(lib):
        x = leaf(lib, V)
        z = (x * x).sum()
        lib.autograd.grad(z, x)
        lib.autograd.grad(z, x)

    assert_both_raise(twice, RuntimeError, r"(?i)second time")


# ------------------------------------------------------------------ anomaly
def test_anomaly_detection_is_off_by_default_and_nan_flows_silently():
    def scenario(lib):
        x = leaf(lib, np.array([0.0, 1.0], np.float32))
        (x.sqrt() * 0).sum().backward()
        return [lib.is_anomaly_enabled() if lib is torch else bp.autograd.is_anomaly_enabled(), x.grad]

    with np.errstate(all="ignore"):
        assert_same(scenario)


def test_anomaly_detection_names_the_op_and_where_its_forward_ran():
    def sqrt_at_zero(lib):
        x = leaf(lib, np.array([0.0, 1.0], np.float32))
        with lib.autograd.detect_anomaly():
            y = x.sqrt()  # the forward line of the NaN
            (y * 0).sum().backward()

    def zero_over_zero(lib):
        x = leaf(lib, np.array([0.0, 1.0], np.float32))
        with lib.autograd.detect_anomaly():
            y = x / x
            y.sum().backward()

    with np.errstate(all="ignore"), pytest.warns(UserWarning):  # torch warns, with the forward's trace
        for scenario, op in ((sqrt_at_zero, "SqrtBackward0"), (zero_over_zero, "DivBackward0")):
            with pytest.raises(RuntimeError, match=f"Function '{op}' returned nan values") as torch_error:
                scenario(torch)
            with pytest.raises(RuntimeError, match=f"Function '{op}' returned nan values") as bp_error:
                scenario(bp)
            assert "returned nan values in its 0th output" in str(torch_error.value) or op == "DivBackward0"
            message = str(bp_error.value)
            assert "test_graph_introspection.py" in message
            assert ("y = x.sqrt()  # the forward line of the NaN" if op == "SqrtBackward0" else "y = x / x") in message
    assert not bp.autograd.is_anomaly_enabled() and not torch.is_anomaly_enabled()


def test_set_detect_anomaly_as_a_call_and_check_nan_false():
    previous = bp.autograd.is_anomaly_enabled()
    bp.autograd.set_detect_anomaly(True)
    try:
        assert bp.autograd.is_anomaly_enabled()
        x = leaf(bp, np.array([0.0, 1.0], np.float32))
        with np.errstate(all="ignore"), pytest.raises(RuntimeError, match="SqrtBackward0"):
            (x.sqrt() * 0).sum().backward()
    finally:
        bp.autograd.set_detect_anomaly(previous)
    assert not bp.autograd.is_anomaly_enabled()

    def no_nan_check(lib):
        x = leaf(lib, np.array([0.0, 1.0], np.float32))
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            (x.sqrt() * 0).sum().backward()
        return [x.grad]

    with np.errstate(all="ignore"):
        assert_same(no_nan_check)


# --------------------------------------------------------------- grad modes
def test_inference_mode_records_nothing():
    def scenario(lib):
        x = leaf(lib, V)
        with lib.inference_mode():
            y = x * 2
            inside = [lib.is_inference_mode_enabled(), lib.is_grad_enabled()]
            with lib.enable_grad():  # no effect on recording inside inference_mode
                z = x * 2
                inside += [lib.is_grad_enabled(), z.requires_grad]
        return inside + [y, y.requires_grad, y.grad_fn is None, lib.is_inference_mode_enabled(),
                         lib.is_grad_enabled()]

    assert_same(scenario)


def test_inference_mode_false_and_nesting():
    def scenario(lib):
        x = leaf(lib, V)
        flags = []
        with lib.inference_mode():
            with lib.inference_mode(False):
                flags += [lib.is_inference_mode_enabled(), lib.is_grad_enabled(), (x * 2).requires_grad]
            flags.append(lib.is_inference_mode_enabled())
        with lib.no_grad():
            flags += [lib.is_inference_mode_enabled(), lib.is_grad_enabled()]
            with lib.inference_mode(False):  # turns grad mode on, as torch's
                flags += [lib.is_grad_enabled(), (x * 2).requires_grad]
            flags.append(lib.is_grad_enabled())
        return flags

    assert_same(scenario)


def test_grad_mode_decorators_with_and_without_parentheses():
    def scenario(lib):
        x = leaf(lib, V)

        @lib.inference_mode
        def bare_inference(t):
            return t * 2

        @lib.inference_mode()
        def inference(t):
            return t * 2

        @lib.no_grad()
        def no_grad(t):
            return t * 2

        @lib.no_grad
        def bare_no_grad(t):
            return t * 2

        @lib.enable_grad()
        def enable(t):
            return t * 2

        @lib.set_grad_enabled(False)
        def disabled(t):
            return t * 2

        flags = [f(x).requires_grad for f in (bare_inference, inference, no_grad, bare_no_grad, disabled)]
        with lib.no_grad():
            flags.append(enable(x).requires_grad)
        return flags + [lib.is_grad_enabled(), (x * 2).requires_grad]

    assert_same(scenario)


def test_set_grad_enabled_as_a_call_and_as_a_context():
    def scenario(lib):
        x = leaf(lib, V)
        lib.set_grad_enabled(False)
        try:
            flags = [lib.is_grad_enabled(), (x * 2).requires_grad]
        finally:
            lib.set_grad_enabled(True)
        flags += [lib.is_grad_enabled(), (x * 2).requires_grad]
        with lib.set_grad_enabled(False):
            flags += [lib.is_grad_enabled(), (x * 2).requires_grad]
            with lib.set_grad_enabled(True):
                flags.append((x * 2).requires_grad)
            flags.append(lib.is_grad_enabled())
        flags.append(lib.is_grad_enabled())
        return flags

    assert_same(scenario)


def test_no_grad_restores_the_mode_after_an_exception():
    for lib in (torch, bp):
        with pytest.raises(ValueError):
            with lib.no_grad():
                raise ValueError
        assert lib.is_grad_enabled()
        with pytest.raises(ValueError):
            with lib.inference_mode():
                raise ValueError
        assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()


# ----------------------------------------------------------------- Variable
def test_variable_is_the_tensor_itself():
    def scenario(lib):
        Variable = lib.autograd.Variable
        t = lib.tensor(V)
        v = Variable(t, requires_grad=True)
        (v * v).sum().backward()
        w = Variable(t)
        w.add_(1)  # shares t's memory
        return [v.grad, isinstance(v, Variable), isinstance(t, Variable), v.requires_grad, t.requires_grad,
                w.requires_grad, t, type(v) is type(t)]

    assert_same(scenario)


def test_a_node_prints_as_torchs():
    """torch prints a node as <AddBackward0 object at 0x...> and the tensor as tensor(..., grad_fn=<AddBackward0>)."""
    import re

    import torch

    for lib in (bp, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 1
        assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
        assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(y.grad_fn.next_functions[0][0]))
        assert repr(y).endswith("grad_fn=<AddBackward0>)")


_LAYERS_AND_LOSSES = {  # what a program prints as loss.grad_fn / output.grad_fn, built the same way in both
    "linear": lambda lib, x, t, c: lib.nn.Linear(3, 2)(x),
    "linear_without_bias": lambda lib, x, t, c: lib.nn.Linear(3, 2, bias=False)(x),
    "linear_3d": lambda lib, x, t, c: lib.nn.Linear(3, 2)(x.reshape(2, 2, 3)),
    "mse_loss": lambda lib, x, t, c: lib.nn.functional.mse_loss(x, t),
    "mse_loss_sum": lambda lib, x, t, c: lib.nn.MSELoss(reduction="sum")(x, t),
    "cross_entropy": lambda lib, x, t, c: lib.nn.CrossEntropyLoss()(x, c),
    "nll_loss": lambda lib, x, t, c: lib.nn.functional.nll_loss(x.log_softmax(1), c),
    "bce": lambda lib, x, t, c: lib.nn.BCELoss()(x.sigmoid(), t),
    "bce_with_logits": lambda lib, x, t, c: lib.nn.BCEWithLogitsLoss()(x, t),
    "conv2d": lambda lib, x, t, c: lib.nn.Conv2d(1, 2, 2)(x.reshape(1, 1, 4, 3)),
    "max_pool2d": lambda lib, x, t, c: lib.nn.functional.max_pool2d(x.reshape(1, 1, 4, 3), 2),
    "avg_pool2d": lambda lib, x, t, c: lib.nn.functional.avg_pool2d(x.reshape(1, 1, 4, 3), 2),
    "batch_norm": lambda lib, x, t, c: lib.nn.BatchNorm1d(3)(x),
    "layer_norm": lambda lib, x, t, c: lib.nn.LayerNorm(3)(x),
    "dropout": lambda lib, x, t, c: lib.nn.functional.dropout(x, 0.5),
}


@pytest.mark.parametrize("name", list(_LAYERS_AND_LOSSES))
def test_layers_and_losses_name_their_node_as_torch(name):
    import torch

    names = []
    for lib in (bp, torch):
        x = lib.linspace(-1, 1, 12).reshape(4, 3).requires_grad_()
        out = _LAYERS_AND_LOSSES[name](lib, x, lib.zeros(4, 3), lib.tensor([0, 1, 2, 0]))
        names.append(out.grad_fn.name())
    assert names[0] == names[1]


def test_a_linear_layers_node_lists_its_inputs_as_torchs_addmm():
    """torch's linear on a batch is addmm(bias, x, W^T): next_functions starts with the bias's AccumulateGrad."""
    import torch

    for lib in (bp, torch):
        layer = lib.nn.Linear(3, 2)
        x = lib.ones(4, 3, requires_grad=True)
        node = layer(x.relu()).grad_fn
        first, second, third = (edge[0] for edge in node.next_functions)
        assert first.variable is layer.bias and second.name() == "ReluBackward0"
        assert third.name() in ("TBackward0", "torch::autograd::AccumulateGrad")  # torch: W^T's node, then W
