"""Adagrad: a learning rate per weight, shrinking with the squared gradients seen so far."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_at_least, _descent_direction, _switches
from backprop.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """AdaGrad (Duchi et al. 2011): w_j <- w_j - eta / sqrt(G_jj) g_j, G_jj = sum over steps of g_j^2.

    As torch: G starts at ``initial_accumulator_value``, eps is added to
    sqrt(G_jj), and the step t uses eta_t = eta / (1 + (t - 1) lr_decay).
    ``weight_decay`` lambda adds lambda w to g; ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()  # g / sqrt(g^2) = sign(g): every weight moves by eta
    >>> w.detach()
    tensor([ 0.5000, -1.5000])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize,
                        **_switches(self, foreach, differentiable, fused=fused))
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch fills the state at construction, from the defaults' value
            for p in group["params"]:
                self._init_state(p, self.state[p])

    def _check_group(self, group):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            _check_at_least(self, group, name)

    def _init_state(self, param, state):
        state["step"] = 0.0
        xp = backend.array_module(param._data)
        state["sum"] = Tensor._make(xp.full_like(param._data, self.defaults["initial_accumulator_value"]))

    def _update(self, param, grad, state, group):
        if not state:
            self._init_state(param, state)
        w = param._data
        state["step"] += 1
        grad = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"]._data
        xp = backend.array_module(w)
        scratch = xp.multiply(grad, grad, out=xp.empty_like(w))  # out=: an array even for a 0-d parameter
        total += scratch
        xp.sqrt(total, out=scratch)
        scratch += group["eps"]
        xp.divide(grad, scratch, out=scratch)
        scratch *= lr
        w -= scratch
