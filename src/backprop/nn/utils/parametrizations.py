"""Weight and spectral normalisation as parametrizations (torch.nn.utils.parametrizations).

The newer form of ``nn.utils.weight_norm`` / ``spectral_norm``: the tensor
lives in ``module.parametrizations.weight`` (``original0`` = g and
``original1`` = v for weight norm; ``original`` for spectral norm, whose
power-iteration vectors are the buffers ``0._u`` and ``0._v``), and
``module.weight`` is computed from it at each read (see ``parametrize``).
"""
from backprop import autograd
from backprop.nn import functional as F
from backprop.nn.module import Module
from backprop.nn.utils import parametrize
from backprop.nn.utils.spectral_norm import _is_conv_transpose
from backprop.nn.utils.weight_norm import _weight_norm, norm_except_dim
from backprop.tensor import Tensor

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """w = g v / ||v|| from (g, v); its right inverse splits a weight into its norms and itself."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrise ``module.<name>`` as g v / ||v|| (norms over every axis but ``dim``; ``dim=None``: the
    whole tensor). The state_dict holds ``parametrizations.<name>.original0`` (g) and ``original1`` (v); a
    state_dict of the legacy form (``<name>_g``, ``<name>_v``) loads too. Returns the module.

    >>> import backprop as bp
    >>> list(weight_norm(bp.nn.Linear(3, 2)).state_dict())
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_legacy_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(rename_legacy_keys)
    return module


class _SpectralNorm(Module):
    """W / sigma(W), sigma estimated by power iteration on the buffers ``_u``, ``_v`` (one step per
    training-mode evaluation); a 1-d weight is simply normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim % ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._as_matrix(weight)
            rows, columns = matrix.shape
            with autograd.no_grad():
                self.register_buffer("_u", F.normalize(matrix.new_empty(rows).normal_(0, 1), dim=0, eps=eps))
                self.register_buffer("_v", F.normalize(matrix.new_empty(columns).normal_(0, 1), dim=0, eps=eps))
            self._power_method(matrix, 15)  # start from a good estimate

    def _as_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, matrix, steps):
        """u <- normalize(W v), v <- normalize(W^T u), ``steps`` times, in place."""
        with autograd.no_grad():
            for _ in range(steps):
                self._u.copy_(F.normalize(matrix.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(matrix.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._as_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # the graph keeps these values, not the buffers changed later
        return weight / u.dot(matrix.mv(v))

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its largest singular value (``dim`` first, the rest flattened; ``dim``
    defaults to 1 for ConvTranspose layers, else 0). The state_dict holds
    ``parametrizations.<name>.original`` and the power-iteration buffers ``parametrizations.<name>.0._u``,
    ``...0._v``. Returns the module.

    >>> import backprop as bp
    >>> list(spectral_norm(bp.nn.Linear(3, 2)).state_dict())
    ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
