"""rsample is reparameterised: with the same noise, backprop's draws and their gradients with respect to the
parameters equal torch's (torch's noise source is replaced by backprop's noise for the comparison). Gamma,
Beta and Dirichlet draw by implicit reparameterisation: their gradient dx/dalpha is checked against mpmath,
against torch's approximation, and by the derivative of an expectation."""
import mpmath
import numpy as np
import pytest
import torch

import backprop as bp
import backprop.distributions as D
from backprop.distributions import (cauchy, continuous_bernoulli, exponential, generalized_pareto, laplace,
                                    lowrank_multivariate_normal, multivariate_normal, normal, relaxed_bernoulli,
                                    relaxed_categorical, uniform)
from backprop.distributions.gamma import _standard_gamma_grad

from .common import both, close, grads_close

rng = np.random.default_rng(11)


def _record_noise(monkeypatch, module):
    """Make ``module._draw`` keep the noise it draws in the returned list."""
    noise, draw = [], module._draw

    def recording(like, shape, sampler):
        value = draw(like, shape, sampler)
        noise.append(value.numpy())
        return value

    monkeypatch.setattr(module, "_draw", recording)
    return noise


def _feed_torch(monkeypatch, name, noise):
    """Make torch's rsample of ``name`` use backprop's recorded noise."""
    def take(*args, **kwargs):
        return torch.from_numpy(noise.pop(0).copy())

    if name in ("Normal", "LogNormal", "Independent", "Transformed", "HalfNormal", "LogisticNormal"):
        monkeypatch.setattr(torch.distributions.normal, "_standard_normal", lambda *a, **k: take())
    elif name == "MultivariateNormal":
        monkeypatch.setattr(torch.distributions.multivariate_normal, "_standard_normal", lambda *a, **k: take())
    elif name == "LowRankMultivariateNormal":
        monkeypatch.setattr(torch.distributions.lowrank_multivariate_normal, "_standard_normal",
                            lambda *a, **k: take())
    elif name in ("Uniform", "Gumbel", "Kumaraswamy", "ContinuousBernoulli", "GeneralizedPareto", "RelaxedBernoulli",
                  "RelaxedOneHotCategorical"):
        monkeypatch.setattr(torch, "rand", lambda *a, **k: take())
    elif name in ("Exponential", "Pareto", "Weibull"):
        monkeypatch.setattr(torch.Tensor, "exponential_", lambda self, *a, **k: self.copy_(take()))
    elif name == "Laplace":
        monkeypatch.setattr(torch.Tensor, "uniform_", lambda self, *a, **k: self.copy_(take()))
    elif name == "Cauchy":
        monkeypatch.setattr(torch.Tensor, "cauchy_", lambda self, *a, **k: self.copy_(take()))


_tril = np.linalg.cholesky(np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]]))
CASES = {
    "Normal": (normal, lambda d, a, b: d.Normal(a, b), [rng.standard_normal((3, 1)), rng.uniform(0.5, 2, 4)]),
    "Uniform": (uniform, lambda d, a, b: d.Uniform(a, a + b), [rng.standard_normal((3, 1)), rng.uniform(0.5, 2, 4)]),
    "Exponential": (exponential, lambda d, r: d.Exponential(r), [rng.uniform(0.5, 2, (3, 4))]),
    "Laplace": (laplace, lambda d, a, b: d.Laplace(a, b), [rng.standard_normal((3, 1)), rng.uniform(0.5, 2, 4)]),
    "MultivariateNormal": (multivariate_normal, lambda d, m, l: d.MultivariateNormal(m, scale_tril=l),
                           [rng.standard_normal((2, 3)), _tril]),
    "LogNormal": (normal, lambda d, a, b: d.LogNormal(a, b), [rng.standard_normal(3), rng.uniform(0.3, 1, 3)]),
    "Independent": (normal, lambda d, a, b: d.Independent(d.Normal(a, b), 1), [rng.standard_normal((2, 3)),
                                                                                rng.uniform(0.5, 2, 3)]),
    "Transformed": (normal, lambda d, a, b: d.TransformedDistribution(
        d.Normal(a, b), [d.AffineTransform(0.5, 2.0), d.TanhTransform()]), [rng.standard_normal(3),
                                                                             rng.uniform(0.2, 0.6, 3)]),
    "Cauchy": (cauchy, lambda d, a, b: d.Cauchy(a, b), [rng.standard_normal((3, 1)), rng.uniform(0.5, 2, 4)]),
    "HalfNormal": (normal, lambda d, s: d.HalfNormal(s), [rng.uniform(0.5, 2, 4)]),
    "LogisticNormal": (normal, lambda d, a, b: d.LogisticNormal(a, b), [rng.standard_normal((2, 3)),
                                                                         rng.uniform(0.5, 2, 3)]),
    "Gumbel": (uniform, lambda d, a, b: d.Gumbel(a, b), [rng.standard_normal((3, 1)), rng.uniform(0.5, 2, 4)]),
    "Kumaraswamy": (uniform, lambda d, a, b: d.Kumaraswamy(a, b), [rng.uniform(0.5, 3, (3, 1)),
                                                                    rng.uniform(0.5, 3, 4)]),
    "Pareto": (exponential, lambda d, s, a: d.Pareto(s, a), [rng.uniform(0.5, 2, (3, 1)), rng.uniform(1, 3, 4)]),
    "Weibull": (exponential, lambda d, s, k: d.Weibull(s, k), [rng.uniform(0.5, 2, (3, 1)), rng.uniform(0.5, 3, 4)]),
    "ContinuousBernoulli": (continuous_bernoulli, lambda d, p: d.ContinuousBernoulli(probs=p),
                            [np.array([0.1, 0.4995, 0.7, 0.9])]),
    "GeneralizedPareto": (generalized_pareto, lambda d, a, b, c: d.GeneralizedPareto(a, b, c),
                          [rng.standard_normal(4), rng.uniform(0.5, 2, 4), np.array([0.0, 0.3, -0.2, 0.5])]),
    "RelaxedBernoulli": (relaxed_bernoulli, lambda d, t, p: d.RelaxedBernoulli(t, probs=p),
                         [np.array(0.6), rng.uniform(0.1, 0.9, (3, 4))]),
    "RelaxedOneHotCategorical": (relaxed_categorical, lambda d, t, l: d.RelaxedOneHotCategorical(t, logits=l),
                                 [np.array(0.6), rng.standard_normal((3, 4))]),
    "LowRankMultivariateNormal": (lowrank_multivariate_normal, lambda d, m, w, diag: d.LowRankMultivariateNormal(
        m, w, diag), [rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.uniform(0.5, 2, 3)]),
}


# float32 only: torch's GeneralizedPareto raises in float64 (tests/distributions/test_against_torch.py)
@pytest.mark.parametrize("name,dtype", [(n, d) for n in CASES for d in ("float32", "float64")
                                        if not (n == "GeneralizedPareto" and d == "float64")])
def test_rsample_with_the_same_noise_as_torch(name, dtype, monkeypatch):
    module, make, params = CASES[name]
    pairs = [both(p, dtype) for p in params]
    ours = make(D, *[b for b, _ in pairs])
    theirs = make(torch.distributions, *[t for _, t in pairs])
    assert ours.has_rsample and theirs.has_rsample
    noise = _record_noise(monkeypatch, module)
    x = ours.rsample((5,))
    _feed_torch(monkeypatch, name, noise)
    y = theirs.rsample((5,))
    close(x, y, dtype, f"{name}.rsample")
    w = np.random.default_rng(2).standard_normal(tuple(y.shape)).astype(dtype)
    (x * bp.tensor(w)).sum().backward()
    (y * torch.tensor(w)).sum().backward()
    grads_close([b for b, _ in pairs], [t for _, t in pairs], dtype, name)


def test_sample_is_cut_from_the_graph_and_rsample_is_not():
    loc = bp.tensor([0.5, -1.0], requires_grad=True)
    dist = D.Normal(loc, 1.0)
    assert not dist.sample().requires_grad and dist.rsample().requires_grad
    assert not D.Categorical(logits=loc).sample().requires_grad


@pytest.mark.parametrize("alpha,x", [(0.3, 0.05), (0.8, 1.7), (2.5, 2.0), (7.0, 3.5), (40.0, 44.0)])
def test_standard_gamma_gradient_against_mpmath(alpha, x):
    """dx/dalpha at a fixed quantile u = P(alpha, x): -(dP/dalpha) / p(x; alpha), to 50 digits."""
    mpmath.mp.dps = 50
    d_p = mpmath.diff(lambda a: mpmath.gammainc(a, 0, x, regularized=True), alpha)
    density = mpmath.power(x, alpha - 1) * mpmath.exp(-x) / mpmath.gamma(alpha)
    expected = float(-d_p / density)
    ours = float(_standard_gamma_grad(np.array([x]), np.array([alpha]))[0])
    assert ours == pytest.approx(expected, rel=1e-7)
    torch_approximation = float(torch._standard_gamma_grad(torch.tensor([alpha], dtype=torch.float64),
                                                          torch.tensor([x], dtype=torch.float64)))
    assert ours == pytest.approx(torch_approximation, rel=2e-3)  # torch's rational approximations: ~1e-3


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_implicit_reparameterisation_differentiates_the_expectation(name):
    """The gradient of the mean of rsample over draws equals the derivative of the exact mean, within 5
    standard errors (estimated from 16 independent batches of draws); a zero gradient would fail."""
    bp.manual_seed(4)
    batches, per_batch = 16, 1000
    if name == "Gamma":
        alpha = bp.tensor([[0.4, 2.0, 6.0]] * batches, requires_grad=True)
        rate = bp.tensor([1.0, 2.0, 0.5])
        draws = D.Gamma(alpha, rate).rsample((per_batch,))
        expected = 1 / rate.numpy()  # d/dalpha (alpha / rate)
    elif name == "Beta":
        alpha = bp.tensor([[0.7, 2.0, 5.0]] * batches, requires_grad=True)
        b = bp.tensor([1.5, 0.6, 3.0])
        draws = D.Beta(alpha, b).rsample((per_batch,))
        a = alpha.detach().numpy()[0]
        expected = b.numpy() / (a + b.numpy()) ** 2  # d/da a / (a + b)
    else:
        alpha = bp.tensor([[0.5, 1.5, 3.0]] * batches, requires_grad=True)
        draws = D.Dirichlet(alpha).rsample((per_batch,))[..., 0]
        total = 5.0
        expected = np.array([(total - 0.5) / total ** 2, -0.5 / total ** 2, -0.5 / total ** 2])  # d mean_0 / da_j
    draws.sum().backward()
    estimates = alpha.grad.numpy() / per_batch  # one estimate of the gradient per batch
    standard_error = estimates.std(0, ddof=1) / batches ** 0.5
    np.testing.assert_array_less(np.abs(estimates.mean(0) - expected), 5 * standard_error)
    assert (np.abs(expected) > 5 * standard_error).all()  # a zero gradient would fail
