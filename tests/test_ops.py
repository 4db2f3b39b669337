"""Tests generated from the op registry (tests/op_registry.py).

For every registered op and sample:
1. forward values, shapes, dtypes and requires_grad agree with torch, in
   every dtype the op lists (float32 and float64 at least);
2. gradients of every input agree with torch's for the same random
   upstream gradient (float32 and float64); for the non-differentiable ops
   (comparisons, argmax, ...) inputs that require grad give outputs that
   do not, as in torch;
3. ``bp.autograd.gradcheck`` (central finite differences, float64) passes
   for every differentiable op, except at samples placed on kinks and ties;
4. second derivatives: ``bp.autograd.gradgradcheck`` passes where gradcheck
   runs, and Hessian-vector products (through ``create_graph=True``) agree
   with torch's wherever the gradients are compared (float32 and float64).
"""
import numpy as np
import pytest

import backprop as bp
from backprop.ops import manifest
from helpers import compare, compare_double_backward, gradcheck, gradgradcheck
from op_registry import REGISTRY


def _floating(entry):
    return any(np.dtype(d).kind == "f" for d in entry.dtypes)


def _cases(kind):
    for entry in REGISTRY:
        for i, sample in enumerate(entry.samples):
            if kind == "forward":
                for dtype in entry.dtypes:
                    yield pytest.param(entry, sample, dtype, id=f"{entry.name}-{i}:{sample!r}-{dtype}")
            elif kind == "grad" and sample.grad:  # non-differentiable ops: no output may require grad
                for dtype in entry.dtypes:
                    if np.dtype(dtype).kind == "f":
                        yield pytest.param(entry, sample, dtype, id=f"{entry.name}-{i}:{sample!r}-{dtype}")
            elif kind == "gradcheck" and entry.differentiable and sample.gradcheck and _floating(entry):
                yield pytest.param(entry, sample, id=f"{entry.name}-{i}:{sample!r}")
            elif kind == "double_backward" and entry.differentiable and sample.grad and sample.double_backward:
                for dtype in entry.dtypes:
                    if np.dtype(dtype).kind == "f":
                        yield pytest.param(entry, sample, dtype, id=f"{entry.name}-{i}:{sample!r}-{dtype}")


@pytest.mark.parametrize("entry,sample,dtype", list(_cases("forward")))
def test_forward(entry, sample, dtype):
    compare(entry.bp_fn, entry.torch_fn, sample.args, sample.kwargs, dtype=dtype, domain=entry.domain,
            check_grad=False)


@pytest.mark.parametrize("entry,sample,dtype", list(_cases("grad")))
def test_grad(entry, sample, dtype):
    compare(entry.bp_fn, entry.torch_fn, sample.args, sample.kwargs, dtype=dtype, domain=entry.domain,
            check_grad=True)


def _passes_finite_differences(check, entry, sample):
    """``check`` (helpers.gradcheck or helpers.gradgradcheck) passes, or the test skips (no floating input)."""
    result = check(entry.bp_fn, sample.args, sample.kwargs, domain=entry.domain)
    if result is None:
        pytest.skip("no floating input to differentiate (integer or bool operands only)")
    assert result is True


@pytest.mark.parametrize("entry,sample", list(_cases("gradcheck")))
def test_gradcheck(entry, sample):
    _passes_finite_differences(gradcheck, entry, sample)


@pytest.mark.parametrize("entry,sample", list(_cases("gradcheck")))
def test_gradgradcheck(entry, sample):
    _passes_finite_differences(gradgradcheck, entry, sample)


@pytest.mark.parametrize("entry,sample,dtype", list(_cases("double_backward")))
def test_double_backward_matches_torch(entry, sample, dtype):
    if not compare_double_backward(entry.bp_fn, entry.torch_fn, sample.args, sample.kwargs, dtype=dtype,
                                   domain=entry.domain):
        pytest.skip("no first gradient that depends on an input or on the upstream gradient")


def test_non_differentiable_ops_give_no_graph():
    """Comparisons and arg-reductions of tensors that require grad: bool/int results without grad_fn."""
    x = bp.randn(2, 3, requires_grad=True)
    for result in [x < 0, x <= 0, x > 0, x >= 0, x == 0, x != 0, x.argmax(), x.argmin(dim=1), x.max(dim=1).indices]:
        assert not result.requires_grad and result.grad_fn is None


# ---------------------------------------------------------------- the registry covers API.md
OPERATORS = "radd rsub rmul rdiv rpow lt le gt ge eq ne getitem getitem.tensor_key T to".split()  # not declared ops
API_OPS = [entry.name for entry in manifest.entries()] + OPERATORS  # every declared op (backprop.ops.manifest)


# differentiable entries registered in float64 only, and why (their float32 forms are tested elsewhere)
FLOAT64_ONLY = {
    "nn.functional.multi_head_attention_forward": "float32 rounding cancels in its gradients; the float32 twin "
                                                  "tests of MultiheadAttention (tests/nn/test_attention.py) cover it",
}


def test_registry_covers_every_op_of_the_api():
    names = {entry.name for entry in REGISTRY}
    missing = [name for name in API_OPS if name not in names]
    assert not missing, f"ops of API.md without a registry entry: {missing}"
    for entry in REGISTRY:
        assert entry.samples and entry.dtypes, entry.name
    differentiable = [e for e in REGISTRY if e.differentiable and _floating(e) and not e.name.startswith("promote")
                      and e.name not in FLOAT64_ONLY]
    both = {e.name for e in differentiable if set(e.dtypes) >= {"float32", "float64"}}
    # a variant entry ("relu.inplace_false") may keep one dtype when its op's own entry ("relu") has both
    lacking = [e.name for e in differentiable if e.name not in both
               and not any(e.name.startswith(name + ".") for name in both)]
    assert not lacking, f"differentiable ops not registered in both float32 and float64: {lacking}"


def test_registry_samples_cover_edge_shapes():
    """Broadcast pairs, 0-d tensors, empty tensors and Python numbers appear among the samples."""
    from helpers import T

    def shapes(entry):
        return [a.shape for s in entry.samples for a in s.args if isinstance(a, T)]

    for name in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        entry = next(e for e in REGISTRY if e.name == name)
        found = shapes(entry)
        assert () in found and any(0 in s for s in found), name
        args = [a for s in entry.samples for a in s.args]
        assert any(isinstance(a, (int, float)) for a in args) or name in ("maximum", "minimum"), name


# ---------------------------------------------------------------- gradcheck catches wrong gradients
class _WrongSquare(bp.autograd.Function):
    """y = x^2 with a backward that forgets the factor 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x


class _WrongSecondGradient(bp.autograd.Function):
    """y = a * b with dL/db deliberately wrong at one element (index 2 of b)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        wrong = grad * a
        wrong[..., 2] += 1.0
        return grad * b, wrong


class _RightSquare(bp.autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved_tensors
        return 2 * grad * x


def test_gradcheck_passes_a_correct_function():
    x = bp.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x: _RightSquare.apply(x), (x,)) is True


def test_gradcheck_catches_a_wrong_gradient():
    x = bp.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]), requires_grad=True)
    with pytest.raises(bp.autograd.GradcheckError) as info:
        bp.autograd.gradcheck(lambda x: _WrongSquare.apply(x), (x,))
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    assert "input 0" in message
    assert "at index (0, 2)" in message  # the worst element: |x| largest at x[0, 2] = 2.0
    assert bp.autograd.gradcheck(lambda x: _WrongSquare.apply(x), (x,), raise_exception=False) is False


def test_gradcheck_names_the_input_with_the_wrong_gradient():
    rng = np.random.default_rng(1)
    a = bp.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    b = bp.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    with pytest.raises(bp.autograd.GradcheckError) as info:
        bp.autograd.gradcheck(lambda a, b: _WrongSecondGradient.apply(a, b), (a, b))
    message = str(info.value)
    assert "input 1" in message and "input 0" not in message
    assert "at index (0, 2)" in message or "at index (1, 2)" in message
