"""In-place ops against torch: every in-place method on leaves (inside no_grad; refused outside), non-leaves
and views (slices, transposes, reshapes, views of views), tensors that receive a value requiring grad,
ops whose backward needs the old value, chains, version counters, dtype rules, ``.data`` and the optimiser
idiom. Each scenario is written once, as a function of ``lib`` (torch or backprop), and run on both.

Known differences from torch (backprop is more permissive, and right; see the tests named ``*_difference``):
- ``y *= y`` and ``y.mul_(y.detach())``: torch refuses the backward (the second operand, saved, was
  overwritten); backprop keeps a copy of the old value and gives the gradient of y * y.
- An in-place change of one output of ``split``/``chunk``: torch refuses it (a view from a function that returns
  several views); backprop's outputs are independent slices, so the change works with the right gradient.
- A view made under ``no_grad`` whose base then changes in place with grad mode on: torch raises when the view's
  ``grad_fn`` is read; backprop leaves the view without a graph (it never had one).
- After its base changed in place, a view's node is named after its own view op (e.g. ``SelectBackward0``)
  where torch names it ``AsStridedBackward0``; the gradients are the same.
"""
import numpy as np
import pytest
import torch

import backprop as bp
from same_as_torch import assert_both_raise, assert_same, run

A = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]], dtype=np.float32)
B = np.array([[1.1, 0.4, -0.2], [0.9, -1.3, 0.8]], dtype=np.float32)
W = np.arange(6.0, dtype=np.float32).reshape(2, 3)  # weights of a loss that tells the elements apart
VERSION = r"needed for gradient computation has been modified by an in-?place operation"
LEAF = r"leaf Variable that requires grad (is being|has been) used in an in-place operation"


def leaf(lib, array=A):
    return lib.tensor(array, requires_grad=True)


# ------------------------------------------------- every in-place method
# name -> (apply to tensor t with operand o (same shape as t, requires grad), lib)
METHODS = {
    "add_": lambda t, o, lib: t.add_(o),
    "add_alpha": lambda t, o, lib: t.add_(o, alpha=2),
    "add_scalar": lambda t, o, lib: t.add_(1.5),
    "sub_": lambda t, o, lib: t.sub_(o),
    "sub_alpha": lambda t, o, lib: t.sub_(o, alpha=0.5),
    "mul_": lambda t, o, lib: t.mul_(o),
    "mul_scalar": lambda t, o, lib: t.mul_(-2.0),
    "div_": lambda t, o, lib: t.div_(o),
    "pow_": lambda t, o, lib: t.pow_(2),
    "pow_tensor": lambda t, o, lib: t.abs_().pow_(o),
    "neg_": lambda t, o, lib: t.neg_(),
    "abs_": lambda t, o, lib: t.abs_(),
    "exp_": lambda t, o, lib: t.exp_(),
    "log_": lambda t, o, lib: t.abs_().log_(),
    "sqrt_": lambda t, o, lib: t.abs_().sqrt_(),
    "sin_": lambda t, o, lib: t.sin_(),
    "cos_": lambda t, o, lib: t.cos_(),
    "clamp_": lambda t, o, lib: t.clamp_(-0.5, 1.0),
    "clamp_min": lambda t, o, lib: t.clamp_(min=0.2),
    "clip_": lambda t, o, lib: t.clip_(max=0.5),
    "relu_": lambda t, o, lib: t.relu_(),
    "sigmoid_": lambda t, o, lib: t.sigmoid_(),
    "tanh_": lambda t, o, lib: t.tanh_(),
    "zero_": lambda t, o, lib: t.zero_(),
    "fill_": lambda t, o, lib: t.fill_(3.0),
    "fill_tensor": lambda t, o, lib: t.fill_(o.sum()),
    "copy_": lambda t, o, lib: t.copy_(o),
    "copy_broadcast": lambda t, o, lib: t.copy_(o[0]),
    "masked_fill_": lambda t, o, lib: t.masked_fill_(o > 0, 7.0),
    "iadd": lambda t, o, lib: t.__iadd__(o),
    "isub": lambda t, o, lib: t.__isub__(o),
    "imul": lambda t, o, lib: t.__imul__(o),
    "idiv": lambda t, o, lib: t.__itruediv__(o),
    "ipow": lambda t, o, lib: t.__ipow__(2),
    "ipow_tensor": lambda t, o, lib: t.abs_().__ipow__(o),
    "setitem_slice": lambda t, o, lib: t.__setitem__((0, slice(1, None)), o[-1, 1:]),
    "setitem_scalar": lambda t, o, lib: t.__setitem__((-1, 0), 5.0),
    "setitem_mask": lambda t, o, lib: t.__setitem__(o > 0, 2.0),
    "setitem_index": lambda t, o, lib: t.__setitem__(lib.tensor([1, 0]), o[0]),
}
# where the method is applied: the non-leaf y itself or a view of it (the operand is the same view of o)
PLACES = ("non_leaf", "slice", "transpose", "T", "reshape", "view_of_view")


def _region(lib, y, place):
    """The tensor the method is applied to: y itself or a view of it."""
    if place == "non_leaf":
        return y
    if place == "slice":
        return y[:, 1:]
    if place == "transpose":
        return y.t()
    if place == "T":
        return y.T
    if place == "reshape":
        return y.reshape(3, 2)
    return y[1:].reshape(3, 1)[::2]  # a view of a view of a view


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("method", sorted(METHODS))
def test_in_place_method_on_a_non_leaf_or_its_view(method, place):
    def scenario(lib):
        x, o = leaf(lib), leaf(lib, B)
        y = x * 1.5
        region = _region(lib, y, place)
        operand = _region(lib, o * 1, place)
        out = METHODS[method](region, operand, lib)
        assert out is region or method.startswith("setitem")
        (y * lib.tensor(W)).sum().backward()
        return [y, region, x.grad, o.grad, region.requires_grad, y.requires_grad]

    assert_same(scenario)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_in_place_method_on_a_leaf_works_inside_no_grad(method):
    def scenario(lib):
        x, o = leaf(lib), leaf(lib, B)
        with lib.no_grad():
            METHODS[method](x, o, lib)
        return [x, x.grad, x.requires_grad, x.is_leaf, x.grad_fn is None]

    assert_same(scenario)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_in_place_method_on_a_leaf_is_refused_outside_no_grad(method):
    def scenario(lib):
        x, o = leaf(lib), leaf(lib, B)
        METHODS[method](x, o, lib)

    assert_both_raise(scenario, RuntimeError, LEAF)

    x = leaf(bp)  # refused before any value is written
    with pytest.raises(RuntimeError):
        METHODS[method](x, leaf(bp, B), bp)
    np.testing.assert_array_equal(x.detach().numpy(), A)


def test_a_view_of_a_leaf_is_refused_and_works_inside_no_grad():
    def refused(lib):
        x = leaf(lib)
        x[0].mul_(2)

    assert_both_raise(refused, RuntimeError, LEAF)

    def allowed(lib):
        x = leaf(lib)
        with lib.no_grad():
            x[0].mul_(2)
            x[1, 1:] = 0.0
            x.transpose(0, 1)[2].add_(10)
        (x * x).sum().backward()
        return [x, x.grad, x.is_leaf]

    assert_same(allowed)


def test_a_view_of_a_leaf_made_under_no_grad_is_refused_outside_it():
    def scenario(lib):
        x = leaf(lib)
        with lib.no_grad():
            v = x[0]
        v.add_(1)

    assert_both_raise(scenario, RuntimeError)


# ------------------------------------------------------------- views
def test_view_of_a_view_changed_in_place_moves_the_base():
    def scenario(lib):
        x, z = leaf(lib), leaf(lib, B)
        y = x * 2
        v = y[1:]
        w = v[:, ::2]
        w.mul_(z[1:, ::2])
        (y * y).sum().backward()
        return [y, w, x.grad, z.grad]

    assert_same(scenario)


def test_reshape_of_a_non_contiguous_tensor_is_a_copy_not_a_view():
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        flat = y.transpose(0, 1).reshape(6)  # a copy: changing it leaves y alone
        flat.add_(1)
        (y * lib.tensor(W)).sum().backward()
        return [y, flat, x.grad]

    assert_same(scenario)


def test_a_view_made_before_its_base_changed_follows_the_base():
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        v = y[0]
        y.mul_(3)
        (v * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return [v, x.grad, v.requires_grad]

    assert_same(scenario)


def test_a_sibling_view_follows_a_change_made_through_another_view():
    def scenario(lib):
        x = leaf(lib, np.array([0.5, -1.2, 2.0], np.float32))
        y = x * 2
        column = y.view(3, 1)
        tail = column[1:]
        column.add_(x.view(3, 1))
        (tail * 3).sum().backward()
        return [x.grad, tail, y]

    assert_same(scenario)


def test_a_view_of_a_buffer_gets_the_gradient_written_into_the_buffer():
    def scenario(lib):
        x = leaf(lib, np.array([0.5, -1.2, 2.0], np.float32))
        buf = lib.zeros(3)
        row = buf[1:]
        buf[1] = x[0] * 5
        flags = [row.requires_grad]
        (row * 2).sum().backward()
        return flags + [row, x.grad]

    assert_same(scenario)


def test_retain_grad_follows_the_tensor_through_in_place_changes():
    def scenario(lib):
        x = leaf(lib, np.array([0.5, -1.2, 2.0], np.float32))
        y = x * 2
        y.retain_grad()
        y.add_(1)
        z = x * 3
        z.retain_grad()
        z[1:].mul_(2)  # through a view: z moves to CopySlices
        base = x * 1
        s = base.view(3, 1)
        s.retain_grad()
        base.mul_(2)  # the base changes: the view follows
        (y * y + z * z + s.view(3) * 5).sum().backward()
        return [y.grad, z.grad, s.grad, x.grad, y.retains_grad, z.retains_grad, s.retains_grad]

    assert_same(scenario)


# --------------------------------------- receiving a value that needs grad
def test_one_dimensional_element_increment():
    def plain(lib):
        v = lib.tensor([1.0, 2.0, 3.0])
        v[1] += 1
        v[-1] -= 0.5
        return [v, v.requires_grad]

    assert_same(plain)

    def with_grad(lib):
        x = leaf(lib, np.array([1.0, 2.0, 3.0], np.float32))
        v = x * 1
        v[1] += x[0]
        v[2] *= 3
        (v * v).sum().backward()
        return [v, x.grad]

    assert_same(with_grad)


def test_a_buffer_that_does_not_require_grad_receives_values_that_do():
    def scenario(lib):
        x = leaf(lib)
        buf = lib.zeros(3, 3)
        buf[0] = x[0] * 2
        buf[2, 1:] = x[1, :2] ** 2
        flags = [buf.requires_grad, buf.is_leaf]
        (buf * lib.arange(9.0).reshape(3, 3)).sum().backward()
        return flags + [buf, x.grad]

    assert_same(scenario)


def test_rnn_loop_writing_each_step_into_an_output_buffer():
    def scenario(lib):
        w = leaf(lib, np.array([[0.5, -0.3], [0.2, 0.9]], np.float32))
        xs = lib.tensor(A.T.copy())
        h = lib.zeros(2)
        out = lib.zeros(3, 2)
        for t in range(3):
            h = lib.tanh(w @ h + xs[t])
            out[t] = h
        (out * lib.tensor([[1.0, -1.0], [2.0, 0.5], [-1.0, 3.0]])).sum().backward()
        return [out, w.grad]

    assert_same(scenario)


def test_add_into_a_tensor_without_grad_of_a_value_with_grad():
    def scenario(lib):
        x = leaf(lib)
        acc = lib.zeros(2, 3)
        acc.add_(x * 2)
        acc += x.exp()
        (acc * acc).sum().backward()
        return [acc, x.grad, acc.is_leaf, acc.grad_fn is not None]

    assert_same(scenario)


def test_a_no_grad_result_receives_a_value_with_grad():
    def scenario(lib):
        x = leaf(lib)
        with lib.no_grad():
            y = x * 2
        y.add_(x)
        y.sum().backward()
        return [y, x.grad]

    assert_same(scenario)


def test_in_place_on_a_non_leaf_inside_no_grad_keeps_its_graph():
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        with lib.no_grad():
            y.add_(1)
        (y * y).sum().backward()
        return [y, x.grad]

    assert_same(scenario)


# ------------------------------------------- backward needs the old value
def test_mul_by_a_tensor_that_requires_grad_uses_the_old_value():
    def scenario(lib):
        x, z = leaf(lib), leaf(lib, B)
        y = x + 1
        y.mul_(z)
        y.div_(z + 3)
        y.sum().backward()
        return [y, x.grad, z.grad]

    assert_same(scenario)


def test_exp_in_place_then_used():
    def scenario(lib):
        x = leaf(lib)
        y = x + 1
        y.exp_()
        (y * y).sum().backward()
        return [y, x.grad]

    assert_same(scenario)


def test_a_chain_of_in_place_ops():
    def scenario(lib):
        x, z = leaf(lib), leaf(lib, B)
        y = x * 1
        y.add_(z).mul_(z).sub_(x).clamp_(-3, 3)
        y[0, 1] = z[1, 1] * 3
        y.mul_(2).div_(z.abs() + 1).tanh_()
        y.sum().backward()
        return [y, x.grad, z.grad]

    assert_same(scenario)


@pytest.mark.parametrize("first, second", [
    ("sigmoid_", "tanh_"), ("relu_", "mul_scalar"), ("exp_", "exp_"), ("sqrt_", "add_scalar"),
    ("tanh_", "zero_"),
])
def test_an_op_that_saved_its_output_refuses_a_later_in_place_change(first, second):
    """sigmoid/relu/exp/sqrt/tanh save their result: changing it in place makes the backward raise."""
    def scenario(lib):
        x, o = leaf(lib), leaf(lib, B)
        y = x.abs() + 0.1
        METHODS[first](y, o, lib)
        METHODS[second](y, o, lib)
        y.sum().backward()

    assert_both_raise(scenario, RuntimeError, VERSION)


def test_in_place_then_used_then_changed_again_out_of_the_saved_path_is_fine():
    def scenario(lib):
        x = leaf(lib)
        y = x * 1
        y.add_(2)  # add saves nothing
        z = y.sin()  # saves y
        y2 = y.clone()
        y2.mul_(3)
        (z + y2).sum().backward()
        return [x.grad]

    assert_same(scenario)


def test_self_operand_in_place_ops_match_torch_where_torch_allows_them():
    def scenario(lib):
        x = leaf(lib)
        y = x * 1
        y += y
        y.copy_(y + 1)
        y[0, 0] = y[1, 1]
        (y * lib.tensor(W)).sum().backward()
        return [y, x.grad]

    assert_same(scenario)


@pytest.mark.parametrize("case", ["mul_by_constant", "div_by_constant", "pow_output", "pow_in_place_then_changed"])
def test_a_value_that_the_wanted_gradients_do_not_use_may_change(case):
    def scenario(lib):
        x = leaf(lib)
        y = x * 1
        if case == "mul_by_constant":
            z = y * 2  # dz/dy needs only the 2
            y.add_(1)
        elif case == "div_by_constant":
            z = y / 2
            y.add_(1)
        elif case == "pow_output":
            z = y ** 2  # torch's PowBackward0 saves y, not the output
            z.add_(1)
        else:
            z = y
            z.pow_(2).sub_(x)
        z.sum().backward()
        return [x.grad]

    assert_same(scenario)


def test_multiplying_a_tensor_by_itself_in_place_difference():
    """torch refuses the backward of ``y *= y`` (the saved second operand was overwritten); backprop keeps the old
    value and gives the gradient of y * y, which torch gives for the out-of-place form."""
    def in_place(lib):
        x = leaf(lib)
        y = x * 1
        y *= y
        y.sum().backward()
        return [y, x.grad]

    with pytest.raises(RuntimeError, match=VERSION):
        in_place(torch)
    x = leaf(torch)
    (x * x).sum().backward()
    y, grad = run(bp, in_place)
    np.testing.assert_allclose(y, A * A, rtol=1e-6)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-6)


def test_changing_one_output_of_split_difference():
    """torch refuses an in-place change of an output of ``split`` (a function returning several views); in
    backprop each output is a slice of its own: the change goes through and the gradient is that of torch's
    equivalent written with a slice."""
    def split(lib):
        x = leaf(lib)
        y = x * 2
        first, _ = y.split(1)
        first.mul_(2)
        y.sum().backward()
        return [y, x.grad]

    with pytest.raises(RuntimeError, match="view"):
        split(torch)

    def sliced(lib):
        x = leaf(lib)
        y = x * 2
        y[:1].mul_(2)
        y.sum().backward()
        return [y, x.grad]

    expected = run(torch, sliced)
    for e, g in zip(expected, run(bp, split)):
        np.testing.assert_allclose(g, e, rtol=1e-6)


# --------------------------------------------------------- version counters
@pytest.mark.parametrize("case", ["saved input", "saved output", "through a view", "base of a saved view",
                                  "through detach", "inside no_grad"])
def test_a_saved_value_overwritten_in_place_is_refused(case):
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        z = y * y  # saves y
        if case == "saved input":
            y.add_(1)
        elif case == "saved output":
            z = x.exp()  # saves its output
            z.add_(1)
        elif case == "through a view":
            y[0].mul_(2)
        elif case == "base of a saved view":
            v = y[0]
            z = v * v
            y.add_(1)
        elif case == "through detach":
            y.detach().zero_()  # detach() shares the version counter
        else:
            with lib.no_grad():  # not recorded, but counted
                y.add_(1)
        z.sum().backward()

    assert_both_raise(scenario, RuntimeError, VERSION)


@pytest.mark.parametrize("case", ["input not saved", "through data"])
def test_a_change_that_backward_does_not_see_is_fine(case):
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        z = y.exp()  # saves its output, not y
        if case == "input not saved":
            y.add_(1)
        else:
            z.data.zero_()  # .data has a version counter of its own: the backward uses the new values
        z.sum().backward()
        return [x.grad]

    assert_same(scenario)


def test_the_version_counter_counts_each_change():
    x = bp.zeros(3)
    v = x[1:]
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    assert x._version[0] == v._version[0] == 3
    tx = torch.zeros(3)
    tv = tx[1:]
    tx.add_(1)
    tv.mul_(2)
    tx[0] = 5.0
    assert tx._version == 3


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("operation", [
    lambda lib: lib.tensor([1, 2, 3]).__iadd__(1.5),
    lambda lib: lib.tensor([1, 2, 3]).__itruediv__(2),
    lambda lib: lib.tensor([1, 2, 3]).mul_(0.5),
    lambda lib: lib.tensor([True, False]).__iadd__(1),
    lambda lib: lib.tensor([1, 2]).add_(lib.tensor([0.5, 0.5])),
])
def test_an_in_place_result_of_a_wider_kind_is_refused(operation):
    assert_both_raise(operation, RuntimeError, "can't be cast to the desired output type")


def test_in_place_results_that_fit_keep_the_tensor_dtype():
    def scenario(lib):
        i = lib.tensor([1, 2, 3])
        i *= 2
        i += lib.tensor([1, 1, 1], dtype=lib.int32)
        f = lib.tensor([1.0, 2.0, 3.0])
        f += lib.tensor([1, 2, 3])
        f += lib.tensor([0.25, 0.5, 1.0], dtype=lib.float64)
        e = lib.tensor([1, 2])
        e[0] = 2.7  # an element assignment truncates, as torch
        return [i, f, e, str(f.dtype).split(".")[-1]]

    assert_same(scenario)


def test_a_float64_value_with_grad_written_into_a_float32_tensor():
    def scenario(lib):
        x = lib.tensor(A.astype(np.float64), requires_grad=True)
        y = lib.zeros(2, 3)
        y[0] = x[1] * 2
        y.add_(x)
        y.sum().backward()
        return [y, x.grad]

    assert_same(scenario)


# ------------------------------------------------------------ .data
def test_data_is_a_tensor_sharing_memory_that_does_not_require_grad():
    def scenario(lib):
        p = leaf(lib)
        d = p.data
        return [d, d.requires_grad, d.is_leaf, d.grad_fn is None, isinstance(d, type(p))]

    assert_same(scenario)


def test_in_place_through_data_changes_a_leaf_without_the_graph():
    def scenario(lib):
        p = leaf(lib)
        p.data.add_(1)
        p.data.mul_(2)
        p.data.clamp_(max=3.5)
        (p * 2).sum().backward()
        return [p, p.grad, p.requires_grad, p.is_leaf]

    assert_same(scenario)


def test_data_normal_and_copy():
    def scenario(lib):
        lib.manual_seed(0)
        p = leaf(lib)
        p.data.normal_(0.0, 0.01)
        stats = [bool(p.abs().max() < 0.1), p.requires_grad, p.is_leaf]
        q = lib.tensor(B)
        p.data.copy_(q)
        q.add_(1)  # copy_ copied
        (p * p).sum().backward()
        return stats + [p, p.grad]

    assert_same(scenario)


def test_data_assignment_replaces_the_values_and_shares_them():
    def scenario(lib):
        p = leaf(lib)
        t = lib.tensor(B)
        p.data = t
        t[0, 0] = 100.0  # p now holds t's memory
        (p * p).sum().backward()
        return [p, p.grad, p.requires_grad, p.is_leaf]

    assert_same(scenario)


def test_data_assignment_of_integers_to_a_tensor_that_requires_grad_is_refused():
    """torch refuses it (found by trying it on both): backprop took the integers, leaving an integer tensor that
    requires grad."""
    def scenario(lib):
        p = leaf(lib)
        p.data = lib.tensor([[1, 2, 3], [4, 5, 6]])

    assert_both_raise(scenario, RuntimeError, "floating point")


def test_data_of_a_non_leaf():
    def scenario(lib):
        x = leaf(lib)
        y = x * 2
        y.data.zero_()
        y.sum().backward()
        return [y, x.grad, y.data.requires_grad]

    assert_same(scenario)


def test_optimiser_idiom_updates_leaves_under_no_grad():
    def scenario(lib):
        p = leaf(lib)
        for _ in range(3):
            loss = ((p - lib.tensor(B)) ** 2).sum()
            loss.backward()
            with lib.no_grad():
                p -= 0.1 * p.grad
                p.grad.zero_()
        loss = ((p - lib.tensor(B)) ** 2).sum()
        loss.backward()
        return [p, p.grad, p.is_leaf, p.requires_grad, p.grad_fn is None]

    assert_same(scenario)


def test_in_place_on_a_leaf_inside_inference_mode():
    def scenario(lib):
        p = leaf(lib)
        with lib.inference_mode():
            p.add_(1)
            p[0] = 0.0
        (p * p).sum().backward()
        return [p, p.grad, p.is_leaf]

    assert_same(scenario)


# ------------------------------------------------------------ random fills
@pytest.mark.parametrize("fill", ["normal_", "uniform_"])
def test_random_fills_in_place(fill):
    """normal_/uniform_ draw other numbers than torch's: compared are the graph (the old value gets a zero
    gradient), the flags and the distribution."""
    def draw(t, lib):
        return t.normal_(1.0, 0.5) if fill == "normal_" else t.uniform_(-2.0, 3.0)

    def scenario(lib):
        lib.manual_seed(0)
        x = leaf(lib, np.zeros((200, 50), np.float32))
        y = x * 2
        draw(y, lib)
        (y * 3).sum().backward()
        values = y.detach().numpy()
        stats = ([abs(values.mean() - 1.0) < 0.02, abs(values.std() - 0.5) < 0.02] if fill == "normal_" else
                 [values.min() >= -2.0, values.max() < 3.0, abs(values.mean() - 0.5) < 0.05])
        with lib.no_grad():
            draw(x, lib)
        return stats + [x.grad, y.requires_grad, x.is_leaf, bool((x != 0).all()), str(y.dtype).split(".")[-1]]

    assert_same(scenario)
    assert_both_raise(lambda lib: draw(leaf(lib), lib), RuntimeError, LEAF)


def test_a_zero_dimensional_result_changes_in_place():
    """NumPy returns 0-d results as scalars; a tensor's array stays an array, so in-place ops work on it."""
    import torch

    results = []
    for lib in (bp, torch):
        total = lib.ones(3).sum()
        total += 1
        total.mul_(2)
        p = lib.nn.Parameter(lib.tensor(1.5))
        (p * p).backward()
        (p * p).backward()
        p.grad.mul_(0.5)
        results.append((total.item(), p.grad.item()))
    assert results[0] == results[1]
