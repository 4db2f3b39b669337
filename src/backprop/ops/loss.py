"""Loss functions L(y_hat, y): regression (MSE, L1, Huber, smooth L1, Poisson
and Gaussian negative log likelihoods), classification (cross entropy, NLL,
binary cross entropy, soft margin, multi-label), margins and embeddings
(hinge, multi-class and multi-label margins, ranking, cosine, triplet) and
the KL divergence, each with torch's ``reduction='mean'|'sum'|'none'``. The
CTC loss of unaligned sequences is in ctc.py.

Cross entropy and NLL are fused Functions: softmax(z) - onehot(y) is the
whole gradient of cross entropy with respect to the logits, and the log-sum-
exp with the max subtracted keeps logits of 1e4 finite. Binary cross
entropy is a Function for torch's clamped logs, Huber's loss one for its
two pieces; the others are compositions of existing ops, whose gradients
come free.
"""
import math
import warnings

from backprop import autograd, backend, creation
from backprop.autograd import Function
from backprop.ops import elementwise, indexing, selection
from backprop.ops.activation import log_softmax
from backprop.ops.nn_activation import Softplus
from backprop.ops.norm import vector_norm
from backprop.ops.util import check_tensor, require_floating
from backprop.tensor import Tensor

__all__ = ["mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "hinge_embedding_loss", "multi_margin_loss", "kl_div", "huber_loss",
           "smooth_l1_loss", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(reduction, op, size_average=None, reduce=None, allowed=_REDUCTIONS):
    """torch's reduction argument, with its legacy ``size_average``/``reduce`` flags."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(f"{op}(): reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _named(loss, name):
    """A loss composed of several ops ends in a node named as torch names its one node (``MseLossBackward0``)."""
    if loss.grad_fn is not None:
        loss.grad_fn._name = name
    return loss


def _constant(array):
    return Tensor._make(array)


def _same_shape(input, target, op):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}(): expected a target of the input's shape {tuple(input.shape)}, got {tuple(target.shape)}")


def _arguments(op, input, target, reduction, size_average, reduce, allowed=_REDUCTIONS):
    """The checks every loss of scores against a target starts with; returns the reduction."""
    reduction = _reduction(reduction, op, size_average, reduce, allowed)
    require_floating(input, op)
    check_tensor(target, op)
    return reduction


# ---------------------------------------------------------------- regression
class MSELoss(Function):
    """L = reduce((x - y)^2) (mean, sum or none);  dL/dx = g 2 (x - y) (/ N for the mean),  dL/dy = -dL/dx."""

    def forward(self, x, y, reduction):
        self.save_for_backward(x, y)
        self.reduction = reduction
        squared = (x - y) ** 2
        if reduction == "none":
            return squared
        return squared.sum() if reduction == "sum" else squared.mean()

    def backward(self, grad):
        x, y = self.saved_tensors
        scale = 2.0 / x.size if self.reduction == "mean" else 2.0
        dx = grad * scale * (x - y)
        return dx if self.needs_input_grad[0] else None, -dx if self.needs_input_grad[1] else None

    @staticmethod
    def decompose(x, y, reduction):
        difference = x - y
        return _reduce(difference * difference, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error l_n = (y_hat_n - y_n)^2, reduced (mean by default).

    ``weight`` (the input's shape) scales each l_n; its 'mean' is sum_n w_n l_n / sum_n w_n.

    >>> import backprop as bp
    >>> mse_loss(bp.tensor([1.0, 3.0]), bp.tensor([0.0, 0.0])).item()
    5.0
    """
    reduction = _reduction(reduction, "mse_loss", size_average, reduce)
    check_tensor(input, "mse_loss")
    _warn_broadcast(input, target)
    if weight is not None:
        difference = input - target
        return _weighted_sum_mean(difference * difference, weight, input, reduction, "mse_loss")
    if isinstance(target, Tensor) and target.shape == input.shape and target.dtype == input.dtype:
        return MSELoss.apply(input, target, reduction=reduction)  # one node, as torch's MseLossBackward0
    return _named(MSELoss.decompose(input, target, reduction), "MseLossBackward0")  # broadcast or promoted


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error l_n = |y_hat_n - y_n| (gradient sign(y_hat - y), 0 at a tie).

    ``weight`` (the input's shape) scales each l_n; its 'mean' is sum_n w_n l_n / sum_n w_n.

    >>> import backprop as bp
    >>> l1_loss(bp.tensor([1.0, -3.0]), bp.tensor([0.0, 0.0])).item()
    2.0
    """
    reduction = _reduction(reduction, "l1_loss", size_average, reduce)
    check_tensor(input, "l1_loss")
    _warn_broadcast(input, target)
    if weight is not None:
        return _weighted_sum_mean(elementwise.abs(input - target), weight, input, reduction, "l1_loss")
    return _reduce(elementwise.abs(input - target), reduction)


def _check_weight_shape(weight, input, op):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}(): weight must have the input's shape {tuple(input.shape)}, got {tuple(weight.shape)}")


def _weighted_sum_mean(loss, weight, input, reduction, op):
    """torch's elementwise ``weight`` of mse_loss and l1_loss: w l, its 'mean' sum(w l) / sum(w)."""
    _check_weight_shape(weight, input, op)
    loss = loss * weight
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / weight.sum()


class Huber(Function):
    """Huber's loss of a difference d, quadratic near 0 and linear beyond ``delta``, divided by ``scale``:

    l = d^2 / 2 where |d| < delta, delta (|d| - delta / 2) elsewhere (then / scale);
    dl/dd = d where |d| < delta, delta sign(d) elsewhere (then / scale); d2l/dd2 = 1 / scale strictly inside.
    huber_loss has scale 1; smooth_l1_loss(beta) is huber(delta=beta) / beta.
    """

    def forward(self, d, delta, scale):
        xp = backend.array_module(d)
        size = xp.abs(d)
        inside = size < delta
        self.save_for_backward(d)
        self.inside_slope = (inside / scale).astype(d.dtype)
        self.outside_slope = xp.where(inside, 0, xp.sign(d) * (delta / scale)).astype(d.dtype)
        loss = xp.where(inside, 0.5 * d * d, delta * (size - 0.5 * delta))
        return (loss / scale).astype(d.dtype, copy=False)

    def backward(self, grad):
        (d,) = self.saved_tensors
        return grad * (d * self.inside_slope + self.outside_slope)


def _warn_broadcast(input, target, stacklevel=3):
    """torch's warning when a regression target's shape differs from the input's (it broadcasts); ``stacklevel``
    names the loss's caller."""
    if isinstance(target, Tensor) and tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      f"Please ensure they have the same size.", UserWarning, stacklevel=stacklevel)


def _elementwise_regression(input, target, op):
    check_tensor(input, op)
    check_tensor(target, op)
    _warn_broadcast(input, target, stacklevel=4)
    return input - target


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss l_n = d^2 / 2 where |d| < delta, delta (|d| - delta / 2) elsewhere, d = y_hat_n - y_n:
    squared error for small residuals, absolute error for outliers. ``weight`` scales each l_n
    (its 'mean' is the plain mean of w l, as torch).

    >>> import backprop as bp
    >>> huber_loss(bp.tensor([0.5, 3.0]), bp.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    reduction = _reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError(f"huber_loss(): delta must be positive, got {delta}")
    loss = Huber.apply(_elementwise_regression(input, target, "huber_loss"), delta=float(delta), scale=1.0)
    if weight is not None:
        _check_weight_shape(weight, input, "huber_loss")
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 loss l_n = d^2 / (2 beta) where |d| < beta, |d| - beta / 2 elsewhere (Fast R-CNN's box
    regression loss; beta = 0 is the L1 loss).

    >>> import backprop as bp
    >>> smooth_l1_loss(bp.tensor([0.5, 3.0]), bp.tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    """
    reduction = _reduction(reduction, "smooth_l1_loss", size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss(): beta must be at least 0, got {beta}")
    difference = _elementwise_regression(input, target, "smooth_l1_loss")
    if beta == 0:
        return _reduce(elementwise.abs(difference), reduction)
    return _reduce(Huber.apply(difference, delta=float(beta), scale=float(beta)), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log likelihood of counts y under Poisson(lambda), up to log y!:

    l = e^x - y x with ``log_input`` (x = log lambda), else l = x - y log(x + eps) (x = lambda);
    ``full`` adds Stirling's y log y - y + log(2 pi y) / 2 for y > 1.
    """
    reduction = _arguments("poisson_nll_loss", input, target, reduction, size_average, reduce)
    if log_input:
        loss = elementwise.exp(input) - target * input
    else:
        loss = input - target * elementwise.log(input + eps)
    if full:  # (the log of a zero count is masked in value; a target that requires grad gets nan there, as torch)
        with backend.errstate(divide="ignore", invalid="ignore"):
            stirling = target * elementwise.log(target) - target + 0.5 * elementwise.log(2 * math.pi * target)
        loss = loss + selection.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log likelihood of y under N(mu, var), ``input`` = mu:

    l = (log max(var, eps) + (mu - y)^2 / max(var, eps)) / 2 (+ log(2 pi) / 2 with ``full``).
    ``var`` has the input's shape, or one fewer trailing dim, or size 1 in one dim (shared), or is a
    number. The clamp at eps changes the value only: the gradient reaches var as if unclamped (torch).
    """
    reduction = _reduction(reduction, "gaussian_nll_loss")
    check_tensor(input, "gaussian_nll_loss")
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("gaussian_nll_loss(): var has negative entry/entries")
        var = creation.full(tuple(input.shape), float(var), dtype=input.dtype, device=input.device)
    elif bool((var._data < 0).any()):
        raise ValueError("gaussian_nll_loss(): var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (var.ndim == input.ndim
                  and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"gaussian_nll_loss(): var of shape {tuple(var.shape)} fits no way the input's "
                             f"shape {tuple(input.shape)} (the same, one fewer trailing dim, or 1 in one dim)")
    held = var.detach()
    var = var + (elementwise.clamp(held, min=eps) - held)  # the clamped value, var's own gradient
    loss = 0.5 * (elementwise.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ------------------------------------------------------------ class indices
def _class_targets(input, target, weight, ignore_index, op):
    """Check (N, C, d1, ...) scores against (N, d1, ...) class indices.

    Returns (target array, weight array of the input's dtype or None, valid
    mask, safe indices with the ignored ones replaced by 0, per-element
    weight w_{y_n} that is 0 where ignored).
    """
    xp = backend.array_module(input._data)
    shape, t = tuple(input.shape), target._data
    expected = shape[:1] + shape[2:]
    if tuple(t.shape) != expected:
        raise ValueError(f"{op}(): input of shape {shape} expects a target of shape {expected}, got {tuple(t.shape)}")
    n_classes = shape[1]
    w = None
    if weight is not None:
        w = (weight._data if isinstance(weight, Tensor) else xp.asarray(weight)).astype(input._data.dtype)
        if w.shape != (n_classes,):
            raise ValueError(f"{op}(): weight must have one entry per class, shape ({n_classes},), got {tuple(w.shape)}")
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        value = int(t[bad].ravel()[0])
        raise IndexError(f"{op}(): target {value} is out of bounds: expected a class index in [0, {n_classes})"
                         f" or ignore_index={ignore_index}")
    safe = xp.where(valid, t, 0)
    w_n = valid.astype(input._data.dtype) if w is None else w[safe] * valid
    return w, valid, safe, w_n


def _unbatched(input, target, op):
    """(C,) scores with a 0-d target become a batch of one."""
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{op}(): an input of shape {tuple(input.shape)} expects a 0-d target, got {tuple(target.shape)}")
        return input.reshape(1, input.shape[0]), target.reshape(1), True
    if input.ndim == 0:
        raise ValueError(f"{op}(): expected an input of shape (C,) or (N, C, ...), got a 0-d tensor")
    return input, target, False


def _onehot(xp, safe, n_classes, ndim, dtype):
    classes = xp.arange(n_classes).reshape((1, n_classes) + (1,) * (ndim - 2))
    return (classes == xp.expand_dims(safe, 1)).astype(dtype)



def _reduce_weighted(fn, loss, w_n, reduction, dtype):
    """'none', 'sum', or 'mean' = sum / sum_n w_{y_n} (nan when every target is ignored, as torch).

    Stores the mean's denominator on ``fn`` for its backward.
    """
    if reduction == "none":
        return loss.astype(dtype, copy=False)
    total = loss.sum()
    if reduction == "mean":
        fn.denominator = w_n.sum()
        with backend.errstate(invalid="ignore", divide="ignore"):
            total = total / fn.denominator
    return backend.array_module(loss).asarray(total, dtype=dtype)


def _reduce_weighted_tensor(loss, w_n, reduction):
    """``_reduce_weighted`` of a loss Tensor (the decompositions): 'mean' divides by sum_n w_{y_n}."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "mean":
        with backend.errstate(invalid="ignore", divide="ignore"):
            total = total / w_n.sum()
    return total


class SoftmaxCrossEntropy(Function):
    """Cross entropy of a batch of logits z (N, C) with class indices y, the common case
    (no class weights, no label smoothing, no ignored target):

    l_n = logsumexp(z_n) - z_{n,y_n},   dL/dz_n = g_n (softmax(z_n) - onehot(y_n)).

    Few passes over the logits: the row maxima m, e = exp(z - m) (computed in
    place) and its row sums S; l_n = log S_n + m_n - z_{n,y_n}. Backward reuses
    e and S: softmax = e / S, scaled by g per row in one product, minus g at
    each row's target.
    """

    def forward(self, x, target, reduction):
        xp = backend.array_module(x)
        n = x.shape[0]
        if x.shape[1] < n:  # few classes: reduce over them by elementwise ops along the batch, laid out contiguous
            x = xp.asfortranarray(x)
        top = x.max(axis=1, keepdims=True)
        e = xp.subtract(x, top)
        xp.exp(e, out=e)
        total = e.sum(axis=1, keepdims=True)
        rows = xp.arange(n)
        loss = xp.log(total[:, 0]) + top[:, 0] - x[rows, target]
        if self.needs_input_grad:
            self.e, self.total, self.rows, self.target = e, total, rows, target
        self.reduction = reduction
        if reduction == "none":
            return loss
        return xp.asarray(loss.sum() if reduction == "sum" else loss.sum() / n, dtype=x.dtype)

    def backward(self, grad):
        if self.reduction == "mean":
            grad = grad / self.e.shape[0]
        per_row = grad[:, None] if self.reduction == "none" else grad  # g_n, as a column or one number
        result = self.e * (per_row / self.total)
        result[self.rows, self.target] -= per_row[:, 0] if self.reduction == "none" else per_row
        return result

    @staticmethod
    def decompose(x, target, reduction):
        """l_n = -log softmax(z_n)_{y_n}, reduced."""
        rows = backend.array_module(target).arange(x.shape[0])
        return _reduce(-log_softmax(x, 1)[rows, target], reduction)


class CrossEntropy(Function):
    """Cross entropy of logits z with class indices y, label smoothing eps and class weights w.

    l_n = (1 - eps) w_{y_n} (-log p_{n,y_n}) + (eps / C) sum_c w_c (-log p_{n,c}),
    log p = z - logsumexp(z) over the class dim 1; 0 where y_n = ignore_index.
    'mean' divides sum_n l_n by sum_n w_{y_n} (over the kept n).
    dL/dz_n = g_n [((1 - eps) w_{y_n} + (eps / C) sum_c w_c) p_n - (1 - eps) w_{y_n} onehot(y_n) - (eps / C) w]:
    softmax minus one-hot, when eps = 0 and w = 1.
    """

    def forward(self, x, safe, valid, w, w_n, label_smoothing, reduction):
        xp = backend.array_module(x)
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        n_classes, eps = x.shape[1], label_smoothing
        nll = -xp.take_along_axis(logp, xp.expand_dims(safe, 1), axis=1).squeeze(1)
        loss = (1 - eps) * w_n * nll
        if eps:
            weighted = logp if w is None else logp * w.reshape((1, n_classes) + (1,) * (x.ndim - 2))
            loss = loss - (eps / n_classes) * weighted.sum(axis=1) * valid
        self.logp, self.safe, self.valid, self.w, self.w_n = logp, safe, valid, w, w_n
        self.eps, self.reduction = eps, reduction
        return _reduce_weighted(self, loss, w_n, reduction, x.dtype)

    def backward(self, grad):
        xp = backend.array_module(grad)
        logp, eps, valid = self.logp, self.eps, self.valid
        n_classes, ndim = logp.shape[1], logp.ndim
        if self.reduction == "mean":
            grad = grad / self.denominator
        g = xp.expand_dims(xp.broadcast_to(grad, valid.shape), 1)
        w_sum = n_classes if self.w is None else self.w.sum()
        coefficient = (1 - eps) * self.w_n + (eps / n_classes) * w_sum * valid
        result = xp.exp(logp) * xp.expand_dims(coefficient, 1)
        result -= _onehot(xp, self.safe, n_classes, ndim, logp.dtype) * xp.expand_dims((1 - eps) * self.w_n, 1)
        if eps:
            w = 1 if self.w is None else self.w.reshape((1, n_classes) + (1,) * (ndim - 2))
            result -= (eps / n_classes) * w * xp.expand_dims(valid, 1)
        return (g * result).astype(logp.dtype, copy=False)

    @staticmethod
    def decompose(x, safe, valid, w, w_n, label_smoothing, reduction):
        """l_n = (1 - eps) w_{y_n} (-log p_{n,y_n}) - (eps / C) sum_c w_c log p_{n,c} (0 where ignored), reduced."""
        xp = backend.array_module(safe)
        n_classes, eps = x.shape[1], label_smoothing
        logp = log_softmax(x, 1)
        nll = -indexing.gather(logp, 1, _constant(xp.expand_dims(safe, 1))).squeeze(1)
        loss = nll * ((1 - eps) * w_n)
        if eps:
            weighted = logp if w is None else logp * w.reshape((1, n_classes) + (1,) * (x.ndim - 2))
            loss = loss - weighted.sum(1) * (valid * (eps / n_classes)).astype(w_n.dtype, copy=False)
        return _reduce_weighted_tensor(loss, w_n, reduction)


class NLL(Function):
    """Negative log likelihood of log-probabilities x: l_n = -w_{y_n} x_{n, y_n} (0 where ignored).

    'mean' divides by sum_n w_{y_n}; dL/dx_{n,c} = -g_n w_{y_n} [c = y_n].
    """

    def forward(self, x, safe, w_n, reduction):
        xp = backend.array_module(x)
        loss = -w_n * xp.take_along_axis(x, xp.expand_dims(safe, 1), axis=1).squeeze(1)
        self.safe, self.w_n, self.reduction, self.n_classes = safe, w_n, reduction, x.shape[1]
        return _reduce_weighted(self, loss, w_n, reduction, x.dtype)

    def backward(self, grad):
        xp = backend.array_module(grad)
        if self.reduction == "mean":
            grad = grad / self.denominator
        g = xp.broadcast_to(grad, self.w_n.shape) * -self.w_n
        onehot = _onehot(backend.array_module(self.safe), self.safe, self.n_classes, g.ndim + 1, self.w_n.dtype)
        return xp.expand_dims(g, 1) * onehot


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits z (N, C, d1, ...) or (C,) with class indices y (N, d1, ...) or ().

    l_n = -w_{y_n} log softmax(z_n)_{y_n} = w_{y_n} (logsumexp(z_n) - z_{n,y_n}), from the
    logits through one fused log-softmax, so huge logits stay finite; with
    ``label_smoothing`` eps the target is (1 - eps) onehot + eps / C. Targets
    equal to ``ignore_index`` add nothing; 'mean' is the w_{y_n}-weighted mean.
    A float ``target`` of the input's shape is taken as class probabilities.

    >>> import backprop as bp
    >>> round(cross_entropy(bp.tensor([[0.0, 0.0]]), bp.tensor([1])).item(), 4)
    0.6931
    """
    reduction = _arguments("cross_entropy", input, target, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be in [0, 1], got {label_smoothing}")
    if target.dtype.kind == "f":
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy(): target must hold integer class indices or float probabilities, "
                        f"got {target.dtype}")
    input, target, unbatched = _unbatched(input, target, "cross_entropy")
    if weight is None and not label_smoothing and _plain_targets(input, target, ignore_index):
        loss = SoftmaxCrossEntropy.apply(input, target=target._data, reduction=reduction)
        return loss.reshape(()) if unbatched and reduction == "none" else loss
    w, valid, safe, w_n = _class_targets(input, target, weight, ignore_index, "cross_entropy")
    loss = CrossEntropy.apply(input, safe=safe, valid=valid, w=w, w_n=w_n, label_smoothing=float(label_smoothing),
                              reduction=reduction)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def _plain_targets(input, target, ignore_index):
    """True for (N, C) logits and N class indices that are all in [0, C) and none of them ``ignore_index``.

    Two reductions decide it: no index equals ``ignore_index`` when it lies
    outside [min, max] (a batch that merely spans it takes the general path).
    """
    shape, t = input.shape, target._data
    if len(shape) != 2 or t.shape != shape[:1] or not t.size:
        return False
    low, high = int(t.min()), int(t.max())
    return 0 <= low and high < shape[1] and not low <= ignore_index <= high


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    """Probability targets: l_n = -sum_c w_c q_{n,c} log softmax(z_n)_c, q smoothed; 'mean' over n."""
    _same_shape(input, target, "cross_entropy")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = n_classes
        target = target * weight.reshape(shape)
    return _reduce(-(logp * target).sum(class_dim), reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log likelihood l_n = -w_{y_n} x_{n, y_n} of log-probabilities x (N, C, d1, ...).

    Use after ``log_softmax``; ``cross_entropy`` does both in one step.

    >>> import backprop as bp
    >>> nll_loss(bp.tensor([[-1.0, -2.0]]), bp.tensor([1])).item()
    2.0
    """
    reduction = _arguments("nll_loss", input, target, reduction, size_average, reduce)
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss(): target must hold integer class indices, got {target.dtype}")
    input, target, unbatched = _unbatched(input, target, "nll_loss")
    _, _, safe, w_n = _class_targets(input, target, weight, ignore_index, "nll_loss")
    loss = NLL.apply(input, safe=safe, w_n=w_n, reduction=reduction)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


# ------------------------------------------------------------------- binary
_BCE_EPS = 9.9999999600419720025e-13  # torch's EPSILON = 1e-12 held as a float32
class BinaryCrossEntropy(Function):
    """l = -(y log x + (1 - y) log(1 - x)), each log clamped at -100 as in torch.

    dL/dx = g (x - y) / max(x (1 - x), eps), eps = 1e-12 (in float32, as torch);  dL/dy = g (log(1 - x) - log x), unclamped as in torch.
    """

    def forward(self, x, y):
        xp = backend.array_module(x)
        with backend.errstate(divide="ignore"):
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log1p(-x), -100)
        self.save_for_backward(x, y)
        return -(y * self.log_x + (1 - y) * self.log_1mx)

    def backward(self, grad):
        x, y = self.saved_tensors
        xp = backend.array_module(x)
        dx = grad * (x - y) / xp.maximum(x * (1 - x), _BCE_EPS) if self.needs_input_grad[0] else None
        dy = None
        if self.needs_input_grad[1]:  # torch leaves these logs unclamped: +-inf at x = 0 or 1
            with backend.errstate(divide="ignore"):
                dy = grad * (xp.log1p(-x) - xp.log(x))
        return dx, dy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities x in [0, 1]: l_n = -w_n [y_n log x_n + (1 - y_n) log(1 - x_n)].

    Each log is clamped at -100 (as torch), so x = 0 or 1 gives a finite loss.

    >>> import backprop as bp
    >>> round(binary_cross_entropy(bp.tensor([0.5]), bp.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = _arguments("binary_cross_entropy", input, target, reduction, size_average, reduce)
    _same_shape(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and not bool(((x >= 0) & (x <= 1)).all()):
        bad = float(x[~((x >= 0) & (x <= 1))].ravel()[0])
        raise ValueError(f"binary_cross_entropy(): all elements of input should be between 0 and 1, got {bad}")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross entropy of a logit x with target y, without computing sigmoid(x):

    l_n = w_n [(1 - y_n) x_n + (1 + (p - 1) y_n) log(1 + e^{-x_n})], which for p = 1 is the
    stable max(x, 0) - x y + log(1 + e^{-|x|}); ``pos_weight`` p (one per class,
    broadcast over the last dim) weighs the positive examples.

    >>> import backprop as bp
    >>> round(binary_cross_entropy_with_logits(bp.tensor([0.0]), bp.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = _arguments("binary_cross_entropy_with_logits", input, target, reduction, size_average, reduce)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    softplus_neg = Softplus.apply(-input, beta=1.0, threshold=float("inf"))  # log(1 + e^{-x}), stable
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _named(_reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


# ------------------------------------------------------------------- margins
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """l_n = x_n where y_n = 1, max(0, margin - x_n) where y_n = -1 (x a distance, y = +-1).

    >>> import backprop as bp
    >>> round(hinge_embedding_loss(bp.tensor([0.3, 2.0]), bp.tensor([-1.0, 1.0]), reduction="sum").item(), 4)
    2.7
    """
    reduction = _arguments("hinge_embedding_loss", input, target, reduction, size_average, reduce)
    margin_term = elementwise.clamp(margin - input, min=0)
    loss = selection.where(target != 1, margin_term, 0.0) + selection.where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss of the max-margin classifier (a multi-class SVM):

    l_n = (1 / C) sum_{i != y_n} w_{y_n} max(0, margin - x_{n, y_n} + x_{n, i})^p, p = 1 or 2:
    zero once the correct class's score beats every other by ``margin``.

    >>> import backprop as bp
    >>> round(multi_margin_loss(bp.tensor([[0.1, 0.2, 0.4, 0.8]]), bp.tensor([3])).item(), 4)
    0.325
    """
    reduction = _arguments("multi_margin_loss", input, target, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss(): p must be 1 or 2, got {p}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"multi_margin_loss(): target must hold integer class indices, got {target.dtype}")
    if input.ndim not in (1, 2) or target.shape != input.shape[:1] * (input.ndim == 2):
        raise ValueError(f"multi_margin_loss(): expected input (N, C) with target (N,) or input (C,) with a 0-d "
                         f"target, got input {tuple(input.shape)} and target {tuple(target.shape)}")
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.reshape(1, input.shape[0]), target.reshape(1)
    n_classes = input.shape[1]
    t = target._data
    if t.size and bool(((t < 0) | (t >= n_classes)).any()):
        value = int(t[(t < 0) | (t >= n_classes)].ravel()[0])
        raise IndexError(f"multi_margin_loss(): target {value} is out of bounds: expected a class index in "
                         f"[0, {n_classes})")
    xp = backend.array_module(input._data)
    correct = indexing.gather(input, 1, target.reshape(target.shape[0], 1))
    z = elementwise.relu(margin - correct + input)
    if p == 2:
        z = z * z
    others = 1 - _onehot(xp, t, n_classes, 2, input._data.dtype)
    if weight is not None:
        w = (weight._data if isinstance(weight, Tensor) else xp.asarray(weight)).astype(input._data.dtype)
        others = others * w[t][:, None]
    loss = (z * _constant(others)).sum(1) / n_classes
    if unbatched:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# ------------------------------------------------------------ KL divergence
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(y || q) with ``input`` = log q:  l = y (log y - log q), 0 where y = 0;
    with ``log_target`` the target is log y and l = e^{log y} (log y - log q).

    'batchmean' divides the sum by the batch size (the true KL divergence per
    example); 'mean' divides by the number of elements, as torch.

    >>> import backprop as bp
    >>> round(kl_div(bp.tensor([0.25, 0.75]).log(), bp.tensor([0.5, 0.5]), reduction="sum").item(), 4)
    0.1438
    """
    reduction = _arguments("kl_div", input, target, reduction, size_average, reduce, _REDUCTIONS + ("batchmean",))
    if log_target:
        loss = elementwise.exp(target) * (target - input)
    else:
        safe = selection.where(target == 0, 1.0, target)  # y log y -> 0 as y -> 0
        loss = target * elementwise.log(safe) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)



# ------------------------------------------------------- margins and embeddings
def _not_differentiable_target(target, op):
    """torch's refusal of a target that requires grad, for the losses it defines no target gradient of."""
    if target.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{op}(): the loss is not differentiable with respect to its target, which must not "
                           f"require grad (detach it)")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss of scores x against labels y = +-1: l = log(1 + e^{-y x}).

    >>> import backprop as bp
    >>> round(soft_margin_loss(bp.tensor([0.0]), bp.tensor([1.0])).item(), 4)
    0.6931
    """
    reduction = _arguments("soft_margin_loss", input, target, reduction, size_average, reduce)
    _not_differentiable_target(target, "soft_margin_loss")
    return _reduce(Softplus.apply(-(target * input), beta=1.0, threshold=float("inf")), reduction)


def _batched_pair(input, target, op):
    """(C,) or (N, C) scores with a target of the same shape, as (N, C) and whether it was unbatched."""
    if input.ndim not in (1, 2) or tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}(): expected input (C,) or (N, C) and a target of its shape, got input "
                         f"{tuple(input.shape)} and target {tuple(target.shape)}")
    if input.ndim == 1:
        return input.reshape(1, input.shape[0]), target.reshape(1, target.shape[0]), True
    return input, target, False


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss. ``target`` (the input's shape) lists each example's classes first, ended
    by -1 (the rest ignored); with J those classes:

    l_n = sum_{j in J} sum_{i not in J} max(0, 1 - (x_{n,j} - x_{n,i})) / C.

    >>> import backprop as bp
    >>> x = bp.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> round(multilabel_margin_loss(x, bp.tensor([[3, 0, -1, 1]])).item(), 4)
    0.85
    """
    reduction = _arguments("multilabel_margin_loss", input, target, reduction, size_average, reduce)
    if target.dtype.kind not in "iu":
        raise TypeError(f"multilabel_margin_loss(): target must hold integer class indices, got {target.dtype}")
    x, target, unbatched = _batched_pair(input, target, "multilabel_margin_loss")
    xp = backend.array_module(x._data)
    t = target._data
    n, n_classes = x.shape
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    if bool((listed & (t >= n_classes)).any()):
        raise RuntimeError(f"multilabel_margin_loss(): a target class is out of bounds: expected [0, {n_classes})")
    safe = xp.where(listed, t, 0)
    is_target = xp.zeros((n, n_classes), dtype=bool)
    rows = xp.broadcast_to(xp.arange(n)[:, None], safe.shape)
    is_target[rows[listed], safe[listed]] = True
    # pairs (j-th listed class, class i not listed): a (N, C, C) hinge, masked
    pairs = (listed[:, :, None] & ~is_target[:, None, :]).astype(x._data.dtype)
    scores = indexing.gather(x, 1, _constant(safe))
    hinge = elementwise.relu(1 - scores.unsqueeze(2) + x.unsqueeze(1))
    loss = (hinge * _constant(pairs)).sum((1, 2)) / n_classes
    return _reduce(loss.reshape(()) if unbatched else loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-label one-vs-all logistic loss of (N, C) scores against 0/1 targets, averaged over classes:

    l_n = -(1 / C) sum_c w_c [y_{n,c} log sigmoid(x_{n,c}) + (1 - y_{n,c}) log sigmoid(-x_{n,c})].
    """
    reduction = _arguments("multilabel_soft_margin_loss", input, target, reduction, size_average, reduce)
    log_p = -Softplus.apply(-input, beta=1.0, threshold=float("inf"))  # log sigmoid(x)
    log_q = -Softplus.apply(input, beta=1.0, threshold=float("inf"))  # log sigmoid(-x)
    loss = -(target * log_p + (1 - target) * log_q)
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    return _reduce(loss.sum(class_dim) / input.shape[class_dim], reduction)


_COSINE_EPS = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """For pairs of embeddings (N, D) or (D,) with y = +-1: l = 1 - cos(x1, x2) where y = 1,
    max(0, cos(x1, x2) - margin) where y = -1;
    cos = x1 . x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).
    """
    reduction = _reduction(reduction, "cosine_embedding_loss", size_average, reduce)
    for tensor in (input1, input2, target):
        check_tensor(tensor, "cosine_embedding_loss")
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape) \
            or tuple(target.shape) != tuple(input1.shape[:-1]):
        raise RuntimeError(f"cosine_embedding_loss(): expected inputs (N, D) with target (N,) or inputs (D,) with "
                         f"a 0-d target, got {tuple(input1.shape)}, {tuple(input2.shape)} and {tuple(target.shape)}")
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + _COSINE_EPS) * ((input2 * input2).sum(dim) + _COSINE_EPS)
    cos = dot / elementwise.sqrt(squares)
    loss = selection.where(target == 1, 1 - cos, 0.0) \
        + selection.where(target == -1, elementwise.clamp(cos - margin, min=0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """Ranking hinge: l = max(0, -y (x1 - x2) + margin), y = 1 when x1 should rank higher, -1 otherwise.

    >>> import backprop as bp
    >>> margin_ranking_loss(bp.tensor([1.0, 1.0]), bp.tensor([0.0, 0.0]), bp.tensor([1.0, -1.0])).item()
    0.5
    """
    reduction = _reduction(reduction, "margin_ranking_loss", size_average, reduce)
    for tensor in (input1, input2, target):
        check_tensor(tensor, "margin_ranking_loss")
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss(): all input tensors should have the same dimension, got "
                           f"input1 {tuple(input1.shape)}, input2 {tuple(input2.shape)}, target {tuple(target.shape)}")
    return _reduce(elementwise.clamp(-target * (input1 - input2) + margin, min=0), reduction)


def _pairwise_distance(x1, x2, p, eps):
    """||x1 - x2 + eps||_p over the last dim (torch's pairwise_distance)."""
    return vector_norm(x1 - x2 + eps, p, -1)


def _pairwise_distance_default(x1, x2):
    """torch's default distance of the triplet losses: pairwise_distance(x1, x2) (p = 2, eps = 1e-6)."""
    return _pairwise_distance(x1, x2, 2.0, 1e-6)


def _triplet(anchor, positive, negative, distance, margin, swap, reduction, op):
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"{op}(): the anchor, positive and negative tensors are expected to have the same number "
                           f"of dimensions, got {anchor.ndim}D, {positive.ndim}D and {negative.ndim}D")
    if margin <= 0:
        raise ValueError(f"{op}(): margin must be greater than 0, got {margin}")
    d_positive = distance(anchor, positive)
    d_negative = distance(anchor, negative)
    if swap:  # the harder of the two negatives: the anchor's, or the positive's
        d_negative = selection.minimum(d_negative, distance(positive, negative))
    return _reduce(elementwise.clamp(margin + d_positive - d_negative, min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """Triplet loss l = max(0, d(a, p) - d(a, n) + margin), d(x, y) = ||x - y + eps||_p over the last
    dim: the positive closer to the anchor than the negative, by ``margin`` (``swap``: the negative's
    distance is min(d(a, n), d(p, n))).
    """
    reduction = _reduction(reduction, "triplet_margin_loss", size_average, reduce)
    for tensor in (anchor, positive, negative):
        require_floating(tensor, "triplet_margin_loss")
    if anchor.ndim not in (1, 2):
        raise ValueError(f"triplet_margin_loss(): expected inputs of shape (D,) or (N, D), got {tuple(anchor.shape)}")
    return _triplet(anchor, positive, negative, lambda x, y: _pairwise_distance(x, y, p, eps), margin, swap,
                    reduction, "triplet_margin_loss")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``triplet_margin_loss`` with any ``distance_function(x, y)`` (default: the Euclidean pairwise distance)."""
    reduction = _reduction(reduction, "triplet_margin_with_distance_loss")
    distance = distance_function or _pairwise_distance_default
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction,
                    "triplet_margin_with_distance_loss")
