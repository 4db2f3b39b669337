"""Adamax: Adam with the infinity norm: the scale is a decaying maximum of |g| instead of a root mean square."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_adam_like, _descent_direction, _lerp_, _next_step, _switches

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma and Ba 2015, section 7). At step t:

        m <- beta1 m + (1 - beta1) g,     u <- max(beta2 u, |g| + eps)
        w <- w - eta / (1 - beta1^t) m / u

    (m is ``exp_avg``, u ``exp_inf``). ``weight_decay`` lambda adds lambda w
    to g; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([2.0]))
    >>> opt = Adamax([w], lr=0.5, betas=(0.5, 0.5))
    >>> for _ in range(2):  # g = 1 twice: m = 0.5 then 0.75, u = 1 then max(0.5, 1) = 1
    ...     opt.zero_grad()
    ...     w.sum().backward()
    ...     opt.step()
    >>> w.item()  # 2 - 0.5 / 0.5 * 0.5 - 0.5 / 0.75 * 0.75
    1.0
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    _check_group = _check_adam_like

    def _update(self, param, grad, state, group):
        w = param._data
        step = _next_step(state, param, "exp_avg", "exp_inf")
        beta1, beta2 = group["betas"]
        grad = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        xp = backend.array_module(w)
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        scratch = xp.empty_like(w)
        _lerp_(exp_avg, grad, 1 - beta1, scratch)
        exp_inf *= beta2
        xp.abs(grad, out=scratch)
        scratch += group["eps"]
        xp.maximum(exp_inf, scratch, out=exp_inf)
        xp.divide(exp_avg, exp_inf, out=scratch)
        scratch *= group["lr"] / (1 - beta1 ** step)
        w -= scratch
