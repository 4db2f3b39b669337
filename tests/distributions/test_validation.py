"""Argument and value validation as torch's: the same exception type and the same message (its first line,
torch.Size read as backprop.Size), for bad parameters, values outside the support and malformed calls; and
validation switched off per distribution or by default."""
import pytest
import torch

import backprop as bp
import backprop.distributions as D

nan = float("nan")

BAD = {
    "Normal.scale": lambda d, t: d.Normal(0.0, -1.0),
    "Normal.loc_nan": lambda d, t: d.Normal(t([0.0, nan]), t([1.0, 1.0])),
    "Normal.value_shape": lambda d, t: d.Normal(t([0.0, 1.0]), 1.0).log_prob(t([1.0, 2.0, 3.0])),
    "Normal.value_not_tensor": lambda d, t: d.Normal(0.0, 1.0).log_prob(0.5),
    "Uniform.low_above_high": lambda d, t: d.Uniform(1.0, 0.0),
    "Uniform.value_outside": lambda d, t: d.Uniform(0.0, 1.0).log_prob(t(1.5)),
    "Exponential.rate": lambda d, t: d.Exponential(t([1.0, 0.0])),
    "Exponential.value": lambda d, t: d.Exponential(t([1.0])).log_prob(t([-1.0])),
    "Laplace.scale": lambda d, t: d.Laplace(0.0, 0.0),
    "Categorical.neither": lambda d, t: d.Categorical(),
    "Categorical.both": lambda d, t: d.Categorical(probs=t([0.5, 0.5]), logits=t([0.0, 0.0])),
    "Categorical.scalar_probs": lambda d, t: d.Categorical(probs=t(0.5)),
    "Categorical.scalar_logits": lambda d, t: d.Categorical(logits=t(0.5)),
    "Categorical.negative_probs": lambda d, t: d.Categorical(probs=t([-0.1, 1.1])),
    "Categorical.value": lambda d, t: d.Categorical(logits=t([0.0, 0.0, 0.0])).log_prob(t(3)),
    "Categorical.value_fraction": lambda d, t: d.Categorical(logits=t([0.0, 0.0, 0.0])).log_prob(t(1.5)),
    "Bernoulli.probs": lambda d, t: d.Bernoulli(probs=t([1.5])),
    "Bernoulli.neither": lambda d, t: d.Bernoulli(),
    "Bernoulli.value": lambda d, t: d.Bernoulli(probs=t([0.5])).log_prob(t([0.5])),
    "Binomial.count": lambda d, t: d.Binomial(t([2.5]), probs=t([0.5])),
    "Binomial.value": lambda d, t: d.Binomial(3, probs=t([0.5])).log_prob(t([4.0])),
    "Multinomial.count": lambda d, t: d.Multinomial(t(3), probs=t([0.5, 0.5])),
    "Multinomial.value": lambda d, t: d.Multinomial(3, probs=t([0.5, 0.5])).log_prob(t([-1.0, 4.0])),
    "Poisson.rate": lambda d, t: d.Poisson(t([-1.0])),
    "Poisson.value": lambda d, t: d.Poisson(t([1.0])).log_prob(t([1.5])),
    "Gamma.concentration": lambda d, t: d.Gamma(t([-1.0]), t([1.0])),
    "Gamma.value": lambda d, t: d.Gamma(t([1.0]), t([1.0])).log_prob(t([-0.5])),
    "Beta.concentration": lambda d, t: d.Beta(t([0.0]), t([1.0])),
    "Beta.value": lambda d, t: d.Beta(t([2.0]), t([1.0])).log_prob(t([1.5])),
    "Dirichlet.concentration": lambda d, t: d.Dirichlet(t([1.0, -1.0])),
    "Dirichlet.scalar": lambda d, t: d.Dirichlet(t(1.0)),
    "Dirichlet.value": lambda d, t: d.Dirichlet(t([1.0, 1.0])).log_prob(t([0.7, 0.7])),
    "OneHotCategorical.value": lambda d, t: d.OneHotCategorical(probs=t([0.5, 0.5])).log_prob(t([1.0, 1.0])),
    "MVN.not_positive_definite": lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]])),
    "MVN.not_symmetric": lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.5], [0.0, 1.0]])),
    "MVN.scale_tril": lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.0], [0.5, -1.0]])),
    "MVN.two_matrices": lambda d, t: d.MultivariateNormal(t([0.0]), t([[1.0]]), scale_tril=t([[1.0]])),
    "MVN.scalar_loc": lambda d, t: d.MultivariateNormal(t(0.0), t([[1.0]])),
    "MVN.vector_matrix": lambda d, t: d.MultivariateNormal(t([0.0]), t([1.0])),
    "Independent.ndims": lambda d, t: d.Independent(d.Normal(t([0.0]), 1.0), 2),
    "Transformed.transforms": lambda d, t: d.TransformedDistribution(d.Normal(0.0, 1.0), "exp"),
    "Transformed.list": lambda d, t: d.TransformedDistribution(d.Normal(0.0, 1.0), [d.ExpTransform(), 3]),
    "LogNormal.value": lambda d, t: d.LogNormal(0.0, 1.0).log_prob(t(-1.0)),
    "Transform.cache_size": lambda d, t: d.ExpTransform(cache_size=2),
    "Geometric.zero": lambda d, t: d.Geometric(probs=t([0.5, 0.0])),
    "Geometric.value": lambda d, t: d.Geometric(probs=t([0.5])).log_prob(t([-1.0])),
    "StudentT.df": lambda d, t: d.StudentT(t([0.0])),
    "Cauchy.scale": lambda d, t: d.Cauchy(0.0, -1.0),
    "HalfNormal.value": lambda d, t: d.HalfNormal(t([1.0])).log_prob(t([-1.0])),
    "LowRank.diag": lambda d, t: d.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.0]]), t([1.0, -1.0])),
    "LowRank.factor_shape": lambda d, t: d.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0, 2.0]]),
                                                                      t([1.0, 1.0])),
    "Mixture.not_categorical": lambda d, t: d.MixtureSameFamily(d.Normal(0.0, 1.0), d.Normal(t([0.0]), 1.0)),
    "Mixture.components": lambda d, t: d.MixtureSameFamily(d.Categorical(logits=t([0.0, 0.0])),
                                                            d.Normal(t([0.0, 1.0, 2.0]), 1.0)),
    "LKJCholesky.dim": lambda d, t: d.LKJCholesky(1),
    "LKJCholesky.value": lambda d, t: d.LKJCholesky(2, 1.0).log_prob(t([[1.0, 0.0], [0.5, 0.5]])),
    "Wishart.df": lambda d, t: d.Wishart(t([1.5]), covariance_matrix=t([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                                                                    [0.0, 0.0, 1.0]])),
    "Wishart.two": lambda d, t: d.Wishart(t(3.0), t([[1.0]]), scale_tril=t([[1.0]])),
    "NegativeBinomial.probs": lambda d, t: d.NegativeBinomial(2.0, probs=t([1.0])),
}


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001  (whatever it is, both libraries must raise the same)
        return type(error), str(error).split("\n")[0]
    return None, None


@pytest.mark.parametrize("name", list(BAD))
def test_errors_as_torch(name):
    theirs_type, theirs = _error(lambda: BAD[name](torch.distributions, torch.tensor))
    ours_type, ours = _error(lambda: BAD[name](D, bp.tensor))
    assert theirs_type is not None, "torch accepts this: the case is wrong"
    assert ours_type is theirs_type, (ours_type, ours, theirs)
    assert ours == theirs.replace("torch.", "backprop."), (ours, theirs)


def test_validation_can_be_switched_off():
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    D.Exponential(bp.tensor([1.0]), validate_args=False).log_prob(bp.tensor([-1.0]))  # no check
    try:
        D.Distribution.set_default_validate_args(False)
        assert float(D.Bernoulli(probs=bp.tensor(1.5)).probs) == 1.5
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Bernoulli(probs=bp.tensor(1.5))
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_lazy_parameters_are_not_validated_until_computed():
    dist = D.Categorical(logits=bp.tensor([0.0, 1.0]))
    assert "probs" not in vars(dist)  # computed on first use, as torch
    assert dist.probs.shape == (2,) and "probs" in vars(dist)


def test_repr_as_torch():
    cases = [lambda d, t: d.Normal(t([0.0, 1.0]), 1.0), lambda d, t: d.Normal(0.0, 1.0),
             lambda d, t: d.Categorical(logits=t([0.0, 1.0])), lambda d, t: d.Beta(t([1.0]), t([2.0])),
             lambda d, t: d.Independent(d.Normal(t([0.0, 1.0]), 1.0), 1), lambda d, t: d.LogNormal(0.0, 1.0),
             lambda d, t: d.MultivariateNormal(t([0.0]), t([[1.0]]))]
    for make in cases:
        assert repr(make(D, bp.tensor)) == repr(make(torch.distributions, torch.tensor)).replace("torch.", "backprop.")
    constraints = [D.constraints.positive, D.constraints.simplex, D.constraints.real_vector,
                   D.constraints.interval(0.0, 1.0), D.constraints.integer_interval(0, 3), D.constraints.one_hot,
                   D.constraints.lower_cholesky, D.constraints.nonnegative_integer, D.constraints.boolean]
    for ours in constraints:
        name = [k for k, v in vars(D.constraints).items() if v is ours]
        theirs = getattr(torch.distributions.constraints, name[0]) if name else None
        if theirs is not None:
            assert repr(ours) == repr(theirs)
