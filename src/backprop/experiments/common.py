"""What several experiments share: the digits as arrays, the plain training loop, accuracy.

The loop is ``backprop.train.minibatch.fit``: the lectures' mini-batch SGD
written out (draw a batch, forward, loss, backward, update) so an experiment
can watch every epoch; a model in an experiment is an ordinary ``nn.Module``
and the optimiser any of ``backprop.optim``.
"""
import functools

import numpy

from backprop import autograd, backend
from backprop.data import datasets, transforms
from backprop.nn.utils import evaluating
from backprop.tensor import Tensor
from backprop.train.minibatch import fit

__all__ = ["digits", "stratified", "fit", "predict", "accuracy", "evaluate", "gradient_norms", "he_init_", "glorot_", "log_slope"]


@functools.lru_cache(maxsize=8)
def _digits(train, size):
    dataset = datasets.get("digits", train=train)
    images = numpy.stack([dataset[i][0].numpy() for i in range(len(dataset))])
    labels = numpy.array([int(dataset[i][1].item()) for i in range(len(dataset))], dtype=numpy.int64)
    if size != images.shape[-1]:
        images = transforms.Resize(size).apply(images)
    images = numpy.ascontiguousarray(images, dtype=numpy.float32)
    for array in (images, labels):
        array.setflags(write=False)
    return images, labels


def digits(train=True, size=8, n=None, seed=0):
    """UCI's 8x8 digits as Tensors (x (N, 1, size, size) in [0, 1], labels (N,) int64).

    ``size=16`` resizes them bilinearly to LeCun 1989's 16x16; ``n`` takes a
    random subset of that many (drawn with ``seed``), stratified so that
    every class has its share.
    """
    images, labels = _digits(train, size)
    if n is not None:
        if n > len(labels):
            raise ValueError(f"digits: asked for n={n} examples, the {'train' if train else 'test'} set has "
                             f"{len(labels)}")
        index = stratified(labels, n, seed)
        images, labels = images[index], labels[index]
    return Tensor._make(images.copy()), Tensor._make(labels.copy())


def stratified(labels, n, seed):
    """The sorted indices of ``n`` of the digit ``labels`` drawn with ``seed``, the ten classes taking turns (a
    random member of each in turn), so that every class has its share."""
    order = numpy.random.default_rng(seed).permutation(len(labels))
    per_class = [order[labels[order] == c] for c in range(10)]
    picked = [c[i] for i in range(max(map(len, per_class))) for c in per_class if i < len(c)][:n]
    return numpy.sort(numpy.array(picked))


def predict(model, x):
    """The model's outputs on ``x`` in eval mode without a graph, as a NumPy array."""
    with evaluating(model), autograd.no_grad():
        return backend.to_numpy(model(x)._data)


def accuracy(model, x, y):
    """Share of ``x`` whose largest output is the label ``y`` (eval mode)."""
    return float((predict(model, x).argmax(axis=1) == backend.to_numpy(y._data)).mean())


def evaluate(model, x, y):
    """(mean cross-entropy -log softmax(z)_y, accuracy) of ``model`` on (x, y) from one eval-mode pass."""
    from backprop.nn import functional

    scores = predict(model, x)
    loss = functional.cross_entropy(Tensor._make(scores), y).item()
    return loss, float((scores.argmax(axis=1) == backend.to_numpy(y._data)).mean())


def gradient_norms(model, x, y):
    """||dL/dW_l|| (Frobenius) of every Linear layer l = 1, 2, ... of ``model`` after one backward pass of
    the cross-entropy L on (x, y); the gradients are cleared again afterwards."""
    from backprop.nn import Linear, functional

    model.zero_grad()
    functional.cross_entropy(model(x), y).backward()
    norms = numpy.array([float((layer.weight.grad ** 2).sum().item()) ** 0.5
                         for layer in model.modules() if isinstance(layer, Linear)])
    model.zero_grad()
    return norms


def _init_linear_(model, weight_init):
    """``weight_init`` on every Linear weight, 0 on every bias; returns ``model``."""
    from backprop.nn import Linear, init

    for layer in model.modules():
        if isinstance(layer, Linear):
            weight_init(layer.weight)
            if layer.bias is not None:
                init.zeros_(layer.bias)
    return model


def he_init_(model):
    """He's initialisation for ReLU nets: every Linear weight ~ N(0, 2 / fan_in), every bias 0; returns ``model``."""
    from backprop.nn import init

    return _init_linear_(model, lambda weight: init.kaiming_normal_(weight, nonlinearity="relu"))


def glorot_(model):
    """Glorot and Bengio's (2010) initialisation: every Linear weight ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)),
    every bias 0; returns ``model``."""
    from backprop.nn import init

    return _init_linear_(model, init.xavier_uniform_)


def log_slope(x, y):
    """The least-squares slope of log y against log x: y falls like x^slope (-1/2 for a Monte Carlo error)."""
    return float(numpy.polyfit(numpy.log(x), numpy.log(y), 1)[0])
