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
W' = k W and b' = k (b - mu) + beta.
"""
from backprop import backend, nn
from backprop.autograd import enable_grad
from backprop.explain._common import as_input, check_targets, to_map
from backprop.nn import functional as F
from backprop.tensor import Tensor
from backprop.train.trainer import evaluating

__all__ = ["lrp"]

RULES = ("epsilon", "z_plus", "alpha_beta")
POOLING = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)
PASS_THROUGH = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.ELU, nn.Step, nn.Arctan,
                nn.Dropout, nn.Identity, nn.Flatten)
BATCH_NORM = (nn.BatchNorm1d, nn.BatchNorm2d)
SUPPORTED = (nn.Linear, nn.Conv2d) + BATCH_NORM + POOLING + PASS_THROUGH


def lrp(model, x, target=None, *, rule="epsilon", epsilon=1e-6, alpha=2.0, beta=1.0, keep_channels=False):
    """The relevance R_i of every input for each example's class score y_c: R = y_c at the output, then
    R_i = sum_j z_ij / z_j R_j layer by layer down to the input (the rules: see the module docstring).

    ``model`` an ``nn.Sequential`` (nested ones flattened) of Linear, Conv2d,
    BatchNorm1d/2d (folded into the layer before), pooling, element-wise
    activations, Flatten, Dropout and Identity; ``rule`` "epsilon", "z_plus"
    or "alpha_beta" (``alpha`` - ``beta`` = 1, ``beta`` >= 0); ``epsilon``
    >= 0 the stabiliser of the epsilon rule and of the pooling layers.
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
    steps = _steps(model)
    x = as_input(x)._data
    with evaluating(model):
        inputs = _forward(steps, x)
    output = inputs.pop()
    relevance = _output_relevance(output, check_targets(target, output))
    for step, a in zip(reversed(steps), reversed(inputs)):
        relevance = _relevance(step, a, relevance, rule, epsilon, alpha, beta)
    return to_map(relevance, keep_channels)


def _check_rule(rule, epsilon, alpha, beta):
    if rule not in RULES:
        raise ValueError(f"lrp: rule must be one of {list(RULES)}, got {rule!r}")
    if not epsilon >= 0:  # a negative eps would move z_j towards 0 and blow the shares up
        raise ValueError(f"lrp: epsilon must be >= 0, got {epsilon}")
    if rule == "alpha_beta" and (abs(alpha - beta - 1) > 1e-12 or beta < 0):
        raise ValueError(f"lrp: the alpha-beta rule needs alpha - beta = 1 (to conserve relevance) and beta >= 0 "
                         f"(the negative side counts against the class), got alpha={alpha}, beta={beta}")


class _Affine:
    """A Linear or Conv2d layer z = layer(a; W, b), with the BatchNorms after it folded into W and b."""

    def __init__(self, layer):
        if isinstance(layer, nn.Conv2d) and layer.padding_mode != "zeros":
            raise ValueError(f"lrp: Conv2d with padding_mode={layer.padding_mode!r} is not supported "
                             f"(only 'zeros')")
        self.layer = layer
        self.weight = layer.weight._data
        self.bias = None if layer.bias is None else layer.bias._data

    def __call__(self, a):
        return self.apply(a, self.weight, self.bias)

    def apply(self, a, weight, bias=None):
        """The layer's map of the Tensor ``a`` with weights ``weight`` and ``bias`` (arrays or None)."""
        weight = Tensor._make(weight)
        bias = None if bias is None else Tensor._make(bias)
        if isinstance(self.layer, nn.Linear):
            return F.linear(a, weight, bias)
        layer = self.layer
        return F.conv2d(a, weight, bias, layer.stride, layer.padding, layer.dilation, layer.groups)

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


def _computes_as(module, kind):
    """Whether ``module`` is a ``kind`` that computes what ``kind`` computes: a subclass with a forward of its
    own (a residual block written as a Sequential, say) computes something else, which lrp would not explain."""
    return isinstance(module, kind) and type(module).forward is kind.forward


def _layers(model):
    """The layers of a Sequential in order, nested Sequentials flattened into one list."""
    for layer in model:
        if _computes_as(layer, nn.Sequential):
            yield from _layers(layer)
        else:
            yield layer


def _steps(model):
    """The model as a list of steps: _Affine for Linear/Conv2d (BatchNorm folded in), the other layers as they are."""
    if not _computes_as(model, nn.Sequential):
        raise TypeError(f"lrp needs an nn.Sequential model (its layers one after another, without a forward of "
                        f"its own), got {type(model).__name__}")
    steps = []
    for layer in _layers(model):
        if not any(_computes_as(layer, kind) for kind in SUPPORTED):
            names = ", ".join(kind.__name__ for kind in SUPPORTED)
            raise TypeError(f"lrp does not support the layer {layer!r} ({type(layer).__name__}); supported: "
                            f"{names} (not subclasses with their own forward), inside nn.Sequential")
        if isinstance(layer, BATCH_NORM):
            if not steps or not isinstance(steps[-1], _Affine):
                before = type(steps[-1]).__name__ if steps else "nothing"
                raise ValueError(f"lrp folds a {type(layer).__name__} into the Linear or Conv2d just before it, "
                                 f"but it comes after {before}")
            steps[-1].fold(layer)
        else:
            steps.append(_Affine(layer) if isinstance(layer, (nn.Linear, nn.Conv2d)) else layer)
    return steps


def _forward(steps, x):
    """The input of every step and the output, as arrays: [a_0 = x, a_1, ..., y]."""
    inputs = [x]
    for step in steps:
        inputs.append(step(Tensor._make(inputs[-1]))._data)
    return inputs


def _output_relevance(output, targets):
    """R at the output: y_c at each example's target class c, 0 elsewhere."""
    xp = backend.array_module(output)
    relevance = xp.zeros_like(output)
    rows = xp.arange(output.shape[0])
    targets = xp.asarray(targets)
    relevance[rows, targets] = output[rows, targets]
    return relevance


def _relevance(step, a, relevance, rule, epsilon, alpha, beta):
    """R at the input ``a`` of one step from R at its output."""
    if isinstance(step, _Affine):
        if rule == "epsilon":
            return _redistribute(step, [a], relevance, epsilon)
        return _alpha_beta(step, a, relevance, alpha, beta)
    if isinstance(step, POOLING):
        return _redistribute(step, [a], relevance, epsilon)
    return relevance.reshape(a.shape)  # element-wise activations, Dropout, Identity, Flatten


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

    result = alpha * _redistribute(positive, [a_pos, a_neg], relevance)
    if beta:
        result = result - beta * _redistribute(negative, [a_pos, a_neg], relevance)
    return result


def _redistribute(function, inputs, relevance, epsilon=0.0):
    """The gradient trick: z = function(*inputs); s = R / (z + eps sign z) (0 where that is 0);
    c = d(sum_j z_j s_j) / d a for each input a; R_in = sum over the inputs of a * c."""
    leaves = [Tensor._make(a, requires_grad=True) for a in inputs]
    with enable_grad():
        z = function(*leaves)
    xp = backend.array_module(z._data)
    denominator = z._data + epsilon * xp.sign(z._data)
    safe = xp.where(denominator == 0, 1, denominator)
    s = xp.where(denominator == 0, 0, relevance / safe)
    (z * Tensor._make(s)).sum().backward()
    return sum(a * leaf.grad._data for a, leaf in zip(inputs, leaves))
