"""NAdam: Adam with Nesterov momentum (the step looks ahead along the next momentum)."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _adam_direction, _check_adam_like, _next_step, _scalar_state, \
    _switches, _update_moments

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat 2016). At step t the momentum factor warms up as
    mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) (psi = ``momentum_decay``), and with
    Adam's m, v and v^ = v / (1 - beta2^t):

        w <- w - eta (1 - mu_t) / (1 - prod_{i<=t} mu_i) g / (sqrt(v^) + eps)
               - eta mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m / (sqrt(v^) + eps)

    The running product is the state ``mu_product``, kept (as torch keeps it)
    in the scalar dtype, float32 unless float64 is the default.
    ``weight_decay`` lambda adds lambda w to g, or with
    ``decoupled_weight_decay=True`` shrinks w <- w (1 - eta lambda) first;
    ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # g/(sqrt(v^)+eps) = 1, m/(...) = 0.1: w = 1 - 0.1 - 0.1 * 0.1 mu_2 / (1 - mu_1 mu_2)
    >>> round(w.item(), 4)
    0.8944
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check_adam_like(self, group, "momentum_decay")

    def _update(self, param, grad, state, group):
        w = param._data
        step = _next_step(state, param, "exp_avg", "exp_avg_sq")
        if "mu_product" not in state:
            state["mu_product"] = _scalar_state(param, 1.0)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        grad = _adam_direction(w, grad, group)
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        product = state["mu_product"]._data
        product *= product.dtype.type(mu)  # in the state's own precision, as torch
        mu_product = float(product)
        xp = backend.array_module(w)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _update_moments(exp_avg, exp_avg_sq, grad, beta1, beta2)
        denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denom += group["eps"]
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
        w += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (exp_avg / denom)
