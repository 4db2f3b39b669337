"""One shared helper for testing ops against PyTorch: ``compare``.

``compare(bp_fn, torch_fn, args)`` builds the same inputs in both
frameworks from one NumPy array each, runs the forward pass, checks that
values, shapes, dtypes and ``requires_grad`` agree, then backpropagates the
same random upstream gradient through every differentiable output in both
and checks every input's ``.grad``. The expected values always come from
torch.

Argument specs (``args``): a ``T`` is a tensor argument (random values from
a ``Domain``, or explicit ``values``); anything else (Python numbers,
slices, tuples) is passed to both functions unchanged.

Tolerances, per dtype, from the unit roundoff u of the dtype: results are
compared with |bp - torch| <= atol + rtol |torch|.
- float64 (u = 1.1e-16): rtol 1e-10, atol 1e-12.
- float32 (u = 6e-8): rtol 1e-5 (~170 u: different summation orders and
  libm implementations in reductions of <= 100 terms), atol 1e-6 (values
  that cancel to ~0, e.g. the centred terms of a variance).
- float16 (u = 4.9e-4): rtol 2e-3, atol 1e-4 (one or two roundings apart).
- integers and bools: exact.
"""
import numpy as np
import torch

import backprop as bp

TOLERANCES = {
    np.dtype("float16"): dict(rtol=2e-3, atol=1e-4),
    np.dtype("float32"): dict(rtol=1e-5, atol=1e-6),
    np.dtype("float64"): dict(rtol=1e-10, atol=1e-12),
}


def tolerance(dtype):
    """(rtol, atol) for values of ``dtype`` (0, 0 for integers and bools)."""
    tol = TOLERANCES.get(np.dtype(dtype), dict(rtol=0.0, atol=0.0))
    return tol["rtol"], tol["atol"]


def torch_dtype_name(dtype):
    """``torch.float32`` -> ``"float32"`` (backprop's dtypes are NumPy dtypes of the same name)."""
    return str(dtype).split(".")[-1]


# ------------------------------------------------------------------ domains
class Domain:
    """Where random input values come from: ``sample(rng, shape, dtype) -> ndarray``."""

    name = "normal"

    def floats(self, rng, shape):
        return rng.standard_normal(shape)

    def ints(self, rng, shape):
        return rng.integers(-4, 5, size=shape)

    def sample(self, rng, shape, dtype):
        dtype = np.dtype(dtype)
        if dtype.kind == "b":
            return np.asarray(rng.random(shape) < 0.5)
        if dtype.kind in "iu":
            return np.asarray(self.ints(rng, shape)).astype(dtype)
        return np.asarray(self.floats(rng, shape)).astype(dtype)

    def __repr__(self):
        return self.name


class Normal(Domain):
    pass


class Uniform(Domain):
    """Uniform on [lo, hi] (log, sqrt: positive; pow: positive bases)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.name = f"uniform({lo}, {hi})"

    def floats(self, rng, shape):
        return rng.uniform(self.lo, self.hi, size=shape)

    def ints(self, rng, shape):
        return rng.integers(max(int(np.ceil(self.lo)), 0 if self.lo >= 0 else -4), max(int(self.hi), 1) + 1, size=shape)


class AwayFrom(Domain):
    """Normal values at least ``margin`` from each of ``points`` (the kinks of abs, relu, clamp),
    so that finite differences and torch's one-sided choices agree."""

    def __init__(self, *points, margin=0.1):
        self.points, self.margin = points, margin
        self.name = f"away_from{points}"

    def floats(self, rng, shape):
        x = rng.standard_normal(shape)
        for p in self.points:
            near = np.abs(x - p) < self.margin
            x = np.where(near, p + np.where(x >= p, self.margin, -self.margin) * 2, x)
        return x


class Distinct(Domain):
    """Values at least 0.15 apart (no ties for max, min, argmax, maximum ...)."""

    name = "distinct"

    def floats(self, rng, shape):
        n = int(np.prod(shape, dtype=np.int64))
        x = (rng.permutation(n) - n / 2) * 0.2 + rng.uniform(-0.025, 0.025, size=n)
        return x.reshape(shape)

    def ints(self, rng, shape):
        n = int(np.prod(shape, dtype=np.int64))
        return (rng.permutation(n) - n // 2).reshape(shape)


NORMAL = Normal()
POSITIVE = Uniform(0.5, 2.0)
DISTINCT = Distinct()


class T:
    """A tensor argument: ``shape`` and ``dtype`` (None: the test's dtype), values from
    ``domain`` (None: the op's) or given as ``values``; ``grad``: requires_grad when floating."""

    def __init__(self, shape=None, dtype=None, domain=None, values=None, grad=True):
        if values is not None:
            values = np.asarray(values)
            shape = values.shape
            if dtype is None and values.dtype.kind == "b":  # masks and conditions stay bool
                dtype = "bool"
        self.shape, self.dtype, self.domain, self.values, self.grad = tuple(shape), dtype, domain, values, grad

    def array(self, rng, dtype, domain):
        dtype = np.dtype(self.dtype or dtype)
        if self.values is not None:
            return self.values.astype(dtype)
        return (self.domain or domain or NORMAL).sample(rng, self.shape, dtype)

    def __repr__(self):
        dtype = "" if self.dtype is None else f", {np.dtype(self.dtype)}"
        return f"T({'values' if self.values is not None else self.shape}{dtype})"


# ------------------------------------------------------------------ inputs
class Inputs:
    """The same arguments in both frameworks, built from one NumPy array per tensor."""

    def __init__(self, args, kwargs=None, dtype=np.float32, domain=None, seed=0, requires_grad=True):
        self.rng = np.random.default_rng(seed)
        self.grad_pairs = []
        self.dtype, self.domain, self.requires_grad = dtype, domain, requires_grad
        pairs = [self._pair(arg) for arg in args]
        self.bp = [b for b, _ in pairs]
        self.torch = [t for _, t in pairs]
        self.bp_kwargs, self.torch_kwargs = {}, {}
        for key, value in (kwargs or {}).items():
            self.bp_kwargs[key], self.torch_kwargs[key] = self._pair(value)

    def _pair(self, arg):
        if not isinstance(arg, T):
            return arg, arg
        array = arg.array(self.rng, self.dtype, self.domain)
        grad = bool(self.requires_grad and arg.grad and array.dtype.kind == "f")
        b = bp.tensor(array, requires_grad=grad)
        t = torch.from_numpy(array.copy()).requires_grad_(grad)
        assert b.dtype == array.dtype and torch_dtype_name(t.dtype) == str(array.dtype)
        if grad:
            self.grad_pairs.append((b, t))
        return b, t


# ------------------------------------------------------------------ checks
def outputs_of(result):
    """A flat list of an op's tensor outputs (tuples, lists and namedtuples opened)."""
    if isinstance(result, (tuple, list)):
        return [o for r in result for o in outputs_of(r)]
    return [result]


def assert_close(actual, expected, what="value", dtype=None):
    """``actual`` (a backprop Tensor) equals ``expected`` (a torch Tensor) in shape, dtype and value."""
    assert isinstance(actual, bp.Tensor), f"{what}: expected a backprop Tensor, got {type(actual).__name__}"
    expected_dtype = torch_dtype_name(expected.dtype)
    assert str(actual.dtype) == expected_dtype, f"{what}: dtype {actual.dtype}, torch has {expected_dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), f"{what}: shape {actual.shape}, torch has {tuple(expected.shape)}"
    a = np.asarray(actual.detach().numpy())
    e = expected.detach().numpy()
    rtol, atol = tolerance(dtype or a.dtype)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _same_structure(bp_out, torch_out):
    if isinstance(torch_out, (tuple, list)):
        assert isinstance(bp_out, (tuple, list)), f"torch gives a {type(torch_out).__name__}, backprop a {type(bp_out).__name__}"
        assert len(bp_out) == len(torch_out), f"{len(bp_out)} outputs, torch has {len(torch_out)}"


def compare(bp_fn, torch_fn, args, kwargs=None, *, dtype=np.float32, domain=None, seed=0,
            check_grad=True, check_requires_grad=True):
    """Run ``bp_fn`` and ``torch_fn`` on the same inputs; compare outputs and (optionally) gradients.

    Returns the ``Inputs`` used. Gradients: the same random upstream gradient
    (from NumPy, in each output's dtype) goes back through every floating
    output that requires grad; each input's ``.grad`` must match torch's (None
    where torch's is None).
    """
    inputs = Inputs(args, kwargs, dtype=dtype, domain=domain, seed=seed, requires_grad=check_grad)
    bp_result = bp_fn(*inputs.bp, **inputs.bp_kwargs)
    torch_result = torch_fn(*inputs.torch, **inputs.torch_kwargs)
    _same_structure(bp_result, torch_result)
    bp_outs, torch_outs = outputs_of(bp_result), outputs_of(torch_result)
    assert len(bp_outs) == len(torch_outs), f"{len(bp_outs)} outputs, torch has {len(torch_outs)}"
    for k, (b, t) in enumerate(zip(bp_outs, torch_outs)):
        assert_close(b, t, f"output {k}")
        if check_requires_grad:
            assert b.requires_grad == t.requires_grad, (
                f"output {k}: requires_grad {b.requires_grad}, torch has {t.requires_grad}"
            )
    if not check_grad or not inputs.grad_pairs:
        return inputs

    pairs = [(b, t) for b, t in zip(bp_outs, torch_outs) if t.requires_grad]
    if not pairs:
        return inputs
    upstream = [inputs.rng.standard_normal(tuple(t.shape)).astype(torch_dtype_name(t.dtype)) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(g.copy()) for g in upstream])
    for k, ((b, _), g) in enumerate(zip(pairs, upstream)):
        b.backward(bp.tensor(g), retain_graph=k < len(pairs) - 1)
    # A gradient is no more precise than the least precise floating dtype it flowed through
    # (the gradient of a float64 0-d tensor added to a float32 tensor is a float32 sum).
    floating = [t.dtype for t in torch_outs] + [t.dtype for _, t in inputs.grad_pairs]
    least = max((np.dtype(torch_dtype_name(d)) for d in floating if d.is_floating_point), key=lambda d: tolerance(d))
    for i, (b, t) in enumerate(inputs.grad_pairs):
        if t.grad is None:
            assert b.grad is None, f"input {i}: backprop has a gradient, torch has None"
            continue
        assert b.grad is not None, f"input {i}: backprop has no gradient, torch has one"
        assert_close(b.grad, t.grad, f"gradient of input {i}", dtype=least)
    return inputs


def gradcheck(bp_fn, args, kwargs=None, domain=None, seed=0):
    """``bp.autograd.gradcheck`` of ``bp_fn`` at float64 inputs built from the specs (tensor kwargs
    included: they are differentiated too). False when no input is floating."""
    inputs = Inputs(args, kwargs, dtype=np.float64, domain=domain, seed=seed)
    names = list(inputs.bp_kwargs)
    values = [inputs.bp_kwargs[n] for n in names]
    if not inputs.grad_pairs:
        return None
    n = len(inputs.bp)

    def fn(*flat):
        return bp_fn(*flat[:n], **dict(zip(names, flat[n:])))

    # gradcheck passes vacuously where values are nan (nan > tolerance is False): demand finite outputs
    for out in outputs_of(fn(*inputs.bp, *values)):
        assert np.isfinite(np.asarray(out.detach().numpy(), dtype=float)).all(), "gradcheck sample has non-finite outputs"
    return bp.autograd.gradcheck(fn, tuple(inputs.bp) + tuple(values))
