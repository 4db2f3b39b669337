"""The plain training loop on examples in memory, and what the pretraining and generative models share (the
check of layer sizes, data as rows, shuffled mini-batches).

``fit`` is the lectures' mini-batch training written out once: each epoch
visits the examples in a new random order; for every batch it computes the
loss, backpropagates and takes one step of the optimiser. The history is the
mean loss per example of each epoch, as the epoch saw it (with the weights
moving under it). The experiments of ``backprop reproduce`` and the
autoencoders train with it; ``Trainer`` (train/trainer.py) is the loop of
``backprop train``.
"""
import math
import numbers

import numpy

from backprop import dtypes
from backprop.checks import check_int
from backprop.data import DataLoader, TensorDataset
from backprop.nn.utils import max_norm_
from backprop.tensor import Tensor

__all__ = ["check_sizes", "as_rows", "batches", "fit"]


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


def fit(model, optimizer, loss_fn, x, y, epochs, batch_size=None, seed=0, after_epoch=None, max_norm=None):
    """Train ``model`` on examples held in memory, ``x`` and targets ``y`` (Tensors indexed along dim 0), for
    ``epochs`` epochs of mini-batch gradient descent by ``optimizer``, minimising ``loss_fn(model(x_b), y_b)``;
    returns the mean training loss per example of each epoch, as the epoch saw it.

    ``batch_size=None`` is full-batch gradient descent. Each epoch visits the
    examples in a new random order drawn from ``numpy.random.default_rng(seed)``
    (full batch: in their order). ``after_epoch(epoch, loss)`` runs after each
    epoch (epochs count from 1); returning True stops training (early
    stopping). ``max_norm`` rescales each unit's incoming weights to norm <=
    max_norm after every update. The model is in training mode while it
    learns and gets its mode back afterwards.

    Why a loop beside ``Trainer.fit``: the lectures' loop written out in a few
    lines, for the experiments of ``backprop reproduce`` and the pretraining
    models. The batches are slices of Tensors in memory (no Dataset, no
    collation: the experiments take thousands of tiny steps) and the order
    depends on ``seed`` only, so an experiment's numbers are fixed by its seed.
    ``Trainer.fit`` is the loop of ``backprop train``: any Dataset through a
    DataLoader, callbacks, checkpoints and resuming, metrics, a guard against
    non-finite losses.

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> layer, x = bp.nn.Linear(3, 3), bp.rand(64, 3)
    >>> adam = bp.optim.Adam(layer.parameters(), lr=1e-2)
    >>> history = fit(layer, adam, bp.nn.MSELoss(), x, x, epochs=20, batch_size=16)
    >>> len(history), history[-1] < history[0] / 2     # learning y = x
    (20, True)
    """
    n = x.shape[0]
    epochs = check_int("fit: epochs", epochs, at_least=1)
    batch_size = n if batch_size is None else check_int("fit: batch_size", batch_size, at_least=1)
    if n == 0:
        raise ValueError(f"fit: got no examples to train on (shape {tuple(x.shape)})")
    rng = numpy.random.default_rng(seed)
    losses = []
    was_training = model.training
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n) if batch_size < n else numpy.arange(n)
            total = 0.0
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                loss = loss_fn(model(x[index]), y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                if max_norm is not None:
                    max_norm_(model, max_norm)
                total += loss.item() * len(index)
            losses.append(total / n)
            if after_epoch is not None and after_epoch(epoch, losses[-1]):
                break
    finally:
        model.train(was_training)
    return losses
