"""Adafactor: Adam-like steps with a factored second moment (a row and a column average per matrix)."""
from backprop import backend
from backprop.optim.optimizer import Optimizer, _cast, _lerp_
from backprop.tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern 2018), in torch's form. At step t, with beta2_t = 1 - t^beta2_decay:

        for a matrix g (or a stack of them, the last two axes): R <- beta2_t R + (1 - beta2_t) mean_cols(g^2),
        C <- beta2_t C + (1 - beta2_t) mean_rows(g^2), v = R C / mean(R)   (memory: rows + columns)
        for a vector: v <- beta2_t v + (1 - beta2_t) g^2
        u = g / sqrt(max(v, eps1^2)),   u <- u / max(1, RMS(u) / d)          (update clipping)
        w <- w - max(eps2, RMS(w)) min(lr, 1 / sqrt(t)) u

    (R is the state ``row_var``, C ``col_var``, v of a vector ``variance``;
    RMS the root mean square; eps1 = None: the dtype's machine epsilon).
    ``weight_decay`` lambda shrinks w <- w (1 - lr lambda) first (after the
    step size is taken from w); ``maximize`` ascends.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([3.0, -4.0]))
    >>> opt = Adafactor([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()  # v = g^2, u = sign(g); RMS(w) = sqrt(12.5), lr = 0.1: each weight moves 0.1 sqrt(12.5)
    >>> w.detach()
    tensor([ 2.6464, -3.6464])
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        eps = tuple(eps)
        if not 0.0 <= lr:
            raise ValueError(f"Adafactor: lr must be >= 0, got {lr!r}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"Adafactor: beta2_decay must be <= 0, got {beta2_decay!r}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"Adafactor: eps[0] (epsilon1) must be None or >= 0, got {eps[0]!r}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"Adafactor: eps[1] (epsilon2) must be >= 0, got {eps[1]!r}")
        if not 1.0 <= d:
            raise ValueError(f"Adafactor: the clipping threshold d must be >= 1, got {d!r}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Adafactor: weight_decay must be >= 0, got {weight_decay!r}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _load_state_value(self, value, param, name, index):
        shape = param._data.shape
        if name == "row_var":
            shape = shape[:-1] + (1,)
        elif name == "col_var":
            shape = shape[:-2] + (1,) + shape[-1:]
        return _cast(value, param, name, index, shape)

    def _update(self, param, grad, state, group):
        w = param._data
        xp = backend.array_module(w)
        if not state:
            state["step"] = 0.0
            if grad.ndim > 1:
                state["row_var"] = Tensor._make(xp.zeros(grad.shape[:-1] + (1,), dtype=grad.dtype))
                state["col_var"] = Tensor._make(xp.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:], dtype=grad.dtype))
            else:
                state["variance"] = Tensor._make(xp.zeros_like(grad))
        if group["maximize"]:
            grad = -grad
        lr, eps2 = group["lr"], group["eps"][1]
        eps1 = group["eps"][0] if group["eps"][0] is not None else float(xp.finfo(w.dtype).eps)
        state["step"] += 1
        step = state["step"]
        weight = step ** group["beta2_decay"]  # 1 - beta2_t
        rho = min(lr, 1 / step ** 0.5)
        alpha = max(eps2, float(xp.sqrt((w * w).sum())) / w.size ** 0.5) * rho
        if group["weight_decay"] != 0:
            w *= 1 - lr * group["weight_decay"]
        squared = grad * grad
        if grad.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            # torch squares the norm: sqrt then square, for its values to the last bit
            row_mean = xp.sqrt(squared.sum(axis=-1, keepdims=True)) ** 2 / grad.shape[-1]
            _lerp_(row_var, row_mean, weight, xp.empty_like(row_var))
            col_mean = xp.sqrt(squared.sum(axis=-2, keepdims=True)) ** 2 / grad.shape[-2]
            _lerp_(col_var, col_mean, weight, xp.empty_like(col_var))
            estimate = row_var @ col_var
            estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            _lerp_(variance, squared, weight, xp.empty_like(variance))
            estimate = variance.copy()
        update = 1 / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
        update *= grad
        denom = max(1.0, float(xp.sqrt((update * update).sum())) / (update.size ** 0.5 * group["d"]))
        w += (-alpha / denom) * update
