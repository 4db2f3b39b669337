"""Registry entries of torch's smaller functions built from other ops: addcmul, addcdiv, ldexp (binary.py), frexp
(pointwise.py), diff and the trapezoidal rule (scan.py), ravel, diagflat, unravel_index (shape.py), block_diag,
cartesian_prod, combinations (join.py), renorm, vander (linalg.py), and the integer and bit tests isin, signbit,
gcd, lcm, nextafter (comparison.py), histogram (sorting.py).

The differentiable ones are compositions of differentiable ops: their gradients, gradcheck and second derivatives
come from the generated tests like any other op's.
"""
import math

from helpers import AwayFrom, Uniform
from op_registry import BOOL, FLOAT32, FLOAT64, FLOATS, INT32, INT64, S, T, forward_only, gradcheck_only, kink, op

_x = T((2, 3))
NUMBERS = FLOATS + (INT64,)


def _call(name, samples, **options):
    """``lib.NAME(*args, **kwargs)``, the same call in both frameworks."""
    op(name, lambda lib, *a, _n=name, **k: getattr(lib, _n)(*a, **k), samples, **options)


def _inplace(name):
    """``x.clone().NAME_(...)``: the in-place method, recorded in the graph (its gradient flows through the clone)."""
    return lambda lib, x, *a, **k: getattr(x.clone(), name + "_")(*a, **k)


# ------------------------------------------------------------- input + value * t1 (* or /) t2
_call("addcmul", [S(_x, T((3,)), T((2, 1))), S(_x, _x, _x, value=2), S(T(()), _x, T((3,)), value=-2),
                  S(T((0, 3)), T((3,)), T((1, 3)), value=3)], dtypes=NUMBERS)
_call("addcdiv", [S(_x, T((3,)), T((2, 1), domain=AwayFrom(0, margin=0.5))),
                  S(_x, _x, T((2, 3), domain=AwayFrom(0, margin=0.5)), value=-0.5),
                  S(T(()), _x, T((), domain=AwayFrom(0, margin=0.5)), value=2)])
op("addcdiv.float_divisor", lambda lib, x, a, b: lib.addcdiv(x, a, b, value=2),  # int tensor1, float tensor2
   [forward_only(T((3,), dtype=INT64), T((3,), dtype=INT64), T((3,), dtype=FLOAT32, domain=Uniform(1, 3)))],
   dtypes=(INT64,), differentiable=False, domain=Uniform(-3, 3))
op("addcmul.int_value", lambda lib, x, a, b, **k: lib.addcmul(x, a, b, **k),  # torch: value rounded toward zero
   [forward_only(_x, _x, _x, value=1.5), forward_only(_x, _x, T((3,)), value=-0.75)], dtypes=(INT64,),
   differentiable=False)
op("addcmul.method", lambda lib, x, a, b: x.addcmul(a, b, value=1.5), [S(_x, T((3,)), _x)])
op("addcdiv.method", lambda lib, x, a, b: x.addcdiv(a, b), [S(_x, T((3,)), T((2, 1), domain=AwayFrom(0, 0.5)))])
op("addcmul_", _inplace("addcmul"), [S(_x, T((3,)), _x, value=-1.5)])
op("addcdiv_", _inplace("addcdiv"), [S(_x, T((2, 3)), T((3,), domain=AwayFrom(0, 0.5)), value=0.25)])

# ------------------------------------------------------------- powers of two
# torch 2.13's gradient for integer exponents is 2^other in integer arithmetic: 0 where other < 0 (2^-3 is 0.125);
# there the gradient is checked by finite differences only
_exponents = T(values=[[-3, 0, 2], [1, 5, -1]], dtype=INT64)
_natural = T(values=[[3, 0, 2], [1, 5, 0]], dtype=INT64)
_call("ldexp", [gradcheck_only(_x, _exponents), S(_x, _natural), S(_x, T((3,), domain=Uniform(-2, 2))),
                S(T(()), T(values=[1.0, -2.0]))])
op("ldexp.int", lambda lib, x, e: lib.ldexp(x, e), [forward_only(_x, _exponents)], dtypes=(INT64,),
   differentiable=False)
op("ldexp_", _inplace("ldexp"), [S(_x, _natural), gradcheck_only(_x, _exponents)])
op("ldexp_.function", lambda lib, x, e: lib.ldexp_(x.clone(), e), [S(_x, T((3,)))])
_frexp_special = [0.0, -0.0, 1.0, -3.5, 1e-40, 1e30, 0.75, math.inf, -math.inf, math.nan]
_call("frexp", [S(T((2, 3), domain=Uniform(-100, 100))), S(T(())), forward_only(T(values=_frexp_special))])
op("frexp.method", lambda lib, x: x.frexp(), [S(T((4,)))])

# ------------------------------------------------------------- differences and the trapezoidal rule
_call("diff", [S(T((5,))), S(T((3, 4)), n=2), S(T((3, 4)), 1, 0), S(T((3, 4)), n=3, dim=0),
               S(T((2, 3)), 1, -1, T((2, 1)), T((2, 2))), S(T((3, 2)), dim=0, prepend=T((1, 2))),
               S(T((3,)), n=0), S(T((0, 2)), dim=0)], dtypes=NUMBERS)
op("diff.bool", lambda lib, x, **k: lib.diff(x, **k),
   [forward_only(T(values=[[True, False, False], [True, True, False]]), dim=1),
    forward_only(T(values=[True, False, True, True]), n=2)], dtypes=(BOOL,), differentiable=False)
op("diff.method", lambda lib, x: x.diff(dim=0, append=x[:1]), [S(T((3, 2)))])
_points = T(values=[[0.0, 0.5, 1.5, 2.0], [0.0, 1.0, 2.0, 4.0], [-1.0, 0.0, 0.5, 3.0]])
_integrals = [S(T((5,))), S(T((3, 4)), dim=0), S(T((3, 4)), T(values=[0.0, 0.3, 1.0, 2.5])),
              S(T((3, 4)), _points), S(T((3, 4)), dx=0.5), S(T((2, 3)), dx=-2.0, dim=0),
              S(T((4, 3)), T(values=[0.0, 1.0, 3.0, 3.5]), dim=0), S(T((2, 3)), T((2, 3)), dim=1),
              S(T((2, 1)), dim=1), S(T((2, 0)))]
_call("trapezoid", _integrals)
_call("trapz", [S(T((3, 4)), T((4,))), S(T((3, 4)), dx=0.25, dim=0)])
_call("cumulative_trapezoid", _integrals[:-1])
op("trapezoid.int", lambda lib, y, **k: lib.trapezoid(y, **k), [forward_only(T((3, 4))), forward_only(T((4,)), dx=2)],
   dtypes=(INT64,), differentiable=False, domain=Uniform(-5, 5))
op("cumulative_trapezoid.int", lambda lib, y: lib.cumulative_trapezoid(y), [forward_only(T((3, 4)))],
   dtypes=(INT64,), differentiable=False, domain=Uniform(-5, 5))

# ------------------------------------------------------------- shapes and matrices
_call("ravel", [S(T((2, 3, 2))), S(T(())), S(T((0, 3)))], dtypes=NUMBERS + (BOOL,))
op("ravel.method", lambda lib, x: x.transpose(0, 1).ravel(), [S(T((2, 3)))])
_call("diagflat", [S(T((3,))), S(T((2, 2)), 1), S(T((2, 3)), -2), S(T(())), S(T((0,)))], dtypes=NUMBERS)
op("diagflat.method", lambda lib, x: x.diagflat(offset=-1), [S(T((2,)))])
_call("block_diag", [S(T((2, 3)), T((2,)), T(()), T((1, 1))), S(T((2, 2))), S(T((0, 2)), T((2, 0)), T((3,))),
                     forward_only()], dtypes=NUMBERS)
op("block_diag.promotes", lambda lib, a, b: lib.block_diag(a, b),
   [S(T((2, 2)), T((2,), dtype=INT64)), S(T((2,), dtype=INT64), T((1, 2), dtype=FLOAT64))])
_call("cartesian_prod", [S(T((3,))), S(T((2,)), T((3,))), S(T((2,)), T((1,)), T((3,))), S(T((2,)), T((0,)))],
      dtypes=NUMBERS)
_call("combinations", [S(T((4,))), S(T((4,)), 3), S(T((3,)), with_replacement=True),
                       S(T((3,)), r=3, with_replacement=True), S(T((3,)), 1), S(T((2,)), 3), S(T((3,)), 0),
                       S(T((0,)))], dtypes=NUMBERS)
# torch 2.13's vander backward fails (its cumprod is changed in place after being saved): gradients by finite
# differences only
_call("vander", [gradcheck_only(T((3,))), gradcheck_only(T((4,)), 2), gradcheck_only(T((3,)), N=4, increasing=True),
                 gradcheck_only(T(values=[0.0, 1.5, -2.0])), forward_only(T((3,)), 0), forward_only(T((0,)))])
op("vander.int", lambda lib, x, **k: lib.vander(x, **k),
   [forward_only(T((4,))), forward_only(T((3,)), N=5, increasing=True)],
   dtypes=(INT64, INT32, BOOL), differentiable=False, domain=Uniform(-4, 4))
_long = T(values=[[3.0, 4.0, 0.3], [0.1, -0.2, 0.2], [-6.0, 1.0, 2.0], [0.5, 0.5, 0.5]])
_call("renorm", [S(_long, 2, 0, 1.0), S(_long, 1, 1, 2.5), S(_long, 3.5, 0, 0.5), S(T((2, 3, 2)), 2, 1, 0.7),
                 S(T((2, 3, 2)), 1.5, -1, 1.2), kink(_long, 2, 0, 0.0)])
op("renorm.method", lambda lib, x: x.renorm(2, 1, 0.8), [S(T((3, 4)))])
op("renorm_", _inplace("renorm"), [S(_long, 2, 0, 1.0)])

# ------------------------------------------------------------- integers, bits, membership
_indices = T(values=[[0, 5, 11], [-1, 12, 7]], dtype=INT64)
op("unravel_index", lambda lib, i, shape: lib.unravel_index(i, shape),
   [forward_only(_indices, (3, 4)), forward_only(_indices, (2, 3, 2)), forward_only(T(values=7, dtype=INT64), (4, 2)),
    forward_only(_indices, 6), forward_only(T(values=[3, 4], dtype=INT32), (1, 5)), forward_only(_indices, ())],
   dtypes=(INT64,), differentiable=False)
_ints = T(values=[[0, 12, -18, 7], [5, 0, 9, -4]], dtype=INT64)
_others = T(values=[8, 0, 12, -14], dtype=INT64)
for _name in ("gcd", "lcm"):
    _call(_name, [forward_only(_ints, _others), forward_only(_others, _ints), forward_only(_ints, T(values=6)),
                  forward_only(T(values=[15, -21], dtype=INT32), T(values=[10, 14], dtype=INT64))],
          dtypes=(INT64,), differentiable=False)
    op(f"{_name}_", _inplace(_name), [forward_only(_ints, _others)], dtypes=(INT64,), differentiable=False)
    op(f"{_name}_.function", lambda lib, a, b, _n=_name: getattr(lib, _n + "_")(a.clone(), b),
       [forward_only(_others, T(values=[6, 5, 4, 3], dtype=INT64))], dtypes=(INT64,), differentiable=False)
_toward = T(values=[[1.0, -1.0, 0.0], [math.inf, 2.0, math.nan]])
_call("nextafter", [forward_only(_toward, T(values=[2.0, -2.0, -1.0])), forward_only(_toward, T(values=0.0)),
                    forward_only(T(values=[0.0, -0.0, 1e30, 2.0]), T(values=[1.0, -1.0, math.inf, 2.0]))],
      differentiable=False)
op("nextafter_", _inplace("nextafter"), [forward_only(_x, T((3,)))], differentiable=False)
_signs = T(values=[-1.5, -0.0, 0.0, 2.0, -math.inf, math.inf, math.nan, -math.nan])
_call("signbit", [forward_only(_signs), forward_only(_x)], differentiable=False)
op("signbit.int", lambda lib, x: lib.signbit(x), [forward_only(_x), forward_only(T(()))],
   dtypes=(INT64, INT32, BOOL), differentiable=False, domain=Uniform(-3, 3))
op("signbit.method", lambda lib, x: x.signbit(), [forward_only(_signs)], differentiable=False)
_elements = T(values=[[1.0, 2.0, 3.0], [4.0, 2.0, -1.0]])
_call("isin", [forward_only(_elements, T(values=[2.0, 4.0, 9.0])), forward_only(_elements, T(values=[[3.0], [-1.0]])),
               forward_only(_elements, 2.0), forward_only(2.0, _elements), forward_only(7, _elements),
               forward_only(_elements, T(values=[2.0, 3.0]), invert=True),
               forward_only(T(values=[5.0, 1.0, 3.0]), T(values=[1.0, 2.0, 5.0]), assume_unique=True),
               forward_only(_elements, T((0,))), forward_only(T((0, 2)), _elements)],
      dtypes=NUMBERS, differentiable=False)
op("isin.out", lambda lib, a, b: lib.isin(a, b, out=lib.empty(0, dtype=lib.bool)),
   [forward_only(_elements, T(values=[2.0, 4.0]))], dtypes=(FLOAT32,), differentiable=False)
op("diff.out", lambda lib, x: lib.diff(x, out=lib.empty(0)), [forward_only(T((2, 4)))], dtypes=(FLOAT32,),
   differentiable=False)
op("isin.promotes", lambda lib, a, b: lib.isin(a, b),
   [forward_only(T(values=[1, 2, 3], dtype=INT64), T(values=[2.0, 2.5])),
    forward_only(T(values=[1.5, 2.0]), T(values=[2, 3], dtype=INT64))], differentiable=False)

# ------------------------------------------------------------- histogram
_on_edges = T(values=[0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 0.1])
_call("histogram", [forward_only(T((20,)), 5), forward_only(T((60,)), 37), forward_only(T((4, 5)), 7, range=(-1.0, 1.5)), forward_only(_on_edges, 4),
                    forward_only(T((10,)), T(values=[-2.0, -0.5, 0.0, 0.3, 2.0]), weight=T((10,)), density=True),
                    forward_only(T((2, 3)), 3, density=True), forward_only(T((6,)), 2, weight=T((6,))),
                    forward_only(T(values=[2.0, 2.0]), 3), forward_only(T((0,)), 3),
                    forward_only(_on_edges, T(values=[0.25, 0.5, 1.0]))], differentiable=False)
op("histogram.method", lambda lib, x: x.histogram(3, range=(0.0, 2.0)), [forward_only(T((2, 4)))],
   differentiable=False)
op("histogram.out", lambda lib, x: lib.histogram(x, 4, out=(lib.empty(0), lib.empty(0))), [forward_only(T((5,)))],
   dtypes=(FLOAT32,), differentiable=False)
