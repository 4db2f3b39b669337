"""Recurrent layers: Elman RNN, LSTM and GRU (stacked, bidirectional), and their cells.

A recurrent layer applies the same weights at every time step, carrying a
hidden state h_t from one step to the next; unrolled over time it is a deep
feed-forward net with shared weights, trained by backpropagation through
time. Each layer and direction of a sequence is one fused graph node
(``backprop.ops.recurrent``); per step, the pre-activations of all gates are
one matmul (``h_{t-1} W_hh^T``, with the input projections of all steps one
matmul up front; the LSTM's one matmul takes [x_t, h_{t-1}, 1] at once).

Parameters, shapes and gate order are torch's, so ``state_dict``s copy one to
one: ``weight_ih_l{k}`` (G*hidden, in), ``weight_hh_l{k}`` (G*hidden, hidden),
``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*hidden,), with a ``_reverse`` suffix for
the backward direction; G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
All are initialised U(-1/sqrt(hidden), 1/sqrt(hidden)).
"""
import math
import warnings

from backprop import backend
from backprop import creation
from backprop.nn import init
from backprop.nn.module import Module
from backprop.nn.parameter import Parameter
from backprop.ops import recurrent as R
from backprop.ops.join import cat, stack

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _dropout(x, p):
    """Inverted dropout between stacked layers: zero each unit with probability p, scale the rest by 1/(1-p)."""
    keep = creation.generator().random(x.shape) >= p
    mask = keep.astype(x.dtype) / (1 - p) if p < 1 else keep.astype(x.dtype) * 0
    return x * creation.tensor(backend.to_device(mask, x.device))


def _state(hx, shape, like, name, layer):
    """The initial state: zeros when omitted, else checked against ``shape``."""
    if hx is None:
        return creation.zeros(*shape, dtype=like.dtype, device=like.device)
    if tuple(hx.shape) != tuple(shape):
        raise ValueError(f"{layer}: expected {name} of shape {tuple(shape)}, got {tuple(hx.shape)}")
    return hx.to(like.dtype) if hx.dtype != like.dtype else hx


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, shape checks, layers and directions."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts only between stacked layers and num_layers=1",
                          stacklevel=3)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + suffix,
                        Parameter(creation.zeros(gates, layer_input, dtype=dtype, device=device)))
                setattr(self, "weight_hh" + suffix,
                        Parameter(creation.zeros(gates, hidden_size, dtype=dtype, device=device)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(creation.zeros(gates, dtype=dtype, device=device)))
                    setattr(self, "bias_hh" + suffix, Parameter(creation.zeros(gates, dtype=dtype, device=device)))
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return [getattr(self, n + suffix) for n in names]

    def _describe(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def forward(self, input, hx=None):
        layer_name = self._describe()
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            order = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(
                f"{layer_name} got input of shape {tuple(input.shape)}: expected "
                f"{order.format(self.input_size)} or unbatched (L, {self.input_size})"
            )
        if input.shape[0 if input.ndim == 2 or not self.batch_first else 1] == 0:
            raise ValueError(f"{layer_name} got input of shape {tuple(input.shape)}: the sequence length must be > 0")
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            input = input.to(weight.dtype)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        batch = input.shape[1]
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        if lstm and hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{layer_name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        states = tuple(hx) if lstm and hx is not None else (hx, None) if lstm else (hx,)
        if not batched:
            states = tuple(s if s is None else s.unsqueeze(1) if s.ndim == 2 else s for s in states)
        names = ("h_0", "c_0") if lstm else ("h_0",)
        states = [_state(s, shape, input, n, layer_name) for s, n in zip(states, names)]
        output, h_n, c_n = self._run(input, states)
        if not batched:
            output = output.squeeze(1)
            h_n, c_n = h_n.squeeze(1), (c_n.squeeze(1) if lstm else None)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _run(self, input, states):
        length = input.shape[0]
        directions = 2 if self.bidirectional else 1
        finals_h, finals_c = [], []
        layer_input = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                reverse = bool(direction)
                weights = self._weights(layer, direction)
                h0 = states[0][index]
                last = 0 if reverse else length - 1
                if self.mode == "LSTM":
                    result = R.lstm_sequence(layer_input, h0, states[1][index], *weights, reverse=reverse)
                    out = result[:length]
                    finals_c.append(result[length])
                else:
                    sequence = {"RNN_TANH": R.rnn_tanh_sequence, "RNN_RELU": R.rnn_relu_sequence,
                                "GRU": R.gru_sequence}[self.mode]
                    out = sequence(layer_input, h0, *weights, reverse=reverse)
                finals_h.append(out[last])
                outputs.append(out)
            layer_input = outputs[0] if directions == 1 else cat(outputs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout)
        return layer_input, stack(finals_h, 0), (stack(finals_c, 0) if finals_c else None)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), stacked ``num_layers`` deep.

    Input (L, N, input_size) (``batch_first``: (N, L, input_size)) or unbatched
    (L, input_size); ``h_0`` (num_layers * directions, N, hidden_size), zeros
    when omitted. Returns ``(output, h_n)``: output (L, N, directions *
    hidden_size), the last layer's h_t for every t; h_n the final state of every
    layer and direction.

    >>> import backprop as bp
    >>> output, h_n = RNN(3, 5, num_layers=2)(bp.zeros(7, 4, 3))
    >>> output.shape, h_n.shape
    (backprop.Size([7, 4, 5]), backprop.Size([2, 4, 5]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), torch's gate order i, f, g, o:

        i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh (W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    The cell state is the constant error carousel: dc_{t-1} = dc_t * f_t, an
    additive path through time along which the error neither explodes nor
    vanishes while the forget gate stays open (f ~ 1).

    Input as for ``RNN``; ``hx = (h_0, c_0)``, each (num_layers * directions,
    N, hidden_size), zeros when omitted. Returns ``(output, (h_n, c_n))``.

    >>> import backprop as bp
    >>> output, (h_n, c_n) = LSTM(3, 5, batch_first=True)(bp.zeros(4, 7, 3))
    >>> output.shape, h_n.shape, c_n.shape
    (backprop.Size([4, 7, 5]), backprop.Size([1, 4, 5]), backprop.Size([1, 4, 5]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014), torch's gate order r, z, n:

        r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh (W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Input and ``h_0`` as for ``RNN``; returns ``(output, h_n)``.

    >>> import backprop as bp
    >>> output, h_n = GRU(3, 5, bidirectional=True)(bp.zeros(7, 3))
    >>> output.shape, h_n.shape
    (backprop.Size([7, 10]), backprop.Size([2, 5]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)


# ---------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step: ``weight_ih`` (G*hidden, input), ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        size = self.gates * hidden_size
        self.weight_ih = Parameter(creation.zeros(size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.zeros(size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(creation.zeros(size, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.zeros(size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _prepare(self, input, states):
        """Check shapes; return a one-step sequence (1, N, input), the states (N, hidden), batched."""
        name = f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name} got input of shape {tuple(input.shape)}: expected (N, {self.input_size}) "
                             f"or unbatched ({self.input_size},)")
        if input.dtype != self.weight_ih.dtype:
            input = input.to(self.weight_ih.dtype)
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        shape = (input.shape[0], self.hidden_size)
        prepared = []
        for s, n in zip(states, ("h_0", "c_0")):
            if s is not None and not batched and s.ndim == 1:
                s = s.unsqueeze(0)
            prepared.append(_state(s, shape, input, n, name))
        return input.unsqueeze(0), prepared, batched

    def _weights(self):
        return (self.weight_ih, self.weight_hh) + ((self.bias_ih, self.bias_hh) if self.bias else ())

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu) for input (N, input) or (input,); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,))
        sequence = R.rnn_tanh_sequence if self.nonlinearity == "tanh" else R.rnn_relu_sequence
        out = sequence(x, h, *self._weights())[0]
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; c' = f * c + i * g, h' = o * tanh(c')); returns (h', c')."""

    gates = 4

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"LSTMCell: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        x, (h, c), batched = self._prepare(input, tuple(hx) if hx is not None else (None, None))
        result = R.lstm_sequence(x, h, c, *self._weights())
        h, c = result[0], result[1]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; h' = (1 - z) * n + z * h); returns h'."""

    gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,))
        out = R.gru_sequence(x, h, *self._weights())[0]
        return out if batched else out.squeeze(0)
