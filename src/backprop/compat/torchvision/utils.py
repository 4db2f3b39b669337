"""``torchvision.utils``: ``make_grid`` (images tiled into one) and ``save_image`` (that grid as a PNG, Pillow).

make_grid, as torchvision documents it: a batch (B, C, H, W) (or a list of
(C, H, W) images, or one image) becomes one image (C, (H + p) rows + p,
(W + p) cols + p) holding ``nrow`` images per row, each framed by ``padding``
pixels of ``pad_value``; one-channel images are repeated to three channels.
With ``normalize=True`` the values are shifted and scaled to [0, 1] by
(x - low) / max(high - low, 1e-5), low and high the minimum and maximum (of
the whole batch, or of each image with ``scale_each``, or ``value_range``,
after clamping to it). A batch of one image is returned without a frame.
The grid is a new tensor outside the graph (no gradient flows through it).
"""
import math

import numpy

from backprop import creation
from backprop.tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _images(tensor):
    if isinstance(tensor, (list, tuple)):
        return numpy.stack([_images(t) for t in tensor])
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    return numpy.array(tensor.detach().cpu().numpy(), copy=True)


def _normalize(images, value_range):
    low, high = value_range if value_range is not None else (images.min(), images.max())
    images = numpy.clip(images, low, high)
    return (images - low) / max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch of images into one image, ``nrow`` per row (see the module docstring)."""
    images = _images(tensor)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = (numpy.concatenate([images] * 3) if images.shape[0] == 1 else images)[None]
    if images.ndim != 4:
        raise ValueError(f"make_grid expects images (B, C, H, W), (C, H, W) or (H, W), got shape {images.shape}")
    if images.shape[1] == 1:
        images = numpy.concatenate([images] * 3, axis=1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        images = images.astype(numpy.result_type(images.dtype, numpy.float32))
        if scale_each:
            images = numpy.stack([_normalize(image, value_range) for image in images])
        else:
            images = _normalize(images, value_range)
    if images.shape[0] == 1:
        return creation.from_numpy(numpy.ascontiguousarray(images[0]))
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    cell_h, cell_w = height + padding, width + padding
    grid = numpy.full((channels, cell_h * rows + padding, cell_w * columns + padding), pad_value, dtype=images.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + height, left:left + width] = images[k]
    return creation.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Write ``make_grid(tensor, **kwargs)`` as an image file (PNG unless ``format`` or the name says otherwise):
    pixel = clamp(255 x + 0.5, 0, 255) as uint8, values x in [0, 1]."""
    from PIL import Image

    grid = make_grid(tensor, **kwargs).numpy()
    pixels = numpy.clip(grid * 255 + 0.5, 0, 255).astype(numpy.uint8).transpose(1, 2, 0)
    if pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    Image.fromarray(pixels).save(fp, format=format)
