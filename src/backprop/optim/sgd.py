"""SGD: stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""
from backprop.optim.optimizer import Optimizer, _check_at_least, _descent_direction, _switches
from backprop.tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """Mini-batch stochastic gradient descent: w <- w - eta g, g = dJ/dw averaged over the batch.

    With ``momentum`` beta, torch's form keeps a buffer g~ (the first step sets
    g~ <- g):

        g~ <- beta g~ + (1 - dampening) g,   w <- w - eta g~

    so ``dampening=momentum`` gives the lectures' momentum as an exponential
    average, g~ <- beta g~ + (1 - beta) g (after a first step g~ = g).
    ``nesterov=True`` steps along g + beta g~ instead of g~. ``weight_decay``
    lambda adds lambda w to g (L2 regularisation); ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([1.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> round(w.item(), 4)  # 1 - 0.1*2 = 0.8, then 0.8 - 0.1*(0.9*2 + 1.6) = 0.46
    0.46
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize,
                        **_switches(self, foreach, differentiable, fused=fused))
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            _check_at_least(self, group, name)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, param, grad, state, group):
        w = param._data
        direction = _descent_direction(w, grad, group["maximize"], group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # the first step: g~ <- g (a copy, in g's memory order, unless g is our own array)
                buffer = direction.copy(order="K") if direction is grad else direction
                state["momentum_buffer"] = Tensor._make(buffer)
            else:
                buffer = buffer._data
                buffer *= momentum
                dampening = group["dampening"]
                buffer += direction if dampening == 0 else direction * (1 - dampening)
            direction = direction + momentum * buffer if group["nesterov"] else buffer
        w -= group["lr"] * direction
