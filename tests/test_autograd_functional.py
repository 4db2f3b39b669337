"""bp.autograd.functional against torch.autograd.functional on the same inputs.

Every function (jacobian, hessian, vjp, jvp, hvp, vhp) is run by both libraries on the same
functions and the same values: results must agree in structure (Tensor vs tuple, nesting), shape,
dtype and value. The functions below are written with methods both libraries have, so one lambda
serves both. Expected values come from torch, and for the Rosenbrock Hessian from its formula.
"""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import backprop as bp
import backprop.autograd.functional as F
from helpers import assert_close

DTYPES = [np.float32, np.float64]


# ------------------------------------------------------------------ functions
# name -> (function, input shapes). Several inputs are passed as a tuple.
FUNCTIONS = {
    "elementwise": (lambda x: x.sin() * x.exp(), [(3,)]),
    "matmul": (lambda W, x: (W @ x).tanh(), [(2, 3), (3,)]),
    "gram": (lambda X: X @ X.T, [(2, 3)]),
    "softmax": (lambda x: x.exp() / x.exp().sum(), [(4,)]),
    "two_outputs": (lambda a, b: (a * b.sum(), (a ** 2).sum() * b), [(2,), (3,)]),
    "scalar": (lambda x: (x.exp() * x).sum(), [(3,)]),
}

# scalar functions, for hessian / hvp / vhp
SCALAR_FUNCTIONS = {
    "log_sum_exp": (lambda x: x.exp().sum().log(), [(4,)]),
    "cubic": (lambda x: (x ** 3 * x.sin()).sum(), [(3,)]),
    "mlp": (lambda W, x: ((W @ x).tanh() ** 2).sum(), [(2, 3), (3,)]),
    "matrix": (lambda X: (X @ X.T).sigmoid().sum(), [(2, 2)]),
    "zero_d": (lambda x: x.sin() * x.exp(), [()]),
}


def _arrays(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _pair(arrays, requires_grad=False):
    """The same values as (backprop args, torch args): a Tensor for one array, else a tuple."""
    b = tuple(bp.tensor(a, requires_grad=requires_grad) for a in arrays)
    t = tuple(torch.tensor(a, requires_grad=requires_grad) for a in arrays)
    return (b, t) if len(arrays) != 1 else (b[0], t[0])


def _same(actual, expected, what="result"):
    """Same nesting of tuples, and every Tensor equal to torch's (shape, dtype, value)."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple), f"{what}: torch gives a tuple, backprop a {type(actual).__name__}"
        assert len(actual) == len(expected), f"{what}: {len(actual)} entries, torch has {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            _same(a, e, f"{what}[{i}]")
        return
    assert not isinstance(actual, tuple), f"{what}: torch gives a Tensor, backprop a tuple"
    assert_close(actual, expected, what)


def _flat(result):
    return [t for r in result for t in _flat(r)] if isinstance(result, tuple) else [result]


def _none_to_zeros(grads, refs, zeros_like):
    return [zeros_like(r) if g is None else g for g, r in zip(grads, refs)]


# ------------------------------------------------------------------ jacobian, hessian
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which, name", [("jacobian", n) for n in sorted(FUNCTIONS)]
                         + [("hessian", n) for n in sorted(SCALAR_FUNCTIONS)])
def test_jacobian_and_hessian_match_torch(which, name, dtype):
    func, shapes = {**FUNCTIONS, **SCALAR_FUNCTIONS}[name]
    b, t = _pair(_arrays(shapes, dtype))
    result = getattr(F, which)(func, b)
    _same(result, getattr(TF, which)(func, t))
    assert not any(r.requires_grad for r in _flat(result))


def test_jacobian_structure_follows_tuples_of_inputs_and_outputs():
    b, t = _pair(_arrays([(3,)], np.float64))
    for func in [lambda x: x * 2, lambda x: (x * 2,), lambda x: (x * 2, x.sum())]:
        _same(F.jacobian(func, b), TF.jacobian(func, t))
        _same(F.jacobian(func, (b,)), TF.jacobian(func, (t,)))
    b2, t2 = _pair(_arrays([(3,), (2, 2)], np.float64))
    for func in [lambda x, y: x.sum() * y, lambda x, y: (x.sum() * y, x * 2, y.exp().sum())]:
        _same(F.jacobian(func, b2), TF.jacobian(func, t2))


def test_jacobian_vectorize_gives_the_same_result():
    func, shapes = FUNCTIONS["matmul"]
    b, t = _pair(_arrays(shapes, np.float64))
    _same(F.jacobian(func, b, vectorize=True), TF.jacobian(func, t))


@pytest.mark.parametrize("dtype", DTYPES)
def test_hessian_of_rosenbrock_is_the_analytic_hessian(dtype):
    # f(x, y) = (1 - x)^2 + 100 (y - x^2)^2
    # H = [[2 - 400 (y - x^2) + 800 x^2, -400 x], [-400 x, 200]]
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    for x, y in [(1.0, 1.0), (-1.5, 2.0), (0.5, -0.25)]:
        expected = np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])
        h = F.hessian(rosenbrock, bp.tensor(np.array([x, y], dtype=dtype)))
        assert h.shape == (2, 2) and h.dtype == dtype
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(h.numpy(), expected, rtol=rtol, atol=rtol * 1e3)
        # the same with the two coordinates as two inputs: a tuple of tuples of 0-d blocks
        blocks = F.hessian(lambda a, b: rosenbrock((a, b)),
                           (bp.tensor(np.array(x, dtype=dtype)), bp.tensor(np.array(y, dtype=dtype))))
        np.testing.assert_allclose([[b.item() for b in row] for row in blocks], expected, rtol=rtol,
                                   atol=rtol * 1e3)


# ------------------------------------------------------------------ vjp, jvp, hvp, vhp
PRODUCT_CASES = ([(which, n) for which in ("vjp", "jvp") for n in sorted(FUNCTIONS)]
                 + [(which, n) for which in ("hvp", "vhp") for n in sorted(SCALAR_FUNCTIONS)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which, name", PRODUCT_CASES)
def test_products_match_torch(which, name, dtype):
    func, shapes = {**FUNCTIONS, **SCALAR_FUNCTIONS}[name]
    b, t = _pair(_arrays(shapes, dtype))
    if which == "vjp":  # v is shaped like the outputs, else like the inputs
        shapes = [tuple(o.shape) for o in _flat(func(*(t if isinstance(t, tuple) else (t,))))]
    vb, vt = _pair(_arrays(shapes, dtype, seed=1))
    out_b, prod_b = getattr(F, which)(func, b, vb)
    out_t, prod_t = getattr(TF, which)(func, t, vt)
    _same(out_b, out_t, "output")
    _same(prod_b, prod_t, which)
    assert not any(r.requires_grad for r in _flat((out_b, prod_b)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp_without_v_is_the_gradient_of_a_scalar(dtype):
    func, shapes = FUNCTIONS["scalar"]
    b, t = _pair(_arrays(shapes, dtype))
    _same(F.vjp(func, b), TF.vjp(func, t))


def test_jvp_without_v_for_a_one_element_input():
    func = FUNCTIONS["elementwise"][0]
    b, t = _pair(_arrays([(1,)], np.float64))
    _same(F.jvp(func, b), TF.jvp(func, t))


@pytest.mark.parametrize("which", ["hvp", "vhp"])
def test_hvp_and_vhp_without_v_for_a_one_element_input(which):
    func = SCALAR_FUNCTIONS["zero_d"][0]
    b, t = _pair(_arrays([()], np.float64))
    _same(getattr(F, which)(func, b), getattr(TF, which)(func, t))


def test_hvp_and_vhp_are_products_with_the_hessian():
    func, shapes = SCALAR_FUNCTIONS["mlp"]
    (W, x) = b = tuple(bp.tensor(a) for a in _arrays(shapes, np.float64))
    v = tuple(bp.tensor(a) for a in _arrays(shapes, np.float64, seed=1))
    H = F.hessian(func, b)
    # H v (block rows), v^T H (block columns): equal, H being symmetric
    hv = [sum((H[i][j].reshape(b[i].numel(), b[j].numel()) @ v[j].reshape(-1)) for j in range(2))
          for i in range(2)]
    for prod in (F.hvp(func, b, v)[1], F.vhp(func, b, v)[1]):
        for p, ref in zip(prod, hv):
            np.testing.assert_allclose(p.reshape(-1).numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ create_graph
def _second_derivatives(lib, call, inputs, extra=()):
    """d/d(inputs, extra) of sum over the results of sum(r^2): the results differentiated again."""
    results = _flat(call())
    assert all(r.requires_grad for r in results if r is not None)
    total = sum((r ** 2).sum() for r in results if r.requires_grad)
    wrt = list(inputs) + list(extra)
    grads = lib.autograd.grad(total, wrt, allow_unused=True)
    return _none_to_zeros(grads, wrt, lib.zeros_like)


CREATE_GRAPH_CASES = {
    "jacobian": ("matmul", lambda M, f, x, v: M.jacobian(f, x, create_graph=True), False),
    "jacobian_two_outputs": ("two_outputs", lambda M, f, x, v: M.jacobian(f, x, create_graph=True), False),
    "hessian": ("mlp", lambda M, f, x, v: M.hessian(f, x, create_graph=True), False),
    "vjp": ("two_outputs", lambda M, f, x, v: M.vjp(f, x, v, create_graph=True), "outputs"),
    "jvp": ("matmul", lambda M, f, x, v: M.jvp(f, x, v, create_graph=True), "inputs"),
    "hvp": ("mlp", lambda M, f, x, v: M.hvp(f, x, v, create_graph=True), "inputs"),
    "vhp": ("mlp", lambda M, f, x, v: M.vhp(f, x, v, create_graph=True), "inputs"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CREATE_GRAPH_CASES))
def test_create_graph_results_can_be_differentiated_again(case, dtype):
    name, call, v_like = CREATE_GRAPH_CASES[case]
    func, shapes = {**FUNCTIONS, **SCALAR_FUNCTIONS}[name]
    bx, tx = _pair(_arrays(shapes, dtype), requires_grad=True)
    bv = tv = None
    if v_like:
        t_in = tx if isinstance(tx, tuple) else (tx,)
        v_shapes = shapes if v_like == "inputs" else [tuple(o.shape) for o in _flat(func(*t_in))]
        bv, tv = _pair(_arrays(v_shapes, dtype, seed=1), requires_grad=True)

    def flat_args(x, v):
        return _flat(x) + ([] if v is None else _flat(v))

    got = _second_derivatives(bp, lambda: call(F, func, bx, bv), flat_args(bx, bv))
    expected = _second_derivatives(torch, lambda: call(TF, func, tx, tv), flat_args(tx, tv))
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_close(g, e, f"second derivative {i}")


def test_create_graph_makes_results_require_grad_even_for_inputs_that_do_not():
    func = FUNCTIONS["elementwise"][0]
    b, t = _pair(_arrays([(3,)], np.float64))
    jb, jt = F.jacobian(func, b, create_graph=True), TF.jacobian(func, t, create_graph=True)
    assert jb.requires_grad == jt.requires_grad is True
    _same(jb, jt.detach())


def test_create_graph_third_derivative_through_hessian():
    # d/dx trace(H(x)) for f = sum(sin(x) x^3): the third derivative along the diagonal
    func = SCALAR_FUNCTIONS["cubic"][0]
    b, t = _pair(_arrays([(3,)], np.float64), requires_grad=True)
    eye_b, eye_t = bp.eye(3, dtype=bp.float64), torch.eye(3, dtype=torch.float64)
    (gb,) = bp.autograd.grad((F.hessian(func, b, create_graph=True) * eye_b).sum(), b)
    (gt,) = torch.autograd.grad((TF.hessian(func, t, create_graph=True) * eye_t).sum(), t)
    assert_close(gb, gt)


def test_inputs_grad_is_left_alone():
    b = bp.tensor(_arrays([(3,)], np.float64)[0], requires_grad=True)
    F.jacobian(FUNCTIONS["elementwise"][0], b)
    F.vjp(FUNCTIONS["scalar"][0], b)
    F.hessian(SCALAR_FUNCTIONS["cubic"][0], b, create_graph=True)
    assert b.grad is None


def test_works_under_no_grad():
    func, shapes = FUNCTIONS["matmul"]
    b, t = _pair(_arrays(shapes, np.float64))
    with bp.no_grad():
        result = F.jacobian(func, b)
    _same(result, TF.jacobian(func, t))


# ------------------------------------------------------------------ strict, unused inputs
def _captured(lib):
    """A tensor outside the function that requires grad: an output made from it alone requires grad
    but depends on no input."""
    return lib.tensor([0.5, -2.0], dtype=lib.float64, requires_grad=True)


# name -> (function name, func(lib) -> function, input shapes, v shapes, keyword arguments)
STRICT_CASES = {
    "jacobian_unused_input": ("jacobian", lambda lib: lambda a, b: a * 2, [(3,), (2,)], None, {}),
    "jacobian_constant_output": ("jacobian", lambda lib: lambda a: a.detach() * 2, [(3,)], None, {}),
    "jacobian_linear_create_graph": ("jacobian", lambda lib: lambda a: a * 2, [(3,)], None,
                                     {"create_graph": True}),
    "vjp_unused_input": ("vjp", lambda lib: lambda a, b: (a ** 2).sum(), [(3,), (2,)], None, {}),
    "vjp_constant_output": ("vjp", lambda lib: lambda a: a.detach().sum(), [(3,)], None, {}),
    "vjp_linear_create_graph": ("vjp", lambda lib: lambda a: a.sum() * 2, [(3,)], None,
                                {"create_graph": True}),
    "jvp_unused_input": ("jvp", lambda lib: lambda a, b: a * 2, [(3,), (2,)], [(3,), (2,)], {}),
    "jvp_constant_output": ("jvp", lambda lib: lambda a, b: (a * b.sum(), a.detach()), [(3,), (2,)],
                            [(3,), (2,)], {}),
    "jvp_output_independent_of_inputs": ("jvp", lambda lib: (lambda w: lambda a: (a * 2, w * 3))(_captured(lib)),
                                         [(3,)], [(3,)], {}),
    "jvp_linear_create_graph": ("jvp", lambda lib: lambda a: a * 2, [(3,)], [(3,)], {"create_graph": True}),
    "hessian_linear": ("hessian", lambda lib: lambda a: a.sum(), [(3,)], None, {}),
    "hessian_unused_input": ("hessian", lambda lib: lambda a, b: (a ** 3).sum(), [(3,), (2,)], None, {}),
    "hessian_constant_output": ("hessian", lambda lib: lambda a: a.detach().sum(), [(3,)], None, {}),
}
for _which in ("hvp", "vhp"):
    STRICT_CASES.update({
        f"{_which}_linear": (_which, lambda lib: lambda a: a.sum(), [(3,)], [(3,)], {}),
        f"{_which}_unused_input": (_which, lambda lib: lambda a, b: (a ** 3).sum(), [(3,), (2,)],
                                   [(3,), (2,)], {}),
        f"{_which}_constant_output": (_which, lambda lib: lambda a: a.detach().sum(), [(3,)], [(3,)], {}),
    })


def _run_strict_case(case, lib, module, strict):
    which, make, shapes, v_shapes, kwargs = STRICT_CASES[case]
    x = tuple(lib.tensor(a) for a in _arrays(shapes, np.float64))
    args = [make(lib), x if len(x) > 1 else x[0]]
    if v_shapes is not None:
        v = tuple(lib.tensor(a) for a in _arrays(v_shapes, np.float64, seed=1))
        args.append(v if len(v) > 1 else v[0])
    return getattr(module, which)(*args, strict=strict, **kwargs)


@pytest.mark.parametrize("case", sorted(STRICT_CASES))
def test_strict_raises_where_torch_raises(case):
    with pytest.raises(RuntimeError):
        _run_strict_case(case, torch, TF, strict=True)  # the case is one torch refuses
    with pytest.raises(RuntimeError, match="strict"):
        _run_strict_case(case, bp, F, strict=True)


@pytest.mark.parametrize("case", sorted(STRICT_CASES))
def test_not_strict_gives_zeros_as_torch(case):
    got = _run_strict_case(case, bp, F, strict=False)
    _same(got, _run_strict_case(case, torch, TF, strict=False))


def test_strict_accepts_functions_that_depend_on_every_input():
    func, shapes = FUNCTIONS["matmul"]
    b, t = _pair(_arrays(shapes, np.float64))
    _same(F.jacobian(func, b, strict=True), TF.jacobian(func, t, strict=True))
    sfunc, sshapes = SCALAR_FUNCTIONS["mlp"]
    b, t = _pair(_arrays(sshapes, np.float64))
    _same(F.hessian(sfunc, b, strict=True, create_graph=True),
          TF.hessian(sfunc, t, strict=True, create_graph=True))


# ------------------------------------------------------------------ argument errors
def _both_raise(error, call):
    for module, lib in ((TF, torch), (F, bp)):
        with pytest.raises(error):
            call(module, lib)


@pytest.mark.parametrize("call", [
    lambda M, lib: M.jacobian(lambda a: a, [lib.ones(2)]),                 # a list of inputs
    lambda M, lib: M.jacobian(lambda a: [a], lib.ones(2)),                 # a list of outputs
    lambda M, lib: M.jacobian(lambda a: 3.0, lib.ones(2)),                 # not a Tensor
    lambda M, lib: M.jacobian(lambda a, b: a, (lib.ones(2), 3.0)),         # a number among the inputs
    lambda M, lib: M.vjp(lambda a: a, lib.ones(2), 1.0),                   # v a number
], ids=["list_inputs", "list_outputs", "number_output", "number_input", "number_v"])
def test_arguments_that_are_not_tensors_raise_type_error(call):
    _both_raise(TypeError, call)


@pytest.mark.parametrize("call", [
    lambda M, lib: M.vjp(lambda a: a * 2, lib.ones(3)),                              # v needed
    lambda M, lib: M.jvp(lambda a: a * 2, lib.ones(3)),
    lambda M, lib: M.hvp(lambda a: a.sum(), lib.ones(3)),
    lambda M, lib: M.vhp(lambda a: a.sum(), lib.ones(3)),
    lambda M, lib: M.vjp(lambda a: a * 2, lib.ones(3), lib.ones(2)),                 # v's shape
    lambda M, lib: M.jvp(lambda a: a * 2, lib.ones(3), lib.ones(2)),
    lambda M, lib: M.hvp(lambda a: (a ** 3).sum(), lib.ones(3), lib.ones(2)),
    lambda M, lib: M.vjp(lambda a: (a, a), lib.ones(3), (lib.ones(3),)),            # v's length
    lambda M, lib: M.vjp(lambda a: (a, a), lib.ones(3), (lib.ones(3), lib.ones(2))),
    lambda M, lib: M.hessian(lambda a: a ** 2, lib.ones(3)),                         # not a scalar
    lambda M, lib: M.hessian(lambda a: (a.sum(),), lib.ones(3)),                     # a tuple
    lambda M, lib: M.hvp(lambda a: a ** 2, lib.ones(3), lib.ones(3)),
    lambda M, lib: M.vhp(lambda a: (a.sum(),), lib.ones(3), lib.ones(3)),
    lambda M, lib: M.jacobian(lambda a: a, lib.ones(3), strict=True, vectorize=True),
    lambda M, lib: M.jacobian(lambda a: a, lib.arange(3)),                           # integer input
])
def test_invalid_arguments_raise_runtime_error(call):
    _both_raise(RuntimeError, call)


def test_v_may_be_a_tuple_for_one_output_and_a_tensor_for_a_one_tuple():
    b, t = _pair(_arrays([(3,)], np.float64))
    for func, vb, vt in [(lambda a: a * 2, (bp.ones(3),), (torch.ones(3),)),
                         (lambda a: (a * 2,), bp.ones(3), torch.ones(3))]:
        _same(F.vjp(func, b, vb), TF.vjp(func, t, vt))


def test_forward_mode_is_not_provided():
    x = bp.ones(3)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        F.jacobian(lambda a: a * 2, x, vectorize=True, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="forward-mode"):
        F.hessian(lambda a: (a ** 3).sum(), x, vectorize=True, outer_jacobian_strategy="forward-mode")
    for call in (lambda M: M.jacobian(lambda a: a, torch.ones(3) if M is TF else x, strategy="sideways"),
                 lambda M: M.hessian(lambda a: a.sum(), torch.ones(3) if M is TF else x,
                                     outer_jacobian_strategy="sideways")):
        for M in (TF, F):
            with pytest.raises(AssertionError):
                call(M)


def test_importable_as_torch_names_it():
    from backprop.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: F401

    assert bp.autograd.functional.jacobian is jacobian
