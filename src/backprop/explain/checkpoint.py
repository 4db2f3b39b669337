"""``backprop explain CHECKPOINT IMAGE``: a heat map of what a trained model looks at in one image file."""
import os

import numpy

from backprop import autograd, creation
from backprop.explain.grad_cam import grad_cam
from backprop.explain.gradients import gradient_x_input, integrated_gradients, saliency
from backprop.explain.lrp import RULES, lrp

__all__ = ["LABELS", "METHODS", "RULES", "explain_image"]

FUNCTIONS = {"lrp": lrp, "saliency": saliency, "gradient_x_input": gradient_x_input,
             "integrated_gradients": integrated_gradients, "grad_cam": grad_cam}
METHODS = tuple(FUNCTIONS)


# what each method's map measures, the label of its colour bar
LABELS = {"lrp": "relevance", "saliency": "gradient dy/dx", "gradient_x_input": "gradient x input",
          "integrated_gradients": "integrated gradients", "grad_cam": "Grad-CAM"}


def _explain(method, model, x, target, rule):
    if method == "lrp":
        return lrp(model, x, target, rule=rule)
    return FUNCTIONS[method](model, x, target)


def _heat_map(method, model, x, target, rule, name):
    """The method's map; a method that cannot explain this model (a TypeError or ValueError of the method) is
    refused in one line naming the methods that can (each tried on the same input)."""
    try:
        return _explain(method, model, x, target, rule)
    except (TypeError, ValueError) as error:
        working = [other for other in METHODS if other != method and _works(other, model, x, target, rule)]
        reason = " ".join(str(error).split())  # one line, even where a layer's repr has several
        raise ValueError(f"--method {method} cannot explain the model {name!r} ({reason}); methods that work "
                         f"for it: {', '.join(working) or 'none'}") from error


def _works(method, model, x, target, rule):
    try:
        _explain(method, model, x, target, rule)
    except (TypeError, ValueError):
        return False
    return True


def explain_image(checkpoint, image, method="lrp", *, rule="epsilon", target=None, out=None, invert=None):
    """Explain the class score y_c of a checkpoint's model on an image file; write the heat map next to the image.

    ``target`` None explains the predicted class. Returns a dict with the PNG's ``path``, the ``predicted`` class,
    its ``confidence`` (softmax probability), the explained ``target`` and the map itself (``heat_map``, (H, W)).
    """
    from backprop.train import metrics, plots, run
    from backprop.explain.plotting import plot

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if rule not in RULES:
        raise ValueError(f"unknown LRP rule {rule!r}; known: {', '.join(RULES)}")
    model, config, info = run.load_model(checkpoint)
    run.require_images(info, "explain draws a heat map over an image")
    if target is not None and not 0 <= target < info.num_classes:
        raise ValueError(f"--target must be a class index in [0, {info.num_classes}), got {target}")
    pixels = run.load_image(image, info.input_shape, invert, dataset=info.name)
    x = creation.from_numpy(numpy.ascontiguousarray(run.normalizer(config)(pixels)[None], dtype=numpy.float32))
    with autograd.no_grad():
        probabilities = metrics.probabilities(model(x).numpy())[0]
    predicted = int(probabilities.argmax())
    explained = predicted if target is None else int(target)
    heat = _heat_map(method, model, x, explained, rule, config["model"])[0]
    path = out or f"{os.path.splitext(image)[0]}-{method}.png"
    figure, axes = plots._pyplot().subplots(1, 2, figsize=(7.6, 3.4))
    axes[0].imshow(plots._image(pixels), cmap="gray")
    axes[0].set_title(f"predicted {info.classes[predicted]} ({probabilities[predicted]:.1%})", fontsize=10)
    axes[0].axis("off")
    plot(pixels, heat, ax=axes[1], colorbar=True, label=LABELS[method])
    name = f"{method} ({rule})" if method == "lrp" else method
    axes[1].set_title(f"{name} for class {info.classes[explained]}", fontsize=10)
    plots._save(figure, path)
    return {"path": path, "predicted": info.classes[predicted], "confidence": float(probabilities[predicted]),
            "target": info.classes[explained], "heat_map": heat}
