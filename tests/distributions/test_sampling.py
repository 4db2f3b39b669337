"""Samples against their distribution: seeded draws whose means and variances (frequencies, for the discrete
ones) sit within 5 standard errors of the distribution's moments, while the same draws fail against a wrongly
parameterised distribution (the check has the power to catch a wrong sampler); shapes and dtypes as torch's;
bp.manual_seed makes draws repeat."""
import numpy as np
import pytest
import torch

import backprop as bp
import backprop.distributions as D

N = 20_000


def _agree(draws, mean, variance):
    """Do the sample mean and variance (over dim 0) agree with ``mean`` and ``variance`` within 5 standard
    errors, everywhere? The variance's standard error is sqrt((m4 - s^4) / N), m4 the sample's 4th moment."""
    x = draws.astype(np.float64)
    n = x.shape[0]
    centred = x - x.mean(0)
    sample_var = (centred ** 2).mean(0)
    mean_ok = np.abs(x.mean(0) - mean) <= 5 * np.sqrt(variance / n) + 1e-12
    m4 = (centred ** 4).mean(0)
    var_ok = np.abs(sample_var - variance) <= 5 * np.sqrt(np.maximum(m4 - sample_var ** 2, 0) / n) + 1e-12
    return bool(mean_ok.all() and var_ok.all())


def _t(values):
    return bp.tensor(values, dtype=bp.float64)


# name -> (the distribution, a wrong one: the mistakes a sampler could make, e.g. scale for variance)
CASES = {
    "Normal": (D.Normal(_t([0.5, -2.0]), _t([1.0, 3.0])), D.Normal(_t([0.5, -2.0]), _t([1.0, 3.0]) ** 0.5)),
    "Uniform": (D.Uniform(_t([-1.0, 2.0]), _t([1.0, 2.5])), D.Uniform(_t([-1.0, 2.0]), _t([1.5, 3.5]))),
    "Exponential": (D.Exponential(_t([0.5, 3.0])), D.Exponential(1 / _t([0.5, 3.0]))),
    "Laplace": (D.Laplace(_t([1.0, -1.0]), _t([0.5, 2.0])), D.Normal(_t([1.0, -1.0]), _t([0.5, 2.0]))),
    "Gamma": (D.Gamma(_t([0.3, 2.0, 9.0]), _t([1.0, 0.5, 3.0])), D.Gamma(_t([0.3, 2.0, 9.0]), 1 / _t([1.0, 0.5, 3.0]))),
    "Beta": (D.Beta(_t([0.5, 2.0]), _t([0.5, 5.0])), D.Beta(_t([0.5, 5.0]), _t([0.5, 2.0]))),
    "LogNormal": (D.LogNormal(_t([0.0, 1.0]), _t([0.3, 0.5])), D.LogNormal(_t([0.0, 1.0]), _t([0.4, 0.6]))),
    "Bernoulli": (D.Bernoulli(probs=_t([0.1, 0.5, 0.9])), D.Bernoulli(probs=_t([0.9, 0.5, 0.1]))),
    "Bernoulli.logits": (D.Bernoulli(logits=_t([-2.0, 1.0])), D.Bernoulli(probs=_t([0.12, 0.8]))),
    "Binomial": (D.Binomial(_t([10.0, 3.0]), probs=_t([0.3, 0.8])), D.Binomial(_t([10.0, 3.0]), probs=_t([0.35, 0.75]))),
    "Poisson": (D.Poisson(_t([0.5, 4.0, 30.0])), D.Poisson(_t([0.55, 4.3, 31.5]))),
    "HalfNormal": (D.HalfNormal(_t([0.5, 2.0])), D.HalfNormal(_t([0.5, 2.0]) ** 0.5)),
    "Chi2": (D.Chi2(_t([1.0, 4.0])), D.Chi2(_t([1.2, 4.5]))),
    "StudentT": (D.StudentT(_t([5.0, 9.0]), _t([1.0, -1.0]), _t([2.0, 0.5])),
                 D.Normal(_t([1.0, -1.0]), _t([2.0, 0.5]))),
    "Geometric": (D.Geometric(probs=_t([0.2, 0.7])), D.Geometric(probs=_t([0.22, 0.75]))),
    "Gumbel": (D.Gumbel(_t([1.0, -2.0]), _t([0.5, 2.0])), D.Gumbel(_t([1.0, -2.0]), _t([0.6, 1.7]))),
    "NegativeBinomial": (D.NegativeBinomial(_t([3.0, 0.5]), probs=_t([0.4, 0.7])),
                         D.NegativeBinomial(_t([3.0, 0.5]), probs=_t([0.45, 0.65]))),
    "LowRankMultivariateNormal": (D.LowRankMultivariateNormal(_t([1.0, 0.0, -1.0]), _t([[1.0], [0.5], [-1.0]]),
                                                              _t([0.5, 1.0, 0.2])),
                                  D.MultivariateNormal(_t([1.0, 0.0, -1.0]), bp.eye(3, dtype=bp.float64))),
    "MixtureSameFamily": (D.MixtureSameFamily(D.Categorical(probs=_t([0.3, 0.7])), D.Normal(_t([-2.0, 1.0]),
                                                                                           _t([0.5, 1.0]))),
                          D.Normal(_t(-0.1), _t(1.0))),
    "Pareto": (D.Pareto(_t([1.0, 2.0]), _t([6.0, 9.0])), D.Pareto(_t([1.0, 2.0]), _t([5.0, 8.0]))),
    "Weibull": (D.Weibull(_t([1.0, 2.0]), _t([0.8, 3.0])), D.Weibull(_t([1.0, 2.0]), _t([0.9, 2.7]))),
    "InverseGamma": (D.InverseGamma(_t([6.0, 9.0]), _t([1.0, 3.0])), D.InverseGamma(_t([6.5, 9.0]), _t([1.0, 3.3]))),
    "Kumaraswamy": (D.Kumaraswamy(_t([0.7, 3.0]), _t([2.0, 0.8])), D.Kumaraswamy(_t([0.75, 3.0]), _t([2.0, 0.9]))),
    "FisherSnedecor": (D.FisherSnedecor(_t([4.0, 10.0]), _t([20.0, 30.0])),
                       D.FisherSnedecor(_t([4.0, 10.0]), _t([15.0, 20.0]))),
    "ContinuousBernoulli": (D.ContinuousBernoulli(probs=_t([0.1, 0.5, 0.8])),
                            D.ContinuousBernoulli(probs=_t([0.13, 0.5, 0.75]))),
    "GeneralizedPareto": (D.GeneralizedPareto(_t([0.0, 1.0, -1.0]), _t([1.0, 2.0, 0.5]), _t([0.0, 0.15, -0.5])),
                          D.GeneralizedPareto(_t([0.0, 1.0, -1.0]), _t([1.1, 2.0, 0.5]), _t([0.0, 0.2, -0.4]))),
    "Independent": (D.Independent(D.Normal(_t([[0.0, 1.0]]), _t([2.0, 0.5])), 1),
                    D.Independent(D.Normal(_t([[0.0, 1.0]]), _t([2.0, 0.5]) ** 2), 1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_moments_of_the_draws(name):
    dist, wrong = CASES[name]
    bp.manual_seed(1)
    draws = dist.sample((N,)).numpy()
    assert draws.shape == (N,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
    assert _agree(draws, dist.mean.numpy(), dist.variance.numpy())
    assert not _agree(draws, wrong.mean.numpy(), wrong.variance.numpy())


def test_categorical_frequencies():
    probs = _t([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    bp.manual_seed(2)
    draws = D.Categorical(probs=probs * 3).sample((N,)).numpy()  # unnormalised probs are normalised
    assert draws.dtype == np.int64 and draws.shape == (N, 2)
    frequencies = np.stack([(draws == k).mean(0) for k in range(4)], -1)
    standard_error = np.sqrt(probs.numpy() * (1 - probs.numpy()) / N)
    assert (np.abs(frequencies - probs.numpy()) < 5 * standard_error).all()
    shifted = probs.numpy()[:, [1, 0, 2, 3]]  # an off-by-one sampler
    assert not (np.abs(frequencies - shifted) < 5 * standard_error).all()
    logits_draws = D.Categorical(logits=probs.log()).sample((N,)).numpy()
    assert (np.abs(np.stack([(logits_draws == k).mean(0) for k in range(4)], -1) - probs.numpy())
            < 5 * standard_error).all()


def test_one_hot_and_multinomial_moments():
    probs = _t([0.2, 0.5, 0.3])
    bp.manual_seed(3)
    one_hot = D.OneHotCategorical(probs=probs).sample((N,)).numpy()
    assert set(np.unique(one_hot)) == {0.0, 1.0} and (one_hot.sum(-1) == 1).all()
    assert _agree(one_hot, probs.numpy(), (probs * (1 - probs)).numpy())
    counts = D.Multinomial(7, probs=probs).sample((N,)).numpy()
    assert (counts.sum(-1) == 7).all()
    assert _agree(counts, 7 * probs.numpy(), (7 * probs * (1 - probs)).numpy())
    assert not _agree(counts, 7 * probs.numpy()[::-1], (7 * probs * (1 - probs)).numpy()[::-1])


def test_dirichlet_moments():
    concentration = _t([[0.5, 1.0, 3.0], [4.0, 4.0, 1.0]])
    bp.manual_seed(4)
    draws = D.Dirichlet(concentration).sample((N,)).numpy()
    np.testing.assert_allclose(draws.sum(-1), 1.0, rtol=1e-12)
    dist = D.Dirichlet(concentration)
    assert _agree(draws, dist.mean.numpy(), dist.variance.numpy())
    wrong = D.Dirichlet(concentration * 2)  # same mean, smaller variance
    assert not _agree(draws, wrong.mean.numpy(), wrong.variance.numpy())


def test_multivariate_normal_mean_and_covariance():
    covariance = _t([[2.0, 0.8, -0.3], [0.8, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    loc = _t([1.0, -1.0, 0.0])
    bp.manual_seed(5)
    for dist in (D.MultivariateNormal(loc, covariance_matrix=covariance),
                 D.MultivariateNormal(loc, precision_matrix=bp.linalg.inv(covariance)),
                 D.MultivariateNormal(loc, scale_tril=bp.linalg.cholesky(covariance))):
        x = dist.sample((N,)).numpy()
        assert _agree(x, loc.numpy(), np.diag(covariance.numpy()))
        centred = x - x.mean(0)
        products = centred[:, :, None] * centred[:, None, :]
        standard_error = products.std(0) / np.sqrt(N)
        assert (np.abs(products.mean(0) - covariance.numpy()) < 5 * standard_error).all()
        assert not (np.abs(products.mean(0) - covariance.numpy().T * np.eye(3)) < 5 * standard_error).all()


@pytest.mark.parametrize("make", [
    lambda d, t: d.Normal(t([0.0, 1.0]), 2.0), lambda d, t: d.Categorical(logits=t([[0.0, 1.0, 2.0]])),
    lambda d, t: d.Bernoulli(probs=t([0.3])), lambda d, t: d.Binomial(5, probs=t([0.3, 0.4])),
    lambda d, t: d.Poisson(t([2.0])), lambda d, t: d.OneHotCategorical(probs=t([0.5, 0.5])),
    lambda d, t: d.Multinomial(4, probs=t([[0.5, 0.5]])), lambda d, t: d.Dirichlet(t([1.0, 2.0])),
    lambda d, t: d.Gamma(t([1.0]), 2.0), lambda d, t: d.Beta(t([1.0]), t([2.0, 3.0])),
    lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.0], [0.5, 1.0]])),
    lambda d, t: d.LogNormal(0.0, 1.0), lambda d, t: d.Exponential(t([1.0, 2.0])),
    lambda d, t: d.Uniform(0.0, t([1.0, 2.0])), lambda d, t: d.Laplace(t([0.0]), t([1.0])),
])
def test_sample_shapes_and_dtypes_as_torch(make):
    ours = make(D, lambda v: bp.tensor(v))
    theirs = make(torch.distributions, lambda v: torch.tensor(v))
    for shape in [(), (4,), (2, 3)]:
        a, b = ours.sample(shape), theirs.sample(shape)
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]


def test_manual_seed_repeats_draws():
    dist = D.Categorical(logits=bp.tensor([0.1, 0.2, 0.7]))
    bp.manual_seed(9)
    first = (dist.sample((50,)), D.Normal(0.0, 1.0).rsample((5,)), D.Gamma(2.0, 1.0).sample((5,)))
    bp.manual_seed(9)
    second = (dist.sample((50,)), D.Normal(0.0, 1.0).rsample((5,)), D.Gamma(2.0, 1.0).sample((5,)))
    for a, b in zip(first, second):
        assert bool((a == b).all())


def test_heavy_tailed_and_relaxed_draws_by_their_cdf():
    """Cauchy and HalfCauchy have no moments: the fraction of draws below each quartile is 1/4, 1/2, 3/4
    (within 5 standard errors), and not for a doubled scale. Relaxed draws: inside the support, and their
    mean follows the probabilities."""
    bp.manual_seed(6)
    for dist, wrong in [(D.Cauchy(_t(1.0), _t(2.0)), D.Cauchy(_t(1.0), _t(4.0))),
                        (D.HalfCauchy(_t(2.0)), D.HalfCauchy(_t(4.0)))]:
        draws = dist.sample((N,))
        quartiles = dist.icdf(_t([0.25, 0.5, 0.75]))
        below = (draws.unsqueeze(-1) <= quartiles).double().mean(0).numpy()
        standard_error = np.sqrt(0.25 * 0.75 / N)
        assert (np.abs(below - [0.25, 0.5, 0.75]) < 5 * standard_error).all()
        wrong_below = (draws.unsqueeze(-1) <= wrong.icdf(_t([0.25, 0.5, 0.75]))).double().mean(0).numpy()
        assert not (np.abs(wrong_below - [0.25, 0.5, 0.75]) < 5 * standard_error).all()
    relaxed = D.RelaxedBernoulli(_t(0.1), probs=_t([0.2, 0.8])).sample((N,)).numpy()
    assert ((relaxed > 0) & (relaxed < 1)).all()
    assert (np.abs((relaxed > 0.5).mean(0) - [0.2, 0.8]) < 5 * np.sqrt(0.16 / N)).all()
    one_hot = D.RelaxedOneHotCategorical(_t(0.1), probs=_t([0.2, 0.3, 0.5])).sample((N,)).numpy()
    np.testing.assert_allclose(one_hot.sum(-1), 1.0, rtol=1e-9)
    frequencies = np.bincount(one_hot.argmax(-1), minlength=3) / N
    assert (np.abs(frequencies - [0.2, 0.3, 0.5]) < 5 * np.sqrt(0.25 / N)).all()


def test_logistic_normal_draws_are_the_stick_breaking_of_normal_draws():
    bp.manual_seed(7)
    loc, scale = _t([0.5, -1.0, 0.0]), _t([1.0, 0.5, 2.0])
    draws = D.LogisticNormal(loc, scale).sample((N,))
    np.testing.assert_allclose(draws.sum(-1).numpy(), 1.0, rtol=1e-12)
    normal_draws = D.StickBreakingTransform().inv(draws).numpy()
    assert _agree(normal_draws, loc.numpy(), scale.numpy() ** 2)
    assert not _agree(normal_draws, loc.numpy(), scale.numpy())


def test_von_mises_circular_moments():
    """E[cos(x - mu)] = I1(k)/I0(k) = 1 - variance and E[sin(x - mu)] = 0, within 5 standard errors; a 20%
    larger concentration fails."""
    bp.manual_seed(8)
    loc, kappa = _t([0.5, -3.0, 2.0]), _t([0.3, 2.0, 30.0])
    dist = D.VonMises(loc, kappa)
    x = dist.sample((N,)).numpy()
    assert ((x >= -np.pi) & (x <= np.pi)).all()
    cos, sin = np.cos(x - loc.numpy()), np.sin(x - loc.numpy())
    standard_error = cos.std(0) / np.sqrt(N)
    assert (np.abs(cos.mean(0) - (1 - dist.variance.numpy())) < 5 * standard_error).all()
    assert (np.abs(sin.mean(0)) < 5 * sin.std(0) / np.sqrt(N)).all()
    wrong = 1 - D.VonMises(loc, kappa * 1.2).variance.numpy()
    assert not (np.abs(cos.mean(0) - wrong) < 5 * standard_error).all()


def test_lkj_cholesky_correlations():
    """Off-diagonal correlations r of LKJ(dim, eta) have (r + 1)/2 ~ Beta(b, b), b = eta - 1 + dim/2: mean 0,
    variance 1 / (2 eta + dim - 1); rows of unit norm."""
    bp.manual_seed(10)
    eta = _t([0.5, 1.0, 4.0])
    factors = D.LKJCholesky(4, eta).sample((N // 4,))
    correlations = (factors @ factors.mT).numpy()
    np.testing.assert_allclose(np.diagonal(correlations, axis1=-2, axis2=-1), 1.0, rtol=1e-12)
    r = correlations[..., 1, 3]
    assert _agree(r, np.zeros(3), 1 / (2 * eta.numpy() + 3))
    assert not _agree(r, np.zeros(3), 1 / (2 * eta.numpy() * 1.3 + 3))


def test_wishart_moments():
    """Bartlett draws: entrywise mean df Sigma and variance df (Sigma_ij^2 + Sigma_ii Sigma_jj); a larger df
    fails."""
    bp.manual_seed(11)
    sigma = _t([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 0.7]])
    dist = D.Wishart(_t([3.5, 8.0]), covariance_matrix=sigma)
    draws = dist.sample((N // 4,)).numpy()
    assert _agree(draws, dist.mean.numpy(), dist.variance.numpy())
    wrong = D.Wishart(_t([3.8, 8.8]), covariance_matrix=sigma)
    assert not _agree(draws, wrong.mean.numpy(), wrong.variance.numpy())
