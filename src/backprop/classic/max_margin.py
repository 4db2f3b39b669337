"""The linear max-margin classifier: the line that keeps the classes furthest apart.

The lecture's linear model f(x) = w^T x + b classifies by sign; max-margin
training picks, among the (w, b) that separate the two classes,

    min ||w||^2   s.t.   w^T x_i + b >= 1 (class +1),  <= -1 (class -1),

i.e. t_i (w^T x_i + b) >= 1 with t_i in {-1, +1}. The closest points then
lie at distance 1 / ||w|| from the boundary: that is the margin, and the
points on it (t_i f(x_i) = 1) are the support vectors; the others could
move (without crossing the margin) and the solution would not change.

Here it is trained by sub-gradient descent on the soft-margin objective

    J(w, b) = lambda/2 ||w||^2 + 1/N sum_i max(0, 1 - t_i (w^T x_i + b)),

whose sub-gradient is dJ/dw = lambda w - 1/N sum_{i: t_i f(x_i) < 1} t_i x_i,
dJ/db = -1/N sum_{i: t_i f(x_i) < 1} t_i, with the step eta_k = 1 / (lambda k)
of Pegasos (Shalev-Shwartz et al. 2007), and w kept in the ball ||w|| <=
sqrt(2 / lambda) where the minimum lies (J(w*, b*) <= J(0, 0) = 1). On
separable data a small enough lambda gives the hard-margin solution (for
two points x_1, x_2 at distance d: lambda <= d^2 / 4); the error shrinks
like 1 / (lambda k), so smaller lambda needs more epochs.
"""
import numpy

from backprop import backend, creation, dtypes
from backprop.classic import _inputs
from backprop.nn.module import Module
from backprop.tensor import Tensor

__all__ = ["MaxMarginClassifier"]

_HINT = "the max-margin classifier's targets are -1 and +1 (map 0/1 labels with 2 t - 1)"


class MaxMarginClassifier(Module):
    """f(x) = w^T x + b, class sign f(x) in {-1, +1}, trained by sub-gradient descent on the hinge loss.

    ``lam`` is lambda, the weight of lambda/2 ||w||^2. ``weight``
    (in_features,) and ``bias`` () are buffers, zero at the start.
    ``forward`` gives f(x), ``predict`` the class (int64 -1/+1; f = 0 counts
    as +1), ``margin`` 1 / ||w||, ``support_vectors(x, t)`` the indices of
    the points on or inside the margin.

    >>> svm = MaxMarginClassifier(1, lam=0.5)
    >>> _ = svm.fit([[1.0], [-1.0]], [1, -1], epochs=2000)
    >>> round(svm.weight.item(), 2), round(svm.bias.item(), 2), round(svm.margin, 2)    # the line x = 0
    (1.0, 0.0, 1.0)
    """

    def __init__(self, in_features, lam=0.01):
        super().__init__()
        if not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"MaxMarginClassifier in_features must be a positive int, got {in_features!r}")
        if not lam > 0:
            raise ValueError(f"MaxMarginClassifier lam must be > 0, got {lam!r}")
        self.in_features, self.lam = in_features, float(lam)
        self.register_buffer("weight", creation.zeros(in_features, dtype=dtypes.float32))
        self.register_buffer("bias", creation.zeros((), dtype=dtypes.float32))

    def _checked(self, x, t=None, name="MaxMarginClassifier"):
        x, one = _inputs.examples(x, self.in_features, self.weight, name)
        if t is not None:
            t = _inputs.targets(t, x.shape[0], (-1, 1), self.weight, name, _HINT)
        return x, t, one

    def forward(self, x):
        """f(x) = w^T x + b for x of shape (n,) or (N, n)."""
        x, _, one = self._checked(x)
        return _inputs.tensor(x @ self.weight._data + self.bias._data, one)

    def predict(self, x):
        """The class sign f(x): +1 where f(x) >= 0, else -1 (int64)."""
        f = self.forward(x)._data
        xp = backend.array_module(f)
        return Tensor._make(xp.where(f >= 0, 1, -1).astype(xp.int64))

    def objective(self, x, t):
        """J(w, b) = lambda/2 ||w||^2 + mean_i max(0, 1 - t_i f(x_i)) on the data (a float)."""
        x, t, _ = self._checked(x, t, "MaxMarginClassifier.objective")
        return self._objective(x, t)

    def _margins(self, x, t):
        """t_i f(x_i) for every example: >= 1 outside the margin, < 0 on the wrong side."""
        return t * (x @ self.weight._data + self.bias._data)

    def _objective(self, x, t):
        w = self.weight._data
        hinge = backend.array_module(w).maximum(0, 1 - self._margins(x, t))
        return float(self.lam / 2 * (w @ w) + hinge.mean())

    def fit(self, x, t, epochs=1000):
        """Full-batch sub-gradient descent on J for ``epochs`` steps (eta_k = 1 / (lambda k)); returns J per step.

        ``t`` in {-1, +1}; 0/1 labels are refused (map them with 2 t - 1).
        Training starts again from w = 0, b = 0.
        """
        x, t, _ = self._checked(x, t, "MaxMarginClassifier.fit")
        if x.shape[0] == 0:
            raise ValueError("MaxMarginClassifier.fit needs at least one example")
        w, b = self.weight._data, self.bias._data
        w[...], b[...] = 0, 0
        radius = numpy.sqrt(2 / self.lam)
        xp = backend.array_module(w)
        history = []
        for k in range(1, epochs + 1):
            inside = self._margins(x, t) < 1  # the points whose hinge is active
            pull = t[inside]
            grad_w = self.lam * w - pull @ x[inside] / x.shape[0]
            grad_b = -pull.sum() / x.shape[0]
            eta = 1 / (self.lam * k)
            w -= eta * grad_w
            b -= eta * grad_b
            norm = float(xp.linalg.norm(w))
            if norm > radius:
                w *= radius / norm
            history.append(self._objective(x, t))
        return history

    @property
    def margin(self):
        """1 / ||w||: the distance from the boundary to the lines f(x) = +-1 (inf while w = 0)."""
        norm = float(backend.array_module(self.weight._data).linalg.norm(self.weight._data))
        return 1 / norm if norm > 0 else float("inf")

    def geometric_margin(self, x, t):
        """min_i t_i f(x_i) / ||w||: the signed distance of the closest point to the boundary (< 0: misclassified)."""
        x, t, _ = self._checked(x, t, "MaxMarginClassifier.geometric_margin")
        return float(self._margins(x, t).min()) * self.margin

    def support_vectors(self, x, t, tol=1e-2):
        """Indices (int64 Tensor) of the points on or inside the margin: t_i f(x_i) <= 1 + tol."""
        x, t, _ = self._checked(x, t, "MaxMarginClassifier.support_vectors")
        xp = backend.array_module(x)
        return Tensor._make(xp.nonzero(self._margins(x, t) <= 1 + tol)[0].astype(xp.int64))

    def extra_repr(self):
        return f"in_features={self.in_features}, lam={self.lam}"
