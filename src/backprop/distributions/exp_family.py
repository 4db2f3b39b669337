"""ExponentialFamily: the base class of the distributions whose density is h(x) exp(<theta, t(x)> - F(theta))."""
from backprop.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A distribution of an exponential family (Normal, Bernoulli, Gamma, ...): a marker class here; each family
    writes its entropy and KL divergences in closed form."""
