"""Fukushima's Neocognitron (1980): S-cells learn features without a teacher, C-cells forgive their position.

The network is a cascade of stages, each a layer of S-cells followed by a
layer of C-cells, every layer made of cell-planes: all the cells of a plane
look for the same feature (share their weights), each at its own place.

**S-cells** (feature extraction). The S-cell of plane k at position n sees a
small patch u_C(kappa, n + nu) of every plane kappa of the layer below
(nu runs over a k x k window). Its output is a shunting inhibition of an
excitatory sum by an inhibitory V-cell:

    u_S(k, n) = r * phi[(1 + e) / (1 + r / (1 + r) * b_k * v) - 1],
    e = sum_{kappa, nu} a_k(kappa, nu) u_C(kappa, n + nu),
    v = sqrt(sum_{kappa, nu} c(nu) u_C(kappa, n + nu)^2),

with phi(x) = max(x, 0), excitatory weights a_k >= 0, an inhibitory weight
b_k >= 0 and c a fixed weighting of the window that falls off from its
centre. r is the selectivity: once trained, a cell fires only on patches
whose (c-weighted) cosine with what it has learnt exceeds about r / (1 + r).

**Learning without a teacher** (competitive learning, "reinforcement of
maximum-output cells"). An image is presented; at every position (an
S-column: the cells of all planes there) the plane with the largest output
wins; in every plane, among the positions it won, the one with the largest
output is its representative n^. Only representatives learn, and every cell
of their plane follows (shared weights):

    a_k(kappa, nu) <- a_k(kappa, nu) + q c(nu) u_C(kappa, n^ + nu),
    b_k <- b_k + q v(n^).

A plane that wins nowhere is unchanged. Planes start with small random
positive a and b = 0, so they answer weakly to everything; the first patch
that a plane wins makes it large and selective, and the patches it does not
match are left to the planes still untrained. Stages learn one after the
other, from the input up.

**C-cells** (tolerance to shifts). A C-cell sums the outputs of one S-plane
over a neighbourhood and saturates:

    u_C(k, m) = psi(sum_nu d(nu) u_S(k, s m + nu)),   psi(x) = x / (alpha + x),

with d uniform over a window (here: the mean), s the stride by which the
planes shrink from stage to stage. The feature may move anywhere within the
window and the C-cell answers the same; stacked stages make the tolerance
grow while the features grow in size.

Simplified from the paper: one S-column is the cells of all planes at one
position (the paper's columns also span a small area); the C-cells' own
inhibition (by the mean of the S-planes) is left out; d is a box (the paper's
falls off from the centre), which makes a C-cell exactly invariant to a shift
that keeps a feature inside its window.
"""
import functools

import numpy

from backprop import backend, creation, dtypes
from backprop.checks import check_int, check_number
from backprop.classic import _inputs
from backprop.nn.module import Module
from backprop.tensor import Tensor

__all__ = ["SCells", "CCells", "Neocognitron", "window_weights"]


def window_weights(kernel_size, spread=1.0):
    """c(nu): exp(-|nu|^2 / (2 spread^2 (k/2)^2)) over a k x k window, scaled so that it sums to 1."""
    centre = (kernel_size - 1) / 2
    grid = numpy.arange(kernel_size) - centre
    squared = grid[:, None] ** 2 + grid[None, :] ** 2
    weights = numpy.exp(-squared / (2 * (spread * max(kernel_size / 2, 1)) ** 2))
    return weights / weights.sum()


def _images(x, channels, like, name):
    """``x`` (C, H, W) or (N, C, H, W) as a 4-D array of ``like``'s dtype and device, and whether it was one image."""
    array = creation.as_tensor(x, dtype=like.dtype, device=like.device)._data
    if array.ndim not in (3, 4) or array.shape[-3] != channels:
        raise ValueError(f"{name} expects images of shape ({channels}, H, W) or (N, {channels}, H, W), "
                         f"got shape {tuple(array.shape)}")
    return (array[None] if array.ndim == 3 else array), array.ndim == 3


def _pad(x, kernel_size):
    """x (N, C, H, W) zero-padded so that k x k windows centred on every pixel fit: (N, C, H + k - 1, W + k - 1)."""
    xp = backend.array_module(x)
    before, after = (kernel_size - 1) // 2, kernel_size - 1 - (kernel_size - 1) // 2
    return xp.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))


def _windows(padded, kernel_size, height, width, stride=1):
    """The k x k shifted views padded[..., i : i + H : s, j : j + W : s], one per offset (i, j) of the window."""
    for i in range(kernel_size):
        for j in range(kernel_size):
            yield i, j, padded[:, :, i:i + height:stride, j:j + width:stride]


class SCells(Module):
    """A layer of S-cell planes: ``planes`` features of ``in_planes`` x k x k learnt by competitive learning.

    Buffers: ``weight`` a (planes, in_planes, k, k) >= 0, drawn uniformly from
    [0, ``init``) with backprop's generator, ``inhibition`` b (planes,) = 0, and
    the fixed window weighting ``c`` (k, k) of ``window_weights``.
    ``selectivity`` is r, ``lr`` is q. ``forward`` gives u_S (N, planes, H, W)
    (same size as the input); ``reinforce`` does one step of the rule on one
    image; ``fit`` runs it over a set of images.

    >>> s = SCells(1, 2, kernel_size=1, selectivity=1.0, lr=1.0, init=0.0)
    >>> s.weight[0, 0, 0, 0] = 0.1                # plane 0 answers a little, plane 1 not at all
    >>> s.reinforce([[[2.0]]]).tolist()           # plane 0 wins the only position: a += 1 * 1 * 2, b += 2
    [True, False]
    >>> s.weight[:, 0, 0, 0].tolist(), s.inhibition.tolist()
    ([2.0999999046325684, 0.0], [2.0, 0.0])
    """

    def __init__(self, in_planes, planes, kernel_size=3, selectivity=4.0, lr=10.0, init=0.01, spread=1.0):
        super().__init__()
        self.in_planes = check_int("SCells in_planes", in_planes, at_least=1)
        self.planes = check_int("SCells planes", planes, at_least=1)
        self.kernel_size = check_int("SCells kernel_size", kernel_size, at_least=1)
        self.selectivity = check_number("SCells selectivity", selectivity, above=0)
        self.lr = check_number("SCells lr", lr, above=0)
        self.register_buffer("weight", creation.rand(planes, in_planes, kernel_size, kernel_size) * init)
        self.register_buffer("inhibition", creation.zeros(planes, dtype=dtypes.float32))
        self.register_buffer("c", creation.tensor(window_weights(kernel_size, spread), dtype=dtypes.float32))

    def _respond(self, x):
        """(u_S (N, K, H, W), x zero-padded (N, C, H + k - 1, W + k - 1), v (N, H, W)) for images x (N, C, H, W).

        The patch of the cell at (row, col) is padded[:, :, row:row + k, col:col + k].
        """
        xp = backend.array_module(x)
        a, b, c, r = self.weight._data, self.inhibition._data, self.c._data, self.selectivity
        n, _, height, width = x.shape
        padded = _pad(x, self.kernel_size)
        k, channels = self.kernel_size, x.shape[1]
        rows = xp.empty((n, height, width, channels, k * k), dtype=x.dtype)      # im2col, one offset at a time
        for i, j, view in _windows(padded, k, height, width):
            rows[..., i * k + j] = view.transpose(0, 2, 3, 1)
        excitation = (rows.reshape(n * height * width, -1) @ a.reshape(self.planes, -1).T)
        excitation = excitation.reshape(n, height, width, self.planes).transpose(0, 3, 1, 2)
        energy = (padded * padded).sum(axis=1, keepdims=True)
        v = xp.sqrt(sum(c[i, j] * view for i, j, view in _windows(energy, self.kernel_size, height, width)))[:, 0]
        ratio = (1 + excitation) / (1 + r / (1 + r) * b[None, :, None, None] * v[:, None])
        return r * xp.maximum(ratio - 1, 0), padded, v

    def forward(self, x):
        """u_S for images x of shape (in_planes, H, W) or (N, in_planes, H, W)."""
        x, one = _images(x, self.in_planes, self.weight, "SCells")
        return _inputs.tensor(self._respond(x)[0], one)

    def representatives(self, u):
        """For one image's u_S (K, H, W): per plane, the (row, col) of its representative, or None.

        A position's winner is the plane with the largest output there (ties to
        the lower plane; no winner where every output is 0); a plane's
        representative is the position, among those it won, where its output is largest.
        """
        xp = backend.array_module(u)
        winner = u.argmax(axis=0)
        won = (xp.arange(u.shape[0])[:, None, None] == winner[None]) & (u > 0)
        masked = xp.where(won, u, -1.0).reshape(u.shape[0], -1)
        best = masked.argmax(axis=1)
        width = u.shape[2]
        return [(int(i) // width, int(i) % width) if float(masked[k, int(i)]) > 0 else None
                for k, i in enumerate(backend.to_numpy(best))]

    def reinforce(self, x):
        """One step of the rule on one image x (in_planes, H, W); returns which planes learnt, a bool Tensor (planes,)."""
        x, _ = _images(x, self.in_planes, self.weight, "SCells")
        if x.shape[0] != 1:
            raise ValueError(f"SCells.reinforce takes one image at a time, got {x.shape[0]}")
        u, padded, v = self._respond(x)
        k = self.kernel_size
        a, b, c = self.weight._data, self.inhibition._data, self.c._data
        learnt = []
        for plane, place in enumerate(self.representatives(u[0])):
            learnt.append(place is not None)
            if place is not None:
                row, col = place
                a[plane] += self.lr * c * padded[0, :, row:row + k, col:col + k]
                b[plane] += self.lr * v[0, row, col]
        xp = backend.array_module(a)
        return Tensor._make(xp.asarray(learnt))

    def fit(self, x, epochs=1, seed=0):
        """``reinforce`` on every image of x (N, in_planes, H, W), in a new random order each epoch.

        Returns how many times each plane learnt, an int64 Tensor (planes,).
        """
        x, _ = _images(x, self.in_planes, self.weight, "SCells")
        rng = numpy.random.default_rng(seed)
        counts = numpy.zeros(self.planes, dtype=numpy.int64)
        for _ in range(epochs):
            for i in rng.permutation(x.shape[0]):
                counts += backend.to_numpy(self.reinforce(x[int(i)])._data)
        return Tensor._make(counts)

    def extra_repr(self):
        return (f"{self.in_planes}, {self.planes}, kernel_size={self.kernel_size}, "
                f"selectivity={self.selectivity}, lr={self.lr}")


class CCells(Module):
    """A layer of C-cells: u_C = psi(mean of u_S over a k x k window, every ``stride`` positions), psi(x) = x/(alpha+x).

    No weights. The output of an (N, K, H, W) input is (N, K, ceil(H/s),
    ceil(W/s)); ``kernel_size=None`` pools each plane whole, (N, K, 1, 1).
    ``mode="max"`` takes the window's largest output instead of its mean.

    >>> u = [[[0, 0, 0], [0, 9.0, 0], [0, 0, 0]]]
    >>> CCells(kernel_size=3, stride=3, alpha=1.0)(u).tolist()     # psi(9/9) = 1/2
    [[[0.5]]]
    """

    def __init__(self, kernel_size=3, stride=2, alpha=1.0, mode="mean"):
        super().__init__()
        if mode not in ("mean", "max"):
            raise ValueError(f"CCells mode must be 'mean' or 'max', got {mode!r}")
        self.mode = mode
        self.kernel_size = None if kernel_size is None else check_int("CCells kernel_size", kernel_size, at_least=1)
        self.stride = check_int("CCells stride", stride, at_least=1)
        self.alpha = check_number("CCells alpha", alpha, above=0)

    def forward(self, u):
        """u_C for S-planes u of shape (K, H, W) or (N, K, H, W)."""
        u = creation.as_tensor(u, dtype=dtypes.float32)._data
        if u.ndim not in (3, 4):
            raise ValueError(f"CCells expects S-planes of shape (K, H, W) or (N, K, H, W), got shape {tuple(u.shape)}")
        one = u.ndim == 3
        u = u[None] if one else u
        if self.kernel_size is None:
            pooled = getattr(u, self.mode)(axis=(2, 3), keepdims=True)
        else:
            xp = backend.array_module(u)
            views = [view for _, _, view in _windows(_pad(u, self.kernel_size), self.kernel_size, *u.shape[2:],
                                                     self.stride)]
            pooled = sum(views) / len(views) if self.mode == "mean" else functools.reduce(xp.maximum, views)
        return _inputs.tensor(pooled / (self.alpha + pooled), one)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, alpha={self.alpha}, mode={self.mode!r}"


class Neocognitron(Module):
    """Stages of (SCells, CCells); ``fit`` trains the S-layers one after the other, without labels.

    ``stages`` is a list of (SCells, CCells) pairs whose plane counts chain
    (stage l's S-layer takes as many planes as stage l-1's S-layer has).
    ``forward`` gives the last C-layer's planes; ``layers`` every layer's output.
    """

    def __init__(self, stages):
        super().__init__()
        self.stages = list(stages)
        before = None
        for i, (s, c) in enumerate(self.stages):
            if not isinstance(s, SCells) or not isinstance(c, CCells):
                raise ValueError(f"Neocognitron stage {i} must be an (SCells, CCells) pair, got "
                                 f"({type(s).__name__}, {type(c).__name__})")
            if before is not None and s.in_planes != before:
                raise ValueError(f"Neocognitron stage {i} takes {s.in_planes} planes, stage {i - 1} gives {before}")
            before = s.planes
            self.add_module(f"s{i + 1}", s)
            self.add_module(f"c{i + 1}", c)

    def layers(self, x):
        """[u_S1, u_C1, u_S2, u_C2, ...] for images x (N, C, H, W), as Tensors."""
        outputs, u = [], x
        for s, c in self.stages:
            u = s(u)
            outputs.append(u)
            u = c(u)
            outputs.append(u)
        return outputs

    def forward(self, x):
        return self.layers(x)[-1]

    def fit(self, x, epochs=1, seed=0):
        """Train stage 1's S-cells on x, then stage 2's on stage 1's C-planes, ...; returns each layer's win counts."""
        counts, u = [], creation.as_tensor(x, dtype=dtypes.float32)
        for i, (s, c) in enumerate(self.stages):
            counts.append(s.fit(u, epochs=epochs, seed=seed + i))
            u = c(s(u))
        return counts
