"""Greedy layer-wise pretraining by a stack of autoencoders (Bengio et al. 2007; Vincent et al. 2010).

Before ReLU, good initialisations and large data sets, deep nets trained
from random weights got stuck; the lectures' way out was to initialise them
one layer at a time, without labels:

    h_0 = x
    for l = 1 .. L:  train a one-hidden-layer autoencoder on the codes h_{l-1}:
                         h_l = f(W_l h_{l-1} + b_l),  minimising ||h_{l-1} - g(W'_l h_l + b'_l)||^2
                     keep its encoder (W_l, b_l), drop its decoder

The encoders, stacked, are a deep network whose every layer already keeps
what the layer below knows; a Linear(sizes[-1], K) on top turns it into a
classifier to fine-tune end to end with labels (backprop through all of it).
With ``noise`` > 0 each layer is a denoising autoencoder (a stacked
denoising autoencoder).
"""
from backprop import nn
from backprop.nn.utils import evaluating
from backprop.pretrain.autoencoder import Autoencoder
from backprop.train.minibatch import as_rows, check_sizes

__all__ = ["stacked_pretrain"]


def _in_unit_interval(rows):
    return float(rows.min().item()) >= 0 and float(rows.max().item()) <= 1


def _output_activation(layer, data, activation):
    """The decoder's output unit, in the range of what it reconstructs: sigmoid for values in [0, 1] (data in
    [0, 1] for the first layer, sigmoid codes above it), linear otherwise."""
    inside = _in_unit_interval(data) if layer == 0 else activation == "sigmoid"
    return "sigmoid" if inside else "linear"


def stacked_pretrain(sizes, data, *, epochs=10, batch_size=64, lr=1e-3, noise=0.0, activation="sigmoid"):
    """Pretrain Linear(sizes[l], sizes[l+1]) for l = 0, 1, ... each as an autoencoder on the codes of the
    layer below; returns nn.Sequential(Flatten, Linear(sizes[0], sizes[1]), act, Linear(sizes[1], sizes[2]),
    act, ...) holding the trained encoders.

    ``data``: (N, sizes[0]) or images (N, C, H, W). Each decoder's output unit
    matches what it reconstructs: sigmoid for values in [0, 1] (data in
    [0, 1], sigmoid codes), linear otherwise (other data, ReLU or tanh codes). The returned network's attribute
    ``autoencoders`` lists the trained one-layer autoencoders (their encoder
    Linear is the network's, the same module), and ``histories`` their
    per-epoch training losses.

    >>> import backprop as bp
    >>> _ = bp.manual_seed(0)
    >>> net = stacked_pretrain([64, 32, 16], bp.rand(100, 1, 8, 8), epochs=2)
    >>> net
    Sequential(
      (0): Flatten(start_dim=1, end_dim=-1)
      (1): Linear(in_features=64, out_features=32, bias=True)
      (2): Sigmoid()
      (3): Linear(in_features=32, out_features=16, bias=True)
      (4): Sigmoid()
    )
    >>> classifier = bp.nn.Sequential(net, bp.nn.Linear(16, 10))   # then fine-tune with labels
    """
    sizes = check_sizes(sizes, "stacked_pretrain")
    codes = as_rows(data, sizes[0], "stacked_pretrain")
    layers, autoencoders, histories = [nn.Flatten()], [], []
    for layer, (d_in, d_out) in enumerate(zip(sizes, sizes[1:])):
        output = _output_activation(layer, codes, activation)
        autoencoder = Autoencoder([d_in, d_out], activation=activation, noise=noise, output_activation=output)
        histories.append(autoencoder.fit(codes, epochs=epochs, batch_size=batch_size, lr=lr))
        with evaluating(autoencoder):
            codes = autoencoder.encode(codes)
        layers += list(autoencoder.encoder)
        autoencoders.append(autoencoder)
    network = nn.Sequential(*layers)
    network.autoencoders, network.histories = autoencoders, histories
    return network
