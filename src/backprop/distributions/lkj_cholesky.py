"""LKJCholesky(dim, concentration): Cholesky factors L of random correlation matrices L L^T, whose density is
proportional to det(L L^T)^(concentration - 1) (Lewandowski, Kurowicka and Joe, 2009)."""
import math

import backprop as bp
from backprop.distributions import constraints
from backprop.distributions.beta import Beta
from backprop.distributions.distribution import Distribution
from backprop.distributions.utils import _draw, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """Draws by the onion method (Lewandowski et al., section 3.2): row i of L is sqrt(y_i) times a uniform
    direction in its first i coordinates, y_i ~ Beta(i/2, concentration + (dim - 2)/2 - (i - 1)/2), and the
    diagonal entry completes the row to unit norm. concentration 1: uniform over correlation matrices; larger:
    nearer the identity. (torch 2.13 draws y_i from Beta(i - 1/2, ...): the same for i = 1, too spread out
    beyond, so its correlations in later rows are not the LKJ's; the tests check ours are.)"""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.shape
        event_shape = (dim, dim)
        marginal = self.concentration + 0.5 * (self.dim - 2)
        row = bp.arange(self.dim, dtype=marginal.dtype, device=marginal.device)
        previous = (row - 1).clamp(min=0)  # row 0 has no entries off the diagonal: its y is not used
        self._beta = Beta((row / 2).clamp(min=0.5), marginal.unsqueeze(-1) - 0.5 * previous)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = tuple(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        with bp.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)  # (..., dim, 1): row i's squared norm off the diagonal
            u = _draw(self.concentration, self._extended_shape(sample_shape),
                      lambda rng, s: rng.standard_normal(s)).tril(-1)
            norm = u.norm(dim=-1, keepdim=True)
            direction = u / bp.where(norm > 0, norm, 1.0)  # row 0 has no entries below the diagonal
            w = y.sqrt() * direction
            diagonal = (1 - (w ** 2).sum(-1)).clamp(min=bp.finfo(w.dtype).tiny).sqrt()
            return w + bp.diag_embed(diagonal)

    def log_prob(self, value):
        """sum_{i>=1} (2 (eta - 1) + dim - i - 1) ln L_ii - ln c(eta), c the normaliser (Lewandowski et al.)."""
        if self._validate_args:
            self._validate_sample(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = bp.arange(2, self.dim + 1, dtype=diagonal.dtype, device=diagonal.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + bp.mvlgamma(alpha - 0.5, dm1) - bp.lgamma(alpha) * dm1
        return unnormalized - normalizer
