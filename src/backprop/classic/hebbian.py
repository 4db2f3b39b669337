"""Hebb's network (1949): linear units whose weights grow with correlated activity.

n inputs x_j feed m linear outputs

    y_i = sum_j w_ji x_j

and a weight grows when its input and its output are active together
("cells that fire together wire together"), the lecture's rule

    hebb:    w_ji <- w_ji + eta x_j y_i.

Nothing bounds it: for inputs with covariance C, E[dw] = eta C w, so w grows
like (1 + eta lambda_1)^t along C's top eigenvector and ||w|| diverges. Oja
(1982) added a decay that keeps ||w|| near 1,

    oja:     w_ji <- w_ji + eta y_i (x_j - y_i w_ji),

and a single such unit converges to the first principal component of
zero-mean inputs (the unit-norm top eigenvector of C). With m > 1, Oja units
all find that same component; Sanger's generalised Hebbian algorithm (1989)
subtracts what the units before i already explain,

    sanger:  w_ji <- w_ji + eta y_i (x_j - sum_{k <= i} y_k w_jk),

and unit i converges to the i-th principal component.
"""
import numpy

from backprop import backend, creation, dtypes
from backprop.classic import _inputs
from backprop.nn.module import Module
from backprop.tensor import Tensor

__all__ = ["HebbianNetwork"]

RULES = ("hebb", "oja", "sanger")


class HebbianNetwork(Module):
    """n inputs to m linear outputs y = W x, learning without targets by Hebb's, Oja's or Sanger's rule.

    ``weight`` (m, n) is a buffer (row i holds unit i's w_i), drawn from
    N(0, 1/n) with backprop's generator unless given. ``rule``: ``"hebb"``
    (the lecture's rule; diverges), ``"oja"`` (converges to unit norm) or
    ``"sanger"``; ``lr`` is eta.

    >>> net = HebbianNetwork(2, 1, rule="hebb", lr=0.5, weight=[[1.0, 0.0]])
    >>> net.update([2.0, 1.0]).tolist()    # y = 1*2 + 0*1 = 2; w += 0.5 * 2 * x
    [2.0]
    >>> net.weight.tolist()
    [[3.0, 1.0]]
    """

    def __init__(self, in_features, out_features=1, rule="hebb", lr=0.01, weight=None):
        super().__init__()
        if rule not in RULES:
            raise ValueError(f"HebbianNetwork rule must be one of {', '.join(RULES)}, got {rule!r}")
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"HebbianNetwork {name} must be a positive int, got {value!r}")
        if weight is None:
            weight = creation.randn(out_features, in_features) / numpy.sqrt(in_features)
        weight = creation.tensor(weight, dtype=dtypes.float32)
        if weight.shape != (out_features, in_features):
            raise ValueError(f"HebbianNetwork weight must have shape ({out_features}, {in_features}), "
                             f"got {tuple(weight.shape)}")
        self.in_features, self.out_features, self.rule, self.lr = in_features, out_features, rule, float(lr)
        self.register_buffer("weight", weight)

    def forward(self, x):
        """y = W x for x of shape (n,) or (N, n)."""
        x, one = _inputs.examples(x, self.in_features, self.weight, "HebbianNetwork")
        return _inputs.tensor(x @ self.weight._data.T, one)

    def update(self, x):
        """One step of the rule on x (n,), or on a batch (N, n) with the mean of its examples' steps; returns y.

        For a batch X with outputs Y = X W^T, all steps use the same W:
        hebb dW = eta/N Y^T X; oja dW = eta/N (Y^T X - diag(sum_k y_ki^2) W);
        sanger dW = eta/N (Y^T X - lower(Y^T Y) W), lower keeping k <= i.
        """
        x, one = _inputs.examples(x, self.in_features, self.weight, "HebbianNetwork")
        return _inputs.tensor(self._step(x), one)

    def _step(self, x):
        w = self.weight._data
        xp = backend.array_module(w)
        y = x @ w.T
        dw = y.T @ x
        if self.rule == "oja":
            dw -= (y * y).sum(axis=0)[:, None] * w
        elif self.rule == "sanger":
            dw -= xp.tril(y.T @ y) @ w
        w += (self.lr / x.shape[0]) * dw
        return y

    def fit(self, x, epochs=1, batch_size=1, shuffle=True, seed=0):
        """Apply the rule over the examples x (N, n) for ``epochs`` epochs; returns ||w_i|| after each epoch.

        ``batch_size=1`` is the online rule (one step per example); each
        epoch visits the examples in a new random order drawn from ``seed``
        unless ``shuffle=False``. The result is a Tensor (epochs, m). With
        ``rule="hebb"`` the norms grow without bound (to inf: NumPy warns
        of the overflow).
        """
        x, _ = _inputs.examples(x, self.in_features, self.weight, "HebbianNetwork")
        if x.shape[0] == 0 or batch_size < 1:
            raise ValueError(f"HebbianNetwork.fit needs examples and batch_size >= 1, got {x.shape[0]} examples "
                             f"and batch_size={batch_size}")
        rng = numpy.random.default_rng(seed)
        xp = backend.array_module(x)
        norms = []
        for _ in range(epochs):
            order = rng.permutation(x.shape[0]) if shuffle else numpy.arange(x.shape[0])
            shuffled = x[xp.asarray(order)]
            for start in range(0, x.shape[0], batch_size):
                self._step(shuffled[start:start + batch_size])
            norms.append(xp.linalg.norm(self.weight._data, axis=1))
        return Tensor._make(xp.stack(norms) if norms else xp.zeros((0, self.out_features), dtype=x.dtype))

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, rule={self.rule!r}, lr={self.lr}"
