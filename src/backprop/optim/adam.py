"""Adam and AdamW: momentum and a per-weight scale from running averages of g and g^2."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_at_least, _check_betas, _descent_direction, _lerp_, _zeros_like

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
                 maximize=False, decoupled_weight_decay=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "eps", "weight_decay"):
            _check_at_least(self, group, name)
        _check_betas(self, group)

    def _update(self, param, grad, state, group):
        w = param._data
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = _zeros_like(param)
            state["exp_avg_sq"] = _zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(param)
        step = state["step"] = state["step"] + 1
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if decay != 0 and group["decoupled_weight_decay"]:
            w *= 1 - lr * decay
            decay = 0
        grad = _descent_direction(w, grad, group["maximize"], decay)
        xp = backend.array_module(w)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        scratch = xp.empty_like(w)
        _lerp_(exp_avg, grad, 1 - beta1, scratch)
        exp_avg_sq *= beta2
        xp.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        exp_avg_sq += scratch
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
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
