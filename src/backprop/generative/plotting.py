"""Generated images side by side, as one grey mosaic (matplotlib, off-screen, saved as PNG)."""
import math

import numpy

from backprop import backend
from backprop.checks import check_int
from backprop.tensor import Tensor
from backprop.train import plots

__all__ = ["sample_grid"]


def sample_grid(images, path, columns=8, title=None):
    """Draw ``images`` in rows of ``columns``, grey from 0 (black) to 1 (white), and save the PNG at ``path``.

    ``images``: (N, D) vectors with D a square (64 -> 8x8), (N, H, W), or
    (N, 1, H, W); a Tensor or an array. Returns ``path``.
    """
    tiles = _tiles(images)
    columns = min(check_int("sample_grid: columns", columns, at_least=1), len(tiles))
    rows = math.ceil(len(tiles) / columns)
    height, width = tiles.shape[1:]
    mosaic = numpy.full((rows * (height + 1) + 1, columns * (width + 1) + 1), 0.5)  # 1-pixel grey borders
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        top, left = 1 + row * (height + 1), 1 + column * (width + 1)
        mosaic[top:top + height, left:left + width] = tile
    figure, axis = plots._pyplot().subplots(figsize=(0.4 + 0.12 * mosaic.shape[1], 0.4 + 0.12 * mosaic.shape[0]))
    axis.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axis.axis("off")
    if title:
        axis.set_title(title, fontsize=9)
    return plots._save(figure, path)


def _tiles(images):
    """``images`` as a float array (N, H, W) clipped to [0, 1]."""
    array = backend.to_numpy(images._data if isinstance(images, Tensor) else numpy.asarray(images))
    array = numpy.clip(array.astype(numpy.float64), 0, 1)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    elif array.ndim == 2:
        side = math.isqrt(array.shape[1])
        if side * side != array.shape[1]:
            raise ValueError(f"sample_grid: vectors of {array.shape[1]} values are not square images; "
                             f"reshape them to (N, H, W) first")
        array = array.reshape(len(array), side, side)
    if array.ndim != 3 or len(array) == 0:
        raise ValueError(f"sample_grid: expected a non-empty batch (N, D), (N, H, W) or (N, 1, H, W), "
                         f"got shape {tuple(array.shape)}")
    return array
