"""HalfCauchy(scale): |x| for x ~ Cauchy(0, scale) (written beside HalfNormal, in half_normal.py)."""
from backprop.distributions.half_normal import HalfCauchy

__all__ = ["HalfCauchy"]
