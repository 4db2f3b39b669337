"""Custom autograd Functions against torch: each Function is written once, in ``functions(lib)``, and the same
source text runs as a torch.autograd.Function and as a bp.autograd.Function; outputs, gradients, the
context's features (non-Tensor arguments, several outputs, save_for_backward, needs_input_grad,
mark_non_differentiable, set_materialize_grads, mark_dirty, setup_context), gradcheck/gradgradcheck and
double backward through them."""
import numpy as np
import pytest
import torch

import backprop as bp
from same_as_torch import assert_both_raise, assert_same

X = np.array([0.5, -1.2, 2.0, 1.5, 0.3, -0.7], dtype=np.float32)
VERSION = r"needed for gradient computation has been modified by an in-?place operation"


def functions(lib):
    """The same Functions for torch and backprop; ``log`` records what forward and backward saw."""
    Function = lib.autograd.Function
    log = []

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class MulConstant(Function):
        @staticmethod
        def forward(ctx, x, constant):
            ctx.constant = constant
            return x * constant

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.constant, None

    class SplitHalves(Function):
        @staticmethod
        def forward(ctx, x):
            n = x.shape[0] // 2
            return x[:n].clone(), x[n:].clone()

        @staticmethod
        def backward(ctx, grad_first, grad_second):
            return lib.cat([grad_first, grad_second])

    class SortValues(Function):
        """Sorted values and the permutation (an integer output, not differentiable)."""

        @staticmethod
        def forward(ctx, x):
            order = lib.tensor(np.argsort(x.detach().numpy(), kind="stable"))
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            ctx.n = x.shape[0]
            return x[order], order

        @staticmethod
        def backward(ctx, grad_values, grad_order):
            (order,) = ctx.saved_tensors
            log.append(("grad_order", grad_order is None))
            grad = lib.zeros(ctx.n, dtype=grad_values.dtype)
            grad[order] = grad_values
            return grad

    class TwoOutputsNoMaterialize(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            log.append(("none", grad_a is None, grad_b is None))
            grad = 0
            if grad_a is not None:
                grad = grad + grad_a * 2
            if grad_b is not None:
                grad = grad + grad_b * 3
            return grad

    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            log.append(("materialized", grad_a is None, grad_b is None, float(grad_b.abs().sum())))
            return grad_a * 2 + grad_b * 3

    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class Product(Function):
        @staticmethod
        def forward(ctx, a, b):
            log.append(("forward", tuple(ctx.needs_input_grad)))
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            log.append(("backward", tuple(ctx.needs_input_grad)))
            return (grad * b if ctx.needs_input_grad[0] else None), (grad * a if ctx.needs_input_grad[1] else None)

    class Cube(Function):
        """Its backward is made of differentiable ops: create_graph differentiates through it."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    class ExpThroughExp(Function):
        """A backward that calls another custom Function."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * Exp.apply(x)

    class ScaleSetup(Function):
        """torch 2's form: forward without ctx, setup_context apart."""

        @staticmethod
        def forward(x, scale):
            return x * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.scale = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale, None

    class WithFlag(Function):
        @staticmethod
        def forward(ctx, x, flag, y):
            ctx.flag = flag
            return x * y if flag else x + y

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    class TooManyGradients(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    class WithNumber(Function):
        """A non-Tensor output next to a Tensor one."""

        @staticmethod
        def forward(ctx, x):
            return x * 2, 5

        @staticmethod
        def backward(ctx, grad, grad_number):
            log.append(("number", grad_number is None))
            return grad * 2

    return dict(locals())


def leaf(lib, array=X, dtype=None):
    return lib.tensor(array if dtype is None else array.astype(dtype), requires_grad=True)


# ------------------------------------------------------------- forward/backward
def test_exp_saves_its_output():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["Exp"].apply(x)
        (y * y).sum().backward()
        return [y, x.grad, y.requires_grad, y.grad_fn.name(), y.is_leaf]

    assert_same(scenario)


def test_a_non_tensor_argument_gets_no_gradient_and_no_edge():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["MulConstant"].apply(x, 2.5)
        y.sum().backward()
        z = f["WithFlag"].apply(x, True, leaf(lib, X[::-1].copy()))
        return [y, x.grad, len(y.grad_fn.next_functions), len(z.grad_fn.next_functions),
                [name for name in (fn.name() for fn, _ in z.grad_fn.next_functions)]]

    assert_same(scenario)


def test_two_outputs_share_one_node():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        a, b = f["SplitHalves"].apply(x)
        (a * 2 + b * b).sum().backward()
        return [a, b, x.grad, a.grad_fn is b.grad_fn, a.grad_fn.name()]

    assert_same(scenario)


def test_an_unused_output_gets_a_zero_gradient():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        _, b = f["SplitHalves"].apply(x)
        (b * b).sum().backward()
        return [x.grad]

    assert_same(scenario)


def test_mark_non_differentiable_output():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        values, order = f["SortValues"].apply(x * 1)
        flags = [values.requires_grad, order.requires_grad, order.grad_fn is None, order.is_leaf]
        (values * lib.arange(6.0)).sum().backward()
        return flags + [values, order, x.grad, f["log"]]

    assert_same(scenario)


def test_set_materialize_grads_false_passes_none():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        a, _ = f["TwoOutputsNoMaterialize"].apply(x)
        a.sum().backward()
        return [x.grad, f["log"]]

    assert_same(scenario)


def test_materialized_gradients_are_zeros():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        a, _ = f["TwoOutputs"].apply(x)
        (a * a).sum().backward()
        return [x.grad, f["log"]]

    assert_same(scenario)


def test_mark_dirty_changes_the_input_in_place():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        z = f["AddOneInPlace"].apply(y)
        (z * z).sum().backward()
        return [z is y, y, x.grad, y.grad_fn.name()]

    assert_same(scenario)


def test_mark_dirty_moves_views_base_and_retained_grad():
    """A tensor changed in place by a custom Function (mark_dirty) moves as an in-place op moves it: a view
    taken before sees the Function's backward, a dirty view moves its base (found by comparing with torch:
    the view and the base kept their old nodes, so the gradient skipped the Function's factor 2, and a
    retained grad stayed on the old node)."""
    def view_taken_before(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        v = y[2:]
        f["DoubleInPlace"].apply(y)
        (v * v).sum().backward()
        return [v, x.grad]

    def dirty_view(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        v = y[1:4]
        z = f["DoubleInPlace"].apply(v)
        (y * y).sum().backward()
        return [z is v, y, x.grad]

    def retained(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        y.retain_grad()
        f["DoubleInPlace"].apply(y)
        (y * y).sum().backward()
        return [x.grad, y.grad]

    for scenario in (view_taken_before, dirty_view, retained):
        assert_same(scenario)


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    assert_both_raise(lambda lib: functions(lib)["AddOneInPlace"].apply(leaf(lib)), RuntimeError,
                      r"leaf.*in-?place operation")


def test_mark_dirty_bumps_the_version_of_a_saved_tensor():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        w = y * y
        f["AddOneInPlace"].apply(y)
        w.sum().backward()

    assert_both_raise(scenario, RuntimeError, VERSION)


def test_needs_input_grad_in_forward_and_backward():
    def one_wants(lib):
        f = functions(lib)
        a, b = leaf(lib), lib.tensor(X[::-1].copy())
        f["Product"].apply(a, b).sum().backward()
        return [a.grad, f["log"]]

    assert_same(one_wants)

    def none_wants(lib):
        f = functions(lib)
        y = f["Product"].apply(lib.tensor(X), lib.tensor(X))
        return [y.requires_grad, y.grad_fn is None, f["log"]]

    assert_same(none_wants)


def test_setup_context_form():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["ScaleSetup"].apply(x, 3.0)
        y.sum().backward()
        return [y, x.grad, y.grad_fn.name()]

    assert_same(scenario)


def test_an_input_returned_as_it_is_is_a_new_tensor_on_the_node():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        z = f["Identity"].apply(y)
        z.sum().backward()
        return [z is y, x.grad, z.grad_fn.name(), y.grad_fn.name()]

    assert_same(scenario)


def test_a_non_tensor_output():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y, number = f["WithNumber"].apply(x)
        y.sum().backward()
        return [y, number, x.grad, f["log"]]

    assert_same(scenario)


def test_apply_under_no_grad_records_nothing():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        with lib.no_grad():
            y = f["Exp"].apply(x)
        return [y, y.requires_grad, y.grad_fn is None]

    assert_same(scenario)


# ------------------------------------------------------------------ errors
def test_a_wrong_number_of_gradients_is_refused():
    assert_both_raise(lambda lib: functions(lib)["TooManyGradients"].apply(leaf(lib)).sum().backward(),
                      RuntimeError, "incorrect number of gradients")


def test_a_gradient_of_the_wrong_shape_is_refused():
    """torch raises RuntimeError naming the Function (found trying it on both: backprop raised NumPy's
    ValueError from its broadcast); a gradient that sums back to the input's shape is still accepted."""
    def scenario(lib, shape):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return lib.ones(shape)

        x = leaf(lib)
        Scale.apply(x).sum().backward()
        return [x.grad]

    assert_both_raise(lambda lib: scenario(lib, (4,)), RuntimeError, "invalid gradient at index 0")
    assert_same(lambda lib: scenario(lib, (2,) + X.shape))


def test_a_second_backward_through_a_freed_node_is_refused():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["Exp"].apply(x).sum()
        y.backward()
        y.backward()

    assert_both_raise(scenario, RuntimeError, r"(?i)backward through the graph a second time")


def test_retain_graph_allows_a_second_backward():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["Exp"].apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return [x.grad]

    assert_same(scenario)


def test_a_saved_input_changed_in_place_is_refused():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = x * 1
        z = f["Cube"].apply(y)
        y.add_(1)
        z.sum().backward()

    assert_both_raise(scenario, RuntimeError, VERSION)


def test_a_saved_output_changed_in_place_is_refused():
    def scenario(lib):
        f, x = functions(lib), leaf(lib)
        y = f["Exp"].apply(x)
        y.mul_(2)
        y.sum().backward()

    assert_both_raise(scenario, RuntimeError, VERSION)


# ----------------------------------------------------- checks and double backward
@pytest.mark.parametrize("name", ["Exp", "Cube", "ExpThroughExp"])
def test_gradcheck_and_gradgradcheck_through_a_custom_function(name):
    for lib in (torch, bp):
        f = functions(lib)
        x = leaf(lib, X, np.float64)
        assert lib.autograd.gradcheck(f[name].apply, (x,))
        assert lib.autograd.gradgradcheck(f[name].apply, (x,))
    for lib in (torch, bp):  # a non-Tensor argument
        f = functions(lib)
        assert lib.autograd.gradcheck(lambda t: f["MulConstant"].apply(t, 3.0), (leaf(lib, X, np.float64),))


def test_gradcheck_catches_a_wrong_backward():
    for lib in (torch, bp):
        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * x

            @staticmethod
            def backward(ctx, grad):
                return grad * 3

        with pytest.raises(RuntimeError):
            lib.autograd.gradcheck(Wrong.apply, (leaf(lib, X, np.float64),))


@pytest.mark.parametrize("name", ["Cube", "Exp", "ExpThroughExp"])
def test_double_backward_through_a_custom_function(name):
    def scenario(lib):
        f, x = functions(lib), leaf(lib, X, np.float64)
        y = f[name].apply(x * 0.5)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        h.sum().backward()
        return [y, g, h, x.grad, g.requires_grad]

    assert_same(scenario, rtol=1e-10)


def test_second_derivative_of_a_custom_function_with_two_outputs():
    def scenario(lib):
        f, x = functions(lib), leaf(lib, X, np.float64)
        a, b = f["SplitHalves"].apply(x ** 2)
        (g,) = lib.autograd.grad((a * b).sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        return [g, x.grad]

    assert_same(scenario, rtol=1e-10)
