"""Adam and AdamW: momentum and a per-weight scale from running averages of g and g^2."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _adam_direction, _check_adam_like, _next_step, _switches, _update_moments

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015), the lectures' "very popular" optimiser. At step t:

        m <- beta1 m + (1 - beta1) g,          v <- beta2 v + (1 - beta2) g^2
        w <- w - eta (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    ``amsgrad`` divides by the running maximum of v instead of v;
    ``weight_decay`` lambda adds lambda w to g (L2), or, with
    ``decoupled_weight_decay=True`` (AdamW), shrinks w <- w (1 - eta lambda)
    before the step; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0, -3.0]))
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # the first step moves every weight by eta against the sign of g
    >>> w.detach()
    tensor([ 0.9000, -2.9000])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay,
                        **_switches(self, foreach, differentiable, capturable=capturable, fused=fused))
        super().__init__(params, defaults)

    _check_group = _check_adam_like

    def _update(self, param, grad, state, group):
        w = param._data
        step = _next_step(state, param, "exp_avg", "exp_avg_sq", *["max_exp_avg_sq"] * group["amsgrad"])
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = _adam_direction(w, grad, group)
        xp = backend.array_module(w)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
        scratch = xp.empty_like(w)
        if group["amsgrad"]:
            maximum = state["max_exp_avg_sq"]._data
            xp.maximum(maximum, exp_avg_sq, out=maximum)
            exp_avg_sq = maximum
        xp.sqrt(exp_avg_sq, out=scratch)
        scratch /= (1 - beta2 ** step) ** 0.5
        scratch += group["eps"]
        xp.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / (1 - beta1 ** step)
        w -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter 2019): w <- w (1 - eta lambda), then Adam's step.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0).sum().backward()  # a zero gradient: only the decay acts, 1 * (1 - 0.1 * 0.5)
    >>> opt.step()
    >>> round(w.item(), 4)
    0.95
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
