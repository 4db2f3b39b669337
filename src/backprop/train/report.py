"""``report.md``: what was trained, how it went, and how it does on the test set, with its figures."""
import json
import os

import numpy

from backprop import backend
from backprop.nn.utils import evaluating
from backprop.train import metrics, plots

__all__ = ["test_results", "write_report"]


def test_results(model, loss_fn, loader, device=None, keep_images=32):
    """One pass over ``loader`` in eval mode: loss, accuracy, every prediction and the first images."""
    loss, outputs, targets, images = metrics.RunningMean(), [], [], []
    with evaluating(model):
        for inputs, target in loader:
            if device is not None:
                inputs, target = inputs.to(device=device), target.to(device=device)
            output = model(inputs)
            loss.update(loss_fn(output, target).item(), target.shape[0])
            outputs.append(backend.to_numpy(output._data))
            targets.append(backend.to_numpy(target._data))
            if sum(len(i) for i in images) < keep_images:
                images.append(backend.to_numpy(inputs._data))
    outputs, targets = numpy.concatenate(outputs), numpy.concatenate(targets)
    predicted = metrics.predictions(outputs)
    return {"loss": loss.value, "accuracy": float((predicted == targets).mean()), "outputs": outputs,
            "targets": targets, "predicted": predicted, "images": numpy.concatenate(images)[:keep_images]}


def _first_weight(trainer):
    """(name, array) of the first 2-D or 4-D weight, named as in the checkpoint (a distributed run's bare model)."""
    for name, tensor in trainer.model_state_dict().items():
        if name.endswith("weight") and tensor.ndim in (2, 4):
            return name, backend.to_numpy(tensor._data)
    return None, None


def write_report(trainer, test_loader, classes, input_shape=None, title="Training run"):
    """Figures and ``report.md`` in ``trainer.out_dir``; returns the test loss and accuracy. ``input_shape`` of
    one axis (feature vectors): learning curves and confusion matrix only, no images of predictions or filters."""
    out = trainer.out_dir
    os.makedirs(out, exist_ok=True)
    results = test_results(trainer.model, trainer.loss_fn, test_loader, trainer.device)
    matrix = metrics.confusion_matrix(results["predicted"], results["targets"], len(classes))
    try:
        plots._pyplot()
    except ImportError:  # a plain install: the report without figures, saying how to get them
        figures = None
    else:
        figures = {"learning_curves.png": "Learning curves"}
        plots.learning_curves(trainer.history, os.path.join(out, "learning_curves.png"), title)
        plots.confusion_matrix(matrix, classes, os.path.join(out, "confusion_matrix.png"), f"{title} (test set)")
        figures["confusion_matrix.png"] = "Confusion matrix (test set)"
        if input_shape is None or len(input_shape) == 3:  # images (feature vectors get neither figure)
            figures.update(_image_figures(trainer, results, classes, input_shape))
    summary = {"test_loss": results["loss"], "test_accuracy": results["accuracy"], "epochs": trainer.epoch,
               "confusion_matrix": matrix.tolist()}
    with open(os.path.join(out, "test.json"), "w") as handle:
        json.dump(summary, handle, indent=1)
    _write_markdown(out, title, trainer, summary, figures)
    return summary


def _image_figures(trainer, results, classes, input_shape):
    """The figures of a run on images: test images with their predictions, and the first layer's filters."""
    out, figures = trainer.out_dir, {}
    n = len(results["images"])
    confidence = metrics.probabilities(results["outputs"][:n]).max(axis=1)
    plots.prediction_grid(results["images"], results["targets"][:n], results["predicted"][:n], confidence, classes,
                          os.path.join(out, "predictions.png"))
    figures["predictions.png"] = "Test images with the predicted class and its probability (wrong in red)"
    name, weight = _first_weight(trainer)
    if weight is not None and (weight.ndim == 4 or input_shape is not None):
        try:
            plots.filters(weight, os.path.join(out, "filters.png"), input_shape)
            figures["filters.png"] = f"First layer's filters (`{name}`)"
        except ValueError:
            pass
    return figures


def _write_markdown(out, title, trainer, summary, figures):
    lines = [f"# {title}", ""]
    if trainer.config:
        lines += ["| setting | value |", "|---|---|"]
        lines += [f"| {key} | `{value}` |" for key, value in trainer.config.items()]
        lines.append("")
    lines += [f"**Test accuracy {summary['test_accuracy']:.2%}**, test loss {summary['test_loss']:.4f}, "
              f"after {summary['epochs']} epoch{'' if summary['epochs'] == 1 else 's'} ({trainer.step} steps).", ""]
    if trainer.history:
        keys = [k for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time")
                if k in trainer.history[-1]]
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for row in trainer.history:
            lines.append("| " + " | ".join(_cell(k, row.get(k)) for k in keys) + " |")
        lines.append("")
    if figures is None:
        lines += ["No figures: they need matplotlib (`pip install matplotlib`, or `pip install 'backprop[plots]'`).", ""]
    for file, caption in (figures or {}).items():
        lines += [f"![{caption}]({file})", "", f"*{caption}*", ""]
    with open(os.path.join(out, "report.md"), "w") as handle:
        handle.write("\n".join(lines))


def _cell(key, value):
    if value is None:
        return ""
    if "accuracy" in key:
        return f"{value:.2%}"
    if key == "time":
        return f"{value:.1f} s"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
