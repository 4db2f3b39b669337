"""McCulloch and Pitts' neuron (1943): 0/1 inputs, fixed weights, a threshold.

    y = 1  if  sum_i w_i x_i >= theta,  else 0

Nothing is learnt: the weights and the threshold are chosen by hand, and the
lecture's point is that their choice alone makes the unit a logic gate:
AND (w = 1, 1; theta = 2), OR (w = 1, 1; theta = 1), NOT (w = -1; theta = 0).
One unit cannot compute XOR (no line separates (0, 1), (1, 0) from (0, 0),
(1, 1)), but a network of them can, and so any Boolean function: XOR(a, b) =
[OR(a, b) - AND(a, b) >= 1], three units in two layers, and n-bit parity as
a chain of n - 1 XOR modules (3 (n - 1) units). The shallow alternative, one
unit per odd-weight input pattern and an OR of them, needs 2^(n-1) + 1 units:
the lectures' "d-bit parity needs 2^d units shallow, about 4d deep".
"""
from backprop import backend, creation, dtypes
from backprop.classic import _inputs
from backprop.nn.container import ModuleList
from backprop.nn.module import Module

__all__ = ["McCullochPitts", "McCullochPittsNetwork", "and_unit", "or_unit", "not_unit", "xor_network",
           "parity_network"]


def _binary(array, name):
    """Reject inputs other than 0 and 1: the unit is defined on bits only."""
    xp = backend.array_module(array)
    wrong = (array != 0) & (array != 1)
    if bool(wrong.any()):
        found = sorted(set(backend.to_numpy(array[wrong]).tolist()))[:3]
        raise ValueError(f"{name} expects 0/1 inputs, got values {found}")
    return xp


class McCullochPitts(Module):
    """A threshold unit with fixed weights: y = 1 if sum_i w_i x_i >= theta else 0.

    ``weights``: one per input (positive: excitatory, negative: inhibitory);
    ``threshold``: theta. Input x: 0/1 values of shape (n,) or (N, n), as a
    Tensor or array-like; the output is a float32 Tensor of 0s and 1s, of
    shape () or (N,). The weights and theta are buffers (in ``state_dict``,
    not parameters: nothing here is learnt).

    >>> and_unit()([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist()
    [0.0, 0.0, 0.0, 1.0]
    """

    def __init__(self, weights, threshold):
        super().__init__()
        weight = creation.tensor(weights, dtype=dtypes.float32)
        if weight.ndim != 1 or weight.shape[0] == 0:
            raise ValueError(f"McCullochPitts expects a 1-D list of weights, one per input, got shape {tuple(weight.shape)}")
        theta = creation.tensor(threshold, dtype=dtypes.float32)
        if theta.ndim != 0:
            raise ValueError(f"McCullochPitts expects one number as threshold, got shape {tuple(theta.shape)}")
        self.register_buffer("weight", weight)
        self.register_buffer("threshold", theta)

    @property
    def in_features(self):
        return self.weight.shape[0]

    def fire(self, x):
        """The unit on a checked 2-D array of bits (N, n): [x w >= theta] as an array (N,)."""
        return (x @ self.weight._data >= self.threshold._data).astype(x.dtype)

    def forward(self, x):
        x, one = _inputs.examples(x, self.in_features, self.weight, "McCullochPitts")
        _binary(x, "McCullochPitts")
        return _inputs.tensor(self.fire(x), one)

    def extra_repr(self):
        return f"weights={self.weight.tolist()}, threshold={self.threshold.item():g}"


def and_unit(n_inputs=2):
    """AND of n bits: all weights 1, theta = n."""
    return McCullochPitts([1.0] * n_inputs, n_inputs)


def or_unit(n_inputs=2):
    """OR of n bits: all weights 1, theta = 1."""
    return McCullochPitts([1.0] * n_inputs, 1)


def not_unit():
    """NOT of one bit: an inhibitory weight -1, theta = 0 (fires unless its input does)."""
    return McCullochPitts([-1.0], 0)


class McCullochPittsNetwork(Module):
    """McCulloch-Pitts units wired in a feed-forward circuit; the output is the last unit's.

    Signals are numbered: 0 .. n_inputs - 1 are the inputs, and each unit
    added with ``add(unit, inputs)`` reads the signals ``inputs`` and makes
    the next number. Units fire in the order they were added.

    >>> net = McCullochPittsNetwork(2)
    >>> a = net.add(not_unit(), [0])
    >>> net.add(and_unit(), [a, 1])     # (NOT x1) AND x2
    3
    >>> net([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist()
    [0.0, 1.0, 0.0, 0.0]
    """

    def __init__(self, n_inputs):
        super().__init__()
        if not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"McCullochPittsNetwork expects a positive number of inputs, got {n_inputs!r}")
        self.n_inputs = n_inputs
        self.units = ModuleList()
        self.wiring = []  # wiring[k]: the signals unit k reads

    def add(self, unit, inputs):
        """Add ``unit`` reading the signals ``inputs`` (earlier signal numbers); returns its own signal's number."""
        inputs = [int(i) for i in inputs]
        signals = self.n_inputs + len(self.units)
        if len(inputs) != unit.in_features:
            raise ValueError(f"a unit with {unit.in_features} weights needs {unit.in_features} inputs, got {inputs}")
        if any(not 0 <= i < signals for i in inputs):
            raise ValueError(f"inputs must be existing signals 0..{signals - 1}, got {inputs}")
        self.units.append(unit)
        self.wiring.append(inputs)
        return signals

    @property
    def n_units(self):
        return len(self.units)

    @property
    def depth(self):
        """Layers of units on the longest path from an input to the output."""
        levels = [0] * self.n_inputs
        for inputs in self.wiring:
            levels.append(1 + max(levels[i] for i in inputs))
        return levels[-1] if self.wiring else 0

    def forward(self, x):
        if not self.units:
            raise RuntimeError("McCullochPittsNetwork has no units: add some with add(unit, inputs)")
        x, one = _inputs.examples(x, self.n_inputs, self.units[0].weight, "McCullochPittsNetwork")
        xp = _binary(x, "McCullochPittsNetwork")
        signals = [x[:, i] for i in range(self.n_inputs)]
        for unit, inputs in zip(self.units, self.wiring):
            signals.append(unit.fire(xp.stack([signals[i] for i in inputs], axis=1)))
        return _inputs.tensor(signals[-1], one)

    def extra_repr(self):
        return f"n_inputs={self.n_inputs}, wiring={self.wiring}"


def _add_xor(net, a, b):
    """Wire XOR(a, b) = [OR(a, b) - AND(a, b) >= 1] into ``net``: three units; returns the output signal."""
    either = net.add(or_unit(), [a, b])
    both = net.add(and_unit(), [a, b])
    return net.add(McCullochPitts([1.0, -1.0], 1), [either, both])


def xor_network():
    """XOR of two bits from three McCulloch-Pitts units in two layers (OR and AND, then 'OR and not AND')."""
    net = McCullochPittsNetwork(2)
    _add_xor(net, 0, 1)
    return net


def parity_network(n_bits, shallow=False):
    """n-bit parity (1 iff an odd number of inputs are 1) as a McCulloch-Pitts network.

    Deep (default): a chain of n - 1 XOR modules, p_k = XOR(p_{k-1}, x_k):
    3 (n - 1) units, depth 2 (n - 1). Shallow: one unit per input pattern p
    with an odd number of ones, firing only on x = p (weight +1 where p_j = 1,
    -1 where p_j = 0, theta = number of ones of p), and an OR of them:
    2^(n-1) + 1 units, depth 2.
    """
    if not isinstance(n_bits, int) or n_bits < 1:
        raise ValueError(f"parity_network expects a positive number of bits, got {n_bits!r}")
    net = McCullochPittsNetwork(n_bits)
    if n_bits == 1:
        net.add(McCullochPitts([1.0], 1), [0])  # parity of one bit is the bit
    elif not shallow:
        signal = 0
        for bit in range(1, n_bits):
            signal = _add_xor(net, signal, bit)
    else:
        detectors = []
        for pattern in range(2 ** n_bits):
            bits = [(pattern >> (n_bits - 1 - j)) & 1 for j in range(n_bits)]
            if sum(bits) % 2:
                unit = McCullochPitts([1.0 if b else -1.0 for b in bits], sum(bits))
                detectors.append(net.add(unit, range(n_bits)))
        net.add(or_unit(len(detectors)), detectors)
    return net
