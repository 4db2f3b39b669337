"""RAdam: Adam whose adaptive step is switched on gradually, as the variance of v's estimate becomes tractable."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _adam_direction, _check_adam_like, _next_step, _switches, \
    _update_moments

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Rectified Adam (Liu et al. 2020). With Adam's m and v at step t,
    rho_inf = 2 / (1 - beta2) - 1 and rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t):

        if rho_t > 5:  w <- w - eta m^ r_t sqrt(1 - beta2^t) / (sqrt(v) + eps),
                       r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        else:          w <- w - eta m^            (plain momentum SGD)

    with m^ = m / (1 - beta1^t). ``weight_decay`` lambda adds lambda w to g,
    or with ``decoupled_weight_decay=True`` shrinks w <- w (1 - eta lambda)
    first; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # rho_1 = 1 <= 5: the momentum step, w - eta g = 1 - 0.1 * 2
    >>> round(w.item(), 4)
    0.8
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    _check_group = _check_adam_like

    def _update(self, param, grad, state, group):
        w = param._data
        step = _next_step(state, param, "exp_avg", "exp_avg_sq")
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = _adam_direction(w, grad, group)
        xp = backend.array_module(w)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2 ** 0.5 / (xp.sqrt(exp_avg_sq) + group["eps"])
            w -= corrected * lr * adaptive * rect
        else:
            w -= corrected * lr
