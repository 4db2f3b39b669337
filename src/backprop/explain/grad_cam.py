"""Grad-CAM (Selvaraju et al. 2017): where in the image a convolutional layer found the evidence for class c.

Let A^k (k = 1..K) be the feature maps (h x w) that a convolutional layer
outputs for one example, read with a forward hook. How much feature k
speaks for class c is its mean gradient (a global average pooling of the
gradient over the positions i, j):

    alpha_k^c = 1 / (h w) * sum_ij d y_c / d A^k_ij

and the class activation map keeps the features that raise y_c, weighted:

    L^c = ReLU(sum_k alpha_k^c A^k),

bilinearly upsampled from h x w to the input's H x W. The last convolutional
layer is the usual choice: its features are the most abstract ones that still
have a place in the image.
"""
import contextlib

from backprop import backend
from backprop.data.transforms import Resize
from backprop.explain._common import as_input, check_targets, class_scores, frozen
from backprop.nn.module import Module
from backprop.tensor import Tensor

__all__ = ["grad_cam"]


def grad_cam(model, x, target=None, *, layer=None):
    """The Grad-CAM map L^c = ReLU(sum_k alpha_k^c A^k), alpha_k^c = 1/(h w) sum_ij d y_c / d A^k_ij, of each
    image of x (N, C, H, W): an array (N, H, W) >= 0, bilinearly resized from the layer's h x w to the input's.

    ``layer`` is the sub-module whose 4-D output (N, K, h, w) gives the feature
    maps A^k: the module itself or its dotted name in ``model.named_modules()``
    (e.g. ``"features.3"``); None takes the last module, in the order the
    forward pass finishes them, whose output is 4-D. A layer called several
    times in one forward pass is read at its last call.

    >>> import backprop as bp
    >>> model = bp.nn.Sequential(bp.nn.Conv2d(1, 4, 3), bp.nn.ReLU(), bp.nn.Flatten(), bp.nn.Linear(4 * 6 * 6, 3))
    >>> maps = grad_cam(model, bp.randn(2, 1, 8, 8), target=0)
    >>> maps.shape, bool((maps >= 0).all())
    ((2, 8, 8), True)
    """
    x = as_input(x)
    if x.ndim != 4:
        raise ValueError(f"grad_cam explains images (N, C, H, W), got an input of shape {tuple(x.shape)}")
    chosen = None if layer is None else _layer_module(model, layer)
    with frozen(model), _recording(model, chosen) as calls:
        output = model(x)
        name, activations = _feature_maps(calls, chosen)
        activations.retain_grad()
        class_scores(output, check_targets(target, output._data)).sum().backward()
    if activations.grad is None:
        raise ValueError(f"grad_cam: the class scores do not depend on the output of layer {name!r} (at its last "
                         f"call); pass a layer on the way to the output")
    a, gradient = activations._data, activations.grad._data
    xp = backend.array_module(a)
    alpha = gradient.mean(axis=(2, 3), keepdims=True)  # alpha_k^c, (N, K, 1, 1)
    cam = xp.maximum((alpha * a).sum(axis=1), 0)  # L^c at the layer's h x w, (N, h, w)
    return backend.to_numpy(Resize(tuple(x.shape[2:])).apply(cam))  # bilinear on the last two axes


def _layer_module(model, layer):
    """``layer`` (a module of ``model`` or its dotted name) as (name, module)."""
    names = {id(module): name for name, module in model.named_modules()}
    if isinstance(layer, str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise ValueError(f"grad_cam: {type(model).__name__} has no layer named {layer!r}; "
                             f"its layers are {[n for n in modules if n]}")
        return layer, modules[layer]
    if not isinstance(layer, Module):
        raise TypeError(f"grad_cam: layer must be a sub-module, its name or None, got {type(layer).__name__}")
    if id(layer) not in names:
        raise ValueError(f"grad_cam: the layer {type(layer).__name__} is not a module of {type(model).__name__}")
    return names[id(layer)], layer


@contextlib.contextmanager
def _recording(model, chosen):
    """Forward hooks that append (name, output) to the yielded list at every call: of the ``chosen`` (name,
    module), or of every module when it is None (then only 4-D outputs); removed on exit."""
    calls = []
    with contextlib.ExitStack() as hooks:
        for name, module in [chosen] if chosen else model.named_modules():
            def hook(module, args, output, name=name):
                if chosen or (isinstance(output, Tensor) and output.ndim == 4):
                    calls.append((name, output))
            hooks.enter_context(module.register_forward_hook(hook))
        yield calls


def _feature_maps(calls, chosen):
    """(name, A): the chosen layer's output at its last call, checked to be (N, K, h, w)."""
    if not calls:
        if chosen is None:
            raise ValueError("grad_cam: no module of the model outputs a 4-D tensor (N, K, h, w) of feature maps")
        raise ValueError(f"grad_cam: the layer {chosen[0]!r} was not called in the model's forward pass")
    name, output = calls[-1]
    if not isinstance(output, Tensor) or output.ndim != 4:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        raise ValueError(f"grad_cam needs a layer whose output is 4-D (N, K, h, w) feature maps; "
                         f"layer {name!r} outputs {shape}")
    return name, output
