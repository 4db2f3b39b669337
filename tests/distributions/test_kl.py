"""kl_divergence against torch for every registered pair (values and gradients of both distributions'
parameters), the infinite pairs, register_kl's dispatch, and torch's errors for the pairs it lacks."""
import numpy as np
import pytest
import torch

import backprop as bp
import backprop.distributions as D

from .common import both, close, grads_close

rng = np.random.default_rng(7)


def _pos(*shape, low=0.5, high=2.0):
    return rng.uniform(low, high, shape)


def _spd(k, batch=()):
    a = rng.standard_normal(batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


_normal = (lambda d, a, b: d.Normal(a, b), [rng.standard_normal((3, 1)), _pos(4)])
_normal2 = (lambda d, a, b: d.Normal(a, b), [rng.standard_normal(4), _pos(3, 1)])
_laplace = (lambda d, a, b: d.Laplace(a, b), [rng.standard_normal((3, 1)), _pos(4)])
_exponential = (lambda d, r: d.Exponential(r), [_pos(3, 4)])
_gamma = (lambda d, c, r: d.Gamma(c, r), [_pos(3, 4, low=0.5, high=3), _pos(4)])
_beta = (lambda d, a, b: d.Beta(a, b), [_pos(3, 4, low=0.5, high=3), _pos(4, low=0.5, high=3)])
_uniform_inner = (lambda d, a, b: d.Uniform(a, a + b), [rng.uniform(0.1, 0.3, (3, 4)), rng.uniform(0.2, 0.5, 4)])
_uniform_wide = (lambda d, a, b: d.Uniform(a, a + b), [rng.uniform(-0.5, 0.05, (3, 4)), rng.uniform(1.0, 2.0, 4)])
_uniform_mixed = (lambda d, a, b: d.Uniform(a, a + b), [rng.uniform(-0.3, 0.3, (3, 4)), rng.uniform(0.3, 1.5, 4)])
_poisson = (lambda d, r: d.Poisson(r), [_pos(3, 4, high=4)])
_bernoulli = (lambda d, p: d.Bernoulli(probs=p), [rng.uniform(0.1, 0.9, (3, 4))])
_bernoulli_edges = (lambda d, p: d.Bernoulli(probs=p), [np.array([0.0, 1.0, 0.3, 0.0, 1.0])])
_bernoulli_logits = (lambda d, l: d.Bernoulli(logits=l), [rng.standard_normal((3, 4))])
_categorical = (lambda d, p: d.Categorical(probs=p), [_pos(3, 5)])
_categorical_zeros = (lambda d, p: d.Categorical(probs=p), [np.array([[0.0, 0.5, 0.5], [0.2, 0.0, 0.8]])])
_categorical_logits = (lambda d, l: d.Categorical(logits=l), [rng.standard_normal((2, 1, 5))])
_onehot = (lambda d, p: d.OneHotCategorical(probs=p), [_pos(3, 5)])
_binomial = (lambda d, n, p: d.Binomial(n, probs=p), [np.array([5, 7, 7]), rng.uniform(0.1, 0.9, 3)])
_binomial_q = (lambda d, n, p: d.Binomial(n, probs=p), [np.array([5, 5, 7]), rng.uniform(0.1, 0.9, 3)])
_dirichlet = (lambda d, c: d.Dirichlet(c), [_pos(3, 4, low=0.5, high=3)])
_mvn = (lambda d, m, c: d.MultivariateNormal(m, covariance_matrix=c), [rng.standard_normal((2, 3)), _spd(3)])
_mvn_tril = (lambda d, m, l: d.MultivariateNormal(m, scale_tril=l),
             [rng.standard_normal(3), np.linalg.cholesky(_spd(3, (2,)))])
_independent = (lambda d, a, b: d.Independent(d.Normal(a, b), 1), [rng.standard_normal((3, 4)), _pos(4)])
_lognormal = (lambda d, a, b: d.LogNormal(a, b), [rng.standard_normal((3, 1)), _pos(4)])

_cauchy = (lambda d, a, b: d.Cauchy(a, b), [rng.standard_normal((3, 1)), _pos(4)])
_geometric = (lambda d, p: d.Geometric(probs=p), [rng.uniform(0.1, 0.9, (3, 4))])
_geometric_logits = (lambda d, l: d.Geometric(logits=l), [rng.standard_normal(4)])
_gumbel = (lambda d, a, b: d.Gumbel(a, b), [rng.standard_normal((3, 1)), _pos(4)])
_half_normal = (lambda d, s: d.HalfNormal(s), [_pos(3, 4)])

_pareto = (lambda d, s, a: d.Pareto(s, a), [_pos(3, 1, low=0.2, high=0.6), _pos(4, low=0.5, high=4)])
_pareto_q = (lambda d, s, a: d.Pareto(s, a), [_pos(3, 1, low=0.1, high=0.5), _pos(4, low=0.5, high=4)])
_uniform_positive = (lambda d, a, b: d.Uniform(a, a + b), [rng.uniform(0.2, 0.5, (3, 4)), rng.uniform(0.1, 0.4, 4)])
_lowrank = (lambda d, m, w, diag: d.LowRankMultivariateNormal(m, w, diag),
            [rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), _pos(3)])

_cb = (lambda d, p: d.ContinuousBernoulli(probs=p), [np.array([[0.1, 0.4995, 0.7, 0.98]] * 3)])
_cb_logits = (lambda d, l: d.ContinuousBernoulli(logits=l), [rng.standard_normal(4) * 2])

PAIRS = {
    "CB-CB": (_cb, _cb_logits), "Beta-CB": (_beta, _cb), "Uniform-CB": (_uniform_mixed, _cb),
    "Uniform-CB.inside": (_uniform_inner, _cb_logits), "CB-Exponential": (_cb, _exponential),
    "CB-Normal": (_cb, _normal), "CB-Uniform": (_cb, _uniform_wide), "CB-Uniform.mixed": (_cb, _uniform_mixed),
    "Normal-CB": (_normal, _cb), "CB-Pareto": (_cb, _pareto),
    "Pareto-Pareto": (_pareto, _pareto_q), "Pareto-Exponential": (_pareto, _exponential),
    "Pareto-Gamma": (_pareto, _gamma), "Pareto-Normal": (_pareto, _normal),
    "Exponential-Gumbel": (_exponential, _gumbel), "Gamma-Gumbel": (_gamma, _gumbel),
    "Normal-Gumbel": (_normal, _gumbel), "Uniform-Gumbel": (_uniform_mixed, _gumbel),
    "Gumbel-Normal": (_gumbel, _normal), "Uniform-Beta": (_uniform_mixed, _beta),
    "Uniform-Beta.inside": (_uniform_inner, _beta), "Uniform-Pareto": (_uniform_positive, _pareto),
    "LowRank-LowRank": (_lowrank, _lowrank), "MVN-LowRank": (_mvn, _lowrank), "LowRank-MVN": (_lowrank, _mvn_tril),
    "Gumbel-Uniform": (_gumbel, _uniform_wide), "Pareto-Uniform": (_pareto, _uniform_wide),
    "Normal-Pareto": (_normal, _pareto), "Beta-Pareto": (_beta, _pareto),
    "Cauchy-Cauchy": (_cauchy, _cauchy), "Geometric-Geometric": (_geometric, _geometric_logits),
    "Gumbel-Gumbel": (_gumbel, _gumbel), "HalfNormal-HalfNormal": (_half_normal, _half_normal),
    "Normal-Normal": (_normal, _normal2), "Laplace-Laplace": (_laplace, _laplace),
    "Exponential-Exponential": (_exponential, _exponential), "Gamma-Gamma": (_gamma, _gamma),
    "Beta-Beta": (_beta, _beta), "Uniform-Uniform.inside": (_uniform_inner, _uniform_wide),
    "Uniform-Uniform.outside": (_uniform_wide, _uniform_inner), "Uniform-Uniform.mixed": (_uniform_mixed, _uniform_wide),
    "Poisson-Poisson": (_poisson, _poisson), "Bernoulli-Bernoulli": (_bernoulli, _bernoulli_logits),
    "Bernoulli-Bernoulli.edges": (_bernoulli_edges, _bernoulli_edges),
    "Categorical-Categorical": (_categorical, _categorical_logits),
    "Categorical-Categorical.zeros": (_categorical_zeros, _categorical_zeros),
    "OneHotCategorical-OneHotCategorical": (_onehot, _onehot), "Binomial-Binomial": (_binomial, _binomial_q),
    "Dirichlet-Dirichlet": (_dirichlet, _dirichlet), "MVN-MVN": (_mvn, _mvn_tril), "MVN-MVN.tril": (_mvn_tril, _mvn),
    "Independent-Independent": (_independent, _independent), "LogNormal-LogNormal": (_lognormal, _lognormal),
    "Bernoulli-Poisson": (_bernoulli, _poisson), "Beta-Exponential": (_beta, _exponential),
    "Beta-Gamma": (_beta, _gamma), "Beta-Normal": (_beta, _normal), "Beta-Uniform.wide": (_beta, _uniform_wide),
    "Beta-Uniform.mixed": (_beta, _uniform_mixed), "Exponential-Gamma": (_exponential, _gamma),
    "Exponential-Normal": (_exponential, _normal), "Gamma-Exponential": (_gamma, _exponential),
    "Gamma-Normal": (_gamma, _normal), "Laplace-Normal": (_laplace, _normal), "Normal-Laplace": (_normal, _laplace),
    "Uniform-Exponential": (_uniform_mixed, _exponential), "Uniform-Gamma": (_uniform_mixed, _gamma),
    "Uniform-Normal": (_uniform_mixed, _normal),
    "Normal-Uniform": (_normal, _uniform_wide), "Normal-Beta": (_normal, _beta), "Laplace-Gamma": (_laplace, _gamma),
    "Exponential-Uniform": (_exponential, _uniform_wide), "Gamma-Beta": (_gamma, _beta),
    "Poisson-Bernoulli": (_poisson, _bernoulli), "Poisson-Binomial": (_poisson, _binomial),
}
# gradients through torch's trigamma (~1e-9 off, see tests/op_registry_special_more.py)
_TRIGAMMA = {"Gamma-Gamma", "Beta-Beta", "Dirichlet-Dirichlet", "Beta-Gamma", "Beta-Normal", "Beta-Exponential",
             "Beta-Uniform.wide", "Beta-Uniform.mixed", "Exponential-Gamma", "Gamma-Normal", "Uniform-Gamma",
             "Gamma-Exponential", "Pareto-Gamma", "Gamma-Gumbel", "Uniform-Beta", "Uniform-Beta.inside", "Beta-CB"}
# ContinuousBernoulli near p = 1/2: its closed forms cancel; float32 gradients of both libraries are ~1e-4 off
_CANCELLING = {"CB-CB", "Beta-CB", "Uniform-CB", "Uniform-CB.inside", "CB-Exponential", "CB-Normal", "CB-Uniform",
               "CB-Uniform.mixed"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_kl_against_torch(name, dtype):
    (make_p, params_p), (make_q, params_q) = PAIRS[name]
    pairs = [both(a, dtype) for a in params_p + params_q]
    ours = D.kl_divergence(make_p(D, *[b for b, _ in pairs[:len(params_p)]]),
                           make_q(D, *[b for b, _ in pairs[len(params_p):]]))
    theirs = torch.distributions.kl_divergence(make_p(torch.distributions, *[t for _, t in pairs[:len(params_p)]]),
                                               make_q(torch.distributions, *[t for _, t in pairs[len(params_p):]]))
    close(ours, theirs, dtype, name)
    if theirs.requires_grad:
        finite = torch.isfinite(theirs).numpy()
        w = np.where(finite, np.random.default_rng(3).standard_normal(tuple(theirs.shape)), 0).astype(dtype)
        (bp.where(bp.tensor(finite), ours, 0.0) * bp.tensor(w)).sum().backward()
        (torch.where(torch.tensor(finite), theirs, 0.0) * torch.tensor(w)).sum().backward()
        tolerance = dict(rtol=1e-8) if name in _TRIGAMMA and dtype == "float64" else {}
        if name in _CANCELLING and dtype == "float32":
            tolerance = dict(atol=2e-3)
        if name == "Gumbel-Normal" and dtype == "float32":
            tolerance = dict(atol=1e-5)  # the scale's gradient sums terms up to ~70: float32 round-off
        grads_close([b for b, _ in pairs], [t for _, t in pairs], dtype, name, **tolerance)


def test_kl_of_a_distribution_with_itself_is_zero():
    p = D.MultivariateNormal(bp.zeros(3), bp.eye(3) * 2)
    assert float(D.kl_divergence(p, p).abs()) < 1e-6
    c = D.Categorical(logits=bp.tensor([0.2, -1.0, 3.0]))
    assert abs(float(D.kl_divergence(c, c))) < 1e-7


def test_unregistered_pair_raises_as_torch():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type "
                                                  "Categorical"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(logits=bp.zeros(3)))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(3, probs=bp.tensor(0.5)), D.Binomial(4, probs=bp.tensor(0.5)))
    with pytest.raises(NotImplementedError, match="different exponential families"):  # torch's Bregman fallback
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(bp.tensor(1.0)))
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                          torch.distributions.Poisson(torch.tensor(1.0)))
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(D.MultivariateNormal(bp.zeros(2), bp.eye(2)), D.MultivariateNormal(bp.zeros(3), bp.eye(3)))


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return bp.tensor(42.0)

    try:
        assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0))) == 42.0
        assert float(D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 1.0))) == 0.0  # (Normal, Normal) still
    finally:
        from backprop.distributions import kl
        del kl._KL_REGISTRY[MyNormal, D.Normal]
        kl._KL_MEMOIZE.clear()
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        D.register_kl(int, D.Normal)


def test_kl_is_the_expectation_of_the_log_ratio():
    """An independent check of a cross pair: the Monte Carlo mean of log p(x) - log q(x) over draws of p."""
    bp.manual_seed(3)
    p, q = D.Gamma(bp.tensor(2.0), bp.tensor(1.5)), D.Normal(bp.tensor(1.0), bp.tensor(0.8))
    x = p.sample((200_000,))
    log_ratio = p.log_prob(x) - q.log_prob(x)
    standard_error = float(log_ratio.std()) / len(x) ** 0.5
    assert abs(float(log_ratio.mean()) - float(D.kl_divergence(p, q))) < 5 * standard_error
