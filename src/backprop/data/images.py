"""Image files as people have them, turned into the (C, H, W) arrays in [0, 1] that a trained model expects.

``load_image`` is what ``backprop predict`` and ``backprop explain`` use to
read the user's own files. It takes what phones, paint programs and scanners
write, not only the 8-bit greyscale PNGs that the datasets come from:

- **transparency** (RGBA, LA, a palette or greyscale with a transparent
  entry): the image is laid on a background chosen from what is visible.
  The visible pixels (weighted by their opacity) are the drawing: when they
  are dark on average (ink), the background is white paper; when they are
  light (chalk), it is black. A dark digit on a transparent PNG is then a
  dark digit on white, as its author sees it in a viewer.
- **palette, 16-bit, CMYK** images are read at their full precision
  ("I;16" and "I" as 0..65535) and turned into grey or RGB.
- **EXIF orientation**: a phone photo is turned upright first.
- **large images**: a JPEG is decoded at 1/2, 1/4 or 1/8 of its size by
  the decoder itself (its longer side still at least ``WORK`` pixels), other
  formats are shrunk by block averages right after decoding, so a
  6000x4000 photo costs a fraction of a second and little memory. More than
  ``MAX_PIXELS`` pixels (a decompression bomb, or a scan that would take
  gigabytes) is refused in one line before anything is decoded.
- a file that is not an image is a ``ValueError`` naming it.

**Ink on paper.** The digit and clothing datasets are light on a dark
ground. For a 1-channel model, ``invert=None`` inverts an image whose
background is light: the median of its border pixels (the ink or the
object rarely covers most of the border) above one half. ``invert=True``
or ``False`` forces it. Colour (CIFAR-like) images are never inverted unless
asked: a bright photo is not ink on paper.

**Normalised as the training data was** (``normalise``): a digit drawn in
a large canvas, off-centre or with a thin pen looks nothing like a dataset
digit once merely resized. The digit datasets were made by fixed recipes,
and redoing them on the user's drawing puts it where the model learnt:

- ``"mnist"`` (1x28x28): MNIST's recipe. The ink (pixels above half the
  range between the background and the strongest ink) is cropped to its
  bounding box, scaled so that the box's longer side is 20 pixels keeping
  its aspect ratio (anti-aliased, so the edges are grey), and placed in a
  28x28 frame so that its centre of mass lies at the frame's centre (13.5,
  13.5), within half a pixel (the shift is whole pixels, so the box stays 20
  pixels and the anti-aliasing sharp).
- ``"digits"`` (1x8x8, UCI's optdigits): NIST's normaliser made 32x32
  binary bitmaps in which the character fills the height (32 pixels) and
  about 20 pixels of the width (in the stored data every digit spans all 8
  rows, and mostly columns 1 to 6, which is 20 pixels centred at 4 pixels a
  column; the digit 0 is 19.5 +- 1.4 pixels wide, whatever its writer's
  proportions); 4x4 blocks are then counted to give 8x8 values 0..16. The
  same is done here: box, height 32, width 20 (a narrow character such as
  a "1" is widened at most twice as much as it is heightened, else a bar
  would come out), binary at one half, its centre of mass in the middle
  column (the data's is at 3.57 +- 0.30 blocks, the middle being 3.5),
  counted in 4x4 blocks, divided by 16.
- ``"fashion_mnist"``: Fashion-MNIST's recipe (Zalando): the background is
  trimmed, the longer side scaled to 28 pixels, the product centred.
- ``False`` (or ``"none"``): resize the whole image to the input size.
- ``None`` (the default): the recipe of ``dataset`` (the name of the
  dataset the model was trained on: ``"cifar10"`` and the others without
  a recipe get none); without ``dataset``, ``"mnist"`` for a 1x28x28 input,
  ``"digits"`` for a 1x8x8 one, nothing for anything else (the shape alone
  cannot tell MNIST from Fashion-MNIST: pass ``dataset``). Nothing either
  when the file is already of the input size: it is then taken to be in
  the dataset's format, like the dataset's own images saved as PNG.
- ``True``: that recipe even for a file of the input size.

**Thin strokes.** A line drawn with a 1-pixel pen in a 300-pixel canvas
would come out a faint hair a tenth of a pixel wide, which the model never
saw. The stroke width w is estimated as 2 x area / perimeter of the ink
(exact for a long band: area w L, perimeter 2 L + 2 w), and a thinner
drawing is dilated by a disc (a round pen) until w is ``STROKE`` times the
digit's size (its box's longer side for MNIST, its height for UCI):

- UCI: 0.146, the median of 2 area / perimeter over the training digits
  (each 8x8 image blown up to its 32x32 bitmap, bicubic, cut at one half):
  4.7 pixels of 32.
- MNIST: 0.115, 2.3 pixels of 20 (MNIST's strokes are usually quoted as 2
  to 3 pixels). UCI digits drawn with their own strokes (0.146) come out of
  the MNIST recipe with a mean pixel of 0.166, MNIST's is 0.1307, and the
  ink is about proportional to the stroke width: 0.146 x 0.1307 / 0.166.

Thicker strokes are left as they are: both datasets have bold digits. The
grey levels then come from the anti-aliasing of the scaling, as in the
datasets, and the largest value is 1: a drawing in pale pencil has as much
ink as a dataset digit. A dilation is preferred to a contrast stretch alone
because a hair scaled down is faint *and* thin; stretching its grey values
would give a bright thin line, still not a pen stroke.

**Dust.** Ink at an edge of the drawing, cut off from the rest by empty
rows or columns (at least a tenth of the rest's extent) and holding less
than ``SPECK`` (5%) of the ink, is dropped before the bounding box is
taken: a speck or a stray dot would otherwise shrink the digit to make room
for it. A detached part of a digit (the bar of a 5, a stroke of a 4) holds
far more, and a bit of stroke where the pen skipped lies nearer.

Not done: uneven lighting in photos (the threshold is global), dust that
touches the digit or lies within its box, and several digits in one image.
"""
import math
import os
import warnings

import numpy

__all__ = ["MAX_PIXELS", "STROKE", "STYLES", "WORK", "load_image"]

MAX_PIXELS = 120_000_000   # above a 108-megapixel phone photo, the largest image a user is likely to have
WORK = 1024                # large images are decoded or shrunk to about this many pixels on their longer side
STROKE = {"mnist": 0.115, "digits": 0.146}   # stroke width / digit size (see the module's documentation)
STYLES = {"mnist": (1, 28, 28), "digits": (1, 8, 8), "fashion_mnist": (1, 28, 28)}
SPECK = 0.05               # ink apart from the rest at an edge, under this share of it, is dust (_without_specks)
_BY_SHAPE = {(1, 28, 28): "mnist", (1, 8, 8): "digits"}
_LUMA = numpy.array([0.299, 0.587, 0.114], numpy.float32)   # ITU-R 601, as Pillow's "L"
_EXPECTED = "expected a PNG, JPEG, GIF, BMP, TIFF or WebP image"


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError as error:
        raise ImportError("predict needs Pillow to read images: pip install Pillow (or 'backprop[images]')") \
            from error
    return Image, ImageOps


def load_image(path, input_shape, invert=None, normalise=None, dataset=None):
    """An image file as a float32 (C, H, W) array in [0, 1] for a model whose input is ``input_shape``.

    Transparency, palettes, 16-bit, CMYK, EXIF orientation and large images are
    handled; ``invert`` (None: when the background is light, 1-channel only)
    and ``normalise`` (None: the recipe of ``dataset``, the name of the
    training set, or without it of the digit datasets for 1x28x28 and 1x8x8
    inputs, when the file is not already of that size) are described in the
    module's documentation. A file that is not an image, or one of more than
    ``MAX_PIXELS`` pixels, is a ``ValueError`` of one line naming it.
    """
    channels, height, width = (int(n) for n in input_shape)
    if channels not in (1, 3):
        raise ValueError(f"load_image reads images of 1 or 3 channels, not {channels} (input shape "
                         f"{tuple(input_shape)})")
    image = _open(path)
    recipe = _recipe(normalise, (channels, height, width), image.size, dataset)
    colour, alpha = _pixels(image)
    colour = _composite(colour, alpha)
    if channels == 1:
        grey = colour[..., 0] if colour.shape[-1] == 1 else colour @ _LUMA
        if invert or (invert is None and _background(grey) > 0.5):
            grey = 1.0 - grey
        if recipe == "mnist":
            array = _mnist(_ink(grey))
        elif recipe == "digits":
            array = _digits(_ink(grey))
        elif recipe == "fashion_mnist":
            array = _fashion(grey, height, width)
        else:
            array = _resize(grey, (width, height))
        return numpy.clip(array, 0.0, 1.0, dtype=numpy.float32)[None]
    if colour.shape[-1] == 1:
        colour = numpy.repeat(colour, 3, axis=-1)
    if invert:
        colour = 1.0 - colour
    planes = [_resize(colour[..., c], (width, height)) for c in range(3)]
    return numpy.clip(numpy.stack(planes), 0.0, 1.0, dtype=numpy.float32)


def _recipe(normalise, input_shape, size, dataset):
    """Which recipe (a STYLES key) or None, from the arguments, the input shape and the file's (width, height)."""
    if normalise is None or normalise is True:
        if dataset is None:
            own = _BY_SHAPE.get(input_shape)
        else:
            own = dataset if dataset in STYLES else None
        if normalise is True and own is None:
            of = "" if dataset is None else f" of {dataset}"
            raise ValueError(f"normalise=True needs MNIST, Fashion-MNIST or the 8x8 digits, got {input_shape} "
                             f"images{of}")
        if normalise is None and size == (input_shape[2], input_shape[1]):
            return None
        normalise = own
    if normalise is None or normalise is False or normalise == "none":
        return None
    if normalise not in STYLES:
        raise ValueError(f"normalise must be None, True, False or one of {', '.join(STYLES)}, got {normalise!r}")
    if STYLES[normalise] != input_shape:
        raise ValueError(f"normalise={normalise!r} makes {STYLES[normalise]} images, but the input is {input_shape}")
    return normalise


def _open(path):
    """The image at ``path`` decoded, upright, its longer side at most about 2 ``WORK`` (block-averaged)."""
    Image, ImageOps = _pillow()
    name = os.fspath(path)
    try:
        with warnings.catch_warnings():   # our own limit says it in one line; damaged metadata is no matter
            warnings.simplefilter("ignore")
            image = Image.open(name)
    except Image.UnidentifiedImageError:
        raise ValueError(f"{name!r} is not an image file ({_EXPECTED})") from None
    except Image.DecompressionBombError:
        raise ValueError(f"{name!r} is too large to read (more than {MAX_PIXELS:,} pixels)") from None
    with image:
        columns, rows = image.size
        if columns * rows > MAX_PIXELS:
            raise ValueError(f"{name!r} is too large to read: {columns}x{rows} pixels, at most {MAX_PIXELS:,}")
        if image.format == "JPEG" and max(image.size) > 2 * WORK:
            # the decoder scales by 1/2, 1/4 or 1/8 while it decodes, keeping at least the size asked
            shrink = WORK / max(image.size)
            image.draft(image.mode, (math.ceil(columns * shrink), math.ceil(rows * shrink)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                image.load()
        except (OSError, SyntaxError, ValueError) as error:   # truncated or corrupt data
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"{name!r} could not be read as an image ({reason})") from None
        try:
            with warnings.catch_warnings():   # Pillow warns of a damaged EXIF block; the pixels are good
                warnings.simplefilter("ignore")
                upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, KeyError, TypeError):
            upright = image.copy()
    factor = max(upright.size) // WORK
    if factor >= 2:
        upright = _averageable(upright).reduce(factor)
    return upright


def _averageable(image):
    """The image in a mode whose pixels can be averaged (a palette index or a 1-bit pixel cannot)."""
    if image.mode.startswith("I;16"):
        return image.convert("I")
    if image.mode in ("I", "F", "L", "LA", "RGB", "RGBA"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if "transparency" in image.info or image.mode.endswith("A") or image.mode.endswith("a"):
        return image.convert("RGBA")
    return image.convert("RGB")


def _pixels(image):
    """(values (H, W, 1 or 3) in [0, 1], opacity (H, W) in [0, 1] or None) of a decoded image."""
    if image.mode.startswith("I"):          # 16-bit greyscale: "I;16" as read, or "I" (older Pillow, reduce)
        return numpy.clip(numpy.asarray(image, numpy.float32) / 65535, 0, 1)[..., None], None
    if image.mode == "F":
        return numpy.clip(numpy.asarray(image, numpy.float32), 0, 1)[..., None], None
    if "transparency" in image.info or image.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        grey = image.mode in ("L", "LA", "La") or (image.mode in ("P", "PA") and _grey_palette(image))
        rgba = numpy.asarray(image.convert("RGBA"), numpy.float32) / 255
        return (rgba[..., :1] if grey else rgba[..., :3]), rgba[..., 3]
    if image.mode in ("1", "L") or (image.mode == "P" and _grey_palette(image)):
        return numpy.asarray(image.convert("L"), numpy.float32)[..., None] / 255, None
    return numpy.asarray(image.convert("RGB"), numpy.float32) / 255, None


def _grey_palette(image):
    palette = image.getpalette() or []
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))


def _composite(colour, alpha):
    """The image laid on white paper when its visible pixels are dark on average, on black when they are light."""
    if alpha is None:
        return colour
    luma = colour[..., 0] if colour.shape[-1] == 1 else colour @ _LUMA
    seen = alpha.sum()
    background = 1.0 if seen == 0 or (alpha * luma).sum() / seen < 0.5 else 0.0
    return alpha[..., None] * colour + (1.0 - alpha[..., None]) * background


def _background(grey):
    """The median of the border pixels: the background's level (a drawing rarely covers most of the border)."""
    border = numpy.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    return float(numpy.median(border))


def _resize(plane, size):
    """A 2-D float array resized to ``size`` = (width, height), anti-aliased (Pillow widens its filter to shrink)."""
    Image, _ = _pillow()
    if plane.shape == (size[1], size[0]):
        return plane.astype(numpy.float32)
    image = Image.fromarray(numpy.ascontiguousarray(plane, dtype=numpy.float32))
    return numpy.array(image.resize(size, Image.BILINEAR), dtype=numpy.float32)


def _ink(grey):
    """The strokes as a boolean mask: above half-way between the background and the brightest ink."""
    level, peak = _background(grey), float(grey.max())
    if peak - level < 1e-3:          # blank
        return numpy.zeros(grey.shape, bool)
    return grey > level + 0.5 * (peak - level)


def _without_specks(mask):
    """``mask`` less the bands of rows or columns at its ends that hold less than ``SPECK`` of the ink and are
    cut off from the rest by empty lines, at least a tenth of the rest's extent: dust or a stray dot would
    otherwise widen the bounding box (a piece of a stroke where the pen skipped is nearer)."""
    total = numpy.count_nonzero(mask)
    mask = mask.copy()
    for axis in (1, 0):                                    # bands of rows, then of columns
        profile = numpy.count_nonzero(mask, axis=axis)
        edges = numpy.flatnonzero(numpy.diff(numpy.concatenate([[0], (profile > 0).astype(int), [0]])))
        bands = [tuple(band) for band in edges.reshape(-1, 2)]   # (first, last + 1) of each run of inked lines
        while len(bands) > 1 and _dust(profile, total, bands[0], bands[1:]):
            _clear(mask, axis, bands.pop(0))
        while len(bands) > 1 and _dust(profile, total, bands[-1], bands[:-1]):
            _clear(mask, axis, bands.pop())
    return mask


def _dust(profile, total, band, rest):
    """Whether an end ``band`` holds under SPECK of the ``total`` ink, a tenth of the ``rest``'s extent away."""
    gap = max(rest[0][0] - band[1], band[0] - rest[-1][1])
    return profile[band[0]:band[1]].sum() < SPECK * total and gap >= 0.1 * (rest[-1][1] - rest[0][0])


def _clear(mask, axis, band):
    if axis == 1:
        mask[band[0]:band[1]] = False
    else:
        mask[:, band[0]:band[1]] = False


def _crop(mask):
    """``mask`` cut to the bounding box of its True pixels; None when it has none."""
    rows, columns = numpy.flatnonzero(mask.any(axis=1)), numpy.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return mask[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _or_pool(mask, longest):
    """Shrunk by a whole factor (any ink in a block makes the block ink) to a longer side in [longest, 2 longest)."""
    factor = max(mask.shape) // longest
    if factor < 2:
        return mask
    rows, columns = -(-mask.shape[0] // factor) * factor, -(-mask.shape[1] // factor) * factor
    padded = numpy.zeros((rows, columns), bool)
    padded[:mask.shape[0], :mask.shape[1]] = mask
    return padded.reshape(rows // factor, factor, columns // factor, factor).any(axis=(1, 3))


def _stroke_width(mask):
    """2 area / perimeter of the ink, in pixels: w for a long band of width w (area w L, perimeter 2 L + 2 w)."""
    padded = numpy.pad(mask, 1)
    perimeter = (numpy.count_nonzero(padded[1:] != padded[:-1])
                 + numpy.count_nonzero(padded[:, 1:] != padded[:, :-1]))
    return 2.0 * numpy.count_nonzero(mask) / max(perimeter, 1)


def _thicken(mask, size, ratio):
    """The cropped ink dilated by a disc until its strokes are ``ratio`` x the box's ``size`` wide, re-cropped.

    Dilating by radius r adds 2 r to both the stroke (w) and the box (L):
    (w + 2 r) = ratio (L + 2 r) gives 2 r = (ratio L - w) / (1 - ratio).
    """
    width = _stroke_width(mask)
    radius = round((ratio * size - width) / (2 * (1 - ratio)))
    if radius < 1:
        return mask
    padded = numpy.pad(mask, radius)
    grown = padded.copy()
    rows, columns = mask.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= radius * radius and (dy or dx):
                grown[radius + dy:radius + dy + rows, radius + dx:radius + dx + columns] |= mask
    return _crop(grown)


def _mnist(mask):
    """MNIST's recipe on an ink mask: box, longer side 20 (aspect kept, anti-aliased), centre of mass at 13.5."""
    box = _crop(_without_specks(mask))
    if box is None:
        return numpy.zeros((28, 28), numpy.float32)
    box = _or_pool(box, 4 * 20)
    box = _thicken(box, max(box.shape), STROKE["mnist"])
    rows, columns = box.shape
    scale = 20 / max(rows, columns)
    digit = _resize(box.astype(numpy.float32), (max(1, round(columns * scale)), max(1, round(rows * scale))))
    digit /= max(float(digit.max()), 1e-12)
    mass = digit.sum()
    y = (digit.sum(axis=1) * numpy.arange(digit.shape[0])).sum() / mass
    x = (digit.sum(axis=0) * numpy.arange(digit.shape[1])).sum() / mass
    return _place(digit, 28, round(13.5 - y), round(13.5 - x))


def _place(image, size, top, left):
    """``image`` put at (top, left) in a size x size frame of zeros, what falls outside cut off."""
    frame = numpy.zeros((size, size), numpy.float32)
    rows, columns = image.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + rows, size), min(left + columns, size)
    if y1 > y0 and x1 > x0:
        frame[y0:y1, x0:x1] = image[y0 - top:y1 - top, x0 - left:x1 - left]
    return frame


def _digits(mask):
    """UCI's recipe: a 32x32 binary bitmap, height 32 and width 20 centred, counted in 4x4 blocks, over 16."""
    box = _crop(_without_specks(mask))
    if box is None:
        return numpy.zeros((8, 8), numpy.float32)
    box = _or_pool(box, 4 * 32)
    box = _thicken(box, box.shape[0], STROKE["digits"])
    rows, columns = box.shape
    tall = 32 / rows
    wide = min(20 / columns, 2 * tall)
    width = min(32, max(1, round(columns * wide)))
    bitmap = (_resize(box.astype(numpy.float32), (width, 32)) >= 0.5).astype(numpy.float32)
    x = (bitmap.sum(axis=0) * numpy.arange(width)).sum() / max(bitmap.sum(), 1)
    frame = _place(bitmap, 32, 0, round(15.5 - x))
    return frame.reshape(8, 4, 8, 4).sum(axis=(1, 3)) / 16


def _fashion(grey, height, width):
    """Fashion-MNIST's recipe: background trimmed (5% of the range), longer side scaled to the frame, centred."""
    level = _background(grey)
    values = numpy.clip(grey - level, 0, None)
    if values.max() <= 0:
        return numpy.zeros((height, width), numpy.float32)
    rows = numpy.flatnonzero((values > 0.05 * values.max()).any(axis=1))
    columns = numpy.flatnonzero((values > 0.05 * values.max()).any(axis=0))
    values = values[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    scale = min(height / values.shape[0], width / values.shape[1])
    size = (max(1, round(values.shape[1] * scale)), max(1, round(values.shape[0] * scale)))
    product = _resize(values, size)
    frame = numpy.zeros((height, width), numpy.float32)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    frame[top:top + size[1], left:left + size[0]] = product
    return frame
