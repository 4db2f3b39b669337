"""Transfer learning: keep what a trained network learnt, retrain only its last layer for a new task.

A network trained on a large task (digits, ImageNet) has, below its last
layer, a representation phi(x) that is useful beyond that task. For a new
task with K classes and little data, replace the last layer by a fresh
Linear and train only it, the rest inherited and frozen:

    y = V phi(x) + c        phi fixed (requires_grad=False), only V, c learnt

which is logistic regression on the learnt features: few parameters, so few
examples suffice. Unfreezing later lets the whole network be fine-tuned,
usually with a smaller learning rate.

Freezing stops the gradient, not the layer: batch normalisation still
updates its running statistics in training mode (call ``.eval()`` on the
frozen part to keep them), and dropout still drops.
"""
from backprop import nn
from backprop.checks import check_int

__all__ = ["freeze", "unfreeze", "replace_last_layer"]


def _check_module(module, owner):
    if not isinstance(module, nn.Module):
        raise TypeError(f"{owner}: expected an nn.Module, got {type(module).__name__}")


def freeze(module):
    """requires_grad = False on every parameter of ``module`` (and its gradient cleared); returns ``module``.

    A frozen parameter gets no gradient, so an optimiser step leaves it as
    it is, even one that holds it. The gradient is cleared because a stale
    one would still be applied.

    >>> layer = freeze(nn.Linear(3, 2))
    >>> [p.requires_grad for p in layer.parameters()]
    [False, False]
    """
    _check_module(module, "freeze")
    for parameter in module.parameters():
        parameter.requires_grad_(False)
        parameter.grad = None
    return module


def unfreeze(module):
    """requires_grad = True on every parameter of ``module``; returns ``module``.

    >>> [p.requires_grad for p in unfreeze(freeze(nn.Linear(3, 2))).parameters()]
    [True, True]
    """
    _check_module(module, "unfreeze")
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module


def _last_linear(model):
    """(parent module, its name in the parent, layer) of the last nn.Linear in ``model.modules()`` order."""
    path = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            path = name
    if path is None:
        raise ValueError(f"replace_last_layer: {type(model).__name__} has no nn.Linear layer to replace")
    if path == "":
        raise ValueError("replace_last_layer: the model is itself a Linear; there is nothing to keep, "
                         "build a new nn.Linear instead")
    *parents, name = path.split(".")
    parent = model
    for part in parents:
        parent = parent._modules[part]
    return parent, name, parent._modules[name]


def replace_last_layer(model, num_classes, freeze_rest=True):
    """Replace the last nn.Linear of ``model`` by a fresh Linear(in_features, num_classes) (same bias choice,
    dtype and device); with ``freeze_rest`` freeze every other parameter. Returns ``model`` (changed in place).

    "Last" is the last nn.Linear in registration order (``model.modules()``),
    which for the zoo's networks and any Sequential is the output layer.

    >>> import backprop as bp
    >>> net = replace_last_layer(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 10)), 3)
    >>> net(bp.zeros(2, 4)).shape, [name for name, p in net.named_parameters() if p.requires_grad]
    (backprop.Size([2, 3]), ['2.weight', '2.bias'])
    """
    _check_module(model, "replace_last_layer")
    num_classes = check_int("replace_last_layer: num_classes", num_classes, at_least=1)
    parent, name, old = _last_linear(model)
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None, dtype=old.weight.dtype,
                    device=old.weight.device)
    if freeze_rest:
        freeze(model)
    setattr(parent, name, new)
    return model
