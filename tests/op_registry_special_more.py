"""Registry entries of the gamma family (ops/special.py): lgamma, digamma, polygamma, mvlgamma.

torch's trigamma (polygamma(1, x), the derivative of digamma and the second derivative of lgamma) stops its
asymptotic series early: below x ~ 10 it is off by up to ~1e-9 relative (ours is exact to round-off, checked
against mpmath in tests/test_gamma_functions.py). Where a comparison with torch would involve trigamma at
small x (digamma's gradient, lgamma's second derivative), the samples use ``accurate`` inputs, or skip only
the Hessian-vector comparison with torch (``_no_torch_hvp``); finite differences check every sample.
"""
import math

from helpers import Uniform
from op_registry import FLOATS, INT64, S, Sample, T, forward_only, op

_NAN, _INF = math.nan, math.inf
_accurate = Uniform(12.0, 40.0)  # where torch's trigamma reaches float64 round-off
_broad = Uniform(0.05, 8.0)


def _no_torch_hvp(*args, **kwargs):
    """Values and gradients compared with torch, finite differences of both orders; second derivatives not
    compared with torch's (its trigamma's truncation, see above)."""
    return Sample(args, kwargs, double_backward=False)


_negative = T(values=[-0.5, -1.5, -2.25, -7.9, -10.3, 0.3])
op("lgamma", lambda lib, x: lib.lgamma(x),
   [_no_torch_hvp(T((2, 3))), S(T((3,), domain=_accurate)), _no_torch_hvp(_negative),
    _no_torch_hvp(T(values=[1e-3, 1.0, 2.0, 3.0, 0.999, 150.0, 1e5]))],
   dtypes=FLOATS + (INT64,), domain=_broad)
op("lgamma.special", lambda lib, x: lib.lgamma(x),
   [forward_only(T(values=[0.0, -0.0, -1.0, -2.0, _INF, -_INF, _NAN, 1e-300, 1e300]))])
op("digamma", lambda lib, x: lib.digamma(x),
   [S(T((2, 3), domain=_accurate)), S(T(values=[12.5, 100.0, 1e4]))], dtypes=FLOATS + (INT64,))
op("digamma.small", lambda lib, x: lib.digamma(x),  # trigamma here: gradients by finite differences only
   [forward_only(T((2, 3), domain=_broad)), forward_only(_negative),
    forward_only(T(values=[1e-6, 0.5, 1.0, 2.0, 1e-300, 1e300])),
    forward_only(T(values=[0.0, -0.0, -1.0, -3.0, _INF, -_INF, _NAN]))])
op("digamma.finite_differences", lambda lib, x: lib.digamma(x),  # torch's gradient not compared (trigamma)
   [Sample((T((2, 3), domain=_broad),), grad=False), Sample((_negative,), grad=False)], dtypes=("float64",))
for _n in (1, 2, 3):
    op(f"polygamma.{_n}", lambda lib, x, _n=_n: lib.polygamma(_n, x),
       [S(T((2, 3), domain=_accurate)), S(T(values=[15.0, 33.5, 1e3]))])
op("polygamma", lambda lib, x, n: lib.polygamma(n, x),  # n >= 2 is accurate in torch everywhere
   [forward_only(T((4,), domain=_broad), 2), forward_only(T((4,), domain=_broad), 4),
    forward_only(T(values=[-0.5, -2.25, 0.3, 1.0]), 3), forward_only(T(values=[0.5, 2.0, 7.0]), 0)])
op("polygamma.method", lambda lib, x: x.polygamma(2), [S(T((3,), domain=_accurate))])
op("mvlgamma", lambda lib, x, p: lib.mvlgamma(x, p),
   [S(T((2, 3), domain=Uniform(12.0, 30.0)), 1), S(T((4,), domain=Uniform(14.0, 30.0)), 3)])
op("mvlgamma.method", lambda lib, x: x.mvlgamma(p=2), [S(T((3,), domain=_accurate))])
