"""Fused recurrent layers: one graph node for a whole sequence of one layer,
one direction (the forward pass loops over the time steps; backward is
backpropagation through time, the same loop run backwards).

A composite of matmul/sigmoid/tanh ops would give the same gradients, but
records ~15 graph nodes per time step; one node per sequence is several times
faster. Per step the gates of all units are one matmul ``h_{t-1} W_hh^T``;
the input projections ``x_t W_ih^T`` of all time steps are one matmul up
front (the LSTM instead folds x_t, h_{t-1} and the bias into its one matmul
per step, see ``LSTMSequence``), and in backward the weight gradients are
one matmul over all steps. Without a graph to record (``no_grad``, or no
input requiring grad) the LSTM keeps nothing for backward.

Shapes: x (T, B, I), h0 and c0 (B, H), W_ih (G*H, I), W_hh (G*H, H), biases
(G*H,), with G = 1 (RNN), 4 (LSTM, gates i, f, g, o), 3 (GRU, gates r, z, n).
"""
from backprop import backend
from backprop.autograd import Function
from backprop.ops.elementwise import relu, sigmoid, tanh
from backprop.ops.join import stack
from backprop.ops.linalg import linear

__all__ = ["rnn_tanh_sequence", "rnn_relu_sequence", "lstm_sequence", "gru_sequence"]


def _steps(length, reverse):
    return range(length - 1, -1, -1) if reverse else range(length)


def _project(x, w_ih, bias):
    """x_t W_ih^T + b for every t in one matmul: (T, B, I) -> (T, B, G*H)."""
    length, batch, _ = x.shape
    xw = (x.reshape(length * batch, -1) @ w_ih.T).reshape(length, batch, -1)
    if bias is not None:
        xw += bias
    return xw


def _weight_grads(self, dpre_x, dpre_h, x, h_prev, w_ih, w_hh, bias_count):
    """dL/dx, dL/dW_ih, dL/dW_hh and the bias gradients from the per-step pre-activation gradients."""
    needs = self.needs_input_grad
    length, batch, _ = x.shape
    gx = dpre_x.reshape(length * batch, -1)
    gh = dpre_h.reshape(length * batch, -1)
    grad_x = (gx @ w_ih).reshape(x.shape) if needs[0] else None
    grad_w_ih = gx.T @ x.reshape(length * batch, -1) if needs[-2 - bias_count] else None
    grad_w_hh = gh.T @ h_prev.reshape(length * batch, -1) if needs[-1 - bias_count] else None
    biases = ()
    if bias_count:
        biases = (gx.sum(axis=0) if needs[-2] else None, gh.sum(axis=0) if needs[-1] else None)
    return grad_x, grad_w_ih, grad_w_hh, biases


class RNNSequence(Function):
    """Elman RNN over a sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu.

    Returns all hidden states (T, B, H) (in time order also when ``reverse``;
    the final state is the last step processed). Backward:
    d a_t = (dL/dh_t + d a_{t+1} W_hh) * act'(a_t).
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
        xp = backend.array_module(x)
        self.nonlinearity, self.reverse = nonlinearity, reverse
        bias = None if b_ih is None else b_ih + b_hh
        pre = _project(x, w_ih, bias)
        out = xp.empty(pre.shape, dtype=pre.dtype)
        w_hh_t = w_hh.T
        h = h0
        for t in _steps(x.shape[0], reverse):
            a = pre[t] + h @ w_hh_t
            h = xp.tanh(a, out=out[t]) if nonlinearity == "tanh" else xp.maximum(a, 0, out=out[t])
        self.save_for_backward(x, h0, w_ih, w_hh, out)
        return out

    def backward(self, grad):
        x, h0, w_ih, w_hh, out = self.saved_tensors
        xp = backend.array_module(grad)
        deriv = 1 - out * out if self.nonlinearity == "tanh" else (out > 0).astype(out.dtype)
        dpre = xp.empty_like(out)
        dh = xp.zeros_like(h0)
        for t in _steps(x.shape[0], not self.reverse):
            dpre[t] = (grad[t] + dh) * deriv[t]
            dh = dpre[t] @ w_hh
        h_prev = _previous(xp, out, h0, self.reverse)
        bias_count = len(self.needs_input_grad) - 4
        grad_x, grad_w_ih, grad_w_hh, biases = _weight_grads(self, dpre, dpre, x, h_prev, w_ih, w_hh, bias_count)
        return (grad_x, dh, grad_w_ih, grad_w_hh) + biases

    @staticmethod
    def decompose(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
        """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), one step at a time."""
        act = tanh if nonlinearity == "tanh" else relu
        states, h = [None] * x.shape[0], h0
        for t in _steps(x.shape[0], reverse):
            h = states[t] = act(linear(x[t], w_ih, b_ih) + linear(h, w_hh, b_hh))
        return stack(states)


def _previous(xp, states, first, reverse):
    """The state each step started from: (h0, h_1, ..., h_{T-1}) in processing order."""
    if reverse:
        return xp.concatenate([states[1:], first[None]], axis=0)
    return xp.concatenate([first[None], states[:-1]], axis=0)


def _sigmoid_of_negated(xp, a):
    """sigma(b) = 1 / (1 + exp(-b)) in place, for a = -b (the fused LSTM and GRU negate the rows of W that feed a
    sigmoid; the LSTM also scales those of its g gate by -2: tanh(b) = 2 sigma(2b) - 1); one exp instead of a tanh
    (NumPy's exp is nearly twice as fast). exp(-b) = inf for b << 0 gives 1 / (1 + inf) = 0: call it under
    errstate(over="ignore")."""
    xp.exp(a, out=a)
    a += 1
    return xp.divide(1, a, out=a)


def _gate_rows(w, hidden, back=False):
    """The rows of an LSTM weight regrouped from torch's gate order i, f, g, o to o, i, f, g (``back``: undone).

    In that order the three sigmoid gates are side by side (one affine op per step in forward), and so are the
    three gates whose gradient is scaled by dc (one multiply per step in backward).
    """
    order = [1, 2, 3, 0] if back else [3, 0, 1, 2]
    return w.reshape(4, hidden, -1)[order].reshape(w.shape)


class LSTMSequence(Function):
    """LSTM over a sequence (Hochreiter & Schmidhuber 1997, with forget gate):

        i = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)    input gate
        f = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)    forget gate
        g = tanh (W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)    cell input
        o = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)    output gate
        c_t = f * c_{t-1} + i * g                           constant error carousel
        h_t = o * tanh(c_t)

    Returns (T + 1, B, H): the hidden states h_t of every step in time order,
    then the final cell state c_n. Backward, per step (dc carried back through
    the carousel, multiplied only by f):
    dc_t += dh_t o (1 - tanh^2 c_t);  di = dc g;  df = dc c_{t-1};
    dg = dc i;  do = dh tanh c_t;  dc_{t-1} = dc f.

    Inside, every per-step quantity is feature-major, the transpose of the
    usual layout: the step's input is the column block z_t = [x_t; h_{t-1}; 1]
    (I + H + 1, B), its gate pre-activations are one GEMM W z_t (4H, B) with
    W = [W_ih, W_hh, b], and each gate is then a contiguous (H, B) block, so
    the elementwise ops run over contiguous memory (a column block of a
    (B, 4H) matrix would be B short rows, several times slower to walk).
    In backward the weight gradients are one GEMM over all steps,
    [dW_ih, dW_hh, db] = sum_t dgates_t z_t^T. Steps are stored in processing
    order (reversed when ``reverse``). When no backward will follow (an
    empty ``needs_input_grad``: inference) it keeps one step's gates, not every step's.
    """

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        xp = backend.array_module(x)
        record = bool(self.needs_input_grad)
        self.reverse = reverse
        length, batch, inputs = x.shape
        hidden = h0.shape[-1]
        columns = [w_ih, w_hh] + ([(b_ih + b_hh)[:, None]] if b_ih is not None else [])
        w = _gate_rows(xp.concatenate(columns, axis=1), hidden)  # (4H, I + H [+ 1]), gates o, i, f, g
        # sigma(a) = 1 / (1 + exp(-a)) and tanh(a) = 2 sigma(2a) - 1: scaling the rows of W that feed o, i and f
        # by -1 and those of g by -2 (once, and exactly: powers of two) lets one exp per step serve all four
        # gates (NumPy's exp is nearly twice as fast as its tanh); tanh(c) likewise, 2 / (1 + exp(-2c)) - 1.
        w[:3 * hidden] *= -1
        w[3 * hidden:] *= -2
        dtype = w.dtype
        z = xp.empty((length + 1, w.shape[1], batch), dtype=dtype)  # z[s] = [x; h; 1] of the s-th step processed
        z[:length, :inputs] = (x[::-1] if reverse else x).transpose(0, 2, 1)
        z[0, inputs:inputs + hidden] = h0.T
        z[:, inputs + hidden:] = 1
        # for backward, every step's gates (after their nonlinearities), c (c_0 first) and tanh(c); without a
        # graph, one step's worth, reused by every step (c updated in place)
        steps = length if record else 1
        gates = xp.empty((steps, 4 * hidden, batch), dtype=dtype)
        cells = xp.empty((steps + 1, hidden, batch), dtype=dtype)
        tanh_c = xp.empty((steps, hidden, batch), dtype=dtype)
        product = xp.empty((hidden, batch), dtype=dtype)
        c = cells[0]
        c[...] = c0.T
        # the views each step writes through, made once per buffer (not per step: ~1 us of Python each)
        views = [(gates[k], gates[k].reshape(4, hidden, batch), cells[k + 1], tanh_c[k]) for k in range(steps)]
        # the result is built feature-major too, (T + 1, H, B), and returned as its (T + 1, B, H) transpose
        result = xp.empty((length + 1, hidden, batch), dtype=dtype)
        h_rows = z[:, inputs:inputs + hidden]
        with backend.errstate(over="ignore"):  # exp(-a) = inf for a << 0 gives sigma(a) = 1 / (1 + inf) = 0
            for s, t in enumerate(_steps(length, reverse)):
                a, (o, i, f, g), c_next, tc = views[s if record else 0]
                _sigmoid_of_negated(xp, xp.matmul(w, z[s], out=a))  # of -a for o, i, f and -2a for g
                g *= 2
                g -= 1  # tanh(a) = 2 sigma(2a) - 1
                c = xp.multiply(f, c, out=c_next)
                c += xp.multiply(i, g, out=product)
                xp.multiply(c, -2, out=tc)
                xp.exp(tc, out=tc)
                tc += 1
                xp.divide(2, tc, out=tc)
                tc -= 1  # tanh(c)
                h_rows[s + 1] = xp.multiply(o, tc, out=result[t])
        result[length] = c
        result = result.transpose(0, 2, 1)
        if record:
            self.z, self.gates, self.cells, self.tanh_c = z, gates, cells, tanh_c
            self.save_for_backward(x, h0, c0, w_ih, w_hh, result)
        return result

    def backward(self, grad):
        x, h0, c0, w_ih, w_hh, result = self.saved_tensors
        xp = backend.array_module(grad)
        length, batch, inputs = x.shape
        hidden = h0.shape[-1]
        z, gates, cells, tanh_c = self.z, self.gates, self.cells, self.tanh_c
        o, i, f, g = (gates.reshape(length, 4, hidden, batch)[:, k] for k in range(4))
        c_prev = cells[:length]
        # For all steps at once, each gate's local derivative (sigma' = s (1 - s), tanh' = 1 - tanh^2) times the
        # factor it meets in the chain rule, so that the loop only multiplies them by dh or dc:
        # d(pre-activations of o, i, f, g) = [dh tanh(c_t) sigma'(o), dc g sigma'(i), dc c_{t-1} sigma'(f),
        # dc i tanh'(g)], and dc_t gets dh carry with carry = o tanh'(c_t).
        coef = xp.empty_like(gates).reshape(length, 4, hidden, batch)
        carry = xp.empty_like(tanh_c)
        for out, s, factor in ((coef[:, 0], o, tanh_c), (coef[:, 1], i, g), (coef[:, 2], f, c_prev)):
            xp.subtract(1, s, out=out)
            out *= s
            out *= factor
        for out, s, factor in ((coef[:, 3], g, i), (carry, tanh_c, o)):
            xp.multiply(s, s, out=out)
            xp.subtract(1, out, out=out)
            out *= factor
        # dL/dh_t in processing order, feature-major (T, H, B)
        grad_h = xp.ascontiguousarray((grad[length - 1::-1] if self.reverse else grad[:length]).transpose(0, 2, 1))
        w_hh_t = xp.ascontiguousarray(_gate_rows(w_hh, hidden).T)
        dgates = xp.empty_like(gates)
        dh = xp.zeros((hidden, batch), dtype=dgates.dtype)
        dc = grad[length].T.copy()  # a copy: dc is updated in place
        product = xp.empty_like(dc)
        for s in range(length - 1, -1, -1):
            dh += grad_h[s]
            dc += xp.multiply(dh, carry[s], out=product)
            d = dgates[s].reshape(4, hidden, batch)
            xp.multiply(dh, coef[s, 0], out=d[0])
            xp.multiply(dc, coef[s, 1:], out=d[1:])
            dc *= f[s]
            xp.matmul(w_hh_t, dgates[s], out=dh)
        # all steps side by side: dgates (4H, T B), z (I + H + 1, T B)
        dgates = dgates.transpose(1, 0, 2).reshape(4 * hidden, length * batch)
        needs = self.needs_input_grad
        grad_x = None
        if needs[0]:
            grad_x = (_gate_rows(w_ih, hidden).T @ dgates).reshape(inputs, length, batch).transpose(1, 2, 0)
            grad_x = grad_x[::-1] if self.reverse else grad_x
        grad_w = dgates @ z[:length].transpose(1, 0, 2).reshape(-1, length * batch).T  # [dW_ih, dW_hh, db]
        grad_w = _gate_rows(grad_w, hidden, back=True)
        weights = (grad_w[:, :inputs], grad_w[:, inputs:inputs + hidden]) + (grad_w[:, -1],) * (len(needs) - 5)
        weights = tuple(xp.ascontiguousarray(w) if need else None for w, need in zip(weights, needs[3:]))
        return (grad_x, xp.ascontiguousarray(dh.T), xp.ascontiguousarray(dc.T)) + weights

    @staticmethod
    def decompose(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        """The LSTM equations of the docstring, one step at a time: every h_t, then the final c."""
        hidden = h0.shape[-1]
        states, h, c = [None] * x.shape[0], h0, c0
        for t in _steps(x.shape[0], reverse):
            gates = linear(x[t], w_ih, b_ih) + linear(h, w_hh, b_hh)  # i, f, g, o
            i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
            c = sigmoid(f) * c + sigmoid(i) * tanh(g)
            h = states[t] = sigmoid(o) * tanh(c)
        return stack(states + [c])


class GRUSequence(Function):
    """GRU over a sequence (Cho et al. 2014, torch's form):

        r = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)    reset gate
        z = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)    update gate
        n = tanh (W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Returns all hidden states (T, B, H) in time order.
    """

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        xp = backend.array_module(x)
        self.reverse = reverse
        length, batch, _ = x.shape
        hidden = h0.shape[-1]
        # r and z through sigma(a) = 1 / (1 + exp(-a)): the rows of W_ih, W_hh and the biases that feed them negated
        # (exactly). n keeps its tanh: as 2 sigma(2a) - 1 (rows times -2) it measured slower, four passes for one
        scale = xp.repeat(xp.asarray([-1, -1, 1], dtype=w_ih.dtype), hidden)
        pre = _project(x, w_ih * scale[:, None], None if b_ih is None else b_ih * scale)
        gates = xp.empty_like(pre)  # r, z, n after their nonlinearities
        hn = xp.empty((length, batch, hidden), dtype=pre.dtype)  # W_hn h_{t-1} + b_hn
        out = xp.empty((length, batch, hidden), dtype=pre.dtype)
        w_hh_t = (w_hh * scale[:, None]).T
        b_hh = None if b_hh is None else b_hh * scale
        h = h0
        with backend.errstate(over="ignore"):  # see _sigmoid_of_negated
            for t in _steps(length, reverse):
                hw = h @ w_hh_t
                if b_hh is not None:
                    hw += b_hh
                g = gates[t]
                _sigmoid_of_negated(xp, xp.add(pre[t, :, :2 * hidden], hw[:, :2 * hidden], out=g[:, :2 * hidden]))
                r, z = g[:, :hidden], g[:, hidden:2 * hidden]
                hn[t] = hw[:, 2 * hidden:]
                n = xp.multiply(r, hn[t], out=g[:, 2 * hidden:])
                n += pre[t, :, 2 * hidden:]
                xp.tanh(n, out=n)
                # h = n + z (h_prev - n)
                new = xp.subtract(h, n, out=out[t])
                new *= z
                new += n
                h = new
        self.gates, self.hn = gates, hn
        self.save_for_backward(x, h0, w_ih, w_hh, out)
        return out

    def backward(self, grad):
        x, h0, w_ih, w_hh, out = self.saved_tensors
        xp = backend.array_module(grad)
        length, hidden = x.shape[0], h0.shape[-1]
        gates, hn = self.gates, self.hn
        h_prev = _previous(xp, out, h0, self.reverse)
        dx_pre = xp.empty_like(gates)
        dh_pre = xp.empty_like(gates)
        r, z, n = gates[..., :hidden], gates[..., hidden:2 * hidden], gates[..., 2 * hidden:]
        # the local derivatives of all steps at once: dn = dh * dn_dh, dr = dn * dr_dn, dz = dh * dz_dh
        dn_dh = (1 - z) * (1 - n * n)
        dr_dn = hn * r * (1 - r)
        dz_dh = (h_prev - n) * z * (1 - z)
        dh = xp.zeros_like(h0)
        for t in _steps(length, not self.reverse):
            dh = dh + grad[t]
            dxt, dht = dx_pre[t], dh_pre[t]
            dn = xp.multiply(dh, dn_dh[t], out=dxt[:, 2 * hidden:])
            xp.multiply(dn, dr_dn[t], out=dxt[:, :hidden])
            xp.multiply(dh, dz_dh[t], out=dxt[:, hidden:2 * hidden])
            dht[:, :2 * hidden] = dxt[:, :2 * hidden]
            xp.multiply(dn, r[t], out=dht[:, 2 * hidden:])
            dh = dh * z[t] + dht @ w_hh
        bias_count = len(self.needs_input_grad) - 4
        grad_x, grad_w_ih, grad_w_hh, biases = _weight_grads(self, dx_pre, dh_pre, x, h_prev, w_ih, w_hh, bias_count)
        return (grad_x, dh, grad_w_ih, grad_w_hh) + biases

    @staticmethod
    def decompose(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
        """The GRU equations of the docstring, one step at a time."""
        hidden = h0.shape[-1]
        states, h = [None] * x.shape[0], h0
        for t in _steps(x.shape[0], reverse):
            gi, gh = linear(x[t], w_ih, b_ih), linear(h, w_hh, b_hh)  # r, z, n
            r = sigmoid(gi[:, :hidden] + gh[:, :hidden])
            z = sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
            n = tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
            h = states[t] = (1 - z) * n + z * h
        return stack(states)


def _weights(w_ih, w_hh, b_ih, b_hh):
    if (b_ih is None) != (b_hh is None):
        raise ValueError("recurrent layer: give both biases b_ih and b_hh or neither")
    return (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_sequence(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) for x (T, B, I), h0 (B, H): all h_t, (T, B, H)."""
    return RNNSequence.apply(input, h0, *_weights(w_ih, w_hh, b_ih, b_hh), nonlinearity="tanh", reverse=reverse)


def rnn_relu_sequence(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) for x (T, B, I), h0 (B, H): all h_t, (T, B, H)."""
    return RNNSequence.apply(input, h0, *_weights(w_ih, w_hh, b_ih, b_hh), nonlinearity="relu", reverse=reverse)


def lstm_sequence(input, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """LSTM over x (T, B, I) from (h0, c0) (B, H): (T + 1, B, H), every h_t then the final c."""
    return LSTMSequence.apply(input, h0, c0, *_weights(w_ih, w_hh, b_ih, b_hh), reverse=reverse)


def gru_sequence(input, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """GRU over x (T, B, I) from h0 (B, H): every h_t, (T, B, H)."""
    return GRUSequence.apply(input, h0, *_weights(w_ih, w_hh, b_ih, b_hh), reverse=reverse)
