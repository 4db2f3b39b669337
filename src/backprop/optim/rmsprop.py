"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_at_least, _descent_direction, _lerp_, _switches, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012): AdaGrad with a decaying average instead of a sum.

        v <- alpha v + (1 - alpha) g^2,   w <- w - eta g / (sqrt(v) + eps)

    ``centered`` also tracks g_avg <- alpha g_avg + (1 - alpha) g and divides by
    sqrt(v - g_avg^2) + eps (an estimate of the variance); ``momentum`` beta
    keeps b <- beta b + g / (sqrt(v) + eps) and steps w <- w - eta b.
    ``weight_decay`` lambda adds lambda w to g; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([3.0]))
    >>> opt = RMSprop([w], lr=0.01, alpha=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()  # alpha = 0: v = g^2, so w moves by eta
    >>> round(w.item(), 6)
    2.99
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            _check_at_least(self, group, name)

    def _update(self, param, grad, state, group):
        w = param._data
        if not state:
            state["step"] = 0.0
            state["square_avg"] = _zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = _zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(param)
        state["step"] += 1
        grad = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        xp = backend.array_module(w)
        alpha = group["alpha"]
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        scratch = xp.multiply(grad, grad, out=xp.empty_like(w))  # out=: an array even for a 0-d parameter
        scratch *= 1 - alpha
        square_avg += scratch
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            _lerp_(grad_avg, grad, 1 - alpha, scratch)
            xp.multiply(grad_avg, grad_avg, out=scratch)
            xp.subtract(square_avg, scratch, out=scratch)
            xp.sqrt(scratch, out=scratch)
        else:
            xp.sqrt(square_avg, out=scratch)
        scratch += group["eps"]
        xp.divide(grad, scratch, out=scratch)
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]._data
            buffer *= group["momentum"]
            buffer += scratch
            scratch = xp.multiply(buffer, group["lr"], out=scratch)
        else:
            scratch *= group["lr"]
        w -= scratch
