"""Autoencoders: a network trained to give back its own input through a narrower code.

The encoder maps an input x (d values) to a code h, the decoder maps the
code back to a reconstruction x^, one layer each way:

    h  = f(W x + b)            encoder, W (k, d)
    x^ = g(W' h + b')          decoder, W' (d, k)

and both are trained together to make x^ close to x, by the squared error or,
for inputs in [0, 1], the cross-entropy:

    J = ||x - x^||^2 = sum_j (x_j - x^_j)^2                          (loss="mse")
    J = -sum_j [x_j log x^_j + (1 - x_j) log(1 - x^_j)]              (loss="bce")

With k < d the code cannot copy x, so it has to keep what matters most about
the data: a representation learnt without labels. ``sizes`` [d, k1, k2, ...]
stacks several such layers (the decoder is the mirror image); g of the last
decoder layer is the sigmoid, for data in [0, 1].

- Tied weights, W' = W^T: the decoder reuses the encoder's matrix (one
  Parameter, used twice, whose gradient is the sum of both uses) and has only
  its biases b' of its own: half the weights.
- Denoising (Vincent et al. 2008): the input is corrupted by masking noise,
  x~_j = m_j x_j with m_j ~ Bernoulli(1 - noise), and the network learns to
  reconstruct the clean x from x~: J = ||x - g(W' f(W x~ + b) + b')||^2. It
  can no longer learn the identity; it has to learn how the inputs depend on
  each other. The noise is applied in training mode only.
- A linear autoencoder (f and g the identity) with k hidden units trained on
  the squared error reaches the error of the best rank-k approximation: that
  of PCA with k components (Baldi and Hornik 1989), its weights spanning the
  same subspace as the first k principal directions.

>>> import backprop as bp
>>> _ = bp.manual_seed(0)
>>> ae = Autoencoder([64, 16])
>>> ae(bp.rand(5, 1, 8, 8)).shape, ae.encode(bp.rand(5, 64)).shape
(backprop.Size([5, 1, 8, 8]), backprop.Size([5, 16]))
"""
from backprop import creation, nn, optim
from backprop.checks import check_int, check_number
from backprop.models.common import activation as _zoo_activation
from backprop.nn import functional as F
from backprop.nn.utils import evaluating
from backprop.random import numpy_generator
from backprop.train.minibatch import as_rows, check_sizes, fit

__all__ = ["Autoencoder", "DenoisingAutoencoder", "TiedLinear", "make_activation"]

_LOSSES = {"mse": F.mse_loss, "bce": F.binary_cross_entropy}


def make_activation(name, owner):
    """A fresh activation module by name: the zoo's (sigmoid, tanh, relu, ...) or "linear" (the identity).

    >>> make_activation("linear", "Autoencoder"), make_activation("tanh", "Autoencoder")
    (Identity(), Tanh())
    """
    if name == "linear":
        return nn.Identity()
    try:
        return _zoo_activation(name, owner)
    except ValueError:
        raise ValueError(f"{owner}: activation must be 'linear' or one of the zoo's (sigmoid, tanh, relu, gelu, "
                         f"leaky_relu, elu), got {name!r}") from None


def _check_noise(noise, owner, low_open=False):
    return check_number(f"{owner}: noise (the probability of zeroing an input)", noise,
                        above=0 if low_open else None, at_least=None if low_open else 0, below=1)


class TiedLinear(nn.Module):
    """x^ = W^T h + b': the transpose of ``linear``, sharing its weight W (the same Parameter) with a bias of
    its own (starting at 0). Maps ``linear.out_features`` values back to ``linear.in_features``.

    >>> import backprop as bp
    >>> encoder = nn.Linear(4, 2)
    >>> decoder = TiedLinear(encoder)
    >>> decoder.weight is encoder.weight, decoder(bp.zeros(3, 2)).shape
    (True, backprop.Size([3, 4]))
    """

    def __init__(self, linear):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"TiedLinear: expected the nn.Linear to tie to, got {type(linear).__name__}")
        self.in_features, self.out_features = linear.out_features, linear.in_features
        self.weight = linear.weight  # registered here too; parameters() still yields it once
        self.bias = nn.Parameter(creation.zeros(linear.in_features, dtype=linear.weight.dtype,
                                                device=linear.weight.device))

    def forward(self, input):
        if input.shape[-1:] != (self.in_features,):
            raise ValueError(f"TiedLinear(in_features={self.in_features}) got input of shape {tuple(input.shape)}: "
                             f"expected (*, {self.in_features})")
        return input @ self.weight + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, tied=True"


class Autoencoder(nn.Module):
    """Encoder Linear + f per step of ``sizes``, decoder the mirror with g = sigmoid last; see the module
    docstring for the formulas.

    ``activation`` f (and g of the inner decoder layers): a name such as
    "sigmoid", "tanh", "relu" or "linear". ``output_activation``: g of the
    last decoder layer, "sigmoid" (data in [0, 1]) or e.g. "linear".
    ``tied``: decoder weights W' = W^T. ``noise``: masking noise (each input
    zeroed with this probability in training) for a denoising autoencoder.

    ``encode(x)`` -> code (N, sizes[-1]); ``decode(h)`` -> (N, sizes[0]);
    ``forward(x)`` -> the reconstruction, x's shape; inputs (N, D) or images
    (N, C, H, W) with C H W = sizes[0].

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> x = bp.rand(256, 8)
    >>> ae = Autoencoder([8, 4], tied=True)
    >>> history = ae.fit(x, epochs=5, lr=1e-2)
    >>> history[-1] < history[0], sum(p.numel() for p in ae.parameters())   # W, b, b'
    (True, 44)
    """

    def __init__(self, sizes, activation="sigmoid", tied=False, noise=0.0, output_activation="sigmoid"):
        super().__init__()
        owner = type(self).__name__
        self.sizes = check_sizes(sizes, owner)
        self.noise = _check_noise(noise, owner)
        self.tied = bool(tied)
        self.activation, self.output_activation = activation, output_activation
        encoders = [nn.Linear(d_in, d_out) for d_in, d_out in zip(self.sizes, self.sizes[1:])]
        layers = []
        for linear in encoders:
            layers += [linear, make_activation(activation, owner)]
        self.encoder = nn.Sequential(*layers)
        layers = []
        for i, linear in enumerate(reversed(encoders)):
            last = i == len(encoders) - 1
            layers += [TiedLinear(linear) if tied else nn.Linear(linear.out_features, linear.in_features),
                       make_activation(output_activation if last else activation, owner)]
        self.decoder = nn.Sequential(*layers)

    def corrupt(self, x):
        """x~ = m * x with m_j ~ Bernoulli(1 - noise) in training mode (masking noise); x itself in eval mode."""
        if not self.training or self.noise == 0:
            return x
        return F.dropout(x, self.noise, training=True, scale_at_test=True)  # kept inputs unscaled: y = m x

    def encode(self, x):
        """h = f(W x + b) through every encoder layer: the code, (N, sizes[-1]) (no noise)."""
        return self.encoder(as_rows(x, self.sizes[0], f"{type(self).__name__}.encode"))

    def decode(self, h):
        """x^ = g(W' h + b') through every decoder layer: (N, sizes[0])."""
        return self.decoder(as_rows(h, self.sizes[-1], f"{type(self).__name__}.decode"))

    def forward(self, x):
        """The reconstruction x^ = decode(encode(x~)) (x~ = x in eval mode), in x's shape."""
        rows = as_rows(x, self.sizes[0], type(self).__name__)
        return self.decoder(self.encoder(self.corrupt(rows))).reshape(x.shape)

    def fit(self, x, epochs=10, batch_size=64, lr=1e-3, loss="mse"):
        """Minimise J (mean over the batch and the inputs) by Adam over shuffled mini-batches of x.

        Returns the mean training loss of each epoch. "bce" needs the sigmoid
        output and x in [0, 1]. A denoising autoencoder sees corrupted inputs
        and is scored against the clean ones.
        """
        owner = f"{type(self).__name__}.fit"
        if loss not in _LOSSES:
            raise ValueError(f"{owner}: loss must be one of {sorted(_LOSSES)}, got {loss!r}")
        rows = as_rows(x, self.sizes[0], owner)
        if loss == "bce":
            self._check_bce(rows, owner)
        epochs = check_int(f"{owner}: epochs", epochs, at_least=1)
        batch_size = check_int(f"{owner}: batch_size", batch_size, at_least=1)
        lr = check_number(f"{owner}: lr", lr, above=0)
        if rows.shape[0] == 0:
            raise ValueError(f"{owner}: got no examples to train on (shape {tuple(rows.shape)})")
        parameters = [p for p in self.parameters() if p.requires_grad]
        if not parameters:
            raise ValueError(f"{owner}: every parameter is frozen (requires_grad=False); nothing to train")
        seed = int(numpy_generator(None).integers(2**63 - 1))  # the order of the batches follows bp.manual_seed
        return fit(self, optim.Adam(parameters, lr=lr), _LOSSES[loss], rows, rows, epochs, batch_size, seed=seed)

    def _check_bce(self, rows, owner):
        if self.output_activation != "sigmoid":
            raise ValueError(f"{owner}: loss='bce' needs reconstructions in [0, 1] (output_activation='sigmoid'), "
                             f"got output_activation={self.output_activation!r}")
        low, high = float(rows.min().item()), float(rows.max().item())
        if low < 0 or high > 1:
            raise ValueError(f"{owner}: loss='bce' needs data in [0, 1], got values in [{low:g}, {high:g}]")

    def reconstruction_error(self, x):
        """Mean squared error (1/(N d)) sum_n ||x_n - x^_n||^2 in eval mode (no noise), a float."""
        rows = as_rows(x, self.sizes[0], f"{type(self).__name__}.reconstruction_error")
        with evaluating(self):
            return F.mse_loss(self(rows), rows).item()

    def extra_repr(self):
        return f"sizes={list(self.sizes)}, tied={self.tied}, noise={self.noise}"


class DenoisingAutoencoder(Autoencoder):
    """An ``Autoencoder`` with masking noise (default 0.3 of the inputs zeroed in training): it learns to
    reconstruct x from a corrupted x~ (Vincent et al. 2008).

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> dae = DenoisingAutoencoder([64, 32], noise=0.5)
    >>> x = bp.ones(4, 64)
    >>> bool((dae.corrupt(x) == 0).any()), bool((dae.eval().corrupt(x) == 0).any())
    (True, False)
    """

    def __init__(self, sizes, noise=0.3, **kwargs):
        super().__init__(sizes, noise=_check_noise(noise, "DenoisingAutoencoder", low_open=True), **kwargs)

