"""Layer-wise Relevance Propagation (Bach et al. 2015; Montavon et al. 2019, "Layer-wise relevance
propagation: an overview").

The class score y_c is handed back through the network layer by layer as a
relevance R, and each layer shares the relevance R_j of its output j among
its inputs i in proportion to their contributions z_ij = a_i w_ij:

    R_i = sum_j z_ij / z_j R_j,        z_j = sum_i z_ij (+ b_j),

so that sum_i R_i = sum_j R_j at every layer (conservation, like a flow):
the input map sums to y_c. The rules differ in which contributions count:

- ``"epsilon"`` (LRP-eps): z_j = eps sign(z_j) + sum_i a_i w_ij + b_j. The
  bias and eps absorb some relevance, so the map sums to y_c exactly only for
  a bias-free net and eps = 0 (LRP-0, which equals gradient x input for a
  ReLU net).
- ``"z_plus"`` (z+): only the positive contributions (a_i w_ij)^+ =
  a_i^+ w_ij^+ + a_i^- w_ij^- (for ReLU inputs, a_i w_ij^+), no bias:
  R_i = sum_j (a_i w_ij)^+ / sum_i (a_i w_ij)^+ R_j, conserved. It is
  alpha-beta with alpha = 1, beta = 0.
- ``"alpha_beta"`` (alpha - beta = 1): positive and negative contributions
  apart, bias ignored,
  R_i = sum_j (alpha (a_i w_ij)^+ / sum_i (a_i w_ij)^+ - beta (a_i w_ij)^- / sum_i (a_i w_ij)^-) R_j.
  A side whose sum is 0 gets nothing, so conservation holds where both
  sides are non-empty (for z+, where the positive side is).

Every linear layer is computed with the "gradient trick" (Montavon et al.
2019, section 10.2): z = layer(a); s = R / z (a constant); c = d(sum_j z_j
s_j)/d a = sum_j w_ij s_j (autograd); R_i = a_i c_i. Pooling layers use the
epsilon form whatever the rule (max pooling: the winner takes all);
element-wise activations, Dropout and Identity pass relevance on unchanged,
Flatten reshapes it. A BatchNorm (eval mode: running statistics) is folded
into the Linear or Conv2d before it: with k = gamma / sqrt(var + eps),
W' = k W and b' = k (b - mu) + beta. UntiedBiasConv2d (a convolution with one
bias per output unit) and LocallyConnected2d are linear layers like the
others: their biases count as any bias does.

Beyond a plain Sequential, two kinds of the zoo's models:

- a residual block (the zoo's ResNet), y = relu(F(a) + S(a)) with the branch
  F and the shortcut S (the identity, or a 1x1 conv and BN): the relevance R
  of the sum is split between the two in proportion to their contributions,
  R_F = z_F / z R and R_S = z_S / z R, z = z_F + z_S (stabilised by eps, as
  for pooling), and each share goes down its own path; the block's input
  gets the sum of the two.
- an LSTM (the zoo's RowLSTM; Arras et al. 2017, "Explaining recurrent
  neural network predictions in sentiment analysis"): h_t = o_t tanh(c_t)
  and i_t g_t are products "gate x signal", and all the relevance goes to
  the signal (c_t, g_t), none to the gate; the cell update
  c_t = f_t c_{t-1} + i_t g_t splits R_c between its two terms in proportion
  to them; g_t's linear map of (x_t, h_{t-1}) shares R_g with the rule.
"""
import collections

from backprop import backend, nn
from backprop.autograd import enable_grad
from backprop.explain._common import as_input, check_targets, to_map
from backprop.models.lstm import RowLSTM
from backprop.models.resnet import BasicBlock, ResNet
from backprop.models.untied import UntiedBiasConv2d
from backprop.nn import functional as F
from backprop.nn.utils import evaluating
from backprop.ops.conv import locally_connected2d
from backprop.tensor import Tensor

__all__ = ["lrp"]

RULES = ("epsilon", "z_plus", "alpha_beta")
AFFINE = (nn.Linear, nn.Conv2d, UntiedBiasConv2d, nn.LocallyConnected2d)
POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
PASS_THROUGH = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.ELU, nn.Step, nn.Arctan,
                nn.Dropout, nn.Identity, nn.Flatten)
BATCH_NORM = (nn.BatchNorm1d, nn.BatchNorm2d)
SUPPORTED = AFFINE + BATCH_NORM + POOLING + PASS_THROUGH + (BasicBlock,)
MODELS = (nn.Sequential, ResNet, RowLSTM)  # what lrp explains as a whole

_Rule = collections.namedtuple("_Rule", ["name", "epsilon", "alpha", "beta"])


def lrp(model, x, target=None, *, rule="epsilon", epsilon=1e-6, alpha=2.0, beta=1.0, keep_channels=False):
    """The relevance R_i of every input for each example's class score y_c: R = y_c at the output, then
    R_i = sum_j z_ij / z_j R_j layer by layer down to the input (the rules: see the module docstring).

    ``model`` an ``nn.Sequential`` (nested ones flattened) of Linear, Conv2d,
    UntiedBiasConv2d, LocallyConnected2d, BatchNorm1d/2d (folded into the
    layer before), pooling, element-wise activations, Flatten, Dropout,
    Identity and residual BasicBlocks; or the zoo's ResNet or RowLSTM.
    ``rule`` "epsilon", "z_plus" or "alpha_beta" (``alpha`` - ``beta`` = 1,
    ``beta`` >= 0); ``epsilon`` >= 0 the stabiliser of the epsilon rule and
    of the pooling layers, residual sums and LSTM cell updates.
    Returns a NumPy array: (N, H, W) for images (the channels summed;
    ``keep_channels=True`` keeps (N, C, H, W)), (N, D) for vectors. It sums
    to y_c up to what biases, eps and empty sides absorb.

    For a linear model R_i = w_ci x_i (the bias keeps b_c): w = (1, -2, 0.5),
    b = 0.3, x = (2, 1, 4) give y = 2.3 and R = (2, -2, 2):

    >>> from backprop import nn
    >>> model = nn.Sequential(nn.Linear(3, 1))
    >>> model[0].weight.data[:], model[0].bias.data[:] = [[1.0, -2.0, 0.5]], [0.3]
    >>> lrp(model, [[2.0, 1.0, 4.0]], epsilon=0.0).round(6).tolist()
    [[2.0, -2.0, 2.0]]
    """
    _check_rule(rule, epsilon, alpha, beta)
    if rule == "z_plus":
        alpha, beta = 1.0, 0.0
    plan = _plan(model)
    x = as_input(x)._data
    with evaluating(model):
        output = plan.forward(x)
    relevance = _output_relevance(output, check_targets(target, output))
    return to_map(plan.relevance(relevance, _Rule(rule, epsilon, alpha, beta)), keep_channels)


def _check_rule(rule, epsilon, alpha, beta):
    if rule not in RULES:
        raise ValueError(f"lrp: rule must be one of {list(RULES)}, got {rule!r}")
    if not epsilon >= 0:  # a negative eps would move z_j towards 0 and blow the shares up
        raise ValueError(f"lrp: epsilon must be >= 0, got {epsilon}")
    if rule == "alpha_beta" and (abs(alpha - beta - 1) > 1e-12 or beta < 0):
        raise ValueError(f"lrp: the alpha-beta rule needs alpha - beta = 1 (to conserve relevance) and beta >= 0 "
                         f"(the negative side counts against the class), got alpha={alpha}, beta={beta}")


def _computes_as(module, kind):
    """Whether ``module`` is a ``kind`` that computes what ``kind`` computes: a subclass with a forward of its
    own (a residual block written as a Sequential, say) computes something else, which lrp would not explain."""
    return isinstance(module, kind) and type(module).forward is kind.forward


# ---------------------------------------------------------------- the model as a plan of steps
# Every step has forward(a) -> output (arrays; it keeps what its relevance needs) and relevance(R, rule) -> R at a.

def _plan(model):
    """The model as one step: a _Chain for a Sequential or ResNet, a _Chain ending in fc for a RowLSTM."""
    if _computes_as(model, nn.Sequential):
        return _Chain(_steps(model))
    if _computes_as(model, ResNet):
        stages = [getattr(model, f"layer{index + 1}") for index in range(model.num_layers)]
        return _Chain(_steps([model.conv1, model.bn1, nn.ReLU(), *stages, model.avgpool, nn.Flatten(), model.fc]))
    if _computes_as(model, RowLSTM):
        return _Chain([_RowLSTM(model)] + _steps([model.fc]))
    raise TypeError(f"lrp needs an nn.Sequential model (its layers one after another, without a forward of "
                    f"its own), got {type(model).__name__}; of the models with a forward of their own it "
                    f"explains the zoo's ResNet and RowLSTM")


def _layers(modules):
    """The layers of a Sequential (or list) in order, nested Sequentials flattened into one list."""
    for layer in modules:
        if _computes_as(layer, nn.Sequential):
            yield from _layers(layer)
        else:
            yield layer


def _steps(modules):
    """The layers as a list of steps: _Affine for the linear layers (a BatchNorm folded into the Linear or Conv2d
    before it), a residual block as _Residual and its ReLU, the other layers as _Layer."""
    steps = []
    for layer in _layers(modules):
        if not any(_computes_as(layer, kind) for kind in SUPPORTED):
            names = ", ".join(kind.__name__ for kind in SUPPORTED)
            raise TypeError(f"lrp does not support the layer {layer!r} ({type(layer).__name__}); supported: "
                            f"{names} (not subclasses with their own forward), inside nn.Sequential")
        if isinstance(layer, BATCH_NORM):
            if not steps or not (isinstance(steps[-1], _Affine) and steps[-1].foldable):
                before = type(getattr(steps[-1], "module", steps[-1])).__name__ if steps else "nothing"
                raise ValueError(f"lrp folds a {type(layer).__name__} into the Linear or Conv2d just before it, "
                                 f"but it comes after {before}")
            steps[-1].fold(layer)
        elif isinstance(layer, BasicBlock):
            branch = _Chain(_steps([layer.conv1, layer.bn1, nn.ReLU(), layer.conv2, layer.bn2]))
            shortcut = _Chain([] if layer.downsample is None else _steps([layer.downsample]))
            steps += [_Residual(branch, shortcut), _Layer(nn.ReLU())]
        elif isinstance(layer, AFFINE):
            steps.append(_Affine.of(layer))
        else:
            steps.append(_Layer(layer))
    return steps


class _Chain:
    """Steps one after another (none: the identity); relevance goes through them backwards."""

    def __init__(self, steps):
        self.steps = steps

    def forward(self, a):
        for step in self.steps:
            a = step.forward(a)
        return a

    def relevance(self, relevance, rule):
        for step in reversed(self.steps):
            relevance = step.relevance(relevance, rule)
        return relevance


class _Layer:
    """A pooling layer (the epsilon form whatever the rule) or a layer that passes relevance on unchanged
    (element-wise activations, Dropout, Identity; Flatten reshapes it)."""

    def __init__(self, module):
        self.module = module

    def forward(self, a):
        self.input = a
        return self.module(Tensor._make(a))._data

    def relevance(self, relevance, rule):
        if isinstance(self.module, POOLING):
            return _redistribute(self.module, [self.input], relevance, rule.epsilon)[0]
        return relevance.reshape(self.input.shape)


class _Affine:
    """A linear layer z = function(a; W, b) (Linear, Conv2d, UntiedBiasConv2d, LocallyConnected2d, or an LSTM's
    map of (x_t, h_{t-1}) to a gate), with the BatchNorms after a Linear or Conv2d folded into W and b."""

    def __init__(self, module, function, weight, bias, foldable=False):
        self.module, self.function, self.foldable = module, function, foldable
        self.weight, self.bias = weight, bias

    @classmethod
    def of(cls, layer):
        weight = layer.weight._data
        bias = None if layer.bias is None else layer.bias._data
        if isinstance(layer, UntiedBiasConv2d):  # a Conv2d whose bias (C, H, W) is added after the convolution
            def function(a, w, b):
                z = F.conv2d(a, w, None, layer.stride, layer.padding, layer.dilation, layer.groups)
                return z if b is None else z + b
            return cls(layer, function, weight, bias)
        if isinstance(layer, nn.LocallyConnected2d):
            return cls(layer, lambda a, w, b: locally_connected2d(a, w, b, layer.stride, layer.padding), weight, bias)
        if isinstance(layer, nn.Conv2d):
            if layer.padding_mode != "zeros":
                raise ValueError(f"lrp: Conv2d with padding_mode={layer.padding_mode!r} is not supported "
                                 f"(only 'zeros')")
            def function(a, w, b):
                return F.conv2d(a, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
            return cls(layer, function, weight, bias, foldable=True)
        return cls(layer, F.linear, weight, bias, foldable=True)

    def __call__(self, a):
        return self.apply(a, self.weight, self.bias)

    def apply(self, a, weight, bias=None):
        """The layer's map of the Tensor ``a`` with weights ``weight`` and ``bias`` (arrays or None)."""
        return self.function(a, Tensor._make(weight), None if bias is None else Tensor._make(bias))

    def forward(self, a):
        self.input = a
        return self(Tensor._make(a))._data

    def relevance(self, relevance, rule):
        return self.relevance_at(self.input, relevance, rule)

    def relevance_at(self, a, relevance, rule):
        """R at the input ``a`` from R at the output z(a), by the rule."""
        if rule.name == "epsilon":
            return _redistribute(self, [a], relevance, rule.epsilon)[0]
        return _alpha_beta(self, a, relevance, rule.alpha, rule.beta)

    def fold(self, norm):
        """Fold the eval-mode BatchNorm ``norm`` (after this layer) into W and b."""
        if norm.running_mean is None:
            raise ValueError(f"lrp: {type(norm).__name__} without running statistics (track_running_stats=False) "
                             f"cannot be folded into the layer before it")
        xp = backend.array_module(self.weight)
        scale = 1 / xp.sqrt(norm.running_var._data + norm.eps)
        shift = -norm.running_mean._data * scale
        if norm.weight is not None:
            scale, shift = scale * norm.weight._data, shift * norm.weight._data
        if norm.bias is not None:
            shift = shift + norm.bias._data
        bias = 0 if self.bias is None else self.bias
        self.weight = self.weight * scale.reshape((-1,) + (1,) * (self.weight.ndim - 1))
        self.bias = bias * scale + shift


class _Residual:
    """z = branch(a) + shortcut(a) (each a _Chain): R_branch = z_branch / z R and R_shortcut = z_shortcut / z R,
    each passed down its own path; R at a is their sum."""

    def __init__(self, branch, shortcut):
        self.branch, self.shortcut = branch, shortcut

    def forward(self, a):
        self.parts = self.branch.forward(a), self.shortcut.forward(a)
        return self.parts[0] + self.parts[1]

    def relevance(self, relevance, rule):
        branch, shortcut = self.parts
        shares = _shares(relevance, branch + shortcut, rule.epsilon)
        return self.branch.relevance(branch * shares, rule) + self.shortcut.relevance(shortcut * shares, rule)


class _RowLSTM:
    """The zoo's RowLSTM up to the last layer's final hidden state h_H (its fc is a step of its own): the
    image's rows as a sequence, through the LSTM's layers."""

    def __init__(self, model):
        lstm = model.lstm
        if not _computes_as(lstm, nn.LSTM) or lstm.bidirectional or lstm.proj_size or not lstm.batch_first:
            raise TypeError(f"lrp explains a RowLSTM whose lstm is a one-way nn.LSTM without projection, "
                            f"batch first, got {lstm!r}")
        self.model = model
        self.layers = [_LSTMLayer(lstm, k) for k in range(lstm.num_layers)]

    def forward(self, a):
        model = self.model
        if a.ndim != 4 or a.shape[1] != model.channels or a.shape[3] != model.width:
            raise ValueError(f"RowLSTM expects images (N, {model.channels}, H, {model.width}), got {tuple(a.shape)}")
        self.shape = n, c, h, w = a.shape
        sequence = a.transpose(0, 2, 1, 3).reshape(n, h, c * w)
        for layer in self.layers:
            sequence = layer.forward(sequence)
        return sequence[:, -1]

    def relevance(self, relevance, rule):
        n, c, h, w = self.shape
        xp = backend.array_module(relevance)
        sequence = xp.zeros((n, h) + relevance.shape[1:], dtype=relevance.dtype)
        sequence[:, -1] = relevance  # only h_H reaches the output
        for layer in reversed(self.layers):
            sequence = layer.relevance(sequence, rule)
        return sequence.reshape(n, h, c, w).transpose(0, 2, 1, 3)


class _LSTMLayer:
    """One layer of an nn.LSTM (torch's gate order i, f, g, o) on a sequence (N, T, D), batch first."""

    def __init__(self, lstm, k):
        xp = backend.array_module(lstm.weight_ih_l0._data)
        self.hidden = size = lstm.hidden_size
        self.w_ih, self.w_hh = getattr(lstm, f"weight_ih_l{k}")._data, getattr(lstm, f"weight_hh_l{k}")._data
        self.b = xp.zeros(4 * size, dtype=self.w_ih.dtype)
        if lstm.bias:
            self.b = getattr(lstm, f"bias_ih_l{k}")._data + getattr(lstm, f"bias_hh_l{k}")._data
        g = slice(2 * size, 3 * size)
        # g_t = tanh(W_ig x_t + W_hg h_{t-1} + b_g): one linear map of the concatenation (x_t, h_{t-1})
        self.cell_input = _Affine(lstm, F.linear, xp.concatenate([self.w_ih[g], self.w_hh[g]], axis=1),
                                  self.b[g] if lstm.bias else None)

    def forward(self, sequence):
        xp = backend.array_module(sequence)
        n, steps, _ = sequence.shape
        size = self.hidden
        h = xp.zeros((n, size), dtype=sequence.dtype)
        c = xp.zeros_like(h)
        self.steps, outputs = [], []
        for t in range(steps):
            xh = xp.concatenate([sequence[:, t], h], axis=1)
            z = sequence[:, t] @ self.w_ih.T + h @ self.w_hh.T + self.b
            gates = Tensor._make(z)
            i, f, o = (gates[:, k * size:(k + 1) * size].sigmoid()._data for k in (0, 1, 3))
            g = xp.tanh(z[:, 2 * size:3 * size])
            kept, written = f * c, i * g
            c = kept + written
            h = o * xp.tanh(c)
            self.steps.append((xh, kept, written, c))
            outputs.append(h)
        self.input_size = sequence.shape[2]
        return xp.stack(outputs, axis=1)

    def relevance(self, relevance, rule):
        """R at the input sequence from R at every h_t (N, T, hidden), backwards through time."""
        xp = backend.array_module(relevance)
        n, steps, _ = relevance.shape
        result = xp.zeros((n, steps, self.input_size), dtype=relevance.dtype)
        r_h = r_c = xp.zeros_like(relevance[:, 0])
        for t in reversed(range(steps)):
            xh, kept, written, c = self.steps[t]
            r_c = r_c + r_h + relevance[:, t]  # h_t = o_t tanh(c_t): all to the signal c_t, none to the gate o_t
            shares = _shares(r_c, c, rule.epsilon)
            r_c, r_g = kept * shares, written * shares  # c_t = f_t c_{t-1} + i_t g_t; i_t g_t: all to g_t
            r_xh = self.cell_input.relevance_at(xh, r_g, rule)  # g_t = tanh(z_g): through to z_g, then the rule
            result[:, t], r_h = r_xh[:, :self.input_size], r_xh[:, self.input_size:]
        return result


# ---------------------------------------------------------------- the rules
def _output_relevance(output, targets):
    """R at the output: y_c at each example's target class c, 0 elsewhere."""
    xp = backend.array_module(output)
    relevance = xp.zeros_like(output)
    rows = xp.arange(output.shape[0])
    targets = xp.asarray(targets)
    relevance[rows, targets] = output[rows, targets]
    return relevance


def _shares(relevance, z, epsilon):
    """s = R / (z + eps sign z), 0 where that is 0: each part z_k of z then gets z_k s of R."""
    xp = backend.array_module(z)
    denominator = z + epsilon * xp.sign(z)
    safe = xp.where(denominator == 0, 1, denominator)
    return xp.where(denominator == 0, 0, relevance / safe)


def _alpha_beta(step, a, relevance, alpha, beta):
    """R_i = sum_j (alpha (a_i w_ij)^+ / z_j^+ - beta (a_i w_ij)^- / z_j^-) R_j, bias ignored, with
    (a w)^+ = a^+ w^+ + a^- w^- and (a w)^- = a^+ w^- + a^- w^+."""
    xp = backend.array_module(a)
    a_pos, a_neg = xp.maximum(a, 0), xp.minimum(a, 0)
    w_pos, w_neg = xp.maximum(step.weight, 0), xp.minimum(step.weight, 0)

    def positive(p, n):
        return step.apply(p, w_pos) + step.apply(n, w_neg)

    def negative(p, n):
        return step.apply(p, w_neg) + step.apply(n, w_pos)

    result = alpha * sum(_redistribute(positive, [a_pos, a_neg], relevance))
    if beta:
        result = result - beta * sum(_redistribute(negative, [a_pos, a_neg], relevance))
    return result


def _redistribute(function, inputs, relevance, epsilon=0.0):
    """The gradient trick: z = function(*inputs); s = R / (z + eps sign z) (0 where that is 0);
    c = d(sum_j z_j s_j) / d a for each input a; returns a * c for each input."""
    leaves = [Tensor._make(a, requires_grad=True) for a in inputs]
    with enable_grad():
        z = function(*leaves)
    (z * Tensor._make(_shares(relevance, z._data, epsilon))).sum().backward()
    return [a * leaf.grad._data for a, leaf in zip(inputs, leaves)]
