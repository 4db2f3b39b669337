"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits, lazy properties."""
import numbers

import backprop as bp
from backprop.random import numpy_generator
from backprop.tensor import Size, Tensor

__all__ = ["broadcast_all", "euler_constant", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant: -psi(1), E[-ln E] for E ~ Exp(1)


def broadcast_all(*values):
    """The values broadcast to one shape, as tensors: numbers become tensors of the first tensor's dtype and
    device (the default dtype when all are numbers)."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, backprop.Tensor or objects "
                         "implementing __torch_function__.")
    if like is None:
        tensors = [bp.tensor(float(v), dtype=bp.get_default_dtype()) for v in values]
    else:
        tensors = [v if isinstance(v, Tensor) else bp.tensor(v, dtype=like.dtype, device=like.device) for v in values]
    return tuple(bp.broadcast_tensors(*tensors))


def _sum_rightmost(value, dim):
    """The sum over the ``dim`` rightmost dimensions of ``value`` (itself when dim is 0)."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.ndim - dim] + (-1,)).sum(-1)


def clamp_probs(probs):
    """Probabilities kept inside [eps, 1 - eps] of their dtype, so that their logarithms are finite."""
    eps = bp.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log p (categorical) or log p - log(1 - p) (binary), from clamped probabilities."""
    clamped = clamp_probs(probs)
    return bp.log(clamped) - bp.log1p(-clamped) if is_binary else bp.log(clamped)


def logits_to_probs(logits, is_binary=False):
    """sigmoid(logits) (binary) or softmax(logits) over the last dimension (categorical)."""
    return bp.sigmoid(logits) if is_binary else bp.softmax(logits, dim=-1)


class lazy_property:
    """A property computed on first use and then kept on the instance (as a plain attribute), with gradients
    recorded even under no_grad: a distribution built from ``logits`` computes ``probs`` only when asked."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with bp.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def tril_matrix_to_vec(mat, diag=0):
    """The lower triangle (from diagonal ``diag``) of the last two dimensions, as a vector, row by row."""
    n = mat.shape[-1]
    if not -n <= diag < n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    arange = bp.arange(n)
    mask = arange < arange.view(-1, 1) + (diag + 1)
    return mat[..., mask]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of ``tril_matrix_to_vec``: the vector's entries into the lower triangle (from diagonal ``diag``)
    of an n x n matrix, row by row, zeros elsewhere."""
    size = vec.shape[-1]
    n = next((m for m in range(size + 2) if _tril_size(m, diag) >= size), None)
    if n is None or _tril_size(n, diag) != size:
        raise ValueError(f"The size of last dimension is {size} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    arange = bp.arange(n)
    mask = arange < arange.view(-1, 1) + (diag + 1)
    mat = bp.zeros(tuple(vec.shape[:-1]) + (n, n), dtype=vec.dtype, device=vec.device)
    mat[..., mask] = vec
    return mat


def _tril_size(n, diag):
    """How many entries of an n x n matrix lie on or below diagonal ``diag``."""
    return sum(min(max(i + diag + 1, 0), n) for i in range(n))


# ------------------------------------------------------------- drawing from the generator
def _draw(like, shape, draw):
    """A tensor of ``shape`` in ``like``'s dtype and device, from ``draw(numpy_generator, shape)``: every
    distribution samples from backprop's default generator, so ``bp.manual_seed`` makes its samples repeat."""
    array = draw(numpy_generator(None), tuple(shape))
    return bp.tensor(array, dtype=like.dtype, device=like.device)


def _host(t):
    """A tensor's values as a NumPy array (for NumPy's samplers, whose parameters must be arrays)."""
    return t.detach().cpu().numpy()


def _as_size(shape):
    return shape if isinstance(shape, Size) else Size(shape)


# ------------------------------------------------------------- parameterisations shared by several families
class _BinaryParameters:
    """A family given the probability of success ``probs`` or its ``logits`` (Bernoulli, Binomial, Geometric,
    NegativeBinomial, RelaxedBernoulli): exactly one is given, the other is computed when first used."""

    def _set_probs_or_logits(self, probs, logits, *others):
        """Store the given parameter (broadcast with ``others``, returned broadcast); True if it is a number."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        *others, self._param = broadcast_all(*others, value)
        setattr(self, name, self._param)
        return others, isinstance(value, numbers.Number)

    def _expand_binary(self, cls, batch_shape, _instance, names=()):
        new = self._expanded(cls, batch_shape, names + ("probs", "logits"), _instance)
        new._param = new.__dict__["probs"] if "probs" in new.__dict__ else new.__dict__["logits"]
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape


class _CentredAtLoc:
    """A family whose mean and mode are its ``loc`` (Normal, Laplace, the multivariate normals)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


class _LocationScale(_CentredAtLoc):
    """A family of a location ``loc`` and a ``scale`` (Normal, Laplace, Cauchy), broadcast together; the batch
    shape is theirs, () when both are numbers."""

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(() if numbers_only else self.loc.shape, validate_args=validate_args)
