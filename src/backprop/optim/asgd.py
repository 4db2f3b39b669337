"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging of the SGD iterates)."""
from backprop import backend
from backprop.optim.optimizer import (
    Optimizer, _check_at_least, _descent_direction, _scalar_dtype, _scalar_state, _switches, _zeros_like,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky 1992), in torch's form. At step t, with eta_t and mu_t from the state:

        w <- w (1 - lambd eta_t) - eta_t g
        ax <- ax + mu_t (w - ax)          (ax <- w while mu_t = 1)
        eta_{t+1} = eta / (1 + lambd eta t)^alpha,   mu_{t+1} = 1 / max(1, t - t0)

    ``ax`` is the running average of the iterates from step ``t0`` on: copy
    it into the model to evaluate the averaged weights. ``eta`` and ``mu`` are
    0-d state Tensors in torch's scalar dtype (float32 unless float64 is the
    default), so their values are torch's. ``weight_decay`` lambda adds
    lambda w to g; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = ASGD([w], lr=0.1, lambd=0.0)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> round(w.item(), 4), round(opt.state[w]["ax"].item(), 4)
    (0.8, 0.8)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "weight_decay"):
            _check_at_least(self, group, name)

    def _update(self, param, grad, state, group):
        w = param._data
        if not state:
            state["step"] = 0.0
            state["eta"] = _scalar_state(param, group["lr"])
            state["mu"] = _scalar_state(param, 1.0)
            state["ax"] = _zeros_like(param)
        step = state["step"] = state["step"] + 1
        grad = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        eta_state, mu_state = state["eta"]._data, state["mu"]._data
        eta, mu = float(eta_state), float(mu_state)
        lr, lambd = group["lr"], group["lambd"]
        w *= 1 - lambd * eta
        w -= eta * grad
        ax = state["ax"]._data
        if mu != 1:
            ax += (w - ax) * mu
        else:
            ax[...] = w
        # torch rounds the new values to its scalar dtype before storing them, whatever the state's dtype
        xp = backend.array_module(w)
        eta_state[...] = xp.asarray(lr / ((1 + lambd * lr * step) ** group["alpha"]), dtype=_scalar_dtype())
        mu_state[...] = xp.asarray(1 / max(1, step - group["t0"]), dtype=_scalar_dtype())
