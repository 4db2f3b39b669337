"""What the pretraining and generative models share: the check of layer sizes, data as rows, and the mini-batch loop.

The loop is the lectures' mini-batch training written out once: each epoch
visits the examples in a new random order (a shuffling ``DataLoader`` whose
seed comes from backprop's generator: seed it with ``bp.manual_seed``), and
for every batch computes the loss, backpropagates and takes one Adam step.
The history is the mean loss per example of each epoch, as the epoch saw it
(with the weights moving under it).
"""
import math
import numbers

import numpy

from backprop import dtypes, optim
from backprop.checks import check_int, check_number
from backprop.data import DataLoader, TensorDataset
from backprop.tensor import Tensor

__all__ = ["check_sizes", "as_rows", "batches", "fit"]


# rl/reinforce.py still imports these two, and its tests expect a ValueError for a value of the wrong type too:
# switch rl and its tests to backprop.checks, then delete them
def check_positive_int(value, what, owner):
    """``check_int(f"{owner}: {what}", value, at_least=1)``, a wrong type raised as a ValueError."""
    try:
        return check_int(f"{owner}: {what}", value, at_least=1)
    except TypeError as error:
        raise ValueError(str(error)) from None


def check_positive_float(value, what, owner):
    """``check_number(f"{owner}: {what}", value, above=0)``, a wrong type raised as a ValueError."""
    try:
        return check_number(f"{owner}: {what}", value, above=0)
    except TypeError as error:
        raise ValueError(str(error)) from None


def check_sizes(sizes, owner):
    """``sizes`` (layer widths from the input up, e.g. [64, 32, 16]) as a tuple of ints, else a ValueError.

    >>> check_sizes([64, 32, 16], "DBN")
    (64, 32, 16)
    """
    if (isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2
            or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in sizes)):
        raise ValueError(f"{owner}: sizes must be a list of at least two positive ints, the layer widths from "
                         f"the input up (e.g. [64, 32, 16]), got {sizes!r}")
    return tuple(int(s) for s in sizes)


def as_rows(x, features, owner):
    """``x`` (N, D) or images (N, C, H, W) as a (N, features) Tensor of floats; a clear error otherwise.

    A NumPy array is taken as float32 (the parameters' dtype).

    >>> import backprop as bp
    >>> as_rows(bp.zeros(5, 1, 8, 8), 64, "Autoencoder").shape
    backprop.Size([5, 64])
    """
    if isinstance(x, numpy.ndarray):
        x = Tensor._make(numpy.asarray(x, dtype=numpy.float32))
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: expected the data as a Tensor (or NumPy array), got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{owner}: expected a batch (N, {features}) or images (N, C, H, W), got shape {tuple(x.shape)}")
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"{owner}: expected floating-point data, got {x.dtype}")
    per_example = math.prod(x.shape[1:])
    if per_example != features:
        raise ValueError(f"{owner}: expected {features} features per example, got shape {tuple(x.shape)} "
                         f"({per_example} per example)")
    return x.reshape(x.shape[0], features) if x.ndim > 2 else x


def batches(x, batch_size, owner):
    """Shuffled mini-batches (x_batch,) of the rows of ``x``, a new order every epoch (``iter``)."""
    batch_size = check_int(f"{owner}: batch_size", batch_size, at_least=1)
    if x.shape[0] == 0:
        raise ValueError(f"{owner}: got no examples to train on (shape {tuple(x.shape)})")
    return DataLoader(TensorDataset(x), batch_size=batch_size, shuffle=True)


def fit(model, batch_loss, x, epochs, batch_size, lr, owner):
    """Adam (learning rate ``lr``) on ``model``'s trainable parameters for ``epochs`` passes over the rows
    of ``x``; ``batch_loss(batch)`` gives the scalar loss of a batch. Returns the mean loss of each epoch.

    The model is in training mode while it learns and gets its mode back afterwards.

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> layer, x = bp.nn.Linear(3, 3), bp.rand(64, 3)
    >>> history = fit(layer, lambda batch: ((layer(batch) - batch) ** 2).mean(), x, 20, 16, 1e-2, "identity")
    >>> len(history), history[-1] < history[0] / 2     # learning y = x
    (20, True)
    """
    epochs = check_int(f"{owner}: epochs", epochs, at_least=1)
    lr = check_number(f"{owner}: lr", lr, above=0)
    loader = batches(x, batch_size, owner)
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"{owner}: every parameter is frozen (requires_grad=False); nothing to train")
    optimizer = optim.Adam(parameters, lr=lr)
    was_training = model.training
    model.train()
    history = []
    try:
        for _ in range(epochs):
            total = 0.0
            for (batch,) in loader:
                loss = batch_loss(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * batch.shape[0]
            history.append(total / x.shape[0])
    finally:
        model.train(was_training)
    return history
