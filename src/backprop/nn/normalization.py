"""Normalisation layers: BatchNorm1d, BatchNorm2d (Ioffe & Szegedy 2015) and LayerNorm (Ba et al. 2016).

Batch norm standardises each channel over the batch, z~ = (z - mu_B) /
sqrt(sigma_B^2 + eps), then y = gamma z~ + beta. In training mode mu_B and
sigma_B^2 are the batch's statistics and running averages are kept
(``running_mean``, ``running_var``, ``num_batches_tracked`` buffers, under
torch's state_dict keys); in evaluation mode the running averages are used,
so one example's output does not depend on the rest of its batch.
"""
import warnings

from backprop import creation
from backprop import dtypes
from backprop.nn import init
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops import normalization as N

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Module):
    _dims = ()
    _version = 2  # version 2 added num_batches_tracked: older state dicts load without it (as torch)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self._has_bias = affine, track_running_stats, bias and affine
        if affine:
            self.weight = Parameter(creation.ones(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(creation.zeros(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", creation.ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=dtypes.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            # a state dict from before the counter (or a plain dict without metadata): start it at 0, as torch
            state_dict[key] = creation.tensor(0, dtype=dtypes.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check(self, input):
        name = type(self).__name__
        if input.ndim not in self._dims:
            expected = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(f"{name}: expected {expected} input (N, C{', ...' if max(self._dims) > 2 else ''}), "
                             f"got {input.ndim}D input of shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}(num_features={self.num_features}): expected input with "
                             f"{self.num_features} channels in dim 1, got shape {tuple(input.shape)}")

    def forward(self, input):
        self._check(input)
        momentum = self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        use_batch = self.training or self.running_mean is None
        # A module in training mode updates its running statistics; one without them always uses the batch's.
        track = not self.training or self.track_running_stats
        return N.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, momentum, self.eps,
                            num_batches_tracked=self.num_batches_tracked)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self._has_bias}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm of an (N, C) or (N, C, L) input, per channel C over N (and L).

    Training: y = gamma (z - mu_B) / sqrt(sigma_B^2 + eps) + beta with the
    batch statistics; running_mean/var <- (1 - momentum) old + momentum new
    (unbiased batch variance; momentum=None: the cumulative average).
    Evaluation: the running statistics instead.

    >>> import backprop as bp
    >>> BatchNorm1d(3)(bp.randn(4, 3)).shape
    backprop.Size([4, 3])
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm of an (N, C, H, W) input, per channel C over N, H and W (see BatchNorm1d).

    >>> import backprop as bp
    >>> BatchNorm2d(3)(bp.randn(2, 3, 4, 4)).shape
    backprop.Size([2, 3, 4, 4])
    """

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm of an (N, C, D, H, W) input, per channel C over N, D, H and W (see BatchNorm1d).

    >>> import backprop as bp
    >>> BatchNorm3d(3)(bp.randn(2, 3, 2, 4, 4)).shape
    backprop.Size([2, 3, 2, 4, 4])
    """

    _dims = (5,)


class LayerNorm(Module):
    """Layer norm: each example standardised over its trailing ``normalized_shape`` dims.

    y = gamma (z - mu) / sqrt(sigma^2 + eps) + beta with mu, sigma^2 of the
    example itself: the same in training and evaluation. ``weight`` (gamma)
    starts at 1 and ``bias`` (beta) at 0, both of ``normalized_shape``.

    >>> import backprop as bp
    >>> LayerNorm(4)(bp.randn(2, 4)).shape
    backprop.Size([2, 4])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self._has_bias = bias and elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(creation.zeros(*shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm(normalized_shape={self.normalized_shape}): expected input of shape "
                             f"(*, {', '.join(map(str, self.normalized_shape))}), got {tuple(input.shape)}")
        return N.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self._has_bias}")


# ---------------------------------------------------------------- GroupNorm, InstanceNorm, LocalResponseNorm, RMSNorm
# Where each layer averages, for an (N, C, H, W) input: BatchNorm over (N, H, W) per channel; LayerNorm over
# the trailing normalized_shape of each example; GroupNorm over (C / G channels, H, W) per example and group;
# InstanceNorm over (H, W) per example and channel; RMSNorm like LayerNorm but divides by the root mean
# square without centring. Only BatchNorm (and InstanceNorm with track_running_stats) differs in evaluation.
__all__ += ["GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "RMSNorm"]


class GroupNorm(Module):
    """Group norm (Wu & He 2018): the channels split into ``num_groups`` groups, each example standardised
    over each group's channels and positions; y = gamma[c] x~ + beta[c] (per channel, 1 and 0 at first).
    Independent of the batch: the same in training and evaluation.

    >>> import backprop as bp
    >>> GroupNorm(2, 4)(bp.randn(3, 4, 5, 5)).shape
    backprop.Size([3, 4, 5, 5])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self._has_bias = bias and affine
        for name, fill, wanted in (("weight", creation.ones, affine), ("bias", creation.zeros, self._has_bias)):
            if wanted:
                setattr(self, name, Parameter(fill(num_channels, dtype=dtype, device=device)))
            else:
                self.register_parameter(name, None)

    reset_parameters = LayerNorm.reset_parameters  # gamma = 1, beta = 0

    def forward(self, input):
        return N.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self._has_bias}"


class _InstanceNorm(_BatchNorm):
    """Instance norm: each (example, channel) standardised over its positions. Parameters (affine=False by
    default) and running statistics (track_running_stats=False by default) as batch norm's, same keys."""

    _no_batch_dims = None  # the dims of an unbatched input (C, *spatial)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        name, batched = type(self).__name__, self._no_batch_dims + 1
        if input.ndim not in (self._no_batch_dims, batched):
            raise ValueError(f"{name}: expected {self._no_batch_dims}D or {batched}D input, got {input.ndim}D input "
                             f"of shape {tuple(input.shape)}")
        channels = input.shape[input.ndim - self._no_batch_dims]
        if channels != self.num_features:
            message = (f"{name}(num_features={self.num_features}): expected {self.num_features} channels, got "
                       f"input of shape {tuple(input.shape)}")
            if self.affine:
                raise ValueError(message)
            warnings.warn(message + "; the running statistics and parameters are not used per channel",
                          UserWarning, stacklevel=2)
        unbatched = input.ndim == self._no_batch_dims
        x = input.unsqueeze(0) if unbatched else input
        y = N.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L): each channel of each example standardised over L.

    >>> import backprop as bp
    >>> InstanceNorm1d(3)(bp.randn(2, 3, 5)).shape
    backprop.Size([2, 3, 5])
    """

    _no_batch_dims = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or (C, H, W): each feature map standardised over its H x W positions
    (style transfer's normalisation)."""

    _no_batch_dims = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) or (C, D, H, W)."""

    _no_batch_dims = 4


class LocalResponseNorm(Module):
    """Local response norm (Krizhevsky et al. 2012) across neighbouring channels:
    y[c] = x[c] / (k + alpha / size * sum of x^2 over the ``size`` channels around c)^beta."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return N.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class RMSNorm(Module):
    """RMS norm (Zhang & Sennrich 2019) over the trailing ``normalized_shape`` dims:
    y = x / sqrt(mean(x^2) + eps) * gamma; ``eps=None`` takes the input dtype's machine epsilon;
    ``weight`` (gamma) starts at 1. No bias, no centring.

    >>> import backprop as bp
    >>> RMSNorm(4)(bp.randn(2, 4)).shape
    backprop.Size([2, 4])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return N.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
