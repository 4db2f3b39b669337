"""Robust accuracy: the share of examples a model still classifies right after an attack.

    robust accuracy = (1/N) sum_i [argmax_k f_k(x_i^adv) = y_i],   x^adv = attack(model, x, y)

With no attack it is the plain (clean) accuracy; an attack can only find
inputs the model gets wrong, so against a good attack robust accuracy
falls below the clean one as eps grows.
"""
from backprop.nn.utils import device_of, evaluating
from backprop.train import metrics

__all__ = ["robust_accuracy"]


def robust_accuracy(model, loader, attack=None):
    """Accuracy of ``model`` on every (x, y) batch of ``loader`` after ``x <- attack(model, x, y)``.

    ``attack`` is any function of (model, x, y) returning the attacked
    batch, e.g. ``functools.partial(fgsm, eps=0.1)``; None measures the clean
    accuracy. Batches go to the device of the model's parameters.

    >>> import backprop as bp
    >>> model = bp.nn.Linear(2, 2)
    >>> data = bp.data.TensorDataset(bp.rand(8, 2), bp.randint(0, 2, (8,)))
    >>> 0.0 <= robust_accuracy(model, bp.data.DataLoader(data, batch_size=4)) <= 1.0
    True
    """
    device = device_of(model)
    right = seen = 0
    for batch in loader:
        x, y = batch[0], batch[1]
        if device is not None:
            x, y = x.to(device=device), y.to(device=device)
        if attack is not None:
            x = attack(model, x, y)
        with evaluating(model):
            right += metrics.correct(model(x), y)
        seen += y.shape[0]
    if not seen:
        raise ValueError("robust_accuracy: the loader yielded no examples")
    return right / seen
