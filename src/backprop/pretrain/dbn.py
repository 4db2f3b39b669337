"""Deep belief net (DBN) pretraining: a stack of RBMs trained greedily, one layer at a time, then fine-tuned.

Hinton, Osindero and Teh (2006), the date the lectures give for the revival
of deep networks: train an RBM on the data; its hidden probabilities
p(h^1 = 1 | v) = sigmoid(W^1 v + c^1) are the data of a second RBM; and so
on up the stack ("greedy layer-wise pretraining"). The weights W^l and
hidden biases c^l then initialise a feed-forward net of sigmoid layers,
a^l = sigmoid(W^l a^{l-1} + c^l), with a fresh output layer on top, and the
whole net is fine-tuned by backpropagation on the labels.

(The generative DBN of the paper also keeps the top two layers as an
undirected RBM and fine-tunes with the wake-sleep algorithm; this module
keeps the part that the lectures name: the stack as an initialisation.)
"""
from backprop.checks import check_int
from backprop.nn.activation import Sigmoid
from backprop.nn.container import ModuleList, Sequential
from backprop.nn.flatten import Flatten
from backprop.nn.linear import Linear
from backprop.nn.module import Module
from backprop.train.minibatch import as_rows, check_sizes
from backprop.pretrain.rbm import RBM

__all__ = ["DBN"]


class DBN(Module):
    """RBMs of sizes[0] -> sizes[1] -> ... -> sizes[-1] units, in ``rbms``; ``forward`` is the top layer's p(h | v).

    >>> dbn = DBN([64, 32, 16])
    >>> [(rbm.n_visible, rbm.n_hidden) for rbm in dbn.rbms]
    [(64, 32), (32, 16)]
    """

    def __init__(self, sizes):
        super().__init__()
        self.sizes = list(check_sizes(sizes, "DBN"))
        self.rbms = ModuleList([RBM(a, b) for a, b in zip(self.sizes, self.sizes[1:])])

    def forward(self, v):
        for rbm in self.rbms:
            v = rbm(v)
        return v

    def pretrain(self, data, epochs=10, batch_size=64, lr=0.1, k=1, persistent=False, momentum=0.0,
                 weight_decay=0.0):
        """Greedy layer-wise training: each RBM fitted (``RBM.fit``'s arguments) on the hidden probabilities
        of the one below, the first on ``data``. Returns one history (reconstruction errors) per RBM."""
        x = as_rows(data, self.sizes[0], "DBN.pretrain")
        histories = []
        for rbm in self.rbms:
            histories.append(rbm.fit(x, epochs, batch_size, lr, k, persistent, momentum, weight_decay))
            x = rbm.hidden_probabilities(x)
        return histories

    def classifier(self, num_classes):
        """Sequential(Flatten, Linear, Sigmoid, ..., Linear(sizes[-1], num_classes)): the stack as a feed-forward
        net, each Linear a copy of an RBM's ``weight`` and ``hidden_bias``; the output layer is initialised
        as torch's Linear. Train it with any optimiser.

        >>> import backprop as bp
        >>> dbn = DBN([64, 32, 16])
        >>> net = dbn.classifier(10)
        >>> [type(m).__name__ for m in net], net(bp.zeros(2, 1, 8, 8)).shape
        (['Flatten', 'Linear', 'Sigmoid', 'Linear', 'Sigmoid', 'Linear'], backprop.Size([2, 10]))
        >>> bool((net[3].weight.detach().numpy() == dbn.rbms[1].weight.detach().numpy()).all())
        True
        """
        num_classes = check_int("DBN.classifier: num_classes", num_classes, at_least=1)
        like = dict(dtype=self.rbms[0].weight.dtype, device=self.rbms[0].weight.device)  # the RBMs' own
        layers = [Flatten()]
        for rbm in self.rbms:
            linear = Linear(rbm.n_visible, rbm.n_hidden, **like)
            linear.weight.data = rbm.weight.data.clone()
            linear.bias.data = rbm.hidden_bias.data.clone()
            layers += [linear, Sigmoid()]
        layers.append(Linear(self.sizes[-1], num_classes, **like))
        return Sequential(*layers)

    def extra_repr(self):
        return f"sizes={self.sizes}"
