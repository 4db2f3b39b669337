"""The restricted Boltzmann machine (RBM): binary visible units v, binary hidden units h, one weight matrix W.

A joint configuration has the energy

    E(v, h) = -b^T v - c^T h - h^T W v,        p(v, h) = exp(-E(v, h)) / Z,

(b the visible biases, c the hidden biases, W of shape (hidden, visible)).
No unit is connected to another of its own layer, so given one layer the
units of the other are independent:

    p(h_j = 1 | v) = sigmoid(c_j + W_j v),      p(v_i = 1 | h) = sigmoid(b_i + W_:i^T h).

Summing h out gives p(v) = exp(-F(v)) / Z with the free energy

    F(v) = -b^T v - sum_j softplus(c_j + W_j v).

The gradient of the log-likelihood is a difference of two correlations,
d log p(v) / dW = <h v^T>_data - <h v^T>_model; the second needs samples of
the model. Contrastive divergence (CD-k, Hinton 2002) takes them from k
steps of Gibbs sampling started at the data, v -> h -> v -> ... ; persistent
CD (PCD, Tieleman 2008) keeps those chains from one update to the next
instead of restarting them. Following Hinton's "A practical guide to
training restricted Boltzmann machines" (2010): the positive statistics use
the hidden probabilities p(h|v_data); the chain is driven by sampled binary
hidden states; the negative statistics use the probabilities of the last
step, p(v|h) for the visible units and p(h|p(v|h)) for the hidden ones.
Each update is

    W <- W + lr (<h v^T>_data - <h v^T>_model),   b, c alike,

each average taken over its examples, with optional momentum and weight
decay (on W only) as in the guide.

Every random number comes from backprop's generator (``bp.manual_seed``):
a Bernoulli sample of probabilities p is ``u < p`` with u drawn uniform on
[0, 1) in the shape of p, one draw per layer sampled, in chain order.
"""
from backprop import backend, creation
from backprop.checks import check_int, check_number
from backprop.nn import functional as F
from backprop.nn import init
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops.elementwise import sigmoid_parts
from backprop.train.minibatch import as_rows, batches
from backprop.tensor import Tensor

__all__ = ["RBM"]


def _bernoulli(p):
    """A binary sample of independent units with probabilities p: u < p, u uniform from backprop's generator."""
    u = backend.to_device(creation.generator().random(p.shape), backend.device_of(p))
    return (u < p).astype(p.dtype)


class RBM(Module):
    """A Bernoulli-Bernoulli RBM with ``n_visible`` visible and ``n_hidden`` hidden units.

    Parameters: ``weight`` W (n_hidden, n_visible), drawn from N(0, 0.01^2)
    as the guide suggests, ``visible_bias`` b and ``hidden_bias`` c, zero.
    ``forward(v)`` is p(h = 1 | v), differentiable, so a trained RBM is a
    feature layer. ``chains`` holds the persistent chains of PCD (None until
    a persistent update, reset by ``fit``).

    >>> import backprop as bp
    >>> rbm = RBM(3, 2)
    >>> rbm.weight.shape, rbm.hidden_probabilities(bp.ones(4, 3)).shape
    (backprop.Size([2, 3]), backprop.Size([4, 2]))
    """

    def __init__(self, n_visible, n_hidden):
        super().__init__()
        self.n_visible = check_int("RBM: n_visible", n_visible, at_least=1)
        self.n_hidden = check_int("RBM: n_hidden", n_hidden, at_least=1)
        self.weight = Parameter(creation.zeros(n_hidden, n_visible))
        init.normal_(self.weight, 0.0, 0.01)
        self.visible_bias = Parameter(creation.zeros(n_visible))
        self.hidden_bias = Parameter(creation.zeros(n_hidden))
        self.register_buffer("chains", None, persistent=False)  # moved and cast by .to() with the weights
        self._velocity = {}

    # ------------------------------------------------------------ arrays in, arrays out
    def _rows(self, v, size=None, what="visible states"):
        """``v`` as a 2-D array of the parameters' dtype and device: (N, size), images flattened."""
        size = self.n_visible if size is None else size
        if getattr(v, "ndim", None) == 1:
            v = v.reshape(1, -1)
        rows = as_rows(v, size, f"RBM {what}")._data
        return rows.astype(self.weight.dtype, copy=False)

    def _data(self, v):
        """Training data: rows whose values are probabilities or binary states, in [0, 1]."""
        rows = self._rows(v)
        xp = backend.array_module(rows)
        if rows.size and not bool(((rows >= 0) & (rows <= 1)).all()):
            raise ValueError(f"RBM: expected visible values in [0, 1] (binary or probabilities), got values in "
                             f"[{float(xp.min(rows))}, {float(xp.max(rows))}]")
        return rows

    def _hidden_p(self, v):
        return sigmoid_parts(v @ self.weight._data.T + self.hidden_bias._data)[0]

    def _visible_p(self, h):
        return sigmoid_parts(h @ self.weight._data + self.visible_bias._data)[0]

    def _gibbs(self, v, k):
        """k steps v -> h ~ p(h|v) -> v ~ p(v|h); returns p(v|h) and the sampled v of the last step."""
        for _ in range(k):
            p_v = self._visible_p(_bernoulli(self._hidden_p(v)))
            v = _bernoulli(p_v)
        return p_v, v

    def _free_energy(self, v):
        xp = backend.array_module(v)
        return -v @ self.visible_bias._data - xp.logaddexp(0, v @ self.weight._data.T + self.hidden_bias._data).sum(1)

    def _reconstruction_error(self, v):
        return float(((v - self._visible_p(self._hidden_p(v))) ** 2).mean())

    # ------------------------------------------------------------ the conditionals and sampling
    def forward(self, v):
        """p(h = 1 | v) = sigmoid(v W^T + c) for v (N, n_visible) or images (N, C, H, W); differentiable."""
        return F.linear(as_rows(v, self.n_visible, "RBM visible states"), self.weight, self.hidden_bias).sigmoid()

    def hidden_probabilities(self, v):
        """p(h_j = 1 | v) = sigmoid(c_j + W_j v), shape (N, n_hidden)."""
        return Tensor._make(self._hidden_p(self._rows(v)))

    def visible_probabilities(self, h):
        """p(v_i = 1 | h) = sigmoid(b_i + W_:i^T h), shape (N, n_visible)."""
        return Tensor._make(self._visible_p(self._rows(h, self.n_hidden, "hidden states")))

    def sample_hidden(self, v):
        """Binary hidden states drawn from p(h | v)."""
        return Tensor._make(_bernoulli(self._hidden_p(self._rows(v))))

    def sample_visible(self, h):
        """Binary visible states drawn from p(v | h)."""
        return Tensor._make(_bernoulli(self._visible_p(self._rows(h, self.n_hidden, "hidden states"))))

    def gibbs(self, v, k=1):
        """The binary visible states after k steps of Gibbs sampling v -> h -> v started at ``v``."""
        k = check_int("RBM.gibbs: k", k, at_least=1)
        return Tensor._make(self._gibbs(self._rows(v), k)[1])

    def sample(self, n, steps=1000, probabilities=False):
        """n samples of the model: Gibbs chains of ``steps`` steps started at uniformly random binary states.

        Returns the binary visible states of the last step, or with
        ``probabilities=True`` their probabilities p(v | h) (smoother to look at).
        """
        n = check_int("RBM.sample: n", n, at_least=1)
        steps = check_int("RBM.sample: steps", steps, at_least=1)
        xp = backend.array_module(self.weight._data)
        start = _bernoulli(xp.full((n, self.n_visible), 0.5, dtype=self.weight.dtype))
        p_v, v = self._gibbs(start, steps)
        return Tensor._make(p_v if probabilities else v)

    def free_energy(self, v):
        """F(v) = -b^T v - sum_j softplus(c_j + W_j v), one value per example: p(v) is proportional to exp(-F(v))."""
        return Tensor._make(self._free_energy(self._rows(v)))

    # ------------------------------------------------------------ learning
    def cd_step(self, v, lr=0.1, k=1, persistent=False, momentum=0.0, weight_decay=0.0):
        """One CD-k update (PCD-k with ``persistent=True``) on the batch ``v``; returns its reconstruction error.

        The error is the one of ``reconstruction_error``, measured on the
        batch before the update. With ``persistent``, the chains start from
        ``self.chains`` (from this batch the first time) and their last
        sampled states are kept there for the next update. With ``momentum``,
        each step adds ``momentum`` times the previous step (kept between
        calls, reset by ``fit``); ``weight_decay`` pulls W towards 0.

        >>> import backprop as bp
        >>> _ = bp.manual_seed(0)
        >>> rbm = RBM(4, 2)
        >>> v = bp.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])   # two patterns to model
        >>> errors = [rbm.cd_step(v, lr=0.5) for _ in range(200)]
        >>> errors[-1] < errors[0] / 2
        True
        """
        lr = check_number("RBM.cd_step: lr", lr, above=0)
        k = check_int("RBM.cd_step: k", k, at_least=1)
        check_number("RBM.cd_step: momentum", momentum, at_least=0, below=1)
        check_number("RBM.cd_step: weight_decay", weight_decay, at_least=0)
        data = self._data(v)
        if data.shape[0] == 0:
            raise ValueError("RBM.cd_step: got an empty batch")
        p_h_data = self._hidden_p(data)
        start = self.chains._data if persistent and self.chains is not None else data
        p_v_model, v_model = self._gibbs(start, k)
        p_h_model = self._hidden_p(p_v_model)
        if persistent:
            self.chains = Tensor._make(v_model)
        error = self._reconstruction_error(data)
        n, m = data.shape[0], p_v_model.shape[0]
        gradients = {
            "weight": p_h_data.T @ data / n - p_h_model.T @ p_v_model / m,
            "visible_bias": data.mean(0) - p_v_model.mean(0),
            "hidden_bias": p_h_data.mean(0) - p_h_model.mean(0),
        }
        self._update(gradients, lr, momentum, weight_decay)
        return error

    def _update(self, gradients, lr, momentum, weight_decay):
        """theta += delta, delta = momentum * previous delta + lr (gradient - weight_decay * W for the weights)."""
        for name, gradient in gradients.items():
            parameter = self._parameters[name]
            if weight_decay and name == "weight":
                gradient = gradient - weight_decay * parameter._data
            delta = lr * gradient
            if momentum and name in self._velocity:  # the previous step, where the weights are now
                delta += momentum * backend.to_device(self._velocity[name], backend.device_of(delta))
            self._velocity[name] = delta
            parameter._data += delta.astype(parameter.dtype, copy=False)

    def fit(self, data, epochs=10, batch_size=64, lr=0.1, k=1, persistent=False, momentum=0.0, weight_decay=0.0):
        """``epochs`` passes of CD-k (PCD-k) updates over ``data`` in random mini-batches.

        Returns the reconstruction error of each epoch: the mean over its
        batches (weighted by size) of what ``cd_step`` returns. The
        persistent chains and the momentum are reset first.
        """
        epochs = check_int("RBM.fit: epochs", epochs, at_least=1)
        rows = Tensor._make(self._data(data))
        loader = batches(rows, batch_size, "RBM.fit")
        self.chains, self._velocity = None, {}
        history = []
        for _ in range(epochs):
            total = 0.0
            for (batch,) in loader:
                total += self.cd_step(batch, lr, k, persistent, momentum, weight_decay) * batch.shape[0]
            history.append(total / rows.shape[0])
        return history

    # ------------------------------------------------------------ measuring
    def reconstruction_error(self, v):
        """Mean over examples and pixels of (v - p(v | h))^2, h = p(h | v) the hidden probabilities (no sampling)."""
        return self._reconstruction_error(self._data(v))

    def pseudo_likelihood(self, v, exact=False):
        """The mean over examples of log PL(v) = sum_i log p(v_i | v_-i), for binary v; higher is better.

        Each term is p(v_i | v_-i) = p(v) / (p(v) + p(v~)) = sigmoid(F(v~) - F(v)),
        v~ being v with bit i flipped. By default the stochastic estimate of
        scikit-learn's ``BernoulliRBM.score_samples``: one random bit i per
        example, n_visible * log sigmoid(F(v~) - F(v)), unbiased over i.
        ``exact=True`` sums all n_visible terms (n_visible free energies).
        """
        rows = self._data(v)
        xp = backend.array_module(rows)
        if not bool(((rows == 0) | (rows == 1)).all()):
            raise ValueError("RBM.pseudo_likelihood: expected binary visible states (0 or 1), got other values")
        free = self._free_energy(rows)
        n = rows.shape[0]
        if exact:
            total = xp.zeros(n, dtype=rows.dtype)
            for i in range(self.n_visible):
                flipped = rows.copy()
                flipped[:, i] = 1 - flipped[:, i]
                total += -xp.logaddexp(0, free - self._free_energy(flipped))
        else:
            bits = xp.asarray(creation.generator().integers(0, self.n_visible, n))
            flipped = rows.copy()
            examples = xp.arange(n)
            flipped[examples, bits] = 1 - flipped[examples, bits]
            total = -self.n_visible * xp.logaddexp(0, free - self._free_energy(flipped))
        return float(total.mean())

    def extra_repr(self):
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"
