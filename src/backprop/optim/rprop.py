"""Rprop: resilient backpropagation, a step size per weight adapted from the signs of successive gradients."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _switches, _zeros_like
from backprop.tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller and Braun 1993): only the sign of g is used. Per weight, with the previous gradient g':

        g g' > 0:  Delta <- min(eta+ Delta, Delta_max)
        g g' < 0:  Delta <- max(eta- Delta, Delta_min), and g <- 0 (no step; the next step starts afresh)
        w <- w - sign(g) Delta,   g' <- g

    ``etas`` = (eta-, eta+), ``step_sizes`` = (Delta_min, Delta_max); every
    Delta starts at ``lr``. ``maximize`` ascends. Made for full-batch
    training: the sign of a mini-batch gradient is noisy.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0, -1.0]))
    >>> opt = Rprop([w], lr=0.1)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w.detach()  # steps 0.1, then 0.12: 1 - 0.22
    tensor([ 0.7800, -0.7800])
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        etas, step_sizes = tuple(etas), tuple(step_sizes)
        if not 0.0 <= lr:
            raise ValueError(f"Rprop: lr must be a number >= 0.0, got {lr!r}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: etas must be (eta-, eta+) with 0 < eta- < 1 < eta+, got {etas!r}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize,
                        **_switches(self, foreach, differentiable, capturable=capturable))
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        w = param._data
        xp = backend.array_module(w)
        if not state:
            state["step"] = 0.0
            state["prev"] = _zeros_like(param)
            state["step_size"] = Tensor._make(xp.full_like(grad, group["lr"]))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        eta_minus, eta_plus = group["etas"]
        step_min, step_max = group["step_sizes"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        sign = xp.sign(grad * prev)
        factor = xp.where(sign > 0, eta_plus, xp.where(sign < 0, eta_minus, 1.0)).astype(w.dtype)
        step_size *= factor
        xp.clip(step_size, step_min, step_max, out=step_size)
        grad = xp.where(factor == eta_minus, 0, grad).astype(w.dtype)  # after a sign change: no step this time
        w -= xp.sign(grad) * step_size
        prev[...] = grad
