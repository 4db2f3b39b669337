"""Adadelta: step sizes from running averages of squared gradients and squared updates, no learning rate needed."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_at_least, _descent_direction, _next_step, _switches

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012): the update has the units of w, from two running averages with decay rho:

        v <- rho v + (1 - rho) g^2
        delta = sqrt(u + eps) / sqrt(v + eps) g
        u <- rho u + (1 - rho) delta^2,        w <- w - eta delta

    (v is ``square_avg``, u ``acc_delta``). ``weight_decay`` lambda adds
    lambda w to g; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = Adadelta([w], rho=0.0, eps=1e-6)
    >>> (w * w).sum().backward()
    >>> opt.step()  # rho = 0: delta = sqrt(eps) / sqrt(g^2 + eps) g, about sqrt(eps) = 0.001
    >>> round(w.item(), 6)
    0.999
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "eps", "weight_decay"):
            _check_at_least(self, group, name)
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']!r}")

    def _update(self, param, grad, state, group):
        w = param._data
        _next_step(state, param, "square_avg", "acc_delta")
        grad = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        xp = backend.array_module(w)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        w -= group["lr"] * delta
