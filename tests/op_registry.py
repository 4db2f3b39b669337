"""The op registry: every op of API.md's "Tensors and autograd" section, once.

Each ``OpInfo`` says how to apply the op in backprop (``bp_fn``) and in torch
(``torch_fn``), on which sample inputs, over which input domain, in which
dtypes, and whether it is differentiable. ``tests/test_ops.py`` generates
its forward, gradient and gradcheck tests from this list (in the style of
PyTorch's OpInfo and tinygrad's ``helper_test_op``).

Most entries are written once as ``fn(lib, *args, **kwargs)`` with ``lib``
either ``backprop`` or ``torch``: backprop mirrors torch's API, so the same
line runs in both. Where torch spells an op differently (``F.pad``) the
entry gives ``torch_fn``.

Sample arguments: ``T(shape)`` is a random tensor of the test's dtype
(``T(shape, dtype=...)`` a fixed dtype, ``T(values=...)`` fixed values,
``grad=False`` never requires grad); anything else (Python numbers, dims,
keys) is passed to both frameworks unchanged.
"""
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

import backprop as bp
from helpers import DISTINCT, POSITIVE, AwayFrom, Domain, T, Uniform

FLOAT32, FLOAT64, INT64, INT32, BOOL = "float32", "float64", "int64", "int32", "bool"
FLOATS = (FLOAT32, FLOAT64)


@dataclass
class Sample:
    """One call of an op: positional ``args`` (specs) and ``kwargs`` (passed as they are)."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    gradcheck: bool = True  # False at kinks and ties, where finite differences are meaningless
    grad: bool = True  # False: compare forward values only
    name: str = ""
    # False: gradients compared with torch, second derivatives not: torch's own are nan here (at 0 ** 0
    # its pow backward multiplies a masked zero by 0 * 0 ** -1 = nan); gradgradcheck follows ``gradcheck``
    double_backward: bool = True

    def __repr__(self):
        if self.name:
            return self.name
        parts = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return ",".join(parts)


def _short(value):
    if isinstance(value, T):
        if value.values is not None:
            return "v" + "x".join(map(str, value.shape)) + ("" if value.dtype is None else value.dtype)
        return "x".join(map(str, value.shape)) or "0d" + ("" if value.dtype is None else value.dtype)
    if callable(value) and hasattr(value, "__name__"):  # a function's repr holds its address: ids must not vary
        return value.__name__
    return repr(value).replace(" ", "")


@dataclass
class OpInfo:
    name: str
    bp_fn: Callable
    torch_fn: Callable
    samples: list
    dtypes: tuple = FLOATS
    domain: Domain = None
    differentiable: bool = True


REGISTRY = []


def op(name, fn, samples, torch_fn=None, **options):
    """Register ``fn(lib, *args, **kwargs)`` (the same code for both frameworks unless ``torch_fn``)."""
    assert name not in {o.name for o in REGISTRY}, name
    assert all(isinstance(s, Sample) for s in samples), name
    entry = OpInfo(name, partial(fn, bp), partial(torch_fn or fn, torch), samples, **options)
    REGISTRY.append(entry)
    return entry


def S(*args, **kwargs):
    """A sample from positional args and keyword args."""
    return Sample(args, kwargs)


def kink(*args, **kwargs):
    """A sample at a kink or tie: compared with torch (values and gradients), not gradchecked."""
    return Sample(args, kwargs, gradcheck=False)


def torch_nan_second_derivative(*args, **kwargs):
    """A kink sample where torch's second derivatives are nan (``Sample.double_backward``): gradients
    compared with torch, second derivatives not."""
    return Sample(args, kwargs, gradcheck=False, double_backward=False)


def no_gradcheck(*args, **kwargs):
    """A sample compared with torch but not gradchecked: the op itself rounds to a lower precision
    (a cast to float32 or float16), so float64 finite differences with eps=1e-6 measure the rounding."""
    return Sample(args, kwargs, gradcheck=False)


def gradcheck_only(*args, **kwargs):
    """Values compared with torch, gradients checked by finite differences only: torch's own
    backward is wrong here (var/std with dim=(): its forward reduces every dim, its backward
    none, giving inf gradients; torch 2.13)."""
    return Sample(args, kwargs, grad=False)


def forward_only(*args, **kwargs):
    """A sample compared in value only (e.g. nan results)."""
    return Sample(args, kwargs, gradcheck=False, grad=False)


# ------------------------------------------------------------- shapes
UNARY_SHAPES = [(), (3,), (2, 3), (2, 1, 3), (0, 2)]
BROADCAST_PAIRS = [
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1, 3), (4, 1)),
    ((1, 3), (2, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((0, 3), (3,)),
    ((2, 0), (1,)),
]


def binary_samples(extra=()):
    return [S(T(a), T(b)) for a, b in BROADCAST_PAIRS] + [S(T((2, 3)), 2.5), S(T((2, 3)), -2)] + list(extra)


# ------------------------------------------------------------- arithmetic
op("add", lambda lib, a, b: a + b, binary_samples())
op("add.function_alpha", lambda lib, a, b, **k: lib.add(a, b, **k),
   [S(T((2, 3)), T((3,)), alpha=2), S(T((2, 3)), T((2, 3)), alpha=-0.5)])
op("sub", lambda lib, a, b: a - b, binary_samples())
op("sub.function_alpha", lambda lib, a, b, **k: lib.sub(a, b, **k), [S(T((2, 3)), T((1, 3)), alpha=3)])
op("mul", lambda lib, a, b: a * b, binary_samples())
op("mul.function", lambda lib, a, b: lib.mul(a, b), [S(T((2, 3)), T((3,))), S(T((2, 3)), 0.5)])
op("div", lambda lib, a, b: a / b, binary_samples(), domain=AwayFrom(0, margin=0.5))
op("div.function", lambda lib, a, b: lib.div(a, b), [S(T((2, 3)), T((2, 1)))], domain=AwayFrom(0, margin=0.5))
op("pow", lambda lib, a, b: a ** b,
   [S(T(a), T(b)) for a, b in BROADCAST_PAIRS]
   + [S(T((2, 3)), 2), S(T((2, 3)), 0.5), S(T((2, 3)), -1.5), S(T((2, 3)), 0),
      S(T((2, 3), domain=Uniform(-2, 2)), 3), S(T((2, 3), domain=Uniform(-2, 2)), 2.0),
      S(T((2, 3)), T((), domain=Uniform(-1, 2)))],
   domain=POSITIVE)
op("pow.zero_base", lambda lib, a, b: a ** b,
   [torch_nan_second_derivative(T(values=[0.0, 0.0, 0.0, 2.0]), T(values=[0.0, 1.0, 2.0, 0.0])),
    kink(T(values=[0.0, 1.0, 0.0]), 2), kink(T(values=[0.0, 0.0, 2.0]), T(values=[1.0, 2.0, 0.0]))])
op("pow.function", lambda lib, a, b: lib.pow(a, b), [S(T((2, 3)), T((3,))), S(T((2, 3)), 3)], domain=POSITIVE)
op("pow.int", lambda lib, a, b: a ** b, [S(T((2, 3)), 2), S(T((2, 3)), T((3,), domain=Uniform(0, 3)))],
   dtypes=(INT64,), domain=Uniform(-3, 3))
op("matmul", lambda lib, a, b: a @ b,
   [S(T((3,)), T((3,))), S(T((2, 3)), T((3,))), S(T((3,)), T((3, 4))), S(T((2, 3)), T((3, 4))),
    S(T((2, 2, 3)), T((3, 4))), S(T((3,)), T((2, 3, 4))), S(T((2, 3, 4)), T((4,))),
    S(T((2, 1, 2, 3)), T((3, 3, 2))), S(T((1, 2, 3)), T((2, 3, 2))), S(T((2, 0)), T((0, 3))),
    S(T((0, 2)), T((2, 3)))],
   dtypes=(FLOAT32, FLOAT64, INT64))
op("matmul.function", lambda lib, a, b: lib.matmul(a, b), [S(T((2, 3)), T((2, 3, 4)))])
op("matmul.method", lambda lib, a, b: a.matmul(b), [S(T((4, 3)), T((3,)))])

# reflected forms: a Python number on the left
op("radd", lambda lib, x: 2.5 + x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))
op("radd.int", lambda lib, x: 3 + x, [S(T((2, 3)))], dtypes=FLOATS + (INT64, BOOL))
op("rsub", lambda lib, x: 2.5 - x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))
op("rmul", lambda lib, x: -1.5 * x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))
op("rdiv", lambda lib, x: 2.5 / x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS, domain=AwayFrom(0, margin=0.5))
op("rdiv.int", lambda lib, x: 3 / x, [S(T((2, 3)))], dtypes=FLOATS + (INT64,), domain=Uniform(1, 4))
op("rpow", lambda lib, x: 2.0 ** x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS)
op("rpow.int", lambda lib, x: 2 ** x, [S(T((2, 3)))], dtypes=FLOATS + (INT64,), domain=Uniform(0, 4))
op("neg", lambda lib, x: -x, [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))

# ------------------------------------------------------------- comparisons
_tied = (T(values=[[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), T(values=[[2.0], [3.0]]))
for _name, _fn in [("lt", lambda lib, a, b: a < b), ("le", lambda lib, a, b: a <= b),
                   ("gt", lambda lib, a, b: a > b), ("ge", lambda lib, a, b: a >= b),
                   ("eq", lambda lib, a, b: a == b), ("ne", lambda lib, a, b: a != b)]:
    op(_name, _fn,
       [S(T(a), T(b)) for a, b in BROADCAST_PAIRS[:9]]
       + [S(*_tied), S(T((2, 3)), 0.5), S(T((2, 3)), 1), S(2, T((2, 3))), S(T((2, 3), dtype=INT64), 1.5),
          S(T(values=[0.1, 0.2, 0.3]), 0.1), S(T((2, 3)), T((2, 3), dtype=FLOAT64))],
       dtypes=FLOATS + (INT64,), domain=Uniform(-2, 2), differentiable=False)

# ------------------------------------------------------------- indexing
_x45, _x345 = T((4, 5)), T((3, 4, 5))
_INDEX_KEYS = [
    (_x45, 1), (_x45, -1), (_x45, slice(1, 3)), (_x45, (slice(None), slice(1, 4, 2))), (_x45, (1, 2)),
    (_x45, (None, Ellipsis, 2)), (_x45, (Ellipsis, None)), (_x45, slice(2, 2)), (_x45, ()),
    (_x345, (1, slice(None), slice(0, 2))), (_x345, (Ellipsis, 1)), (_x345, (slice(None), None, 2, slice(1, None))),
    (T((5,)), slice(None, None, 2)), (T(()), None), (T(()), Ellipsis),
    # integer arrays (lists), repeated and negative indices
    (_x45, [0, 2, 2]), (_x45, (slice(None), [1, 1, 4])), (_x45, ([0, 1, 1], [2, 2, 4])),
    (_x45, [-1, 0, -1]), (_x345, (slice(1, None), [0, 0])), (_x345, ([0, 2], slice(None), [4, 4])),
    (_x345, (Ellipsis, [3, 0, 3])),
]
op("getitem", lambda lib, x, key: x[key], [S(x, key) for x, key in _INDEX_KEYS],
   dtypes=FLOATS + (INT64, BOOL))
_m45 = np.array([[True, False, True, False, False], [False] * 5, [True] * 5, [False, True, False, False, True]])
op("getitem.tensor_key", lambda lib, x, i: x[i],
   [S(T((4, 5)), T(values=[0, 2, 2, 0], dtype=INT64)), S(T((4, 5)), T(values=[[3, 3], [1, 0]], dtype=INT64)),
    S(T((4, 5)), T(values=2, dtype=INT64)), S(T((4, 5)), T(values=_m45, dtype=BOOL)),
    S(T((4, 5)), T(values=[True, False, True, True], dtype=BOOL)), S(T((4, 5)), T(values=np.zeros((4, 5), bool), dtype=BOOL)),
    S(T((3, 4, 5)), T(values=_m45[:3, :4], dtype=BOOL)), S(T((4,)), T(values=[True, True, False, True], dtype=BOOL))],
   dtypes=FLOATS + (INT64,))
op("getitem.mixed_tensor_key", lambda lib, x, i: x[1:, i, None],
   [S(T((3, 4, 5)), T(values=[3, 0, 3], dtype=INT64)), S(T((3, 4)), T(values=[True, False, False, True], dtype=BOOL))])

# ------------------------------------------------------------- elementwise
op("exp", lambda lib, x: lib.exp(x), [S(T(s)) for s in UNARY_SHAPES] + [S(T(values=[-80.0, 0.0, 80.0]))],
   dtypes=FLOATS + (INT64,))
op("log", lambda lib, x: lib.log(x), [S(T(s)) for s in UNARY_SHAPES] + [no_gradcheck(T(values=[0.0, -1.0, 1.0]))],
   dtypes=FLOATS + (INT64,), domain=Uniform(0.2, 3.0))
op("sqrt", lambda lib, x: lib.sqrt(x), [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,), domain=Uniform(0.2, 3.0))
op("abs", lambda lib, x: lib.abs(x), [S(T(s)) for s in UNARY_SHAPES] + [kink(T(values=[-1.0, 0.0, 2.0]))],
   dtypes=FLOATS + (INT64,), domain=AwayFrom(0))
op("abs.builtin", lambda lib, x: abs(x), [S(T((2, 3)))], domain=AwayFrom(0))
op("sin", lambda lib, x: lib.sin(x), [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))
op("cos", lambda lib, x: lib.cos(x), [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64,))
op("tanh", lambda lib, x: lib.tanh(x), [S(T(s)) for s in UNARY_SHAPES] + [S(T(values=[-30.0, 30.0]))],
   dtypes=FLOATS + (INT64,))
op("sigmoid", lambda lib, x: lib.sigmoid(x),
   [S(T(s)) for s in UNARY_SHAPES] + [S(T(values=[-100.0, -30.0, 0.0, 30.0, 100.0]))], dtypes=FLOATS + (INT64,))
op("relu", lambda lib, x: lib.relu(x), [S(T(s)) for s in UNARY_SHAPES] + [kink(T(values=[-1.0, 0.0, 2.0]))],
   dtypes=FLOATS + (INT64,), domain=AwayFrom(0))
_clamp = AwayFrom(-0.5, 0.5)
op("clamp", lambda lib, x, **k: lib.clamp(x, **k),
   [S(T((2, 3)), min=-0.5, max=0.5), S(T((2, 3)), min=-0.5), S(T((2, 3)), max=0.5), S(T(()), min=-0.5, max=0.5),
    S(T((0, 3)), min=-0.5), S(T((2, 3)), min=0.5, max=-0.5),
    S(T((2, 3)), min=T((3,), domain=Uniform(-1, -0.3)), max=T((2, 1), domain=Uniform(0.3, 1))),
    kink(T(values=[-1.0, -0.5, 0.0, 0.5, 1.0]), min=-0.5, max=0.5)],
   dtypes=FLOATS + (INT64,), domain=_clamp)
op("clamp.int_float_bounds", lambda lib, x, **k: lib.clamp(x, **k), [S(T((2, 3)), min=-0.5, max=1.5)],
   dtypes=(INT64,))
op("clamp.method", lambda lib, x, **k: x.clamp(**k), [S(T((2, 3)), min=-0.5, max=0.5)], domain=_clamp)
op("clip", lambda lib, x, **k: lib.clip(x, **k), [S(T((2, 3)), min=-0.5, max=0.5)], domain=_clamp)

for _name in ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu"]:
    op(f"{_name}.method", lambda lib, x, _n=_name: getattr(x, _n)(), [S(T((2, 3)))], domain=Uniform(0.2, 3.0))

# ------------------------------------------------------------- selection
op("maximum", lambda lib, a, b: lib.maximum(a, b),
   [S(T(a), T(b)) for a, b in BROADCAST_PAIRS] + [kink(T(values=[1.0, 2.0, 3.0]), T(values=[1.0, 3.0, 3.0]))],
   dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("minimum", lambda lib, a, b: lib.minimum(a, b),
   [S(T(a), T(b)) for a, b in BROADCAST_PAIRS] + [kink(T(values=[1.0, 2.0, 3.0]), T(values=[1.0, 3.0, 3.0]))],
   dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("maximum.method", lambda lib, a, b: a.maximum(b), [S(T((2, 3)), T((3,)))], domain=DISTINCT)
op("minimum.method", lambda lib, a, b: a.minimum(b), [S(T((2, 3)), T((3,)))], domain=DISTINCT)
op("max.binary", lambda lib, a, b: lib.max(a, b), [S(T((2, 3)), T((3,)))], domain=DISTINCT)
op("min.binary", lambda lib, a, b: lib.min(a, b), [S(T((2, 3)), T((3,)))], domain=DISTINCT)
_cond = np.array([[True, False, True], [False, False, True]])
op("where", lambda lib, c, a, b: lib.where(c, a, b),
   [S(T(values=_cond), T((2, 3)), T((2, 3))), S(T(values=_cond), T((3,)), T((2, 1))),
    S(T(values=_cond[0]), T((2, 3)), T(())), S(T(values=_cond), T((2, 3)), 0.0), S(T(values=_cond), 1.5, T((2, 3))),
    S(T(values=_cond[:, :1]), T((1, 3)), T((3,))), S(T(values=np.zeros((0, 3), bool)), T((0, 3)), T((3,)))],
   dtypes=FLOATS + (INT64,))
op("where.method", lambda lib, a, c, b: a.where(c, b), [S(T((2, 3)), T(values=_cond), T((2, 3)))])

# ------------------------------------------------------------- reductions
_R = T((2, 3, 4))
_reduce_samples = [
    S(_R), S(_R, dim=0), S(_R, dim=-1), S(_R, dim=1, keepdim=True), S(_R, dim=(0, 2)), S(_R, dim=(-1, 0), keepdim=True),
    S(_R, dim=()), S(T(())), S(T(()), dim=0), S(T((3,)), dim=0, keepdim=True),
]
op("sum", lambda lib, x, **k: lib.sum(x, **k),
   _reduce_samples + [S(T((0, 3))), S(T((0, 3)), dim=0), S(T((0, 3)), dim=1)],
   dtypes=FLOATS + (INT64, INT32, BOOL))
op("sum.dtype", lambda lib, x, d, **k: lib.sum(x, dtype=getattr(lib, d), **k),
   [S(T((2, 3)), FLOAT64, dim=1), no_gradcheck(T((2, 3)), FLOAT32), forward_only(T((2, 3)), INT64)], dtypes=FLOATS + (INT32, BOOL))
op("sum.method", lambda lib, x, **k: x.sum(**k), [S(T((2, 3)), dim=1), S(T((2, 3)))])
op("mean", lambda lib, x, **k: lib.mean(x, **k),
   _reduce_samples + [no_gradcheck(T((0, 3))), S(T((0, 3)), dim=1)])
op("mean.method", lambda lib, x, **k: x.mean(**k), [S(T((2, 3)), dim=1), S(T((2, 3)))])
_var_samples = [
    S(_R), S(_R, dim=0), S(_R, dim=-1, keepdim=True), S(_R, dim=(0, 2)), S(_R, dim=1, unbiased=False),
    S(_R, dim=1, unbiased=True), S(_R, dim=2, correction=0), S(_R, dim=2, correction=2), S(_R, correction=0),
    gradcheck_only(_R, dim=()), S(T((2, 1)), dim=1, unbiased=False), no_gradcheck(T((2, 1)), dim=1), no_gradcheck(T(())),
]
op("var", lambda lib, x, **k: lib.var(x, **k), _var_samples + [no_gradcheck(T((2,)), correction=2)])
op("std", lambda lib, x, **k: lib.std(x, **k), _var_samples[:-3])
op("var.method", lambda lib, x, **k: x.var(**k), [S(T((2, 3)), dim=1, unbiased=False), S(T((2, 3)))])
op("std.method", lambda lib, x, **k: x.std(**k), [S(T((2, 3)), dim=0, keepdim=True), S(T((2, 3)))])
_ties = T(values=[[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
_extremum_samples = [
    S(_R), S(_R, dim=0), S(_R, dim=-1), S(_R, dim=1, keepdim=True), S(T(())), S(T(()), dim=0), S(T((5,)), dim=0),
    S(T((0, 3)), dim=1), kink(_ties), kink(_ties, dim=1), kink(_ties, dim=0, keepdim=True),
]
op("max", lambda lib, x, **k: lib.max(x, **k), _extremum_samples, dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("min", lambda lib, x, **k: lib.min(x, **k), _extremum_samples, dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("max.method", lambda lib, x, **k: x.max(**k), [S(T((2, 3)), dim=1), S(T((2, 3)))], domain=DISTINCT)
op("min.method", lambda lib, x, **k: x.min(**k), [S(T((2, 3)), dim=0, keepdim=True), S(T((2, 3)))], domain=DISTINCT)
_arg_samples = [S(_R), S(_R, dim=0), S(_R, dim=-1), S(_R, dim=1, keepdim=True), S(_R, keepdim=True), S(T(())),
                S(T(()), dim=0), S(T((0, 3)), dim=1), S(_ties), S(_ties, dim=1)]
op("argmax", lambda lib, x, **k: lib.argmax(x, **k), _arg_samples, dtypes=FLOATS + (INT64,), domain=DISTINCT,
   differentiable=False)
op("argmin", lambda lib, x, **k: lib.argmin(x, **k), _arg_samples, dtypes=FLOATS + (INT64,), domain=DISTINCT,
   differentiable=False)
op("argmax.method", lambda lib, x, **k: x.argmax(**k), [S(T((2, 3)), dim=1)], domain=DISTINCT, differentiable=False)
op("argmin.method", lambda lib, x, **k: x.argmin(**k), [S(T((2, 3)))], domain=DISTINCT, differentiable=False)
op("prod", lambda lib, x, **k: lib.prod(x, **k),
   [S(_R), S(_R, dim=0), S(_R, dim=-1), S(_R, dim=1, keepdim=True), S(T(())), S(T(()), dim=0), S(T((0, 3))),
    S(T((0, 3)), dim=1), S(T((0, 3)), dim=0),
    S(T(values=[[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]]), dim=1), S(T(values=[[1.5, 0.0, 2.0], [0.0, 0.5, 3.0]]), dim=0),
    S(T(values=[[1.5, 0.0, 2.0], [-1.0, 0.5, 3.0]])), S(T(values=[[1.5, 0.0, 2.0], [0.0, 0.5, 3.0]]))],
   dtypes=FLOATS + (INT64, INT32, BOOL), domain=Uniform(-1.5, 1.5))
op("prod.method", lambda lib, x, **k: x.prod(**k), [S(T((2, 3)), dim=1)])
op("logsumexp", lambda lib, x, **k: lib.logsumexp(x, **k),
   [S(_R, dim=0), S(_R, dim=-1), S(_R, dim=1, keepdim=True), S(_R, dim=(0, 2)), S(_R, dim=(0, 1, 2)),
    S(T(()), dim=0), S(T((0, 3)), dim=1), no_gradcheck(T((0, 3)), dim=0), S(T(values=[[1000.0, 1000.0], [-1000.0, 0.0]]), dim=1)])
# not int64: torch 2.13 promotes logsumexp(int tensor) to float32, backprop raises TypeError on
# purpose (tests/test_errors.py::test_dtype_an_op_does_not_support)
op("logsumexp.inf", lambda lib, x, **k: lib.logsumexp(x, **k),
   [no_gradcheck(T(values=[[-np.inf, -np.inf], [0.0, -np.inf]]), dim=1), no_gradcheck(T(values=[[np.inf, 0.0]]), dim=1)])
op("logsumexp.method", lambda lib, x, **k: x.logsumexp(**k), [S(T((2, 3)), dim=1)])

# ------------------------------------------------------------- shapes
op("reshape", lambda lib, x, *s: lib.reshape(x, s),
   [S(T((2, 3, 4)), 6, 4), S(T((2, 3, 4)), -1), S(T((2, 3, 4)), 4, -1, 2), S(T(()), 1), S(T((1,))),
    S(T((0, 3)), 3, 0), S(T((2, 3)), 2, 3)],
   torch_fn=lambda lib, x, *s: torch.reshape(x, s), dtypes=FLOATS + (INT64, BOOL))
op("reshape.method", lambda lib, x, *s: x.reshape(*s), [S(T((2, 3)), 3, 2), S(T((2, 3)), (-1,))])
op("view", lambda lib, x, *s: x.view(*s), [S(T((2, 3, 4)), 6, 4), S(T((2, 3)), -1), S(T((2, 3)), (3, 2)), S(T(()), 1, 1)],
   dtypes=FLOATS + (INT64,))
op("flatten", lambda lib, x, **k: lib.flatten(x, **k),
   [S(T((2, 3, 4))), S(T((2, 3, 4)), start_dim=1), S(T((2, 3, 4)), start_dim=0, end_dim=1),
    S(T((2, 3, 4)), start_dim=-2, end_dim=-1), S(T(())), S(T((3,))), S(T((2, 0, 3)), start_dim=1)],
   dtypes=FLOATS + (INT64,))
op("flatten.method", lambda lib, x, **k: x.flatten(**k), [S(T((2, 3, 4)), start_dim=1)])
op("transpose", lambda lib, x, a, b: lib.transpose(x, a, b),
   [S(T((2, 3)), 0, 1), S(T((2, 3)), -1, 0), S(T((2, 3, 4)), 0, 2), S(T((2, 3, 4)), 1, 1), S(T((2, 0, 4)), 0, 1)],
   dtypes=FLOATS + (INT64,))
op("transpose.method", lambda lib, x, a, b: x.transpose(a, b), [S(T((2, 3, 4)), -1, 1)])
op("permute", lambda lib, x, *d: x.permute(*d),
   [S(T((2, 3, 4)), 2, 0, 1), S(T((2, 3, 4)), -1, -3, -2), S(T((2, 3, 4)), (1, 2, 0)), S(T((2, 3, 4)), 0, 1, 2),
    S(T((2, 3)), 1, 0), S(T(()), ())],
   dtypes=FLOATS + (INT64,))
op("permute.function", lambda lib, x, d: lib.permute(x, d), [S(T((2, 3, 4)), (2, 0, 1))])
op("T", lambda lib, x: x.T, [S(T((2, 3))), S(T((3,))), S(T(())), S(T((0, 3)))], dtypes=FLOATS + (INT64,))
op("squeeze", lambda lib, x, **k: lib.squeeze(x, **k),
   [S(T((2, 1, 3, 1))), S(T((2, 1, 3, 1)), dim=1), S(T((2, 1, 3, 1)), dim=-1), S(T((2, 1, 3, 1)), dim=0),
    S(T((2, 1, 3, 1)), dim=(1, 3)), S(T(())), S(T(()), dim=0), S(T((1, 1)))],
   dtypes=FLOATS + (INT64,))
op("squeeze.method", lambda lib, x, **k: x.squeeze(**k), [S(T((1, 3))), S(T((1, 3)), dim=0)])
op("unsqueeze", lambda lib, x, d: lib.unsqueeze(x, d),
   [S(T((2, 3)), 0), S(T((2, 3)), 1), S(T((2, 3)), 2), S(T((2, 3)), -1), S(T((2, 3)), -3), S(T(()), 0), S(T(()), -1)],
   dtypes=FLOATS + (INT64,))
op("unsqueeze.method", lambda lib, x, d: x.unsqueeze(d), [S(T((2, 3)), 1)])
op("expand", lambda lib, x, *s: x.expand(*s),
   [S(T((1, 3)), 2, 3), S(T((3,)), 2, 3), S(T((2, 1)), -1, 4), S(T((2, 1)), 3, 2, 4), S(T((2, 1)), 3, -1, -1),
    S(T(()), 2, 2), S(T((2, 3)), 2, 3), S(T((2, 3)), (2, 2, 3)), S(T((2, 1)), 2, 0)],
   dtypes=FLOATS + (INT64,))
op("expand.function", lambda lib, x, *s: lib.expand(x, *s), [S(T((1, 3)), 2, 3)],
   torch_fn=lambda lib, x, *s: x.expand(*s))

# ------------------------------------------------------------- joining and splitting
op("cat", lambda lib, *ts, **k: lib.cat(ts, **k),
   [S(T((2, 3)), T((2, 3))), S(T((2, 3)), T((1, 3)), T((4, 3))), S(T((2, 3)), T((2, 1)), dim=1),
    S(T((2, 3)), T((2, 2)), dim=-1), S(T((2, 3, 2)), T((2, 1, 2)), dim=1), S(T((3,)), T((2,))), S(T((0, 3)), T((2, 3))),
    S(T((2, 3)))],
   dtypes=FLOATS + (INT64, BOOL))
op("stack", lambda lib, *ts, **k: lib.stack(ts, **k),
   [S(T((2, 3)), T((2, 3))), S(T((2, 3)), T((2, 3)), T((2, 3)), dim=1), S(T((2, 3)), T((2, 3)), dim=-1),
    S(T(()), T(())), S(T((0, 3)), T((0, 3)), dim=1), S(T((3,)))],
   dtypes=FLOATS + (INT64, BOOL))
op("split", lambda lib, x, s, **k: lib.split(x, s, **k),
   [S(T((5, 3)), 2), S(T((5, 3)), 5), S(T((5, 3)), 7), S(T((5, 3)), [1, 4]), S(T((5, 3)), [2, 0, 3]),
    S(T((5, 3)), 1, dim=1), S(T((5, 3)), [1, 2], dim=-1), S(T((0, 3)), 2)],
   dtypes=FLOATS + (INT64,))
op("split.method", lambda lib, x, s, **k: x.split(s, **k), [S(T((5, 3)), 2)])
op("chunk", lambda lib, x, c, **k: lib.chunk(x, c, **k),
   [S(T((6, 3)), 3), S(T((5, 3)), 2), S(T((6, 3)), 4), S(T((5, 3)), 7), S(T((5, 3)), 2, dim=1), S(T((5, 3)), 3, dim=-1),
    S(T((0, 3)), 2)],
   dtypes=FLOATS + (INT64,))
op("chunk.method", lambda lib, x, c, **k: x.chunk(c, **k), [S(T((5, 3)), 2)])
_gather_index = T(values=[[0, 0, 2], [1, 2, 2]], dtype=INT64)
op("gather", lambda lib, x, d, i: lib.gather(x, d, i),
   [S(T((3, 3)), 0, _gather_index), S(T((3, 3)), 1, _gather_index), S(T((3, 4)), -1, _gather_index),
    S(T((4, 3)), 0, T(values=[[3], [3], [0]], dtype=INT64)),
    S(T((2, 3, 2)), 1, T(values=[[[0, 1]], [[2, 2]]], dtype=INT64)), S(T((3,)), 0, T(values=[2, 2, 0, 1], dtype=INT64))],
   dtypes=FLOATS + (INT64,))
op("gather.method", lambda lib, x, d, i: x.gather(d, i), [S(T((3, 3)), 1, _gather_index)])
op("pad", lambda lib, x, p, **k: lib.pad(x, p, **k),
   [S(T((2, 3)), (1, 2)), S(T((2, 3)), (1, 0, 0, 2), value=1.5), S(T((2, 3, 4)), (0, 1, 2, 0, 1, 1)), S(T((3,)), (2, 1)),
    S(T((2, 3)), (0, 0)),
    S(T((2, 4)), (2, 1), mode="reflect"), S(T((1, 3, 4)), (1, 2, 2, 1), mode="reflect"), S(T((2, 3, 4)), (3, 0), mode="reflect"),
    S(T((2, 3)), (2, 1), mode="replicate"), S(T((1, 2, 3)), (1, 2, 3, 1), mode="replicate"),
    S(T((1, 2, 3, 2)), (1, 1, 2, 0, 1, 1), mode="replicate"),
    S(T((2, 3)), (2, 1), mode="circular"), S(T((1, 3, 4)), (1, 2, 2, 1), mode="circular"),
    S(T((2, 3)), (3, 3), mode="circular")],
   torch_fn=lambda lib, x, p, **k: F.pad(x, p, **k))

# ------------------------------------------------------------- softmax
_softmax_samples = [
    S(T((2, 3)), 1), S(T((2, 3)), 0), S(T((2, 3, 4)), -1), S(T((2, 3, 4)), 1), S(T(()), 0), S(T((0, 3)), 1),
    S(T((0, 3)), 0), S(T(values=[[100.0, -100.0, 0.0], [1000.0, 1000.0, 999.0]]), 1),
]
op("softmax", lambda lib, x, d: lib.softmax(x, d), _softmax_samples)
op("log_softmax", lambda lib, x, d: lib.log_softmax(x, d), _softmax_samples)
op("softmax.method", lambda lib, x, d: x.softmax(d), [S(T((2, 3)), -1)])
op("log_softmax.method", lambda lib, x, d: x.log_softmax(d), [S(T((2, 3)), -1)])

# ------------------------------------------------------------- conversions and copies
op("to", lambda lib, x, d: x.to(getattr(lib, d)),
   [S(T((2, 3)), FLOAT64), no_gradcheck(T((2, 3)), FLOAT32), no_gradcheck(T((2, 3)), "float16"), S(T((2, 3)), INT64), S(T((2, 3)), BOOL),
    S(T(()), FLOAT64)],
   dtypes=FLOATS + (INT64, BOOL))
op("float", lambda lib, x: x.float(), [no_gradcheck(T((2, 3)))], dtypes=FLOATS + (INT64,))
op("double", lambda lib, x: x.double(), [S(T((2, 3)))], dtypes=FLOATS + (INT64,))
op("long", lambda lib, x: x.long(), [S(T((2, 3)))], dtypes=FLOATS + (INT64,), domain=Uniform(-3, 3))
op("clone", lambda lib, x: x.clone(), [S(T(s)) for s in UNARY_SHAPES], dtypes=FLOATS + (INT64, BOOL))
op("clone.function", lambda lib, x: lib.clone(x), [S(T((2, 3)))])

# ------------------------------------------------------------- type promotion (the result dtype is checked)
PROMOTION = [
    ("int64*float", lambda lib, a: a * 2.5, [S(T((2, 3), dtype=INT64))]),
    ("float*int64", lambda lib, a: 2.5 * a, [S(T((2, 3), dtype=INT64))]),
    ("float32+float64", lambda lib, a, b: a + b, [S(T((2, 3), dtype=FLOAT32), T((3,), dtype=FLOAT64))]),
    ("float64*float32", lambda lib, a, b: a * b, [S(T((2, 3), dtype=FLOAT64), T((2, 3), dtype=FLOAT32))]),
    ("float32+float64_0d", lambda lib, a, b: a + b, [S(T((2, 3), dtype=FLOAT32), T((), dtype=FLOAT64))]),
    ("int64+float64_0d", lambda lib, a, b: a + b, [S(T((2, 3), dtype=INT64), T((), dtype=FLOAT64))]),
    ("float32_0d*float64_0d", lambda lib, a, b: a * b, [S(T((), dtype=FLOAT32), T((), dtype=FLOAT64))]),
    ("int64/int64", lambda lib, a, b: a / b,
     [S(T((2, 3), dtype=INT64), T((2, 3), dtype=INT64, domain=Uniform(1, 4)))]),
    ("int32/int32", lambda lib, a, b: a / b,
     [S(T((2, 3), dtype=INT32), T((3,), dtype=INT32, domain=Uniform(1, 4)))]),
    ("int64/2", lambda lib, a: a / 2, [S(T((2, 3), dtype=INT64))]),
    ("bool/bool", lambda lib, a, b: a / b, [S(T((2, 3), dtype=BOOL), T(values=[True, True, True], dtype=BOOL))]),
    ("float32/int64", lambda lib, a, b: a / b, [S(T((2, 3), dtype=FLOAT32), T((3,), dtype=INT64, domain=Uniform(1, 4)))]),
    ("bool+int64", lambda lib, a, b: a + b, [S(T((2, 3), dtype=BOOL), T((2, 3), dtype=INT64))]),
    ("bool+bool", lambda lib, a, b: a + b, [S(T((2, 3), dtype=BOOL), T((2, 3), dtype=BOOL))]),
    ("bool*float", lambda lib, a: a * 2.5, [S(T((2, 3), dtype=BOOL))]),
    ("bool+int", lambda lib, a: a + 2, [S(T((2, 3), dtype=BOOL))]),
    ("int64+True", lambda lib, a: a + True, [S(T((2, 3), dtype=INT64))]),
    ("int32+int64", lambda lib, a, b: a + b, [S(T((2, 3), dtype=INT32), T((2, 3), dtype=INT64))]),
    ("int32+int64_0d", lambda lib, a, b: a + b, [S(T((2, 3), dtype=INT32), T((), dtype=INT64))]),
    ("int32*int", lambda lib, a: a * 3, [S(T((2, 3), dtype=INT32))]),
    ("uint8+int8", lambda lib, a, b: a + b, [S(T((2, 3), dtype="uint8", domain=Uniform(0, 4)), T((2, 3), dtype="int8"))]),
    ("float16*float", lambda lib, a: a * 2.0, [S(T((2, 3), dtype="float16"))]),
    ("float16+float32", lambda lib, a, b: a + b, [S(T((2, 3), dtype="float16"), T((2, 3), dtype=FLOAT32))]),
    ("float32*int64", lambda lib, a, b: a * b, [S(T((2, 3), dtype=FLOAT32), T((2, 3), dtype=INT64))]),
    ("int64-float64", lambda lib, a, b: a - b, [S(T((2, 3), dtype=INT64), T((2, 3), dtype=FLOAT64))]),
    ("int64**float", lambda lib, a: a ** 0.5, [S(T((2, 3), dtype=INT64, domain=Uniform(0, 4)))]),
    ("float**int64", lambda lib, a: 2.0 ** a, [S(T((2, 3), dtype=INT64))]),
    ("float32**float64_0d", lambda lib, a, b: a ** b,
     [S(T((2, 3), dtype=FLOAT32, domain=POSITIVE), T((), dtype=FLOAT64))]),
    ("maximum(int64,float32)", lambda lib, a, b: lib.maximum(a, b),
     [S(T((2, 3), dtype=INT64), T((2, 3), dtype=FLOAT32, domain=Uniform(-4.4, 4.4)))]),
    ("where(int64,float64)", lambda lib, c, a, b: lib.where(c, a, b),
     [S(T(values=_cond), T((2, 3), dtype=INT64), T((2, 3), dtype=FLOAT64))]),
    ("where(float32,int)", lambda lib, c, a: lib.where(c, a, 2), [S(T(values=_cond), T((2, 3), dtype=FLOAT32))]),
    ("cat(int64,float32)", lambda lib, a, b: lib.cat([a, b]), [S(T((2, 3), dtype=INT64), T((1, 3), dtype=FLOAT32))]),
    ("stack(float32,float64)", lambda lib, a, b: lib.stack([a, b]), [S(T((3,), dtype=FLOAT32), T((3,), dtype=FLOAT64))]),
    ("exp(int64)", lambda lib, a: lib.exp(a), [S(T((2, 3), dtype=INT64))]),
    ("sum(bool)", lambda lib, a: lib.sum(a), [S(T((2, 3), dtype=BOOL))]),
    ("sum(int32)", lambda lib, a: a.sum(dim=0), [S(T((2, 3), dtype=INT32))]),
    ("prod(int32)", lambda lib, a: a.prod(dim=0), [S(T((2, 3), dtype=INT32))]),
    ("sum(float32,dtype=float64)", lambda lib, a: a.sum(dtype=lib.float64), [S(T((2, 3), dtype=FLOAT32))]),
    ("lt(int64,float)", lambda lib, a: a < 0.5, [S(T((2, 3), dtype=INT64))]),
    ("eq(float32,float64)", lambda lib, a, b: a == b,
     [S(T(values=[0.1, 0.5], dtype=FLOAT32), T(values=[0.1, 0.5], dtype=FLOAT64))]),
]
for _name, _fn, _samples in PROMOTION:
    op(f"promote[{_name}]", _fn, _samples, dtypes=(FLOAT32,))


def by_name(name):
    return next(o for o in REGISTRY if o.name == name)


# =====================================================================================================
# nn.functional: every differentiable op of backprop.nn.functional, against torch.nn.functional
# (one entry per op, named "nn.functional.<name>"; the recurrent sequences have no functional form in
# torch: tests/nn/test_double_backward.py compares them through nn.RNN/LSTM/GRU). Targets, class
# weights and running statistics never require grad (torch does not differentiate them). Random ops
# (dropout) appear with p=0 or training=False only; a fixed mask is checked in test_double_backward.py.
# =====================================================================================================
def _F(lib):
    return lib.nn.functional


def _functional(name, samples, torch_fn=None, **options):
    """Register ``nn.functional.<name>(*args, **kwargs)``, the same call in both frameworks."""
    return op(f"nn.functional.{name}", lambda lib, *a, _n=name, **k: getattr(_F(lib), _n)(*a, **k), samples,
              torch_fn=torch_fn, **options)


def _classes(values):
    """Class indices (int64, never differentiated)."""
    return T(values=values, dtype=INT64)


def _fixed(shape, domain=None):
    """A floating argument that does not require grad (a target, class weights, running statistics)."""
    return T(shape, domain=domain, grad=False)


# ------------------------------------------------------------- linear, convolutions
_functional("linear", [S(T((3, 4)), T((2, 4)), T((2,))), S(T((4,)), T((2, 4))), S(T((2, 3, 4)), T((5, 4)), T((5,)))])
_functional("conv1d", [
    S(T((2, 2, 5)), T((3, 2, 3)), T((3,))), S(T((1, 3, 7)), T((2, 3, 3)), stride=2, padding=1),
    S(T((1, 2, 8)), T((3, 2, 2)), T((3,)), padding="same", dilation=2), S(T((2, 4, 6)), T((4, 2, 3)), groups=2),
    S(T((3, 6)), T((2, 3, 3)), T((2,)), padding="valid"), S(T((1, 3, 5)), T((6, 1, 2)), stride=2, padding=1, groups=3)])
_functional("conv2d", [
    S(T((1, 2, 4, 4)), T((2, 2, 3, 3)), T((2,)), padding=1),
    S(T((1, 1, 5, 6)), T((2, 1, 3, 2)), T((2,)), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
    S(T((1, 4, 3, 4)), T((4, 2, 2, 2)), groups=2), S(T((2, 1, 3, 3)), T((1, 1, 2, 2)), padding="same"),
    S(T((2, 3, 3)), T((2, 2, 2, 2)), T((2,)), stride=2)])


def _torch_locally_connected2d(lib, x, weight, bias=None, stride=1, padding=0):
    """torch has no locally connected layer: the definition, from F.unfold's columns and one einsum."""
    oh, ow, o = weight.shape[:3]
    batched = x.ndim == 4
    cols = F.unfold(x if batched else x[None], weight.shape[4:], stride=stride, padding=padding)  # (N, C*K, L)
    y = torch.einsum("lok,nkl->nol", weight.reshape(oh * ow, o, -1), cols).reshape(cols.shape[0], o, oh, ow)
    y = y if bias is None else y + bias
    return y if batched else y[0]


_functional("locally_connected2d", [
    S(T((2, 2, 3, 3)), T((2, 2, 2, 2, 2, 2)), T((2, 2, 2))),
    S(T((1, 1, 4, 4)), T((2, 2, 2, 1, 3, 3)), T((2, 2, 2)), stride=2, padding=1),
    S(T((2, 4, 3)), T((3, 2, 1, 2, 2, 2)))],
    torch_fn=_torch_locally_connected2d)

# ------------------------------------------------------------- pooling (distinct values: no tied windows)
_functional("max_pool1d", [
    S(T((2, 3, 8)), 2), S(T((2, 2, 7)), 3, stride=1, padding=1), S(T((1, 2, 9)), 2, stride=2, dilation=2),
    S(T((1, 2, 8)), 3, stride=2, padding=1, ceil_mode=True), S(T((2, 7)), 3, 2),
    kink(T(values=[[[1.0, 1.0, 0.0, 2.0, 2.0, 2.0]]]), 3, 1)],
    domain=DISTINCT)
_functional("max_pool2d", [
    S(T((2, 2, 4, 4)), 2), S(T((1, 2, 4, 5)), 3, stride=1, padding=1),
    S(T((1, 1, 6, 7)), (2, 3), stride=(1, 2), dilation=(2, 1)), S(T((1, 2, 5, 5)), 2, ceil_mode=True),
    S(T((2, 4, 4)), 2, 1)],
    domain=DISTINCT)
_functional("avg_pool1d", [
    S(T((2, 3, 8)), 2), S(T((2, 2, 7)), 3, stride=1, padding=1),
    S(T((1, 2, 8)), 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), S(T((2, 7)), 3, 2)])
_functional("avg_pool2d", [
    S(T((2, 2, 4, 4)), 2), S(T((1, 2, 4, 5)), 3, stride=1, padding=1, count_include_pad=False),
    S(T((1, 1, 5, 5)), 2, ceil_mode=True), S(T((1, 2, 4, 5)), (2, 3), stride=1, divisor_override=4),
    S(T((2, 4, 4)), 3, 2, 1)])
_functional("adaptive_avg_pool1d", [S(T((2, 3, 7)), 3), S(T((2, 5)), 5), S(T((1, 2, 4)), 1)])
_functional("adaptive_avg_pool2d", [S(T((2, 2, 5, 7)), (2, 3)), S(T((2, 4, 5)), 1), S(T((1, 2, 5, 4)), (3, None))])

# ------------------------------------------------------------- normalisation
_batch_norm = lambda lib, x, rm, rv, *a, **k: _F(lib).batch_norm(x, rm, rv, *a, **k)  # noqa: E731
_POSITIVE_VAR = Uniform(0.5, 2.0)
op("nn.functional.batch_norm", _batch_norm, [
    S(T((4, 3)), None, None, T((3,)), T((3,)), training=True),
    S(T((2, 3, 4)), None, None, T((3,)), T((3,)), training=True, eps=1e-3),
    S(T((2, 3, 2, 2)), None, None, training=True),
    S(T((3, 2)), _fixed((2,)), _fixed((2,), _POSITIVE_VAR), T((2,)), T((2,)), training=True, momentum=0.3),
    S(T((4, 3)), _fixed((3,)), _fixed((3,), _POSITIVE_VAR), T((3,)), T((3,))),
    S(T((2, 3, 2, 2)), _fixed((3,)), _fixed((3,), _POSITIVE_VAR), T((3,)), T((3,)), training=False),
    S(T((2, 3)), _fixed((3,)), _fixed((3,), _POSITIVE_VAR), None, None)])  # (torch's double backward fails with only a bias)
_functional("layer_norm", [
    S(T((4, 3)), (3,), T((3,)), T((3,))), S(T((2, 2, 3)), (2, 3), T((2, 3))), S(T((2, 5)), (5,), T((5,)), None, 1e-3),
    S(T((3, 4)), [4])])

# ------------------------------------------------------------- activations
_functional("leaky_relu", [S(T((2, 3))), S(T((2, 3)), 0.2), S(T(())), kink(T(values=[-1.0, 0.0, 2.0]), 0.3)],
            domain=AwayFrom(0))
_functional("gelu", [S(T((2, 3))), S(T((2, 3)), approximate="tanh"), S(T(values=[-8.0, -3.0, 0.0, 3.0, 8.0]))])
_functional("softplus", [S(T((2, 3))), S(T((2, 3)), beta=2.0), S(T(values=[-3.0, -0.5, 0.5, 1.5, 2.5]), 1.5, 1.0)],
            domain=AwayFrom(0))
_functional("elu", [S(T((2, 3))), S(T((2, 3)), 0.7), S(T(values=[-40.0, -2.0, 0.5, 40.0]), 1.3),
                    kink(T(values=[-1.0, 0.0, 0.0, 2.0]), 0.5)],  # exact zeros (after a relu): the left branch
            domain=AwayFrom(0))
op("nn.functional.step", lambda lib, x: _F(lib).step(x), [S(T((2, 3))), kink(T(values=[-1.0, 0.0, 2.0]))],
   torch_fn=lambda lib, x: torch.sign(x).clamp(min=0),  # the step, with torch's zero derivative
   domain=AwayFrom(0))
op("nn.functional.arctan", lambda lib, x: _F(lib).arctan(x), [S(T((2, 3))), S(T(values=[-50.0, 0.0, 50.0]))],
   torch_fn=lambda lib, x: torch.arctan(x))
for _name in ["relu", "sigmoid", "tanh"]:
    _functional(_name, [S(T((2, 3)))], domain=AwayFrom(0))
_functional("softmax", [S(T((2, 3)), 1), S(T((2, 3, 2)), dim=0)])
_functional("log_softmax", [S(T((2, 3)), 1), S(T((2, 3, 2)), dim=-1)])
_functional("pad", [S(T((2, 3)), (1, 2), value=0.5), S(T((1, 2, 3)), (1, 1, 2, 0), mode="replicate")])

# ------------------------------------------------------------- losses
_ce_logits = T((4, 5))
_ce_targets = _classes([0, 2, 4, 1])
_ce_ignored = _classes([0, 2, -100, 1])
_class_weight = _fixed((5,), POSITIVE)
_functional("cross_entropy", [
    S(_ce_logits, _ce_targets), S(_ce_logits, _ce_targets, reduction="sum"), S(_ce_logits, _ce_targets, reduction="none"),
    S(_ce_logits, _ce_targets, weight=_class_weight), S(_ce_logits, _ce_ignored),
    S(_ce_logits, _classes([0, 2, 3, 3]), ignore_index=3, reduction="sum"),
    S(_ce_logits, _ce_targets, label_smoothing=0.2),
    S(_ce_logits, _ce_ignored, weight=_class_weight, label_smoothing=0.1),
    S(_ce_logits, _ce_ignored, weight=_class_weight, label_smoothing=0.1, reduction="none"),
    S(T((2, 3, 4)), _classes([[0, 1, 2, 1], [2, 2, 0, 1]])), S(T((5,)), _classes(3)),
    S(_ce_logits, T((4, 5), domain=Uniform(0.0, 1.0))),
    S(_ce_logits, T((4, 5), domain=Uniform(0.0, 1.0)), weight=_class_weight, label_smoothing=0.3),
    S(T((2, 3, 2)), T((2, 3, 2), domain=Uniform(0.0, 1.0)), reduction="none")])
_functional("nll_loss", [
    S(_ce_logits, _ce_targets), S(_ce_logits, _ce_targets, reduction="sum"), S(_ce_logits, _ce_ignored, reduction="none"),
    S(_ce_logits, _ce_ignored, weight=_class_weight), S(T((2, 3, 4)), _classes([[0, 1, 2, 1], [2, 2, 0, 1]])),
    S(T((5,)), _classes(1))])
# Probabilities away from 0 and 1. The target requires grad in one sample only: where the second
# derivatives through x and through the target nearly cancel, torch's sum loses digits (checked in long
# double: 1e-10 off at two elements, where backprop's is exact), beyond float64's tolerance here.
_PROBABILITY = Uniform(0.2, 0.8)
_functional("binary_cross_entropy", [
    S(T((2, 3)), _fixed((2, 3))), S(T((4,)), T((4,)), reduction="sum"), S(T((2, 3)), _fixed((2, 3)), reduction="none"),
    S(T((2, 3)), _fixed((2, 3)), weight=_fixed((3,), POSITIVE))],
    domain=_PROBABILITY)
_functional("binary_cross_entropy_with_logits", [
    S(T((2, 3)), T((2, 3), domain=_PROBABILITY)), S(T((4,)), T((4,), domain=_PROBABILITY), reduction="none"),
    S(T((2, 3)), T((2, 3), domain=_PROBABILITY), weight=_fixed((2, 1), POSITIVE), reduction="sum"),
    S(T((2, 3)), T((2, 3), domain=_PROBABILITY), pos_weight=_fixed((3,), POSITIVE))])
_functional("hinge_embedding_loss", [
    S(T((6,)), T(values=[1.0, -1.0, 1.0, -1.0, -1.0, 1.0], grad=False)),
    S(T((2, 3)), T(values=[[1.0, -1.0, -1.0], [-1.0, 1.0, -1.0]], grad=False), margin=0.5, reduction="none")],
    domain=AwayFrom(1.0, 0.5))


def _torch_multi_margin_loss(lib, x, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """torch's multi_margin_loss written out: its own has no second derivative (torch 2.13:
    'derivative for aten::multi_margin_loss_backward is not implemented'); first derivatives and
    values are compared with F.multi_margin_loss itself in tests/nn/test_loss.py."""
    batched = x.ndim == 2
    x, target = (x, target) if batched else (x[None], target[None])
    z = (margin - x.gather(1, target[:, None]) + x).clamp(min=0) ** p
    others = 1 - F.one_hot(target, x.shape[1]).to(x.dtype)
    if weight is not None:
        others = others * weight[target][:, None]
    loss = (z * others).sum(1) / x.shape[1]
    loss = loss if batched else loss[0]
    return loss if reduction == "none" else (loss.sum() if reduction == "sum" else loss.mean())


_functional("multi_margin_loss", [
    S(_ce_logits, _ce_targets), S(_ce_logits, _ce_targets, p=2, margin=0.5), S(T((5,)), _classes(2)),
    S(_ce_logits, _ce_targets, weight=_class_weight, reduction="none")],
    torch_fn=_torch_multi_margin_loss)
_functional("kl_div", [
    S(T((2, 3)), T((2, 3), domain=_PROBABILITY)), S(T((2, 3)), T((2, 3), domain=_PROBABILITY), reduction="batchmean"),
    S(T((2, 3)), T((2, 3)), reduction="sum", log_target=True), S(T((4,)), T((4,), domain=_PROBABILITY), reduction="none")])
_functional("mse_loss", [S(T((2, 3)), T((2, 3))), S(T((4,)), T((4,)), reduction="sum"), S(T((2, 3)), T((3,), grad=False))])
_functional("l1_loss", [S(T((2, 3)), T((2, 3))), S(T((4,)), T((4,)), reduction="none")])

# ------------------------------------------------------------- embedding, dropout, attention
_indices = _classes([[0, 2, 2], [4, 1, 0]])
op("nn.functional.embedding", lambda lib, weight, indices, **k: _F(lib).embedding(indices, weight, **k),
   [S(T((5, 3)), _indices),
    # the padding row's uses give it no gradient, by definition: finite differences see them, so no gradcheck
    Sample((T((5, 3)), _indices), dict(padding_idx=2), gradcheck=False),
    Sample((T((5, 3)), _classes(4)), dict(padding_idx=-1), gradcheck=False)])
_functional("one_hot", [S(_indices), S(_classes([1, 0, 3]), 5), S(_classes(2), 3)], dtypes=(INT64,), differentiable=False)
for _n, _shape in (("dropout1d", (2, 3, 4)), ("dropout2d", (2, 3, 2, 2)), ("dropout3d", (3, 2, 2, 2))):
    _functional(_n, [S(T(_shape), 0.0), S(T(_shape), 0.5, training=False)])
_functional("dropout", [S(T((2, 3)), 0.0), S(T((2, 3)), 0.5, training=False), S(T((2, 3)), p=0.0, training=True)])
_causal = T(values=np.tril(np.ones((3, 3), dtype=bool)))
_functional("scaled_dot_product_attention", [
    S(T((2, 3, 4)), T((2, 3, 4)), T((2, 3, 4))), S(T((3, 4)), T((2, 4)), T((2, 3))),
    S(T((2, 3, 4)), T((2, 3, 4)), T((2, 3, 2)), is_causal=True), S(T((1, 3, 4)), T((1, 3, 4)), T((1, 3, 4)), _causal),
    S(T((2, 3, 4)), T((2, 3, 4)), T((2, 3, 4)), T((3, 3)), scale=0.3)])


# =====================================================================================================
# The op families added for PyTorch's tensor API (issue 19) register themselves from files of their own,
# ``tests/op_registry_<family>.py`` (one registry, one file a family, so that a family is added in one place).
def _load_families():
    import importlib
    import pathlib

    for path in sorted(pathlib.Path(__file__).parent.glob("op_registry_*.py")):
        importlib.import_module(path.stem)


_load_families()
