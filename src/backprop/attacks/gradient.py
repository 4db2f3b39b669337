"""Gradient attacks: move each input a little in the direction that raises the loss, so the model errs.

FGSM, the fast gradient sign method (Goodfellow, Shlens and Szegedy 2015),
takes one step of size eps in the direction that raises the loss
J(theta, x, y) fastest while no input value changes by more than eps
(||eta||_inf <= eps):

    x_adv = clip(x + eps sign(grad_x J(theta, x, y)))

PGD, projected gradient descent (Madry et al. 2018), repeats it with a
smaller step alpha and projects back onto the eps-ball around x after each
step:

    x^{t+1} = clip(x + clip_[-eps, eps](x^t + alpha sign(grad_x J(theta, x^t, y)) - x))

starting from x^0 = x or, with ``random_start``, from a point drawn
uniformly in the ball. ``clip`` keeps the data range (pixels in [0, 1]).

The model runs in eval mode (batch norm on its running statistics, no
dropout) with its parameters frozen, so an attack changes neither the
model's mode nor its parameters' ``.grad``; the results are new Tensors
that record no graph.
"""
from backprop import backend, creation
from backprop.checks import check_int
from backprop.explain._common import as_input, frozen
from backprop.nn import functional
from backprop.tensor import Tensor

__all__ = ["fgsm", "pgd", "loss_gradient"]


def fgsm(model, x, y, eps, *, loss_fn=None, clip=(0.0, 1.0)):
    """x_adv = clip(x + eps sign(grad_x J(theta, x, y))): one signed gradient step of size eps.

    ``model`` maps a batch ``x`` (a Tensor or array, batch axis first) to
    scores; ``y`` holds the targets that ``loss_fn`` takes (None: the
    cross-entropy with class indices). ``eps`` is a float or an array
    broadcastable to ``x`` (one value per channel, say, for normalised
    inputs); ``clip`` a (low, high) pair of floats or arrays that the
    inputs lie in (normalised inputs need their own range), or None.

    >>> import backprop as bp
    >>> model = bp.nn.Linear(2, 2)
    >>> x_adv = fgsm(model, bp.tensor([[0.5, 0.5]]), bp.tensor([0]), eps=0.1)
    >>> bool(((x_adv - 0.5).abs() <= 0.1 + 1e-7).all())
    True
    """
    x = as_input(x)._data
    eps = _budget(eps, "eps", x)
    bounds = _bounds(clip, x)
    y = _targets(y, x)
    if not (eps > 0).any():
        return Tensor._make(x)
    with frozen(model):
        gradient = loss_gradient(model, x, y, loss_fn)
    xp = backend.array_module(x)
    return Tensor._make(_clip(x + eps * xp.sign(gradient), bounds))


def pgd(model, x, y, eps, alpha=None, steps=10, *, random_start=True, loss_fn=None, clip=(0.0, 1.0)):
    """``steps`` signed gradient steps of size ``alpha``, each projected onto the L-inf eps-ball around x
    and clipped to the data range:

        x^{t+1} = clip(x + clip_[-eps, eps](x^t + alpha sign(grad_x J(theta, x^t, y)) - x))

    ``alpha=None`` is 2.5 eps / steps (the rule of thumb of Madry's group;
    the paper itself used e.g. 40 steps of 0.01 at eps = 0.3 on MNIST):
    the steps add up to 2.5 eps, enough to cross the ball (2 eps) and come
    back. ``random_start`` starts from x^0 = x + u, u uniform in
    [-eps, eps] from backprop's generator (``bp.manual_seed`` repeats it);
    without it PGD starts at x^0 = x and is deterministic. The other
    arguments are those of ``fgsm``.

    >>> import backprop as bp
    >>> model = bp.nn.Linear(2, 2)
    >>> x_adv = pgd(model, bp.tensor([[0.5, 0.5]]), bp.tensor([0]), eps=0.1, steps=5)
    >>> bool(((x_adv - 0.5).abs() <= 0.1 + 1e-7).all())
    True
    """
    steps = check_int("pgd: steps", steps, at_least=1)
    x = as_input(x)._data
    eps = _budget(eps, "eps", x)
    alpha = eps * (2.5 / steps) if alpha is None else _budget(alpha, "alpha", x)
    bounds = _bounds(clip, x)
    y = _targets(y, x)
    xp = backend.array_module(x)
    x_adv = x
    if random_start:
        noise = creation.generator().uniform(-1.0, 1.0, size=x.shape)
        x_adv = _clip(x + eps * backend.to_device(noise.astype(x.dtype), backend.device_of(x)), bounds)
    with frozen(model):
        for _ in range(steps):
            step = alpha * xp.sign(loss_gradient(model, x_adv, y, loss_fn))
            x_adv = _clip(x + xp.clip(x_adv + step - x, -eps, eps), bounds)
    return Tensor._make(x_adv)


def loss_gradient(model, x, y, loss_fn=None):
    """grad_x J(theta, x, y) as an array of x's shape (a loss per example is summed first).

    Run it inside ``frozen(model)`` to keep the parameters' ``.grad`` and
    the model's mode as they were.
    """
    x = as_input(x)
    loss = (loss_fn or functional.cross_entropy)(model(x), y)
    if loss.ndim:
        loss = loss.sum()
    loss.backward()
    if x.grad is None:  # the loss does not depend on x
        return backend.array_module(x._data).zeros_like(x._data)
    return x.grad._data


def _array(value, like):
    """``value`` (a number, array or Tensor) as an array of ``like``'s dtype on its device."""
    return creation.as_tensor(value, dtype=like.dtype, device=backend.device_of(like))._data


def _broadcast(array, name, like):
    xp = backend.array_module(like)
    try:
        xp.broadcast_to(array, like.shape)
    except ValueError:
        raise ValueError(f"{name} of shape {tuple(array.shape)} does not broadcast to the inputs' shape "
                         f"{tuple(like.shape)} (one value per channel of images (N, C, H, W) is an array of "
                         f"shape (C, 1, 1))") from None
    return array


def _budget(value, name, like):
    """A step size or radius (eps, alpha): >= 0, broadcastable to the inputs."""
    array = _broadcast(_array(value, like), name, like)
    if not bool((array >= 0).all()):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return array


def _bounds(clip, like):
    """The data range (low, high) as arrays with low < high everywhere, or None; the inputs ``like`` must lie
    in it (up to rounding): clipping normalised inputs to the default [0, 1] would wreck them silently."""
    if clip is None:
        return None
    if not isinstance(clip, (tuple, list)) or len(clip) != 2:
        raise ValueError(f"clip must be a (low, high) pair or None, got {clip!r}")
    low, high = (_broadcast(_array(bound, like), name, like) for bound, name in zip(clip, ("clip low", "clip high")))
    if not bool((low < high).all()):
        raise ValueError(f"clip expected low < high, got {clip!r}")
    slack = 1e-4 * (high - low)
    if bool(((like < low - slack) | (like > high + slack)).any()):
        raise ValueError(f"the inputs (from {float(like.min()):.4g} to {float(like.max()):.4g}) lie outside the data "
                         f"range clip={clip!r}: give the range of your inputs as clip (for normalised images "
                         f"((0 - mean) / std, (1 - mean) / std) per channel), or clip=None")
    return low, high


def _clip(x, bounds):
    return x if bounds is None else backend.array_module(x).clip(x, *bounds)


def _targets(y, x):
    """The targets as a Tensor on x's device, one per example."""
    y = creation.as_tensor(y, device=backend.device_of(x))
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"expected one target per example: x has {x.shape[0]} examples, y has shape {tuple(y.shape)}")
    return y
