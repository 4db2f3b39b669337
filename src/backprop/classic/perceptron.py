"""Rosenblatt's perceptron (1958): a threshold unit that learns its weights from examples.

    y = step(w^T x + b) = 1 if w^T x + b > 0 else 0

Rosenblatt's rule visits the examples one at a time and moves the weights
only on a mistake, towards the input when the unit should have fired and
away from it when it should not:

    w <- w + eta (t - y) x,   b <- b + eta (t - y),   t, y in {0, 1}.

Novikoff (1962): if some (w*, b*) separates the data with margin gamma
(t'_i (w*^T x_i + b*) / ||(w*, b*)|| >= gamma for all i, t' = 2t - 1 in
{-1, +1}) and R = max_i ||(x_i, 1)||, the rule makes at most (R / gamma)^2
mistakes, whatever the order of the examples: it converges. On data no line
separates it never does; the lectures' example is XOR, f([0,1]) = f([1,0]) = 1,
f([0,0]) = f([1,1]) = 0 (Minsky and Papert 1969).

The Mark I (1958) was the perceptron built as a machine: 400 photocells (a
20 x 20 retina) randomly wired to 512 association units, threshold units
whose connections were fixed, feeding response units whose weights were
motor-driven potentiometers learnt by the rule. ``MarkI`` is that: a fixed
random layer of threshold units in front of a trainable perceptron. Enough
random features make XOR (or any labelling of finitely many distinct
points) linearly separable in their space.
"""
import numpy

from backprop import backend, creation, dtypes
from backprop.classic import _inputs
from backprop.nn.module import Module

__all__ = ["Perceptron", "MarkI", "mistake_bound"]

_HINT = "the perceptron's targets are its step unit's outputs 0 and 1 (map -1/+1 labels with (t + 1) / 2)"


class Perceptron(Module):
    """A step unit y = step(w^T x + b) trained by Rosenblatt's rule; targets t in {0, 1}.

    ``weight`` (in_features,) and ``bias`` () are buffers, zero at the start
    (then the number of mistakes does not depend on ``lr``). ``forward``
    gives the unit's output (float 0/1), ``predict`` the class (int64 0/1),
    ``fit`` trains and returns the mistakes per epoch.

    >>> p = Perceptron(2)
    >>> p.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1])[-1]    # AND: the last epoch is error-free
    0
    >>> p.converged, p.predict([[1, 1], [0, 1]]).tolist()
    (True, [1, 0])
    """

    def __init__(self, in_features, lr=1.0):
        super().__init__()
        if not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"{type(self).__name__} in_features must be a positive int, got {in_features!r}")
        self.in_features, self.lr = in_features, float(lr)
        self.converged, self.mistakes = False, 0
        self.register_buffer("weight", creation.zeros(in_features, dtype=dtypes.float32))
        self.register_buffer("bias", creation.zeros((), dtype=dtypes.float32))

    def features(self, x):
        """What the trainable unit sees: the input itself (MarkI puts its random layer here)."""
        return x

    def _examples(self, x):
        return _inputs.examples(x, self.in_features, self.weight, type(self).__name__)

    def forward(self, x):
        """The unit's output step(w^T x + b) (float 0/1) for x of shape (n,) or (N, n)."""
        x, one = self._examples(x)
        z = self.features(x) @ self.weight._data + self.bias._data
        return _inputs.tensor((z > 0).astype(z.dtype), one)

    def predict(self, x):
        """The predicted class 0 or 1 (int64)."""
        return self.forward(x).long()

    def fit(self, x, t, epochs=100):
        """Rosenblatt's rule, one example at a time in the given order, for at most ``epochs`` epochs.

        Stops after the first epoch without a mistake (then ``converged`` is
        True). Returns the number of mistakes (= updates) in each epoch;
        ``mistakes`` keeps their total over all calls.
        """
        x, _ = self._examples(x)
        t = _inputs.targets(t, x.shape[0], (0, 1), self.weight, f"{type(self).__name__}.fit", _HINT)
        f = self.features(x)
        w, b = self.weight._data, self.bias._data
        targets = backend.to_numpy(t).tolist()
        errors = []
        self.converged = False
        for _ in range(epochs):
            count = 0
            for fi, ti in zip(f, targets):
                y = 1.0 if float(fi @ w + b) > 0 else 0.0
                if y != ti:
                    w += (self.lr * (ti - y)) * fi
                    b += self.lr * (ti - y)
                    count += 1
            errors.append(count)
            self.mistakes += count
            if count == 0:
                self.converged = True
                break
        return errors

    def extra_repr(self):
        return f"in_features={self.in_features}, lr={self.lr}"


class MarkI(Perceptron):
    """A fixed random layer of threshold units in front of a perceptron, as in Rosenblatt's Mark I.

    Association unit k fires a_k = step(r_k^T (x - u_k)): its connections
    r_k ~ N(0, I) and the point u_k ~ U[0, 1]^n its boundary passes through
    are drawn once (from backprop's generator, so ``bp.manual_seed`` fixes
    them) and never learnt. Only the response unit y = step(w^T a + b) is
    trained, by Rosenblatt's rule. Inputs are expected in [0, 1] (photocell
    intensities). The random layer is kept in the buffers
    ``associator_weight`` (k, n) and ``associator_threshold`` (k,) =
    r_k^T u_k.
    """

    def __init__(self, in_features, n_associators=512, lr=1.0):
        if not isinstance(n_associators, int) or n_associators < 1:
            raise ValueError(f"MarkI n_associators must be a positive int, got {n_associators!r}")
        super().__init__(in_features, lr)
        self.n_associators = n_associators
        self.weight = creation.zeros(n_associators, dtype=dtypes.float32)  # the response unit reads the a_k
        r = creation.randn(n_associators, in_features)
        u = creation.rand(n_associators, in_features)
        self.register_buffer("associator_weight", r)
        self.register_buffer("associator_threshold", (r * u).sum(dim=1))

    def features(self, x):
        """The association units' outputs a_k = step(r_k^T x - r_k^T u_k), an array (N, k) of 0/1."""
        z = x @ self.associator_weight._data.T - self.associator_threshold._data
        return (z > 0).astype(x.dtype)

    def extra_repr(self):
        return f"in_features={self.in_features}, n_associators={self.n_associators}, lr={self.lr}"


def mistake_bound(x, t, weight, bias=0.0):
    """Novikoff's bound (R / gamma)^2 on the perceptron's mistakes, given a separating (w*, b*).

    R = max_i ||(x_i, 1)||, gamma = min_i t'_i (w*^T x_i + b*) / ||(w*, b*)||
    with t' = 2t - 1; ``t`` in {0, 1}. Raises ValueError when (w*, b*) does
    not separate the data (gamma <= 0).

    >>> round(mistake_bound([[0, 0], [1, 1]], [0, 1], [1.0, 1.0], -1.0), 6)    # R^2 = 3, gamma = 1 / sqrt(3)
    9.0
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    t = numpy.asarray(t, dtype=numpy.float64).reshape(-1)
    if x.ndim != 2 or t.shape != (x.shape[0],) or not numpy.isin(t, (0, 1)).all():
        raise ValueError(f"mistake_bound expects x (N, n) and N targets in {{0, 1}}, got shapes {tuple(x.shape)}, {tuple(t.shape)}")
    augmented = numpy.concatenate([x, numpy.ones((len(x), 1))], axis=1)
    separator = numpy.append(numpy.asarray(weight, dtype=numpy.float64), float(bias))
    gamma = ((2 * t - 1) * (augmented @ separator)).min() / numpy.linalg.norm(separator)
    if gamma <= 0:
        raise ValueError(f"mistake_bound: (w*, b*) does not separate the data (margin {gamma:.3g} <= 0)")
    return float(numpy.linalg.norm(augmented, axis=1).max() ** 2 / gamma ** 2)

