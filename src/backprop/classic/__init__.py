"""The classic units the lectures start from, before backpropagation.

- ``McCullochPitts`` (1943): fixed weights and a threshold over bits; AND,
  OR, NOT units and networks of them (XOR, n-bit parity).
- ``HebbianNetwork`` (1949): linear units, w_ji <- w_ji + eta x_j y_i (and
  Oja's and Sanger's normalised rules).
- ``Perceptron`` (Rosenblatt 1958): a step unit learnt by
  w <- w + eta (t - y) x; ``MarkI`` with its fixed random layer in front.
- ``Neocognitron`` (Fukushima 1980): ``SCells`` learnt without labels by
  competitive learning, ``CCells`` pooling them, in alternating stages.
- ``MaxMarginClassifier``: min ||w||^2 s.t. t_i (w^T x_i + b) >= 1, by
  sub-gradient descent on the hinge loss.

Each is an ``nn.Module`` whose weights are buffers (none is learnt by
gradients through the graph), so ``state_dict`` saves it; each takes Tensors
or array-likes, one example (n,) or a batch (N, n).
"""
from backprop.classic.hebbian import HebbianNetwork
from backprop.classic.max_margin import MaxMarginClassifier
from backprop.classic.mcculloch_pitts import (
    McCullochPitts, McCullochPittsNetwork, and_unit, not_unit, or_unit, parity_network, xor_network,
)
from backprop.classic.neocognitron import CCells, Neocognitron, SCells
from backprop.classic.perceptron import MarkI, Perceptron, mistake_bound

__all__ = ["McCullochPitts", "McCullochPittsNetwork", "and_unit", "or_unit", "not_unit", "xor_network",
           "parity_network", "HebbianNetwork", "Perceptron", "MarkI", "mistake_bound", "MaxMarginClassifier",
           "SCells", "CCells", "Neocognitron"]
