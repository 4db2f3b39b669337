"""Counting a network's free weights and its links (connections), as LeCun 1989 tabulates them."""
import math

from backprop import autograd, creation, dtypes, nn

__all__ = ["count_links", "count_parameters"]


def count_parameters(model):
    """Free weights: the number of scalars in the parameters that require grad (a shared one once).

    >>> count_parameters(nn.Linear(256, 10))
    2570
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _fan_in(module):
    """Incoming weights of one output unit of a layer that links units, or None for any other module."""
    if isinstance(module, nn.Linear):
        return module.in_features
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):  # UntiedBiasConv2d too
        return module.in_channels // module.groups * math.prod(module.kernel_size)
    if isinstance(module, nn.LocallyConnected2d):
        return module.in_channels * math.prod(module.kernel_size)
    return None


def count_links(model, input_shape):
    """Links: for every unit of every Linear, Conv1d, Conv2d, LocallyConnected2d and
    UntiedBiasConv2d layer, its incoming weights (those that reach zero padding
    included) plus one for its bias. Found by running one zero input of
    ``(1, *input_shape)`` through ``model`` in eval mode and counting each layer's
    output units: links = sum over layers of units (fan_in + has_bias). A shared
    weight counts once per link it makes, so links >= free weights.

    Any other module with parameters of its own (BatchNorm, LSTM, Embedding, ...)
    raises TypeError: a link is not defined for it.

    >>> count_links(nn.Conv2d(1, 2, 3, padding=1), (1, 16, 16))  # 2 x 16 x 16 units, 9 weights + bias
    5120
    """
    modules = list(model.modules())
    unsupported = sorted({type(m).__name__ for m in modules
                          if _fan_in(m) is None and any(p is not None for p in m._parameters.values())})
    if unsupported:
        raise TypeError(f"count_links counts Linear, Conv1d, Conv2d, LocallyConnected2d and UntiedBiasConv2d "
                        f"layers; the model has parameters in {', '.join(unsupported)}")
    param = next(model.parameters(), None)
    dtype, device = (param.dtype, param.device) if param is not None else (dtypes.float32, "cpu")
    links = []
    saved = [(m, m.training, m.__dict__.get("forward")) for m in modules]
    for module in modules:
        if _fan_in(module) is not None:
            object.__setattr__(module, "forward", _counting(module, links))  # an instance attribute, undone below
    try:
        model.eval()
        with autograd.no_grad():
            model(creation.zeros(1, *input_shape, dtype=dtype, device=device))
    finally:
        for module, training, forward in saved:
            module.__dict__.pop("forward", None)
            if forward is not None:
                object.__setattr__(module, "forward", forward)
            object.__setattr__(module, "training", training)
    return sum(links)


def _counting(module, links):
    """``module.forward`` that also appends the layer's links to ``links``."""
    forward = module.forward
    per_unit = _fan_in(module) + (module.bias is not None)

    def counted(*args, **kwargs):
        output = forward(*args, **kwargs)
        links.append(output.numel() * per_unit)
        return output
    return counted
