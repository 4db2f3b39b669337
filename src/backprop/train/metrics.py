"""Metrics of a classifier or a regressor, computed on raw arrays (no graph).

Accuracy is the fraction of examples whose highest score is the right class;
the confusion matrix C[t, p] counts examples of true class t predicted as p.
"""
import numpy

from backprop import backend
from backprop.tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "correct", "probabilities", "RunningMean"]


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def predictions(output):
    """The predicted class of each row of scores (N, K); a single score (N,) or (N, 1) is a logit: > 0 is class 1."""
    output = _array(output)
    xp = backend.array_module(output)
    if output.ndim == 1 or output.shape[-1] == 1:
        return (output.reshape(output.shape[0]) > 0).astype(xp.int64)
    return output.argmax(axis=-1)


def probabilities(scores):
    """softmax(z)_i = e^{z_i} / sum_j e^{z_j} of each row of a NumPy array of scores (the class probabilities).

    >>> probabilities(numpy.array([[0.0, 0.0], [0.0, numpy.log(3.0)]])).round(2).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    e = numpy.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def correct(output, target):
    """How many rows of ``output`` predict ``target`` (an int)."""
    pred = predictions(output)
    target = _array(target).reshape(-1)
    if pred.shape != target.shape:
        raise ValueError(f"correct(): {pred.shape[0]} predictions for {target.shape[0]} targets")
    return int((pred == target).sum())


def accuracy(output, target):
    """Fraction of correct predictions.

    >>> import backprop as bp
    >>> accuracy(bp.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]]), bp.tensor([0, 1, 1]))
    0.6666666666666666
    """
    n = _array(target).shape[0]
    return correct(output, target) / n if n else float("nan")


def confusion_matrix(predicted, target, num_classes):
    """C[t, p] = number of examples of class t predicted as p (NumPy int64, num_classes x num_classes).

    >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist()
    [[1, 1], [0, 1]]
    """
    predicted = numpy.asarray(backend.to_numpy(_array(predicted))).reshape(-1).astype(numpy.int64)
    target = numpy.asarray(backend.to_numpy(_array(target))).reshape(-1).astype(numpy.int64)
    if predicted.shape != target.shape:
        raise ValueError(f"confusion_matrix(): {predicted.size} predictions for {target.size} targets")
    matrix = numpy.zeros((num_classes, num_classes), dtype=numpy.int64)
    numpy.add.at(matrix, (target, predicted), 1)
    return matrix


class RunningMean:
    """A mean over batches of different sizes: sum of value * count / sum of count.

    >>> m = RunningMean(); m.update(1.0, 3); m.update(3.0, 1); m.value
    1.5
    """

    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value, count=1):
        self.total += float(value) * count
        self.count += count

    @property
    def value(self):
        return self.total / self.count if self.count else float("nan")
