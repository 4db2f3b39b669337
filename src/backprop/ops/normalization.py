"""Batch normalisation and layer normalisation as fused ops.

Both standardise a pre-activation z over a set of positions S (m = |S| values)
and then scale and shift it:

    mu = (1/m) sum_S z,   sigma^2 = (1/m) sum_S (z - mu)^2,
    z~ = (z - mu) / sqrt(sigma^2 + eps),   y = gamma z~ + beta.

Batch norm takes S = the batch (and the spatial positions) of each channel;
layer norm takes S = the trailing ``normalized_shape`` dims of each example.
Because mu and sigma depend on every z in S, the gradient is not just
gamma / sqrt(sigma^2 + eps): with g = dL/dz~ = gamma dL/dy,

    dL/dz = 1 / (m sqrt(sigma^2 + eps)) * (m g - sum_S g - z~ sum_S g z~),
    dL/dgamma = sum dL/dy z~,   dL/dbeta = sum dL/dy.

One node and two reductions instead of the dozen nodes of the composite.
"""
from backprop import autograd
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, require_floating

__all__ = ["batch_norm", "layer_norm"]


def _channel_shape(ndim):
    """(1, C, 1, ...) broadcasting shape for per-channel vectors of an ndim input."""
    return (1, -1) + (1,) * (ndim - 2)


class BatchNorm(Function):
    """y = gamma (z - mu) / sqrt(sigma^2 + eps) + beta per channel (axis 1).

    ``training``: mu, sigma^2 are the batch statistics (given, biased), and the
    gradient flows through them (the batch-norm backward formula);
    otherwise they are the running statistics, constants:
    dL/dz = gamma dL/dy / sqrt(sigma^2 + eps).
    Inputs: x, then gamma if ``has_weight``, then beta if ``has_bias``.
    """

    def forward(self, x, *affine, mean, var, eps, training, has_weight, has_bias):
        xp = backend.array_module(x)
        shape = _channel_shape(x.ndim)
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.training, self.has_weight, self.has_bias = training, has_weight, has_bias
        inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = (x - mean.reshape(shape).astype(x.dtype, copy=False)) * inv_std.reshape(shape)
        self.xhat, self.inv_std = xhat, inv_std
        y = xhat
        if has_weight:
            self.weight = affine[0]
            y = y * affine[0].reshape(shape)
        if has_bias:
            y = y + affine[-1].reshape(shape)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        shape = _channel_shape(grad.ndim)
        xhat, axes = self.xhat, self.axes
        g = grad * self.weight.reshape(shape) if self.has_weight else grad
        if self.training:
            dx = (g - g.mean(axis=axes, keepdims=True)
                  - xhat * (g * xhat).mean(axis=axes, keepdims=True)) * self.inv_std.reshape(shape)
        else:
            dx = g * self.inv_std.reshape(shape)
        grads = [dx if self.needs_input_grad[0] else None]
        if self.has_weight:
            grads.append((grad * xhat).sum(axis=axes) if self.needs_input_grad[1] else None)
        if self.has_bias:
            grads.append(grad.sum(axis=axes))
        return tuple(grads)

    @staticmethod
    def decompose(x, *affine, mean, var, eps, training, has_weight, has_bias):
        """gamma (z - mu) / sqrt(sigma^2 + eps) + beta per channel: mu and sigma^2 computed from z (training)
        or the running statistics given (constants)."""
        shape = _channel_shape(x.ndim)
        if training:
            axes = (0,) + tuple(range(2, x.ndim))
            centred = x - x.mean(axes, keepdim=True)
            var = (centred * centred).mean(axes, keepdim=True)
        else:
            centred = x - mean.astype(x.dtype, copy=False).reshape(shape)
            var = var.astype(x.dtype, copy=False).reshape(shape)
        return _scale_shift(centred / (var + eps) ** 0.5, affine, has_weight, has_bias, shape)


class LayerNorm(Function):
    """y = gamma (z - mu) / sqrt(sigma^2 + eps) + beta, statistics over the last k axes.

    Inputs: x, then gamma if ``has_weight``, then beta if ``has_bias`` (both of
    the normalised shape; the engine sums their gradients over the leading axes).
    """

    def forward(self, x, *affine, axes, eps, has_weight, has_bias):
        xp = backend.array_module(x)
        self.axes, self.has_weight, self.has_bias = axes, has_weight, has_bias
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        self.xhat = centred * self.inv_std
        y = self.xhat
        if has_weight:
            self.weight = affine[0]
            y = y * affine[0]
        if has_bias:
            y = y + affine[-1]
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        xhat, axes = self.xhat, self.axes
        g = grad * self.weight if self.has_weight else grad
        dx = None
        if self.needs_input_grad[0]:
            dx = (g - g.mean(axis=axes, keepdims=True)
                  - xhat * (g * xhat).mean(axis=axes, keepdims=True)) * self.inv_std
        lead = tuple(range(grad.ndim - len(axes)))
        grads = [dx]
        if self.has_weight:
            grads.append((grad * xhat).sum(axis=lead) if self.needs_input_grad[1] else None)
        if self.has_bias:
            grads.append(grad.sum(axis=lead))
        return tuple(grads)

    @staticmethod
    def decompose(x, *affine, axes, eps, has_weight, has_bias):
        """gamma (z - mu) / sqrt(sigma^2 + eps) + beta, mu and sigma^2 over ``axes`` of each example."""
        centred = x - x.mean(axes, keepdim=True)
        var = (centred * centred).mean(axes, keepdim=True)
        return _scale_shift(centred / (var + eps) ** 0.5, affine, has_weight, has_bias, None)


def _scale_shift(xhat, affine, has_weight, has_bias, shape):
    """gamma z~ + beta (gamma and beta reshaped to ``shape`` when given)."""
    y = xhat
    if has_weight:
        y = y * (affine[0] if shape is None else affine[0].reshape(shape))
    if has_bias:
        y = y + (affine[-1] if shape is None else affine[-1].reshape(shape))
    return y


def _affine(weight, bias):
    tensors = tuple(t for t in (weight, bias) if t is not None)
    return tensors, dict(has_weight=weight is not None, has_bias=bias is not None)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5,
               *, num_batches_tracked=None):
    """Batch normalisation over axis 1 of an (N, C), (N, C, L) or (N, C, H, W) input.

    Training (or no running statistics): mu and sigma^2 are the mean and
    biased variance over the batch and spatial positions of each channel;
    the running statistics, when given, are updated in place as torch does,
        running_mean <- (1 - momentum) running_mean + momentum mu,
        running_var  <- (1 - momentum) running_var + momentum sigma^2 m / (m - 1)
    (the unbiased variance). ``momentum=None`` gives the cumulative average,
    factor 1 / num_batches_tracked (pass the already incremented counter as
    ``num_batches_tracked``). Evaluation: the running statistics are used.

    >>> import backprop as bp
    >>> y = batch_norm(bp.tensor([[1.0], [3.0]]), None, None, training=True)
    >>> [round(v, 3) for v in y.flatten().tolist()]
    [-1.0, 1.0]
    """
    require_floating(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm(): expected an input of at least 2 dimensions (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None:
            check_tensor(t, "batch_norm")
            if tuple(t.shape) != (channels,):
                raise ValueError(f"batch_norm(): expected {name} of shape ({channels},) for an input of shape "
                                 f"{tuple(input.shape)}, got {tuple(t.shape)}")
    x = input._data
    xp = backend.array_module(x)
    use_batch = training or running_mean is None or running_var is None
    tensors, flags = _affine(weight, bias)
    if use_batch:
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.size // channels if channels else 0
        if training and m <= 1:
            raise ValueError(f"batch_norm(): expected more than 1 value per channel when training, got input of "
                             f"shape {tuple(input.shape)}")
        mean = x.mean(axis=axes)
        var = ((x - mean.reshape(_channel_shape(x.ndim))) ** 2).mean(axis=axes)
        if training and running_mean is not None and running_var is not None:
            if momentum is None:
                if num_batches_tracked is None:
                    raise ValueError("batch_norm(): momentum=None (cumulative average) needs num_batches_tracked")
                factor = 1.0 / float(num_batches_tracked.item() if hasattr(num_batches_tracked, "item")
                                     else num_batches_tracked)
            else:
                factor = float(momentum)
            with autograd.no_grad():
                rm, rv = running_mean._data, running_var._data
                running_mean.copy_(((1 - factor) * rm + factor * mean).astype(rm.dtype, copy=False))
                running_var.copy_(((1 - factor) * rv + factor * var * (m / (m - 1))).astype(rv.dtype, copy=False))
        return BatchNorm.apply(input, *tensors, mean=mean, var=var, eps=eps, training=True, **flags)
    mean = xp.asarray(running_mean._data)
    var = xp.asarray(running_var._data)
    return BatchNorm.apply(input, *tensors, mean=mean, var=var, eps=eps, training=False, **flags)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dims of each example.

    mu, sigma^2 (biased) over those dims; y = gamma (z - mu) / sqrt(sigma^2 + eps) + beta.

    >>> import backprop as bp
    >>> [round(v, 3) for v in layer_norm(bp.tensor([[1.0, 3.0]]), (2,)).flatten().tolist()]
    [-1.0, 1.0]
    """
    require_floating(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise ValueError(f"layer_norm(): expected input of shape (*, {', '.join(map(str, shape))}) for "
                         f"normalized_shape={shape}, got {tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm(): expected {name} of shape {shape}, got {tuple(t.shape)}")
    tensors, flags = _affine(weight, bias)
    axes = tuple(range(input.ndim - k, input.ndim))
    return LayerNorm.apply(input, *tensors, axes=axes, eps=eps, **flags)


# ---------------------------------------------------------------- group, instance, RMS and local response norms
# The first two reuse the LayerNorm node: group norm standardises each example over (channels of its group x
# positions), instance norm over the positions of each (example, channel); both are a layer norm of a
# reshaped view, followed by a per-channel scale and shift. RMS norm and local response norm are compositions.
__all__ += ["group_norm", "instance_norm", "rms_norm", "local_response_norm", "normalize"]


def _standardise(x, axes, eps):
    """(x - mu) / sqrt(sigma^2 + eps) over ``axes`` (biased variance), the LayerNorm node without affine."""
    return LayerNorm.apply(x, axes=axes, eps=eps, has_weight=False, has_bias=False)


def _channel_affine(y, weight, bias, op):
    """gamma[c] y + beta[c] with the channel on axis 1."""
    shape = _channel_shape(y.ndim)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (y.shape[1],):
            raise RuntimeError(f"{op}(): expected {name} of shape ({y.shape[1]},) for an input of shape "
                               f"{tuple(y.shape)}, got {tuple(t.shape)}")
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation (Wu & He 2018) of an (N, C, *) input: the C channels are split into
    ``num_groups`` groups of C / G consecutive channels, and each example is standardised over each group
    (its channels and all their positions), then y = gamma[c] x~ + beta[c].

    >>> import backprop as bp
    >>> y = group_norm(bp.tensor([[[1.0], [3.0], [5.0], [9.0]]]), 2)
    >>> [round(v, 3) for v in y.flatten().tolist()]
    [-1.0, 1.0, -1.0, 1.0]
    """
    require_floating(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(f"group_norm(): expected an input of at least 2 dimensions (N, C, *), got shape "
                           f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise RuntimeError(f"group_norm(): expected the number of channels ({c}) to be divisible by num_groups, "
                           f"got input of shape {tuple(input.shape)} and num_groups={num_groups}")
    grouped = input.reshape(n, num_groups, -1)
    y = _standardise(grouped, (2,), eps).reshape(input.shape)
    return _channel_affine(y, weight, bias, "group_norm")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalisation (Ulyanov et al. 2016) of an (N, C, *) input: each (example, channel) is
    standardised over its own positions, then y = gamma[c] x~ + beta[c].

    ``use_input_stats=False``: the running statistics are used instead (as batch norm in evaluation).
    With running statistics and ``use_input_stats``, they are updated in place with the instances' mean
    and unbiased variance averaged over the batch:
    running <- (1 - momentum) running + momentum mean_n(statistic of instance n).
    """
    require_floating(input, "instance_norm")
    if input.ndim < 2:
        raise ValueError(f"instance_norm(): expected an input of at least 2 dimensions (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm(): expected running_mean and running_var when use_input_stats=False")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, input.ndim))
    m = 1
    for size in input.shape[2:]:
        m *= size
    if m <= 1:
        raise ValueError(f"instance_norm(): expected more than 1 spatial element when training, got input of "
                         f"shape {tuple(input.shape)}")
    if running_mean is not None and running_var is not None:
        x = input._data
        mean = x.mean(axis=axes)
        var = x.var(axis=axes, ddof=1)
        with autograd.no_grad():
            for running, new in ((running_mean, mean), (running_var, var)):
                old = running._data
                running.copy_(((1 - momentum) * old + momentum * new.mean(axis=0)).astype(old.dtype, copy=False))
    y = _standardise(input, axes, eps)
    return _channel_affine(y, weight, bias, "instance_norm")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """RMS normalisation (Zhang & Sennrich 2019) over the trailing ``normalized_shape`` dims:
    y = x / sqrt(mean(x^2) + eps) * gamma; no centring, no shift. ``eps=None``: the dtype's machine epsilon.

    >>> import backprop as bp
    >>> [round(v, 4) for v in rms_norm(bp.tensor([[3.0, 4.0]]), (2,), eps=0.0).flatten().tolist()]
    [0.8485, 1.1314]
    """
    require_floating(input, "rms_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"rms_norm(): expected input of shape (*, {', '.join(map(str, shape))}) for "
                           f"normalized_shape={shape}, got {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm(): expected weight of shape {shape}, got {tuple(weight.shape)}")
    if eps is None:
        eps = float(backend.numpy.finfo(input._data.dtype).eps)
    axes = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation (Krizhevsky et al. 2012) across channels (axis 1) of (N, C, *):
    y[c] = x[c] / (k + alpha / size * sum_{c' in window(c)} x[c']^2)^beta, the window being channels
    c - size // 2 .. c + (size - 1) // 2 (missing channels count as zeros)."""
    check_tensor(input, "local_response_norm")
    if input.ndim < 3:
        raise ValueError(f"local_response_norm(): expected 3D or higher dimensionality input (N, C, *), got "
                         f"{input.ndim} dimensions")
    if input.numel() == 0:
        return input
    from backprop.ops.join import Pad  # join imports nothing of normalisation; local to keep the top lean

    channels = input.shape[1]
    widths = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (input.ndim - 2)
    squares = Pad.apply(input * input, widths=widths, mode="constant", value=0.0)
    window = squares[:, 0:channels]
    for i in range(1, size):
        window = window + squares[:, i:i + channels]
    return input / (window * (alpha / size) + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim`` (each slice scaled to unit p-norm).

    >>> import backprop as bp
    >>> [round(v, 4) for v in normalize(bp.tensor([[3.0, 4.0]])).flatten().tolist()]
    [0.6, 0.8]
    """
    require_floating(input, "normalize")
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported")
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
