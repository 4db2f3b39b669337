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
from backprop.nn.utils.rnn import PackedSequence
from backprop.ops import recurrent as R
from backprop.ops.elementwise import sigmoid, tanh
from backprop.ops.join import cat, stack
from backprop.ops.linalg import linear

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

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
        raise RuntimeError(f"{layer}: expected {name} of shape {tuple(shape)}, got {tuple(hx.shape)}")
    return hx.to(like.dtype) if hx.dtype != like.dtype else hx


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, shape checks, layers and directions, packed input."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers!r}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts only between stacked layers and num_layers=1",
                          stacklevel=3)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size  # the size of h
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, out_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for kind, shape in shapes:
                    setattr(self, kind + suffix, Parameter(creation.zeros(*shape, dtype=dtype, device=device)))
                self._all_weights.append([kind + suffix for kind, _ in shapes])
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    @property
    def all_weights(self):
        """The parameters of each layer and direction: [[weight_ih_l0, weight_hh_l0, bias_ih_l0, ...], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """torch packs the weights into one cuDNN buffer here; nothing to do without cuDNN (as torch on the CPU)."""

    def _weights(self, layer, direction):
        """(W_ih, W_hh, b_ih, b_hh, W_hr) of one layer and direction, None for those it lacks."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return [getattr(self, kind + suffix, None) if (kind[0] == "w" or self.bias) else None
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]

    def _describe(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def forward(self, input, hx=None):
        layer_name = self._describe()
        lstm = self.mode == "LSTM"
        if lstm and hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"{layer_name}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        states = tuple(hx) if lstm and hx is not None else (hx, None) if lstm else (hx,)
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, states, layer_name)
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            order = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            # torch: ValueError for the number of dims, RuntimeError for the feature size
            raise (ValueError if input.ndim not in (2, 3) else RuntimeError)(
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
            states = tuple(s if s is None else s.unsqueeze(1) if s.ndim == 2 else s for s in states)
        elif self.batch_first:
            input = input.transpose(0, 1)
        states = self._initial_states(states, input.shape[1], input, layer_name)
        (output,), h_n, c_n = self._run([input], states)
        if not batched:
            output = output.squeeze(1)
            h_n, c_n = h_n.squeeze(1), (c_n.squeeze(1) if lstm else None)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _initial_states(self, states, batch, like, layer_name):
        """h_0 (and c_0): zeros when omitted, else checked: (layers * directions, batch, size)."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        sizes = (self.proj_size or self.hidden_size, self.hidden_size)
        return [_state(s, (layers, batch, size), like, name, layer_name)
                for s, size, name in zip(states, sizes, ("h_0", "c_0"))]

    def _forward_packed(self, packed, states, layer_name):
        """A PackedSequence: each sequence runs for its own length; outputs packed alike, h_n/c_n in the caller's
        batch order. Runs of time steps with the same batch size are one fused call each."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise RuntimeError(f"{layer_name} got packed data of shape {tuple(data.shape)}: expected "
                             f"(sum of lengths, {self.input_size})")
        if data.dtype != self.weight_ih_l0.dtype:
            data = data.to(self.weight_ih_l0.dtype)
        sizes = [int(b) for b in batch_sizes.tolist()]
        if sorted_indices is not None:  # the caller's h_0 is in the caller's order: sort it like the batch
            states = tuple(s if s is None else s.index_select(1, sorted_indices) for s in states)
        states = self._initial_states(states, sizes[0], data, layer_name)
        segments, start, t = [], 0, 0
        while t < len(sizes):
            end = t
            while end < len(sizes) and sizes[end] == sizes[t]:
                end += 1
            rows = (end - t) * sizes[t]
            segments.append(data[start:start + rows].reshape(end - t, sizes[t], -1))
            start, t = start + rows, end
        outputs, h_n, c_n = self._run(segments, states)
        output = cat([out.reshape(-1, out.shape[-1]) for out in outputs], dim=0)
        if unsorted_indices is not None:
            h_n = h_n.index_select(1, unsorted_indices)
            c_n = None if c_n is None else c_n.index_select(1, unsorted_indices)
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _run(self, segments, states):
        """Every layer and direction over ``segments``: consecutive blocks of time steps (T_k, B_k, features)
        with B_k not increasing (the sequences running during those steps are the first B_k). Returns the last
        layer's output per segment and the stacked final states (each sequence's at its own last step)."""
        directions = 2 if self.bidirectional else 1
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                h0 = states[0][index]
                c0 = states[1][index] if self.mode == "LSTM" else None
                out, h, c = self._direction(segments, h0, c0, self._weights(layer, direction), bool(direction))
                outputs.append(out)
                finals_h.append(h)
                finals_c.append(c)
            segments = outputs[0] if directions == 1 else [cat(pair, dim=2) for pair in zip(*outputs)]
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                segments = [_dropout(seg, self.dropout) for seg in segments]
        c_n = stack(finals_c, 0) if self.mode == "LSTM" else None
        return segments, stack(finals_h, 0), c_n

    def _direction(self, segments, h0, c0, weights, reverse):
        """One layer, one direction over all segments: (outputs per segment, final h, final c)."""
        outputs = [None] * len(segments)
        if not reverse:  # sequences that stop running leave their state behind, the rest carry on
            h, c, done = h0, c0, []
            for k, seg in enumerate(segments):
                running = seg.shape[1]
                if running < h.shape[0]:
                    done.append((h[running:], None if c is None else c[running:]))
                    h, c = h[:running], (None if c is None else c[:running])
                outputs[k], h, c = self._sequence(seg, h, c, weights, False)
            done.append((h, c))
            parts = done[::-1]  # in batch order
            h = cat([p[0] for p in parts], dim=0) if len(parts) > 1 else parts[0][0]
            if c is not None:
                c = cat([p[1] for p in parts], dim=0) if len(parts) > 1 else parts[0][1]
            return outputs, h, c
        # backward in time: the latest steps first; a sequence joins (from its own h_0) at its last step
        h, c = None, None
        for k in range(len(segments) - 1, -1, -1):
            seg = segments[k]
            running = seg.shape[1]
            if h is None:
                h, c = h0[:running], (None if c0 is None else c0[:running])
            elif running > h.shape[0]:
                h = cat([h, h0[h.shape[0]:running]], dim=0)
                c = None if c is None else cat([c, c0[c.shape[0]:running]], dim=0)
            outputs[k], h, c = self._sequence(seg, h, c, weights, True)
        return outputs, h, c

    def _sequence(self, x, h0, c0, weights, reverse):
        """One fused recurrent op over x (T, B, features): (every h_t, the final h, the final c)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        length = x.shape[0]
        last = 0 if reverse else length - 1
        if self.mode == "LSTM":
            if w_hr is not None:
                return _projected_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse)
            result = R.lstm_sequence(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
            return result[:length], result[last], result[length]
        sequence = {"RNN_TANH": R.rnn_tanh_sequence, "RNN_RELU": R.rnn_relu_sequence, "GRU": R.gru_sequence}
        out = sequence[self.mode](x, h0, w_ih, w_hh, b_ih, b_hh, reverse=reverse)
        return out, out[last], None

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


def _projected_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """LSTM with a projection (Sak et al. 2014): h_t = W_hr (o_t * tanh(c_t)), h of size proj_size.

    Step by step from existing ops (their gradients give its own): the input projections of all steps in one
    matmul, then per step the gates from h_{t-1}.
    """
    length, hidden = x.shape[0], c0.shape[-1]
    pre = linear(x, w_ih, b_ih)
    h, c, outputs = h0, c0, [None] * length
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        gates = pre[t] + linear(h, w_hh, b_hh)
        i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = outputs[t] = linear(sigmoid(o) * tanh(c), w_hr)
    return stack(outputs), h, c


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
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        _no_projection(kwargs)
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)
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
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)


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
                 bidirectional=False, device=None, dtype=None, **kwargs):
        _no_projection(kwargs)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


def _no_projection(kwargs):
    """RNN and GRU take no ``proj_size`` (torch's message); any other unknown keyword is a TypeError."""
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if kwargs:
        raise TypeError(f"got an unexpected keyword argument {next(iter(kwargs))!r}")


# ---------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One time step: ``weight_ih`` (G*hidden, input), ``weight_hh``, ``bias_ih``, ``bias_hh``; G = ``num_chunks``
    (the number of gates: 1 RNN, 4 LSTM, 3 GRU), torch's signature."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        size = num_chunks * hidden_size
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
            raise (ValueError if input.ndim not in (1, 2) else RuntimeError)(f"{name} got input of shape {tuple(input.shape)}: expected (N, {self.input_size}) "
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
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu) for input (N, input) or (input,); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,))
        sequence = R.rnn_tanh_sequence if self.nonlinearity == "tanh" else R.rnn_relu_sequence
        out = sequence(x, h, *self._weights())[0]
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; c' = f * c + i * g, h' = o * tanh(c')); returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise ValueError(f"LSTMCell: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        x, (h, c), batched = self._prepare(input, tuple(hx) if hx is not None else (None, None))
        result = R.lstm_sequence(x, h, c, *self._weights())
        h, c = result[0], result[1]
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; h' = (1 - z) * n + z * h); returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, (hx,))
        out = R.gru_sequence(x, h, *self._weights())[0]
        return out if batched else out.squeeze(0)
