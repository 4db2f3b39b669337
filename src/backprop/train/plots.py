"""Figures of a training run (matplotlib, drawn off-screen with the Agg backend, saved as PNG)."""
import math

import numpy

__all__ = ["learning_curves", "confusion_matrix", "prediction_grid", "filters", "label_prediction"]


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install matplotlib (or 'backprop[plots]')") from error
    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    _pyplot().close(figure)
    return path


def learning_curves(history, path, title=None):
    """Loss (and accuracy, when there is one) per epoch, training and validation; ``title`` above both panels
    (``backprop train`` gives "cnn on digits"). Epochs are whole numbers, and so are the ticks of their axis."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    panels = [key for key in ("loss", "accuracy") if any(key in row for row in history)]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False)
    epochs = [row["epoch"] for row in history]
    for axis, key in zip(axes[0], panels):
        for prefix, label in (("", "training"), ("val_", "validation")):
            values = [row.get(prefix + key, math.nan) for row in history]
            if not all(math.isnan(v) for v in values):
                axis.plot(epochs, values, marker="o", markersize=3, label=label)
        axis.set_title(key.capitalize())
        axis.set_xlabel("epoch")
        axis.set_ylabel(key)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # one epoch: one tick
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:  # a run whose values are all NaN has no curve to name
            axis.legend()
    figure.suptitle(f"Learning curves: {title}" if title else "Learning curves")
    return _save(figure, path)


def confusion_matrix(matrix, classes, path, title=None):
    """Counts of (true class, predicted class), the diagonal being the correct ones; ``title`` names the run."""
    plt = _pyplot()
    k = len(classes)
    figure, axis = plt.subplots(figsize=(1 + 0.5 * k, 1 + 0.45 * k))
    axis.imshow(matrix, cmap="Blues")
    for (t, p), count in numpy.ndenumerate(matrix):
        if count:
            axis.text(p, t, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > matrix.max() / 2 else "black")
    axis.set_xticks(range(k), [str(c) for c in classes], rotation=90 if k > 10 else 0)
    axis.set_yticks(range(k), [str(c) for c in classes])
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(f"Confusion matrix: {title}" if title else "Confusion matrix")
    return _save(figure, path)


def _image(array):
    """(C, H, W) -> something imshow draws: (H, W) grey or (H, W, 3) colour, scaled to [0, 1]."""
    array = numpy.asarray(array, dtype=numpy.float64)
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else numpy.moveaxis(array[:3], 0, -1)
    low, high = array.min(), array.max()
    return (array - low) / (high - low) if high > low else numpy.zeros_like(array)


def prediction_grid(images, target, predicted, confidence, classes, path, columns=8):
    """Test images with their predicted class and confidence; wrong predictions in red, with the true class."""
    plt = _pyplot()
    n = len(images)
    rows = max(1, math.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= n:
            continue
        axis.imshow(_image(images[index]), cmap="gray")
        label_prediction(axis, classes, predicted[index], confidence[index], target[index])
    return _save(figure, path)


def label_prediction(axis, classes, predicted, confidence, target):
    """Title an image's axis with its predicted class and confidence; a wrong one in red, with the true class."""
    title = f"{classes[predicted]} {confidence:.0%}"
    right = predicted == target
    axis.set_title(title if right else f"{title} (is {classes[target]})", fontsize=8,
                   color="black" if right else "red")


def filters(weight, path, input_shape=None, columns=8):
    """The first layer's filters: a Conv weight (O, C, kH, kW), or a Linear weight (O, C*H*W) seen as images."""
    plt = _pyplot()
    weight = numpy.asarray(weight)
    if weight.ndim == 2:
        if input_shape is None or math.prod(input_shape) != weight.shape[1]:
            raise ValueError(f"filters(): a Linear weight {tuple(weight.shape)} needs the input_shape whose size is "
                             f"{weight.shape[1]}, got {input_shape}")
        weight = weight.reshape(weight.shape[0], *input_shape)
    if weight.ndim != 4:
        raise ValueError(f"filters(): expected a Conv (O, C, kH, kW) or Linear weight, got shape {tuple(weight.shape)}")
    n = min(len(weight), 64)
    rows = max(1, math.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.1 * columns, 1.1 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < n:
            axis.imshow(_image(weight[index]), cmap="gray")
    return _save(figure, path)
