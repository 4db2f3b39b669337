"""Connectionist temporal classification (Graves et al., 2006): the loss of a
speech or handwriting model that emits a distribution over C symbols (one of
them the ``blank``) at each of T frames, against a label sequence of length
S <= T with no alignment given.

A path is one symbol per frame; collapsing it (merge repeats, then drop the
blanks) gives a label sequence. The loss is -log of the total probability of
all paths that collapse to the target. Dynamic programming over the target
with blanks between its labels and at both ends, l' = (blank, l_1, blank,
l_2, ..., l_S, blank) of length 2S + 1:

  alpha_t(s) = P(frames 0..t emit a prefix of a path that is at l'_s at t)
             = (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [skip] alpha_{t-1}(s-2)) y_t(l'_s),

where the skip from s-2 is allowed when l'_s is a label different from
l'_{s-2} (a blank may be jumped over, except between two equal labels).
P(l | x) = alpha_{T-1}(2S) + alpha_{T-1}(2S-1). beta runs the same recursion
backwards from the last frame; alpha_t(s) beta_t(s) / y_t(l'_s) sums the
probabilities of the paths through (t, s), which gives the gradient.

Everything is in log space (products of T probabilities underflow), and
vectorised over the batch: one loop over the frames, none over examples or
labels. Examples shorter than T keep their alpha frozen after their last
frame, so that alpha at T-1 holds each one's own final alpha.
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.util import check_tensor, require_floating
from backprop.tensor import Tensor

__all__ = ["ctc_loss"]


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c) elementwise, -inf where all three are -inf.

    The shift is the largest of the three, raised to the dtype's lowest finite number where all are -inf
    (so that no inf - inf appears: e^{-inf - lowest} = 0 and the log of 0 is -inf).
    """
    xp = backend.array_module(a)
    top = xp.maximum(a, b)
    xp.maximum(top, c, out=top)
    xp.maximum(top, xp.finfo(top.dtype).min, out=top)
    total = xp.exp(a - top)
    total += xp.exp(b - top)
    total += xp.exp(c - top)
    with backend.errstate(divide="ignore"):
        return xp.log(total) + top


class CTC(Function):
    """Per-example CTC loss l_n = -log P(target_n | log_probs[:T_n, n]) of log-probabilities (T, N, C).

    Its gradient is torch's: dl_n/dlp[t, n, c] = e^{lp[t,n,c]} - (1 / P) sum_{s: l'_s = c} alpha_t(s) beta_t(s)
    / y_t(c) for t < T_n, 0 beyond. The first term is not the derivative of l_n in lp (which is the second
    term alone) but makes the sum over c vanish, so that through a log_softmax it is the exact gradient of the
    logits. torch has no second derivative: asking for one raises.
    """

    def forward(self, lp, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = backend.array_module(lp)
        n_frames, n, _ = lp.shape
        ext = xp.full((n, 2 * labels.shape[1] + 1), blank, dtype=labels.dtype)
        ext[:, 1::2] = labels
        width = ext.shape[1]
        skip = xp.zeros((n, width), dtype=bool)  # s may be reached from s - 2
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        in_target = xp.arange(width)[None, :] < (2 * target_lengths + 1)[:, None]
        lp_ext = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (n_frames, n, width)), axis=2)
        lp_ext = xp.where(in_target[None], lp_ext, -xp.inf)
        rows = xp.arange(n)
        last, before_last = 2 * target_lengths, xp.maximum(2 * target_lengths - 1, 0)

        # alpha_t(s) at [t, :, s + 2]: two columns of -inf on the left stand for alpha_t(-2), alpha_t(-1), so
        # that s - 1 and s - 2 are views; a skip that is not allowed adds -inf
        padded = xp.full((n_frames, n, width + 2), -xp.inf, dtype=lp.dtype)
        no_skip = xp.where(skip, 0, -xp.inf).astype(lp.dtype)
        if n_frames:
            padded[0, :, 2:4] = lp_ext[0, :, :2]
        for t in range(1, n_frames):
            prev = padded[t - 1]
            stay = prev[:, 2:]
            step = _logsumexp3(stay, prev[:, 1:-1], prev[:, :-2] + no_skip) + lp_ext[t]
            padded[t, :, 2:] = xp.where((t < input_lengths)[:, None], step, stay)
        alpha = padded[:, :, 2:]
        final = alpha[-1] if n_frames else xp.full((n, width), -xp.inf, dtype=lp.dtype)
        end = final[rows, last]
        end_before = xp.where(target_lengths > 0, final[rows, before_last], -xp.inf)
        nll = -xp.logaddexp(end, end_before)
        nll = xp.where(input_lengths == 0, xp.where(target_lengths == 0, 0.0, xp.inf), nll).astype(lp.dtype)
        infinite = xp.isinf(nll)
        if zero_infinity:
            nll = xp.where(infinite, 0, nll).astype(lp.dtype)
        if self.needs_input_grad:
            self.save_for_backward(lp)
            self.alpha, self.lp_ext, self.ext, self.skip, self.nll = alpha, lp_ext, ext, skip, nll
            self.input_lengths, self.target_lengths = input_lengths, target_lengths
            self.infinite, self.zero_infinity = infinite, zero_infinity
        return nll

    def _beta(self):
        """beta_t(s) = (beta_{t+1}(s) + beta_{t+1}(s+1) + [skip] beta_{t+1}(s+2)) y_t(l'_s), from each example's
        last frame T_n - 1 (where beta is y at the last two positions of l') down to frame 0."""
        xp = backend.array_module(self.lp_ext)
        lp_ext, lengths = self.lp_ext, self.input_lengths
        n_frames, n, width = lp_ext.shape
        rows = xp.arange(n)
        ends = xp.zeros((n, width), dtype=bool)
        ends[rows, 2 * self.target_lengths] = True
        ends[rows, xp.maximum(2 * self.target_lengths - 1, 0)] = True
        # beta_t(s) at [t, :, s]: two columns of -inf on the right (beta_t(S'), beta_t(S' + 1)), and a row of
        # -inf after the last frame; from s the path may go on to s + 2 when s + 2 may be reached from s
        no_skip = xp.full((n, width), -xp.inf, dtype=lp_ext.dtype)
        no_skip[:, :-2] = xp.where(self.skip[:, 2:], 0, -xp.inf)
        padded = xp.full((n_frames + 1, n, width + 2), -xp.inf, dtype=lp_ext.dtype)
        for t in range(n_frames - 1, -1, -1):
            following = padded[t + 1]
            step = _logsumexp3(following[:, :-2], following[:, 1:-1], following[:, 2:] + no_skip) + lp_ext[t]
            start = xp.where(ends, lp_ext[t], -xp.inf)
            padded[t, :, :-2] = xp.where((t == lengths - 1)[:, None], start,
                                         xp.where((t < lengths - 1)[:, None], step, -xp.inf))
        beta = padded[:n_frames, :, :-2]
        return beta

    def backward(self, grad):
        (lp,) = self.saved_tensors
        return CTCGradient.call(grad, lp, gradient=self._gradient())

    def _gradient(self):
        """dl_n/dlp (T, N, C) for a unit upstream gradient (torch's form, see the class docstring)."""
        xp = backend.array_module(self.alpha)
        lp = self.saved_tensors[0]
        lp = lp._data if isinstance(lp, Tensor) else lp
        n_frames, n, n_classes = lp.shape
        within = (xp.arange(n_frames)[:, None] < self.input_lengths[None, :])[:, :, None]  # (T, N, 1)
        both = xp.where(within, self.alpha + self._beta(), -xp.inf)  # log alpha_t(s) beta_t(s)
        # the share of P of the paths through (t, s): alpha_t(s) beta_t(s) / (y_t(l'_s) P), in [0, 1] (no shift
        # needed, and nothing underflows that matters); 0 where no path passes
        with backend.errstate(invalid="ignore", over="ignore"):
            share = xp.where(xp.isfinite(both), xp.exp(both - self.lp_ext + self.nll[None, :, None]), 0)
        # summed over the positions s of each symbol c: times a one-hot of l'_s
        onehot = (self.ext[:, :, None] == xp.arange(n_classes)[None, None, :]).astype(lp.dtype)  # (N, 2S+1, C)
        paths = xp.einsum("tns,nsc->tnc", share, onehot)
        gradient = xp.where(within, xp.exp(lp) - paths, 0)
        # an impossible target: 0 with zero_infinity, else nan at its frames (torch's inf - inf)
        gradient = xp.where(self.infinite[None, :, None], 0 if self.zero_infinity else xp.nan, gradient)
        gradient = xp.where(within, gradient, 0)
        return gradient.astype(lp.dtype, copy=False)


class CTCGradient(Function):
    """dL/dlp = g_n * dl_n/dlp (the gradient from CTC's forward-backward pass). torch defines no
    derivative of it, and neither does backprop: a second derivative of ctc_loss raises."""

    def forward(self, grad, lp, gradient):
        return grad[None, :, None] * gradient

    def backward(self, grad):
        raise RuntimeError("ctc_loss has no second derivative (torch defines none: derivative for "
                           "aten::_ctc_loss_backward is not implemented)")


def _lengths(lengths, n, name):
    """input_lengths / target_lengths (a Tensor, list or tuple of ints) as an int64 array of n entries.
    (Bad arguments raise RuntimeError, as torch's.)"""
    xp = backend.numpy
    if isinstance(lengths, Tensor):
        if lengths.dtype.kind not in "iu":
            raise TypeError(f"ctc_loss(): {name} must hold integers, got {lengths.dtype}")
        array = xp.asarray(backend.to_numpy(lengths._data)).astype(xp.int64).reshape(-1)
    else:
        array = xp.asarray(lengths, dtype=xp.int64).reshape(-1)
    if array.shape != (n,):
        raise RuntimeError(f"ctc_loss(): expected {n} {name} (one per example), got {array.size}")
    if (array < 0).any():
        raise RuntimeError(f"ctc_loss(): {name} must be non-negative, got {array.tolist()}")
    return array


def _padded_targets(targets, target_lengths, n):
    """Targets as an (N, S) int64 array, S = the longest target: from padded (N, S') or concatenated 1-d."""
    xp = backend.numpy
    t = xp.asarray(backend.to_numpy(targets._data)).astype(xp.int64)
    longest = int(target_lengths.max()) if n else 0
    if t.ndim == 2:
        if t.shape[0] != n or t.shape[1] < longest:
            raise RuntimeError(f"ctc_loss(): padded targets must have shape (N={n}, S >= {longest}), got {t.shape}")
        columns = xp.arange(longest)[None, :] < target_lengths[:, None]
        return xp.where(columns, t[:, :longest], 0)
    if t.ndim != 1:
        raise ValueError(f"ctc_loss(): targets must be (N, S) padded or 1-d concatenated, got shape {t.shape}")
    total = int(target_lengths.sum())
    if t.shape[0] < total:
        raise RuntimeError(f"ctc_loss(): concatenated targets hold {t.shape[0]} labels, target_lengths sum to {total}")
    padded = xp.zeros((n, longest), dtype=xp.int64)
    starts = xp.concatenate([[0], xp.cumsum(target_lengths)[:-1]]).astype(xp.int64)
    for k in range(longest):  # one column at a time: every example's k-th label, where it has one
        has = target_lengths > k
        padded[has, k] = t[starts[has] + k]
    return padded


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of log-probabilities (T, N, C) (or (T, C) for one sequence) against label sequences.

    ``targets``: (N, S) padded or the N sequences concatenated in 1-d; ``input_lengths`` and
    ``target_lengths``: per example (a Tensor, list or tuple). 'mean' divides each example's loss by its
    target length (at least 1), then averages over the batch, as torch; ``zero_infinity`` makes the loss
    and gradient 0 for an example no path can explain (a target too long for its input).

    >>> import backprop as bp
    >>> lp = bp.full((2, 1, 2), 0.5).log()  # two frames, blank and one label, each 1/2
    >>> round(ctc_loss(lp, bp.tensor([[1]]), [2], [1]).item(), 4)  # paths 1-, -1, 11: 3/4
    0.2877
    """
    from backprop.ops.loss import _reduction

    reduction = _reduction(reduction, "ctc_loss")
    require_floating(log_probs, "ctc_loss")
    check_tensor(targets, "ctc_loss")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        if targets.ndim == 1 and isinstance(target_lengths, Tensor) and target_lengths.ndim == 0:
            targets = targets.unsqueeze(0)
    if log_probs.ndim != 3:
        raise ValueError(f"ctc_loss(): log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    n_frames, n, n_classes = log_probs.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError(f"ctc_loss(): blank must be a class in [0, {n_classes}), got {blank}")
    if targets.dtype.kind not in "iuf":  # (float labels are taken as their integer values, as torch takes them)
        raise TypeError(f"ctc_loss(): targets must hold integer labels, got {targets.dtype}")
    input_lengths = _lengths(input_lengths, n, "input_lengths")
    target_lengths = _lengths(target_lengths, n, "target_lengths")
    if (input_lengths > n_frames).any():
        raise RuntimeError(f"ctc_loss(): input_lengths must be at most T={n_frames}, got {input_lengths.tolist()}")
    labels = _padded_targets(targets, target_lengths, n)
    if labels.size and ((labels < 0) | (labels >= n_classes)).any():
        raise RuntimeError(f"ctc_loss(): target labels must be classes in [0, {n_classes})")
    device = log_probs.device
    arrays = [backend.to_device(a, device) for a in (labels, input_lengths, target_lengths)]
    nll = CTC.apply(log_probs, labels=arrays[0], input_lengths=arrays[1], target_lengths=arrays[2], blank=blank,
                    zero_infinity=bool(zero_infinity))
    if reduction == "none":
        return nll.reshape(()) if unbatched else nll
    if reduction == "sum":
        return nll.sum()
    divisor = Tensor._make(backend.to_device(backend.numpy.maximum(target_lengths, 1).astype(nll._data.dtype), device))
    return (nll / divisor).mean()
