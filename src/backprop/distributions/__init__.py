"""Probability distributions (torch.distributions): sampling, densities, entropies and KL divergences, all
differentiable with respect to the parameters.

Two ways to differentiate an expectation E_{x ~ p_theta}[f(x)]:

- the score function (REINFORCE): grad = E[f(x) grad log p_theta(x)]; works for any distribution, discrete
  ones included: ``loss = -(dist.log_prob(action) * reward).mean()``;
- the reparameterisation trick: x = g(theta, eps) with parameter-free noise eps, grad = E[grad f(g(theta, eps))];
  lower variance, for distributions with ``has_rsample``: ``loss = f(dist.rsample()).mean()``.

Draws come from backprop's default generator: ``bp.manual_seed`` makes them repeat.
"""
from backprop.distributions import constraints, transforms
from backprop.distributions.bernoulli import Bernoulli
from backprop.distributions.beta import Beta
from backprop.distributions.binomial import Binomial
from backprop.distributions.categorical import Categorical
from backprop.distributions.cauchy import Cauchy
from backprop.distributions.chi2 import Chi2
from backprop.distributions.constraint_registry import biject_to, transform_to
from backprop.distributions.continuous_bernoulli import ContinuousBernoulli
from backprop.distributions.dirichlet import Dirichlet
from backprop.distributions.distribution import Distribution
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.exponential import Exponential
from backprop.distributions.fishersnedecor import FisherSnedecor
from backprop.distributions.gamma import Gamma
from backprop.distributions.generalized_pareto import GeneralizedPareto
from backprop.distributions.geometric import Geometric
from backprop.distributions.gumbel import Gumbel
from backprop.distributions.half_normal import HalfCauchy, HalfNormal
from backprop.distributions.independent import Independent
from backprop.distributions.inverse_gamma import InverseGamma
from backprop.distributions.kumaraswamy import Kumaraswamy
from backprop.distributions.kl import kl_divergence, register_kl
from backprop.distributions.laplace import Laplace
from backprop.distributions.lkj_cholesky import LKJCholesky
from backprop.distributions.log_normal import LogNormal
from backprop.distributions.logistic_normal import LogisticNormal
from backprop.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from backprop.distributions.mixture_same_family import MixtureSameFamily
from backprop.distributions.multinomial import Multinomial
from backprop.distributions.multivariate_normal import MultivariateNormal
from backprop.distributions.negative_binomial import NegativeBinomial
from backprop.distributions.normal import Normal
from backprop.distributions.one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from backprop.distributions.pareto import Pareto
from backprop.distributions.poisson import Poisson
from backprop.distributions.relaxed_bernoulli import RelaxedBernoulli
from backprop.distributions.relaxed_categorical import RelaxedOneHotCategorical
from backprop.distributions.studentT import StudentT
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.transforms import *  # noqa: F401,F403  (torch.distributions exports them too)
from backprop.distributions.uniform import Uniform
from backprop.distributions.von_mises import VonMises
from backprop.distributions.weibull import Weibull
from backprop.distributions.wishart import Wishart

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet",
           "Distribution", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto",
           "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy",
           "LKJCholesky", "Laplace", "LogNormal", "LogisticNormal", "LowRankMultivariateNormal",
           "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal",
           "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "StudentT", "TransformedDistribution", "Uniform", "VonMises", "Weibull",
           "Wishart", "biject_to", "kl_divergence", "register_kl", "transform_to"]
__all__.extend(transforms.__all__)
