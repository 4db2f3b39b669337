"""Every distribution against torch.distributions on the same parameters: batch and event shapes, log_prob,
entropy, mean, mode, variance, stddev, cdf, icdf, enumerate_support, in float32 and float64 with batched and
broadcast parameters; then the gradients of all of them with respect to the parameters (and the value)."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.distributions as D

from .common import both, close, family, grads_close

rng = np.random.default_rng(20)


def _positive(*shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape)


def _spd(k, batch=()):
    a = rng.standard_normal(batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


def _simplex(*shape):
    x = rng.uniform(0.1, 1.0, shape)
    return x / x.sum(-1, keepdims=True)


def _corr_cholesky(k, batch=()):
    """Cholesky factors of random correlation matrices."""
    covariance = _spd(k, batch)
    scale = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1))
    return np.linalg.cholesky(covariance / scale[..., :, None] / scale[..., None, :])


def _one_hot(index, k):
    return np.eye(k)[index]


@dataclass
class Case:
    name: str
    make: Callable  # make(distributions, *params)
    params: list  # numpy arrays (ints stay ints: not differentiable)
    value: np.ndarray = None  # for log_prob (and cdf)
    quantile: np.ndarray = None  # for icdf
    cdf: bool = False
    entropy: bool = True
    enumerate: bool = False
    value_grad: bool = True  # the value is continuous: log_prob's gradient with respect to it is compared
    extra: tuple = ()  # more properties to compare (covariance_matrix ...)
    # per output, float64 tolerances where torch itself rounds through float32
    float64_tolerance: dict = field(default_factory=dict)
    skip: tuple = ()  # outputs not compared, each with its reason at the case
    values_only: tuple = ()  # outputs compared in value, left out of the gradient (reason at the case)
    dtypes: tuple = ("float32", "float64")
    grad_tolerance: dict = field(default_factory=dict)  # by dtype, where torch's gradient is the rounder one


# the perplexity's gradient carries torch's float32 ln n! (above); float32: sums of terms ~5 in another order
_MULTINOMIAL = {"float64": dict(rtol=1e-6, atol=1e-7), "float32": dict(atol=1e-5)}
# entropy gradients of the gamma family need trigamma, torch's is ~1e-9 off (tests/op_registry_special_more.py)
_TRIGAMMA = {"float64": dict(rtol=1e-8)}
_loc, _scale = rng.standard_normal((3, 1)), _positive(4)  # broadcast to a batch of (3, 4)
_q = rng.uniform(0.05, 0.95, (2, 3, 4))
CASES = [
    Case("Normal", lambda d, loc, scale: d.Normal(loc, scale), [_loc, _scale], rng.standard_normal((2, 3, 4)),
         _q, cdf=True),
    Case("Normal.scalar_value", lambda d, loc, scale: d.Normal(loc, scale), [_loc, _scale],
         np.array(0.3), np.array(0.7), cdf=True),
    Case("Uniform", lambda d, low, high: d.Uniform(low, low + high), [_loc, _scale],
         _loc + rng.uniform(0, 1, (2, 3, 4)) * _scale, _q, cdf=True),
    Case("Exponential", lambda d, rate: d.Exponential(rate), [_positive(3, 4)], _positive(2, 3, 4), _q, cdf=True),
    Case("Laplace", lambda d, loc, scale: d.Laplace(loc, scale), [_loc, _scale], rng.standard_normal((2, 3, 4)),
         _q, cdf=True),
    Case("Bernoulli.probs", lambda d, p: d.Bernoulli(probs=p), [rng.uniform(0.1, 0.9, (3, 4))],
         rng.integers(0, 2, (2, 3, 4)).astype(float), enumerate=True, value_grad=False),
    Case("Bernoulli.logits", lambda d, l: d.Bernoulli(logits=l), [rng.standard_normal((3, 4))],
         rng.integers(0, 2, (2, 1, 4)).astype(float), enumerate=True, value_grad=False),
    Case("Categorical.probs", lambda d, p: d.Categorical(probs=p), [_positive(3, 5)], rng.integers(0, 5, (2, 3)),
         enumerate=True, value_grad=False),
    Case("Categorical.logits", lambda d, l: d.Categorical(logits=l), [rng.standard_normal((3, 5))],
         rng.integers(0, 5, (4, 1)), enumerate=True, value_grad=False),
    Case("Categorical.unbatched", lambda d, l: d.Categorical(logits=l), [rng.standard_normal(4)],
         np.array(2), enumerate=True, value_grad=False),
    Case("OneHotCategorical", lambda d, p: d.OneHotCategorical(probs=p), [_positive(3, 4)],
         _one_hot(rng.integers(0, 4, (2, 3)), 4), enumerate=True, value_grad=False),
    Case("OneHotCategorical.logits", lambda d, l: d.OneHotCategorical(logits=l), [rng.standard_normal((3, 4))],
         _one_hot(rng.integers(0, 4, (3,)), 4), enumerate=True, value_grad=False),
    Case("Binomial", lambda d, n, p: d.Binomial(n, probs=p), [rng.integers(3, 9, (3, 1)), rng.uniform(0.1, 0.9, 4)],
         rng.integers(0, 3, (2, 3, 4)).astype(float), entropy=False, value_grad=False),
    Case("Binomial.logits_homogeneous", lambda d, l: d.Binomial(6, logits=l), [rng.standard_normal((3, 4))],
         rng.integers(0, 7, (3, 4)).astype(float), enumerate=True, value_grad=False),
    # torch's Multinomial entropy takes ln n! in float32 (lgamma of an int64 tensor), ~1e-7 off in float64
    Case("Multinomial", lambda d, p: d.Multinomial(6, probs=p), [_positive(3, 4)],
         rng.multinomial(6, [0.25] * 4, (2, 3)).astype(float), value_grad=False,
         float64_tolerance={"entropy": dict(rtol=1e-7), "perplexity": dict(rtol=1e-7)}, grad_tolerance=_MULTINOMIAL),
    Case("Multinomial.logits", lambda d, l: d.Multinomial(5, logits=l), [rng.standard_normal((2, 3))],
         rng.multinomial(5, [0.3, 0.3, 0.4], (2,)).astype(float), value_grad=False,
         float64_tolerance={"entropy": dict(rtol=1e-7), "perplexity": dict(rtol=1e-7)}, grad_tolerance=_MULTINOMIAL),
    Case("Poisson", lambda d, rate: d.Poisson(rate), [_positive(3, 4, low=0.5, high=6)],
         rng.integers(0, 8, (2, 3, 4)).astype(float), entropy=False, value_grad=False),
    Case("Gamma", lambda d, c, r: d.Gamma(c, r), [_positive(3, 1, low=0.5, high=4), _positive(4)],
         _positive(2, 3, 4, low=0.1, high=5), grad_tolerance=_TRIGAMMA),
    Case("Beta", lambda d, a, b: d.Beta(a, b), [_positive(3, 1, low=1.2, high=4), _positive(4, low=1.2, high=4)],
         rng.uniform(0.05, 0.95, (2, 3, 4)), grad_tolerance=_TRIGAMMA),
    Case("Beta.below_one", lambda d, a, b: d.Beta(a, b), [_positive(3, low=0.3, high=0.9), _positive(3, low=0.3)],
         rng.uniform(0.05, 0.95, 3), grad_tolerance=_TRIGAMMA),
    Case("Dirichlet", lambda d, c: d.Dirichlet(c), [_positive(3, 4, low=1.1, high=3)], _simplex(2, 3, 4),
         grad_tolerance=_TRIGAMMA),
    Case("Dirichlet.below_one", lambda d, c: d.Dirichlet(c), [_positive(2, 3, low=0.3, high=0.9)], _simplex(2, 3),
         grad_tolerance=_TRIGAMMA),
    Case("MultivariateNormal.covariance", lambda d, loc, cov: d.MultivariateNormal(loc, covariance_matrix=cov),
         [rng.standard_normal((2, 3)), _spd(3)], rng.standard_normal((4, 2, 3)),
         extra=("covariance_matrix", "precision_matrix", "scale_tril")),
    Case("MultivariateNormal.precision", lambda d, loc, prec: d.MultivariateNormal(loc, precision_matrix=prec),
         [rng.standard_normal(3), _spd(3, (2,))], rng.standard_normal((4, 2, 3)),
         extra=("covariance_matrix", "precision_matrix", "scale_tril")),
    Case("MultivariateNormal.scale_tril",
         lambda d, loc, tril: d.MultivariateNormal(loc, scale_tril=tril),
         [rng.standard_normal((2, 3)), np.linalg.cholesky(_spd(3, (2,)))], rng.standard_normal((2, 3)),
         extra=("covariance_matrix", "precision_matrix", "scale_tril")),
    Case("Independent", lambda d, loc, scale: d.Independent(d.Normal(loc, scale), 1), [_loc, _scale],
         rng.standard_normal((2, 3, 4))),
    Case("LogNormal", lambda d, loc, scale: d.LogNormal(loc, scale), [_loc, _scale], _positive(2, 3, 4), _q,
         cdf=True),
    Case("Transformed.affine_tanh", lambda d, loc, scale: d.TransformedDistribution(
        d.Normal(loc, scale), [d.AffineTransform(0.5, 2.0), d.TanhTransform()]), [_loc, _scale],
         rng.uniform(-0.9, 0.9, (2, 3, 4)), entropy=False),
    Case("Transformed.sigmoid_affine_decreasing", lambda d, loc, scale: d.TransformedDistribution(
        d.Normal(loc, scale), [d.SigmoidTransform(), d.AffineTransform(1.0, -3.0)]), [_loc, _scale],
         rng.uniform(-1.9, 0.9, (3, 4)), _q, cdf=True, entropy=False),
    # the exponent in the test's dtype: a number becomes a float32 tensor, whose exponent - 1 torch's pow
    # backward rounds to float32 (ours does not)
    Case("Transformed.power_exp", lambda d, loc, scale: d.TransformedDistribution(
        d.Normal(loc, scale), [d.ExpTransform(), d.PowerTransform(scale.new_tensor(2.5))]), [_loc, _scale],
         _positive(3, 4), entropy=False),
    Case("Transformed.stick_breaking", lambda d, loc, scale: d.TransformedDistribution(
        d.Normal(loc, scale), d.StickBreakingTransform()), [rng.standard_normal(3), _positive(3)],
         _simplex(2, 4), entropy=False),
    Case("Transformed.affine_event", lambda d, loc, scale: d.TransformedDistribution(
        d.Independent(d.Normal(loc, scale), 1), d.AffineTransform(1.0, loc.detach() + 3, event_dim=1)),
         [rng.standard_normal(3), _positive(3)], rng.standard_normal((2, 3)), entropy=False),
    Case("Cauchy", lambda d, loc, scale: d.Cauchy(loc, scale), [_loc, _scale], rng.standard_normal((2, 3, 4)),
         _q, cdf=True),
    Case("HalfNormal", lambda d, scale: d.HalfNormal(scale), [_scale], _positive(2, 3, 4), _q, cdf=True),
    Case("HalfCauchy", lambda d, scale: d.HalfCauchy(scale), [_scale], _positive(2, 3, 4), _q, cdf=True),
    Case("Chi2", lambda d, df: d.Chi2(df), [_positive(3, 4, low=0.5, high=6)], _positive(2, 3, 4),
         grad_tolerance=_TRIGAMMA),
    Case("StudentT", lambda d, df, loc, scale: d.StudentT(df, loc, scale),
         [np.array([0.8, 1.5, 2.5, 6.0]), _loc, _scale], rng.standard_normal((2, 3, 4)), grad_tolerance=_TRIGAMMA),
    Case("Geometric.probs", lambda d, p: d.Geometric(probs=p), [rng.uniform(0.1, 0.9, (3, 4))],
         rng.integers(0, 6, (2, 3, 4)).astype(float), value_grad=False),
    Case("Geometric.logits", lambda d, l: d.Geometric(logits=l), [rng.standard_normal((3, 4))],
         rng.integers(0, 6, (3, 4)).astype(float), value_grad=False),
    # (values above loc - 1.5 scale: further down the cdf exp(-e^-z) underflows below the base Uniform's support,
    # an error in torch too)
    Case("Gumbel", lambda d, loc, scale: d.Gumbel(loc, scale), [_loc, _scale],
         _loc + rng.uniform(-1.5, 4, (2, 3, 4)) * _scale, _q, cdf=True),
    Case("NegativeBinomial", lambda d, n, p: d.NegativeBinomial(n, probs=p),
         [_positive(3, 1, low=0.5, high=5), rng.uniform(0.1, 0.9, 4)], rng.integers(0, 9, (2, 3, 4)).astype(float),
         entropy=False, value_grad=False),
    Case("NegativeBinomial.logits", lambda d, n, l: d.NegativeBinomial(n, logits=l),
         [_positive(3, 1, low=0.5, high=5), rng.standard_normal(4)], rng.integers(0, 9, (3, 4)).astype(float),
         entropy=False, value_grad=False),
    Case("LowRankMultivariateNormal", lambda d, loc, w, diag: d.LowRankMultivariateNormal(loc, w, diag),
         [rng.standard_normal((2, 4)), rng.standard_normal((4, 2)), _positive(4)], rng.standard_normal((3, 2, 4)),
         extra=("covariance_matrix", "precision_matrix", "scale_tril")),
    Case("MixtureSameFamily.normal", lambda d, logits, loc, scale: d.MixtureSameFamily(
        d.Categorical(logits=logits), d.Normal(loc, scale)),
         [rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), _positive(3)], rng.standard_normal((4, 2)),
         entropy=False, cdf=True),
    Case("MixtureSameFamily.mvn", lambda d, logits, loc, scale: d.MixtureSameFamily(
        d.Categorical(logits=logits), d.Independent(d.Normal(loc, scale), 1)),
         [rng.standard_normal(3), rng.standard_normal((3, 2)), _positive(3, 2)], rng.standard_normal((4, 2)),
         entropy=False),
    Case("RelaxedBernoulli", lambda d, t, p: d.RelaxedBernoulli(t, probs=p),
         [np.array(0.7), rng.uniform(0.1, 0.9, (3, 4))], rng.uniform(0.05, 0.95, (2, 3, 4)), entropy=False),
    Case("RelaxedOneHotCategorical", lambda d, t, l: d.RelaxedOneHotCategorical(t, logits=l),
         [np.array(0.7), rng.standard_normal((3, 4))], _simplex(2, 3, 4), entropy=False),
    # torch's ln I0 and I1 are polynomial approximations good to ~1e-7 (ours: the series, to round-off); its
    # variance exp(ln I1 - ln I0) loses digits for large kappa (7% off at 800): that is checked against mpmath
    Case("VonMises", lambda d, loc, k: d.VonMises(loc, k), [_loc, np.array([0.01, 1.0, 5.0, 20.0])],
         rng.uniform(-3, 3, (2, 3, 4)), entropy=False,
         float64_tolerance={"log_prob": dict(rtol=1e-6), "variance": dict(rtol=1e-5), "stddev": dict(rtol=1e-5)},
         grad_tolerance={"float64": dict(rtol=1e-6)}),
    # near p = 1/2 (outside lims) the closed forms cancel (p/(2p-1) + 1/logit ...): in float32 both libraries'
    # gradients are ~5e-4 from the float64 ones, in different directions
    Case("ContinuousBernoulli", lambda d, p: d.ContinuousBernoulli(probs=p),
         [np.array([[0.1, 0.4995, 0.5, 0.7], [0.02, 0.3, 0.5007, 0.98]])], rng.uniform(0, 1, (3, 2, 4)),
         _q[:, :2], cdf=True, grad_tolerance={"float32": dict(atol=2e-3)}),
    Case("ContinuousBernoulli.logits", lambda d, l: d.ContinuousBernoulli(logits=l),
         [rng.standard_normal((3, 4)) * 2], rng.uniform(0, 1, (3, 4)), _q[0], cdf=True,
         grad_tolerance={"float32": dict(atol=2e-3)}),
    # float32 only: torch's GeneralizedPareto compares float64 parameters with a float32 zero and raises
    # (ours in float64: tests/distributions/test_sampling.py)
    Case("GeneralizedPareto", lambda d, loc, scale, xi: d.GeneralizedPareto(loc, scale, xi),
         [_loc, _scale, np.array([0.0, 0.3, -0.2, 0.7])], _loc + _positive(2, 3, 4, low=0.05, high=1.0), _q,
         cdf=True, dtypes=("float32",)),
    Case("GeneralizedPareto.uniform", lambda d, loc, scale, xi: d.GeneralizedPareto(loc, scale, xi),
         [np.array(0.5), np.array(2.0), np.array(-1.0)], np.array([0.6, 1.5, 2.4]), np.array([0.1, 0.9]),
         cdf=True, dtypes=("float32",)),
    Case("LKJCholesky", lambda d, eta: d.LKJCholesky(3, eta), [np.array([0.5, 1.0, 3.0])],
         _corr_cholesky(3, (2, 3)), entropy=False, value_grad=False),
    Case("Wishart.covariance", lambda d, df, cov: d.Wishart(df, covariance_matrix=cov), [np.array([3.5, 6.0]), _spd(3)],
         np.stack([_spd(3), _spd(3)]), extra=("covariance_matrix", "precision_matrix", "scale_tril"),
         grad_tolerance=_TRIGAMMA),
    Case("Wishart.scale_tril", lambda d, df, tril: d.Wishart(df, scale_tril=tril),
         [np.array(4.0), np.linalg.cholesky(_spd(2, (3,)))], np.stack([_spd(2)] * 3), grad_tolerance=_TRIGAMMA),
    Case("Wishart.precision", lambda d, df, prec: d.Wishart(df, precision_matrix=prec),
         [np.array([5.0, 2.5]), _spd(2)], _spd(2, (2,)), grad_tolerance=_TRIGAMMA),
    Case("Pareto", lambda d, scale, alpha: d.Pareto(scale, alpha), [_scale, _positive(3, 1, low=0.5, high=4)],
         _scale * _positive(2, 3, 4, low=1.0, high=3.0), _q, cdf=True),
    Case("Weibull", lambda d, scale, k: d.Weibull(scale, k), [_scale, _positive(3, 1, low=0.5, high=4)],
         _positive(2, 3, 4), _q, cdf=True),
    Case("InverseGamma", lambda d, c, r: d.InverseGamma(c, r), [_positive(3, 1, low=0.5, high=4), _positive(4)],
         _positive(2, 3, 4), grad_tolerance=_TRIGAMMA),
    Case("LogisticNormal", lambda d, loc, scale: d.LogisticNormal(loc, scale), [rng.standard_normal((2, 3)),
                                                                                _positive(3)],
         _simplex(2, 4), entropy=False),
    # torch's Kumaraswamy mode takes log(1 - b), nan for every b > 1: the mode is checked in test_kumaraswamy_mode
    Case("Kumaraswamy", lambda d, a, b: d.Kumaraswamy(a, b), [_positive(3, 1, low=0.5, high=4), _positive(4)],
         rng.uniform(0.05, 0.95, (2, 3, 4)), _q, cdf=True, skip=("mode",),
         # float32: torch's gradient is 3e-6 from the float64 one, ours 1.6e-6 (terms ~1.4 summed)
         grad_tolerance=dict(_TRIGAMMA, float32=dict(atol=1e-5))),
    # torch writes nan into its df2 copy where the mean (variance) is undefined, and the nan reaches df1's
    # gradient through the masked elements; ours stays finite: those two are compared in value only
    Case("FisherSnedecor", lambda d, a, b: d.FisherSnedecor(a, b), [_positive(3, 1, low=1, high=6),
                                                                    np.array([1.5, 3.0, 5.0, 9.0])],
         _positive(2, 3, 4), entropy=False, values_only=("mean", "variance", "stddev", "mode")),
]

_PROPERTIES = ("mean", "mode", "variance", "stddev")


def _call(fn):
    """``fn()``, or the exception type when it raises NotImplementedError (both libraries must agree)."""
    try:
        return fn()
    except NotImplementedError:
        return NotImplementedError


def _outputs(case, dist, value, quantile):
    """Everything the case compares, by name (values, or NotImplementedError where the library has none)."""
    out = {name: _call(lambda n=name: getattr(dist, n)) for name in _PROPERTIES + case.extra}
    out["log_prob"] = dist.log_prob(value)
    if case.entropy:
        out["entropy"] = dist.entropy()
        out["perplexity"] = dist.perplexity()
    if case.cdf:
        out["cdf"] = dist.cdf(value)
    if quantile is not None:
        out["icdf"] = dist.icdf(quantile)
    if case.enumerate:
        out["enumerate_support"] = dist.enumerate_support()
        out["enumerate_support.unexpanded"] = dist.enumerate_support(expand=False)
    return out


@pytest.mark.parametrize("case,dtype", [pytest.param(c, d, id=f"{c.name}-{d}") for c in CASES for d in c.dtypes])
def test_against_torch(case, dtype):
    pairs = [both(p, dtype) for p in case.params]
    bp_params, torch_params = [p[0] for p in pairs], [p[1] for p in pairs]
    ours, theirs = case.make(family(bp), *bp_params), case.make(family(torch), *torch_params)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample and ours.has_enumerate_support == theirs.has_enumerate_support
    value_bp, value_torch = both(case.value, dtype, grad=case.value_grad)
    quantile = [None, None] if case.quantile is None else both(case.quantile, dtype, grad=True)
    our_out = _outputs(case, ours, value_bp, quantile[0])
    their_out = _outputs(case, theirs, value_torch, quantile[1])
    loss_bp, loss_torch = 0, 0
    weights = np.random.default_rng(1)
    for name, theirs_value in their_out.items():
        if name in case.skip:
            continue
        ours_value = our_out[name]
        if theirs_value is NotImplementedError:
            assert ours_value is NotImplementedError, f"{name}: torch has none, backprop gives one"
            continue
        assert ours_value is not NotImplementedError, f"{name}: missing"
        override = case.float64_tolerance.get(name, {}) if dtype == "float64" else {}
        close(ours_value, theirs_value, dtype, f"{case.name}.{name}", **override)
        if theirs_value.requires_grad and theirs_value.dtype.is_floating_point and name not in case.values_only:
            w = weights.standard_normal(tuple(theirs_value.shape)).astype(dtype)
            finite = torch.isfinite(theirs_value).numpy()
            w = np.where(finite, w, 0)  # (nan modes: no gradient through them)
            loss_bp = loss_bp + (bp.where(bp.tensor(finite), ours_value, 0.0) * bp.tensor(w)).sum()
            loss_torch = loss_torch + (torch.where(torch.tensor(finite), theirs_value, 0.0) * torch.tensor(w)).sum()
    loss_bp.backward()
    loss_torch.backward()
    inputs_bp = bp_params + [value_bp] + ([quantile[0]] if quantile[0] is not None else [])
    inputs_torch = torch_params + [value_torch] + ([quantile[1]] if quantile[1] is not None else [])
    grads_close(inputs_bp, inputs_torch, dtype, case.name, **case.grad_tolerance.get(dtype, {}))


def test_kumaraswamy_mode():
    """The mode maximises the density: log_prob there exceeds log_prob a little to either side."""
    dist = D.Kumaraswamy(bp.tensor([2.0, 5.0, 1.5]), bp.tensor([3.0, 1.5, 2.0]))
    mode = dist.mode
    for step in (-1e-3, 1e-3):
        assert bool((dist.log_prob(mode) > dist.log_prob((mode + step).clamp(1e-6, 1 - 1e-6))).all())
    assert bool(D.Kumaraswamy(bp.tensor(0.5), bp.tensor(2.0)).mode.isnan())


def test_von_mises_against_mpmath_for_large_concentration():
    import mpmath
    mpmath.mp.dps = 40
    kappa = [20.0, 800.0, 3000.0]
    dist = D.VonMises(bp.zeros(3, dtype=bp.float64), bp.tensor(kappa, dtype=bp.float64))
    expected_variance = [float(1 - mpmath.besseli(1, k) / mpmath.besseli(0, k)) for k in kappa]
    np.testing.assert_allclose(dist.variance.numpy(), expected_variance, rtol=1e-9)
    expected_log_prob = [float(k - mpmath.log(2 * mpmath.pi) - mpmath.log(mpmath.besseli(0, k))) for k in kappa]
    np.testing.assert_allclose(dist.log_prob(bp.zeros(3, dtype=bp.float64)).numpy(), expected_log_prob, rtol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_expand_as_torch(case):
    """expand((2,) + batch_shape): torch's batch shape, and log_prob (and sample shapes) of the expanded
    distribution as torch's."""
    dtype = case.dtypes[0]
    pairs = [both(p, dtype, grad=False) for p in case.params]
    ours, theirs = case.make(family(bp), *[b for b, _ in pairs]), case.make(family(torch), *[t for _, t in pairs])
    shape = (2,) + tuple(theirs.batch_shape)
    ours, theirs = ours.expand(shape), theirs.expand(torch.Size(shape))
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert type(ours).__name__ == type(theirs).__name__
    value = np.asarray(case.value)
    value = value[(0,) * max(value.ndim - len(ours.batch_shape) - len(ours.event_shape) + 1, 0)]  # no sample dims
    value_bp, value_torch = both(value, dtype, grad=False)
    close(ours.log_prob(value_bp), theirs.log_prob(value_torch), dtype, f"{case.name}.expand.log_prob",
          **case.float64_tolerance.get("log_prob", {}) if dtype == "float64" else {})
    assert tuple(ours.sample((3,)).shape) == tuple(theirs.sample((3,)).shape)
