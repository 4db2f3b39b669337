"""Registry entries of the reductions, scans, sorting and counting ops (ops/reduction.py, scan.py, sorting.py).

Ties are ``kink`` samples (values and gradients compared with torch, no finite differences): there the
gradient goes to the index torch picks (sort and cummax/cummin: stable and latest; mode: the last occurrence)
or is shared equally (amax, amin, aminmax, median of all elements). Where torch's choice among ties is
unspecified (topk, kthvalue, median along a dim) the samples have distinct values.
"""
import math

from helpers import DISTINCT, Uniform
from op_registry import BOOL, FLOATS, INT32, INT64, S, T, forward_only, kink, op

_R = T((2, 3, 4))
_NAN = float("nan")
_ties = T(values=[[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 0.0, 2.0]])
_nans = T(values=[[1.0, _NAN, 3.0, 2.0], [_NAN, _NAN, _NAN, 1.0], [0.5, 1.5, 2.5, 3.5]])
_zeros = T(values=[[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5]])


def _reduce(name, samples, **options):
    op(name, lambda lib, x, *a, _n=name, **k: getattr(lib, _n)(x, *a, **k), samples, **options)


def _method(name, samples, **options):
    op(f"{name}.method", lambda lib, x, *a, _n=name, **k: getattr(x, _n)(*a, **k), samples, **options)


# ------------------------------------------------------------- sums and means
_reduce("nansum", [S(_R), S(_R, dim=1, keepdim=True), S(_R, dim=(0, -1)), S(T(()))], dtypes=FLOATS + (INT64, BOOL))
op("nansum.nan", lambda lib, x, *a: lib.nansum(x, *a), [kink(_nans), kink(_nans, 1)])
op("nansum.dtype", lambda lib, x, d, **k: lib.nansum(x, dtype=getattr(lib, d), **k), [S(_R, "float64", dim=1)])
_reduce("nanmean", [S(_R), S(_R, dim=0), S(_R, dim=(1, 2), keepdim=True), kink(_nans, 1), kink(_nans, 0)])
op("mean.dtype", lambda lib, x, d, **k: lib.mean(x, dtype=getattr(lib, d), **k),
   [forward_only(T((2, 3), dtype=INT64), "float64"), forward_only(T((2, 3), dtype=INT64), "float32", dim=1),
    S(T((2, 3)), "float64", dim=0)])
_reduce("var_mean", [S(_R), S(_R, 1), S(_R, dim=(0, 2), keepdim=True), S(_R, 1, correction=0), S(_R, -1, False)])
_reduce("std_mean", [S(_R), S(_R, 1), S(_R, dim=(0, 2), keepdim=True), S(_R, 2, correction=0)])

# ------------------------------------------------------------- extremes and norms
_amax = [S(_R), S(_R, 1), S(_R, -1), S(_R, (0, 2), True), S(T(())), S(T(()), 0), S(T((0, 3)), 1),
         kink(_ties), kink(_ties, 1), kink(_ties, 0, True)]
_reduce("amax", _amax, dtypes=FLOATS + (INT64,), domain=DISTINCT)
_reduce("amin", _amax, dtypes=FLOATS + (INT64,), domain=DISTINCT)
_reduce("aminmax", [S(_R), S(_R, dim=1), S(_R, dim=-1, keepdim=True), S(T(())), kink(_ties), kink(_ties, dim=1)],
        dtypes=FLOATS + (INT64,), domain=DISTINCT)
_method("amax", [S(_R, 1)], domain=DISTINCT)
_INF = math.inf
_reduce("norm", [S(_R), S(_R, 1), S(_R, 3, 1), S(_R, _INF, (0, 2)), S(_R, -_INF, -1, True), S(_R, 0, 1), S(_R, 0.5, 2),
                 S(_R, "fro", (1, 2), True), S(_R, 2, None, False, dtype=None), S(T(()), 3), S(T((0, 3)), 2, 0),
                 kink(_zeros, 2, 1), kink(_zeros, 1), kink(T(values=[[3.0, -3.0, 1.0]]), _INF, 1)],
        domain=DISTINCT)
op("norm.dtype", lambda lib, x, **k: lib.norm(x, dtype=lib.float64, **k), [S(_R, dim=1)])
_method("norm", [S(_R, 1.5, 0)], domain=DISTINCT)
_reduce("count_nonzero", [S(_zeros), S(_zeros, 0), S(_zeros, (0, 1)), S(T(())), S(T((0, 3)), 1)],
        dtypes=FLOATS + (INT64, BOOL), domain=Uniform(-1, 1), differentiable=False)

# ------------------------------------------------------------- scans
_scan = [S(_R, 0), S(_R, -1), S(T(()), 0), S(T((0, 3)), 1)]
_reduce("cumsum", _scan, dtypes=FLOATS + (INT64, INT32, BOOL))
op("cumsum.dtype", lambda lib, x, d, **k: lib.cumsum(x, 1, dtype=getattr(lib, d)),
   [S(T((2, 3)), "float64"), forward_only(T((2, 3), dtype=INT32), "float32")])
_method("cumsum", [S(_R, 1)])
_reduce("cumprod", _scan + [S(_zeros, 1), S(_zeros, 0), S(T(values=[0.0, 2.0, 0.0, 3.0, -1.5]), 0)],
        dtypes=FLOATS + (INT64, BOOL), domain=Uniform(-1.5, 1.5))
_reduce("logcumsumexp", _scan + [S(T(values=[[1000.0, -1000.0, 0.0], [-50.0, 50.0, 49.0]]), 1)])
_running = [S(_R, 1), S(_R, -1), S(T(()), 0), S(T((0, 3)), 1), kink(_ties, 1), kink(_ties, 0)]
_reduce("cummax", _running, dtypes=FLOATS + (INT64,), domain=DISTINCT)
_reduce("cummin", _running, dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("cummax.nan", lambda lib, x: lib.cummax(x, 1),
   [kink(T(values=[[1.0, _NAN, 3.0, _NAN, 0.0], [2.0, 1.0, 2.0, 0.0, _NAN]]))])

# ------------------------------------------------------------- order statistics
_reduce("sort", [S(_R), S(_R, 0), S(_R, -2, True), S(T(())), S(T((0, 3)), 0), kink(_ties, stable=True),
                 kink(_ties, dim=1, descending=True, stable=True), kink(_ties, dim=0, descending=True, stable=True),
                 forward_only(T(values=[_NAN, 1.0, -2.0, _NAN]), descending=True)],
        dtypes=FLOATS + (INT64, BOOL), domain=DISTINCT)
_method("sort", [S(_R, 1, True)], domain=DISTINCT)
_reduce("argsort", [S(_R), S(_R, 0, True), S(_ties, stable=True), S(_ties, dim=0, descending=True, stable=True),
                    S(T(()))],
        dtypes=FLOATS + (INT64,), domain=DISTINCT, differentiable=False)
_reduce("msort", [S(T((4, 3))), S(T((3,)))], dtypes=FLOATS + (INT64,), domain=DISTINCT)
_reduce("topk", [S(_R, 2), S(_R, 1, 0), S(_R, 3, 1, False), S(_R, 4, -1, True, True), S(T((5,)), 5), S(T(()), 1),
                 S(_R, 0)],
        dtypes=FLOATS + (INT64,), domain=DISTINCT)
_method("topk", [S(_R, 2, largest=False)], domain=DISTINCT)
_reduce("kthvalue", [S(_R, 2), S(_R, 1, 0), S(_R, 3, 1, True), S(T(()), 1)], dtypes=FLOATS + (INT64,), domain=DISTINCT)
_reduce("median", [S(_R), S(_R, 1), S(_R, -1, True), S(T((2, 5)), 0), S(T(())), S(T(()), 0), kink(_ties),
                   kink(T(values=[1.0, 1.0, 2.0]))],
        dtypes=FLOATS + (INT64,), domain=DISTINCT)
op("median.nan", lambda lib, x, *a: lib.median(x, *a), [kink(_nans), forward_only(_nans, 1), forward_only(T((0,)))])
_method("median", [S(_R, 0)], domain=DISTINCT)
_reduce("nanmedian", [S(_R), S(_R, 1, True), kink(_nans), kink(_nans, 1), kink(_nans, 0),
                      forward_only(T(values=[_NAN, _NAN]))],
        domain=DISTINCT)
_reduce("mode", [S(_R), S(_R, 0, True), S(T(())),
                 kink(T(values=[[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, 2.0, 0.0, 0.0, 5.0]])),
                 kink(T(values=[[3.0, 1.0], [1.0, 1.0], [3.0, 2.0]]), 0)],
        dtypes=FLOATS + (INT64,), domain=DISTINCT)
_q = T(values=[0.0, 0.25, 1.0], grad=False)
_reduce("quantile", [S(_R, 0.3), S(_R, 0.3, 1), S(_R, _q, 0, True), S(_R, 0.7, -1, interpolation="lower"),
                     S(_R, _q, 1, interpolation="higher"), S(_R, 0.4, 2, interpolation="nearest"),
                     S(_R, 0.3, 1, interpolation="midpoint"), S(T(()), 0.5), S(T((2, 3)), _q, None, True),
                     forward_only(_nans, 0.5, 1)],
        domain=DISTINCT)
_reduce("nanquantile", [S(_R, 0.6, 1), kink(_nans, 0.4, 1), kink(_nans, _q), forward_only(T(values=[_NAN, _NAN]), 0.5)],
        domain=DISTINCT)

# ------------------------------------------------------------- distinct values and counting
_repeats = T(values=[[3, 1, 2], [3, 1, 2], [1, 1, 0], [3, 1, 2]])
_reduce("unique", [forward_only(_repeats), forward_only(_repeats, return_inverse=True, return_counts=True),
                   forward_only(_repeats, True, False, True, dim=0), forward_only(_repeats, dim=1, return_inverse=True),
                   forward_only(T((0,)))],
        dtypes=FLOATS + (INT64, BOOL), differentiable=False)
_reduce("unique_consecutive", [forward_only(_repeats), forward_only(_repeats, True, True),
                               forward_only(_repeats, return_counts=True, dim=0), forward_only(T(()))],
        dtypes=FLOATS + (INT64,), differentiable=False)
_bins = T(values=[0, 2, 2, 5, 1], dtype=INT64)
_reduce("bincount", [S(_bins), S(_bins, minlength=8), S(_bins, T((5,), grad=False)),
                     S(_bins, T((5,), dtype="float32", grad=False)), S(T((0,))), S(T((0,)), minlength=2)],
        dtypes=(INT64,), domain=Uniform(0, 4), differentiable=False)
_reduce("histc", [S(T((20,))), S(T((4, 5)), bins=4, min=-1, max=1), S(T((7,)), 3, 0, 0),
                  S(T(values=[0.0, 0.25, 0.5, 1.0, 1.5]), 4, 0, 1), S(T(values=[1.0, 1.0])), S(T((0,)), 5)],
        differentiable=False)
_sorted = T(values=[[-1.0, 0.0, 0.0, 2.0], [0.5, 1.0, 3.0, 4.0]])
_reduce("searchsorted", [S(_sorted, T(values=[[0.0, 2.5], [3.0, -2.0]])),
                         S(_sorted, T(values=[[0.0], [3.0]]), right=True),
                         S(T(values=[-1.0, 0.0, 0.0, 2.0]), T((2, 3)), side="right"),
                         S(T(values=[-1.0, 0.0, 0.0, 2.0]), 0.0),
                         S(T(values=[-1.0, 0.0, 2.0]), T((2,)), out_int32=True),
                         S(T(values=[2.0, -1.0, 0.0]), T(values=[0.0, 3.0]), sorter=T(values=[1, 2, 0], dtype=INT64))],
        dtypes=FLOATS + (INT64,), differentiable=False)
_reduce("bucketize", [S(T((2, 3)), T(values=[-1.0, 0.0, 0.0, 2.0])),
                      S(T(values=[0.0, 2.0, 5.0]), T(values=[0.0, 2.0]), right=True),
                      S(T(()), T(values=[0.0, 1.0]), out_int32=True), S(1.5, T(values=[0.0, 1.0, 2.0]))],
        dtypes=FLOATS + (INT64,), differentiable=False)

# ------------------------------------------------------------- truth
for _name in ["all", "any"]:
    _reduce(_name, [S(_zeros), S(_zeros, 1), S(_zeros, 0, True), S(T(())), S(T((0, 3))), S(T((0, 3)), 1)],
            dtypes=FLOATS + (INT64, BOOL), domain=Uniform(-1, 1), differentiable=False)
    _method(_name, [S(_zeros, dim=1)], dtypes=(BOOL, INT64), differentiable=False)
op("all.uint8", lambda lib, x: lib.all(x, 1), [S(T(values=[[0, 1], [2, 3]], dtype="uint8"))], dtypes=(INT64,),
   differentiable=False)

# ------------------------------------------------------------- covariance and correlation
_reduce("cov", [S(T((3, 5))), S(T((6,))), S(T((2, 4)), correction=0), S(T((1, 5)), correction=2),
                S(T((2, 4)), fweights=T(values=[1, 3, 2, 1], dtype=INT64)),
                S(T((2, 4)), aweights=T((4,), domain=Uniform(0.5, 2.0), grad=False)),
                S(T((3, 4)), fweights=T(values=[2, 1, 1, 3], dtype=INT64),
                  aweights=T((4,), domain=Uniform(0.5, 2.0), grad=False))])
op("cov.int", lambda lib, x: lib.cov(x), [forward_only(T(values=[[1, 2, 4], [3, 1, 0]], dtype=INT64))])
_reduce("corrcoef", [S(T((3, 5))), S(T((2, 6))), S(T((5,)))])
