"""Muon: momentum SGD for weight matrices whose update is orthogonalised by a Newton-Schulz iteration."""
import math

from backprop import backend
from backprop.optim.optimizer import Optimizer, _check_at_least, _lerp_, _zeros_like

__all__ = ["Muon"]


def _bfloat16(x):
    """x (float32) rounded to bfloat16's 8 significant bits, round half to even, kept as float32.

    torch runs the Newton-Schulz iteration in bfloat16; rounding after each
    operation as its bfloat16 tensors do gives torch's values (exactly for small
    matrices; for large ones the sums inside a matrix product may round
    differently by one bfloat16 step).
    """
    xp = backend.array_module(x)
    bits = xp.ascontiguousarray(x, dtype="float32").view("uint32")
    bits = (bits + xp.uint32(0x7FFF) + ((bits >> 16) & xp.uint32(1))) & xp.uint32(0xFFFF0000)
    return bits.astype("uint32").view("float32")


def _orthogonalise(g, coefficients, steps, eps):
    """The nearest semi-orthogonal matrix to g (U V^T of its SVD), approximately, by the quintic Newton-Schulz
    iteration X <- a X + (b A + c A^2) X, A = X X^T, from X = g / ||g||_F."""
    xp = backend.array_module(g)
    a, b, c = coefficients
    x = _bfloat16(g)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    x = _bfloat16(x / max(_bfloat16(xp.sqrt((x * x).sum(dtype="float32"))), eps))
    for _ in range(steps):
        gram = _bfloat16(x @ x.T)
        polynomial = _bfloat16(b * gram + c * (gram @ gram))
        x = _bfloat16(a * x + polynomial @ x)
    return x.T if tall else x


class Muon(Optimizer):
    """Muon (Jordan et al. 2024), for 2-D weights only (use another optimiser for biases, norms, embeddings):

        B <- momentum B + (1 - momentum) g,     U = g + momentum (B - g) (nesterov) or B
        O = NewtonSchulz(U) (about U's orthogonal factor U V^T, in bfloat16 as torch)
        w <- w (1 - lr weight_decay) - lr r O,   r = sqrt(max(1, rows / cols)) (``adjust_lr_fn=None``,
                                                 "original"), 0.2 sqrt(max(rows, cols)) ("match_rms_adamw")

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.zeros(2, 2))
    >>> opt = Muon([w], lr=0.1, weight_decay=0.0, momentum=0.0)
    >>> w.grad = bp.tensor([[2.0, 0.0], [0.0, 3.0]])  # its orthogonal factor is the identity
    >>> opt.step()
    >>> [[round(v, 2) for v in row] for row in w.detach().tolist()]  # about -0.1 I (the iteration is coarse)
    [[-0.07, 0.0], [0.0, -0.11]]
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Muon: adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got {adjust_lr_fn!r}")
        if ns_steps >= 100:
            raise ValueError(f"Muon: ns_steps must be < 100, got {ns_steps!r}")
        if len(ns_coefficients) != 3:
            raise ValueError(f"Muon: ns_coefficients must be 3 numbers (a, b, c), got {ns_coefficients!r}")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for name in ("lr", "momentum", "weight_decay"):
            _check_at_least(self, group, name)
        for p in group["params"]:
            if p.ndim != 2:
                raise ValueError(f"Muon only supports 2D parameters, got one of shape {tuple(p.shape)}")

    def _update(self, param, grad, state, group):
        w = param._data
        xp = backend.array_module(w)
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = _zeros_like(param)
        momentum, lr = group["momentum"], group["lr"]
        buffer = state["momentum_buffer"]._data
        _lerp_(buffer, grad, 1 - momentum, xp.empty_like(buffer))
        if group["nesterov"]:
            update = grad.copy()
            _lerp_(update, buffer, momentum, xp.empty_like(update))
        else:
            update = buffer
        update = _orthogonalise(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        rows, cols = w.shape
        if group["adjust_lr_fn"] == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        w *= 1 - lr * group["weight_decay"]
        w += w.dtype.type(-lr * ratio) * update.astype(w.dtype)
