"""A heat map drawn over its image (matplotlib, off-screen).

The image is shown in grey; the map over it, half transparent. A signed map
(saliency, gradient x input, integrated gradients, LRP) gets a diverging
colormap centred at 0 with symmetric limits, so that red is evidence for the
class, blue against it and white nothing; a non-negative map (squared
saliency, Grad-CAM) a sequential one from 0 to its maximum.
"""
import numpy

from backprop import backend
from backprop.tensor import Tensor
from backprop.train import plots

__all__ = ["plot"]


def plot(image, heatmap, path=None, *, ax=None, alpha=0.5, cmap=None, colorbar=None, label=None):
    """Draw ``heatmap`` (H, W) over ``image`` ((C, H, W) or (H, W)).

    ``cmap`` None picks "bwr" (limits -m..m, m = max |map|) when the map has
    negative values, else "inferno" (0..m). With ``ax`` the map is drawn on that
    matplotlib axis; without, on a new figure. ``colorbar`` True draws a colour
    bar beside the map, labelled ``label`` (e.g. "relevance"); None draws one on
    a figure of its own only (a grid of maps passes ``ax`` and gets none).
    Returns the figure, or ``path`` after saving it there as a PNG (a figure
    ``plot`` made is then closed).
    """
    grey, heat = _grey(image), _array(heatmap).astype(numpy.float64)
    if heat.shape != grey.shape:
        raise ValueError(f"plot: expected a heat map of the image's shape {tuple(grey.shape)}, got {tuple(heat.shape)}")
    signed = heat.min() < 0
    limit = float(numpy.abs(heat).max()) or 1.0
    own = ax is None
    if own:
        _, ax = plots._pyplot().subplots(figsize=(4, 3.4))
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    shown = ax.imshow(heat, cmap=cmap or ("bwr" if signed else "inferno"), alpha=alpha,
                      vmin=-limit if signed else 0.0, vmax=limit)
    ax.axis("off")
    if colorbar or (colorbar is None and own):
        bar = ax.figure.colorbar(shown, ax=ax)
        if label:
            bar.set_label(label)
    if path is None:
        return ax.figure
    if own:
        return plots._save(ax.figure, path)
    ax.figure.savefig(path, dpi=100)
    return path


def _array(x):
    return backend.to_numpy(x._data if isinstance(x, Tensor) else x)


def _grey(image):
    """An image (C, H, W) or (H, W) as grey values (H, W) in [0, 1]; colour channels averaged."""
    array = _array(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"plot: expected an image (C, H, W) or (H, W), got shape {tuple(array.shape)}")
    scaled = plots._image(array)  # (H, W) or (H, W, 3), scaled to [0, 1]
    return scaled.mean(axis=-1) if scaled.ndim == 3 else scaled
