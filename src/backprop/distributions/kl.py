"""KL divergence KL(p || q) = E_p[log p(x) - log q(x)] in closed form, looked up by the pair of types.

``register_kl(TypeP, TypeQ)`` registers a function for a pair; ``kl_divergence(p, q)`` finds the most specific
registered pair for type(p), type(q) (through their base classes) and raises NotImplementedError when none
matches. Where q has no mass on part of p's support, the divergence is inf.
"""
import math
import warnings
from functools import total_ordering

import backprop as bp
from backprop.distributions.bernoulli import Bernoulli
from backprop.distributions.beta import Beta
from backprop.distributions.binomial import Binomial
from backprop.distributions.categorical import Categorical
from backprop.distributions.cauchy import Cauchy
from backprop.distributions.continuous_bernoulli import ContinuousBernoulli
from backprop.distributions.dirichlet import Dirichlet
from backprop.distributions.distribution import Distribution
from backprop.distributions.exp_family import ExponentialFamily
from backprop.distributions.exponential import Exponential
from backprop.distributions.gamma import Gamma
from backprop.distributions.geometric import Geometric
from backprop.distributions.gumbel import Gumbel
from backprop.distributions.half_normal import HalfNormal
from backprop.distributions.independent import Independent
from backprop.distributions.laplace import Laplace
from backprop.distributions.multivariate_normal import MultivariateNormal, _batch_mahalanobis, _half_log_det
from backprop.distributions.normal import Normal
from backprop.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from backprop.distributions.one_hot_categorical import OneHotCategorical
from backprop.distributions.pareto import Pareto
from backprop.distributions.poisson import Poisson
from backprop.distributions.transformed_distribution import TransformedDistribution
from backprop.distributions.uniform import Uniform
from backprop.distributions.utils import _sum_rightmost, euler_constant
from backprop.ops.nn_activation import softplus

__all__ = ["register_kl", "kl_divergence"]

_KL_REGISTRY = {}  # (type_p, type_q) -> function
_KL_MEMOIZE = {}  # (type_p, type_q) -> the function found for them

def register_kl(type_p, type_q):
    """Decorator: ``@register_kl(Normal, Normal) def kl(p, q): ...`` makes kl_divergence use it for the pair."""
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun

    return decorator


@total_ordering
class _Match:
    """A registered pair, ordered by how specific it is for the types looked up (smaller: more specific)."""

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch_kl(type_p, type_q):
    """The function of the most specific registered pair for (type_p, type_q), or NotImplemented."""
    matches = [(super_p, super_q) for super_p, super_q in _KL_REGISTRY
               if issubclass(type_p, super_p) and issubclass(type_q, super_q)]
    if not matches:
        return NotImplemented
    left_p, left_q = min(_Match(*m) for m in matches).types  # most specific in p first
    right_q, right_p = min(_Match(*reversed(m)) for m in matches).types  # most specific in q first
    left_fun, right_fun = _KL_REGISTRY[left_p, left_q], _KL_REGISTRY[right_p, right_q]
    if left_fun is not right_fun:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). Please register_kl("
                      f"{left_p.__name__}, {right_q.__name__})", RuntimeWarning)
    return left_fun


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p(x) - log q(x)], of shape batch_shape, in closed form for the registered pairs."""
    key = type(p), type(q)
    if key not in _KL_MEMOIZE:
        _KL_MEMOIZE[key] = _dispatch_kl(*key)
    fun = _KL_MEMOIZE[key]
    if fun is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type "
                                  f"{q.__class__.__name__}")
    return fun(p, q)


def _infinite_like(tensor):
    return bp.full_like(tensor, math.inf)


def _inf_where(condition, value):
    """``value`` with inf where ``condition`` holds (q gives those points no mass)."""
    return bp.where(condition, math.inf, value)


def _x_log_x(x):
    return x * x.log()


# ------------------------------------------------------------- pairs of the same family
@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """torch's fallback for two members of exponential families (the Bregman divergence of the log-normaliser);
    every family here has its own pair, so only the error for two different families remains."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential families cannot be "
                                  "computed using Bregman divergences")
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
                              f"{type(q).__name__}")


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    """p ln(p/q) + (1-p) ln((1-p)/(1-q)), from the logits (ln p = -softplus(-l), ln(1-p) = -softplus(l))."""
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = bp.where(p.probs == 0, 0.0, _inf_where(q.probs == 0, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = bp.where(p.probs == 1, 0.0, _inf_where(q.probs == 1, t2))
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sum_p.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sum_q.lgamma()
    t3 = (p.concentration1 - q.concentration1) * bp.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * bp.digamma(p.concentration0)
    t5 = (sum_q - sum_p) * bp.digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    """n (p ln(p/q) + (1-p) ln((1-p)/(1-q))) for equal counts; inf where p's count exceeds q's."""
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return _inf_where(p.total_count > q.total_count, kl)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    """sum_k p_k (ln p_k - ln q_k): 0 where p_k = 0, inf where q_k = 0 < p_k."""
    t = p.probs * (p.logits - q.logits)
    t = _inf_where((q.probs == 0).expand_as(t), t)
    t = bp.where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = sum_p.lgamma() - sum_q.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = bp.digamma(p.concentration) - bp.digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = q.concentration.lgamma() - p.concentration.lgamma()
    t3 = (p.concentration - q.concentration) * bp.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    return -scale_ratio.log() + loc_abs_diff / q.scale + scale_ratio * (-loc_abs_diff / p.scale).exp() - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    """(tr(Sq^-1 Sp) + (mq - mp)^T Sq^-1 (mq - mp) - k) / 2 + ln sqrt(det Sq / det Sp)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    half_term1 = _half_log_det(q._unbroadcasted_scale_tril) - _half_log_det(p._unbroadcasted_scale_tril)
    k = p.event_shape[0]
    batch = bp.broadcast_shapes(q._unbroadcasted_scale_tril.shape[:-2], p._unbroadcasted_scale_tril.shape[:-2])
    q_tril = q._unbroadcasted_scale_tril.expand(tuple(batch) + (k, k))
    p_tril = p._unbroadcasted_scale_tril.expand(tuple(batch) + (k, k))
    term2 = bp.linalg.solve(q_tril.tril(), p_tril).pow(2).sum((-2, -1))  # |Lq^-1 Lp|_F^2 = tr(Sq^-1 Sp)
    term3 = _batch_mahalanobis(q._unbroadcasted_scale_tril, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - k)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return bp.xlogy(p.rate, p.rate) - bp.xlogy(p.rate, q.rate) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _inf_where((q.low > p.low) | (q.high < p.high), result)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    """ln(((g_p + g_q)^2 + (x_p - x_q)^2) / (4 g_p g_q))."""
    return ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log() - (4 * p.scale * q.scale).log()


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    """-H(p) - E_p[k] ln(1 - q) - ln q = -H(p) - ln(1 - q) / p - logit(q)."""
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    """ln(b_q / b_p) + gamma (b_p / b_q - 1) + (m_p - m_q) / b_q + e^((m_q - m_p) / b_q) Gamma(1 + b_p / b_q) - 1."""
    ratio = p.scale / q.scale
    shift = (p.loc - q.loc) / q.scale
    return (-ratio.log() + euler_constant * (ratio - 1) + shift + (-shift + bp.lgamma(1 + ratio)).exp() - 1)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


# ------------------------------------------------------------- pairs of different families
# -H(p) - E_p[log q(x)], with the moments of p; inf where p has mass outside q's support
def _normal_cross_entropy(mean, second_moment_about, q):
    """-E_p[log q(x)] for a Normal q, given E_p[(x - mu_q)^2]."""
    return (q.scale * math.sqrt(2 * math.pi)).log() + second_moment_about / (2 * q.scale.pow(2))


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    e_log_x = bp.digamma(p.concentration1) - bp.digamma(p.concentration1 + p.concentration0)
    return (-p.entropy() - q.concentration * q.rate.log() + q.concentration.lgamma()
            - (q.concentration - 1) * e_log_x + q.rate * p.mean)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + (p.mean - q.loc).pow(2), q)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low > 0) | (q.high < 1), result)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    e_log_x = -euler_constant - p.rate.log()
    return (-p.entropy() - q.concentration * q.rate.log() + q.concentration.lgamma()
            - (q.concentration - 1) * e_log_x + q.rate / p.rate)


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    second = 2 / p.rate.pow(2) - 2 * q.loc / p.rate + q.loc.pow(2)  # E[(x - mu)^2] for x ~ Exp(rate)
    return -p.entropy() + _normal_cross_entropy(p.mean, second, q)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + (p.mean - q.loc).pow(2), q)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + (p.loc - q.loc).pow(2), q)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    """-H(p) + ln(2b) + E|x - m|/b, with E|x - m| = s sqrt(2/pi) e^(-d^2 / 2s^2) + d erf(d / (s sqrt 2)),
    d = mu - m, for x ~ N(mu, s^2)."""
    d = p.loc - q.loc
    expected_abs = (p.scale * math.sqrt(2 / math.pi) * (-d.pow(2) / (2 * p.scale.pow(2))).exp()
                    + d * bp.erf(d / (p.scale * math.sqrt(2))))
    return -p.entropy() + (2 * q.scale).log() + expected_abs / q.scale


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -p.entropy() - q.rate.log() + q.rate * p.mean
    return _inf_where(p.low < 0, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    """E[ln x] over U(a, b) = (b ln b - a ln a) / (b - a) - 1."""
    e_log_x = (_x_log_x(p.high) - _x_log_x(p.low)) / (p.high - p.low) - 1
    result = (-p.entropy() - q.concentration * q.rate.log() + q.concentration.lgamma()
              - (q.concentration - 1) * e_log_x + q.rate * p.mean)
    return _inf_where(p.low < 0, result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    """E[(x - mu)^2] over U(a, b) = ((b - mu)^3 - (a - mu)^3) / (3 (b - a))."""
    second = ((p.high - q.loc).pow(3) - (p.low - q.loc).pow(3)) / (3 * (p.high - p.low))
    return -p.entropy() + _normal_cross_entropy(p.mean, second, q)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    """ln(a_p / a_q) + a_q ln(s_p / s_q) + a_q / a_p - 1; inf where p starts below q's support."""
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return _inf_where(p.scale < q.scale, result)


def _pareto_moments(p, alpha):
    """E[x], E[x^2] and E[ln x] of a Pareto, with ``alpha`` in place of p.alpha (a safe value where a moment
    does not exist: the caller puts inf there, so that no gradient flows through it)."""
    first = alpha * p.scale / (alpha - 1)
    second = alpha * p.scale.pow(2) / (alpha - 2)
    return first, second, p.scale.log() + p.alpha.reciprocal()


def _safe_alpha(p, minimum):
    return bp.where(p.alpha > minimum, p.alpha, minimum + 1.0)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    first, _, _ = _pareto_moments(p, _safe_alpha(p, 1))
    return _inf_where(p.alpha <= 1, -p.entropy() - q.rate.log() + q.rate * first)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    first, _, e_log_x = _pareto_moments(p, _safe_alpha(p, 1))
    result = (-p.entropy() - q.concentration * q.rate.log() + q.concentration.lgamma()
              - (q.concentration - 1) * e_log_x + q.rate * first)
    return _inf_where(p.alpha <= 1, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    first, second, _ = _pareto_moments(p, _safe_alpha(p, 2))
    result = -p.entropy() + _normal_cross_entropy(first, second - 2 * q.loc * first + q.loc.pow(2), q)
    return _inf_where(p.alpha <= 2, result)


def _gumbel_cross_entropy(e_x, e_exp_minus_x_over_b, q):
    """-E_p[log q(x)] for a Gumbel q: ln b + E[z] + E[e^-z], z = (x - mu) / b, given E[x] and E[e^(-x/b)]."""
    return q.scale.log() + (e_x - q.loc) / q.scale + (q.loc / q.scale).exp() * e_exp_minus_x_over_b


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    return -p.entropy() + _gumbel_cross_entropy(p.mean, p.rate / (p.rate + q.scale.reciprocal()), q)


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    laplace = (p.rate / (p.rate + q.scale.reciprocal())).pow(p.concentration)  # E[e^(-x/b)]
    return -p.entropy() + _gumbel_cross_entropy(p.mean, laplace, q)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    laplace = (-p.loc / q.scale + 0.5 * (p.scale / q.scale).pow(2)).exp()  # E[e^(-x/b)]
    return -p.entropy() + _gumbel_cross_entropy(p.loc, laplace, q)


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    """E[e^(-x/b)] over U(lo, hi) = b (e^(-lo/b) - e^(-hi/b)) / (hi - lo)."""
    laplace = q.scale * ((-p.low / q.scale).exp() - (-p.high / q.scale).exp()) / (p.high - p.low)
    return -p.entropy() + _gumbel_cross_entropy(p.mean, laplace, q)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + (p.mean - q.loc).pow(2), q)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    """E[ln x] and E[ln(1 - x)] over U(lo, hi) in closed form; inf where U leaves [0, 1]."""
    width = p.high - p.low
    e_log_x = (_x_log_x(p.high) - _x_log_x(p.low)) / width - 1
    e_log_1mx = (_x_log_x(1 - p.low) - _x_log_x(1 - p.high)) / width - 1
    log_beta = (q.concentration1.lgamma() + q.concentration0.lgamma()
                - (q.concentration1 + q.concentration0).lgamma())
    result = (-p.entropy() + log_beta - (q.concentration1 - 1) * e_log_x - (q.concentration0 - 1) * e_log_1mx)
    return _inf_where((p.low < 0) | (p.high > 1), result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    """-E[log q(x)] = -ln a - a ln s + (a + 1) E[ln x]; inf where U starts below the Pareto's scale."""
    e_log_x = (_x_log_x(p.high) - _x_log_x(p.low)) / (p.high - p.low) - 1
    result = -p.entropy() - q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * e_log_x
    return _inf_where(p.low < q.scale, result)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_pairs(p, q):
    """The Gaussian KL (tr(Sq^-1 Sp) + (mq - mp)^T Sq^-1 (mq - mp) - k + ln det Sq - ln det Sp) / 2 with
    the full covariances (k x k): simple rather than fast."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with different event shapes "
                         "cannot be computed")
    k = p.event_shape[0]
    q_tril = _scale_tril(q).tril()  # read in a triangular solve: only its lower triangle counts
    p_tril = _scale_tril(p)
    trace = bp.linalg.solve(q_tril, p_tril).pow(2).sum((-2, -1))  # |Lq^-1 Lp|_F^2 = tr(Sq^-1 Sp)
    mahalanobis = _batch_mahalanobis(q_tril, q.loc - p.loc)
    log_det_ratio = 2 * (_half_log_det(q_tril) - _half_log_det(p_tril))
    return 0.5 * (trace + mahalanobis - k + log_det_ratio)


def _scale_tril(d):
    """A lower Cholesky factor of a (low-rank) multivariate normal's covariance."""
    if isinstance(d, MultivariateNormal):
        return d._unbroadcasted_scale_tril
    return bp.linalg.cholesky(d.covariance_matrix)


def _continuous_bernoulli_cross_entropy(mean, q):
    """-E_p[log q(x)] for a ContinuousBernoulli q, given E_p[x]: -(E[x] ln q + (1 - E[x]) ln(1 - q) + ln C(q))."""
    return -(mean * q.probs.log() + (1 - mean) * (-q.probs).log1p() + q._log_normalizer_of_probs())


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    return -p.entropy() + _continuous_bernoulli_cross_entropy(p.mean, q)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    return -p.entropy() + _continuous_bernoulli_cross_entropy(p.mean, q)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = -p.entropy() + _continuous_bernoulli_cross_entropy(p.mean, q)
    return _inf_where((p.low < 0) | (p.high > 1), result)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance + (p.mean - q.loc).pow(2), q)


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    return _inf_where((q.low > 0) | (q.high < 1), result)


def _register_infinite(pairs):
    """Pairs where p puts mass where q has none everywhere in the batch (a continuous p and a q on a bounded or
    half-bounded set, or a discrete p on more values than q's support): KL is inf."""
    for type_p, type_q in pairs:
        register_kl(type_p, type_q)(_kl_infinity)


def _kl_infinity(p, q):
    """inf, of p's batch shape."""
    like = next(v for v in (getattr(p, name, None) for name in ("rate", "loc", "scale", "concentration1",
                                                                   "concentration", "probs"))
                if isinstance(v, bp.Tensor))
    return _infinite_like(like)


_register_infinite([(Exponential, Beta), (Exponential, Uniform), (Gamma, Beta), (Gamma, Uniform),
                    (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Uniform),
                    (Normal, Beta), (Normal, Exponential), (Normal, Gamma), (Normal, Uniform),
                    (Poisson, Bernoulli), (Poisson, Binomial), (Beta, Pareto), (Exponential, Pareto),
                    (Gamma, Pareto), (Gumbel, Beta), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Pareto),
                    (Gumbel, Uniform), (Laplace, Pareto), (Normal, Pareto), (Pareto, Beta), (Pareto, Uniform),
                    (ContinuousBernoulli, Pareto), (Exponential, ContinuousBernoulli),
                    (Gamma, ContinuousBernoulli), (Gumbel, ContinuousBernoulli), (Laplace, ContinuousBernoulli),
                    (Normal, ContinuousBernoulli), (Pareto, ContinuousBernoulli)])
