"""``torchvision.transforms``: the common transforms, on PIL images and on tensors (C, H, W) or (..., C, H, W).

As torchvision's, one sample at a time: ``ToTensor`` turns a PIL image (or an
array H x W x C) of uint8 into float32 (C, H, W) in [0, 1]; ``Normalize``
works on tensors only; ``Resize``, ``CenterCrop``, ``RandomCrop``,
``RandomHorizontalFlip``, ``RandomVerticalFlip`` and ``Grayscale`` take
either. On a PIL image ``Resize`` is Pillow's own resize (as torchvision
does); on a tensor it is bilinear with antialiasing (torchvision's default
``antialias=True``), the weights Pillow uses: output pixel i is the average
of the input pixels j near its centre c = (i + 1/2) s (s = in/out size) with
weights max(0, 1 - |j + 1/2 - c| / max(s, 1)), normalised to sum 1. Random
transforms draw from backprop's generator (``torch.manual_seed``).
(``backprop.data.transforms`` holds backprop's own transforms, which work on
whole batches of float arrays; these follow torchvision one image at a time.)
"""
import numbers

import numpy

from backprop import creation, dtypes
from backprop.tensor import Tensor

__all__ = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize", "Resize",
           "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda", "Grayscale",
           "InterpolationMode"]


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover  (Pillow comes with backprop's image extras)
        raise ImportError("torchvision.transforms needs Pillow for PIL images: pip install pillow") from None
    return Image


def _is_pil(img):
    return type(img).__module__.startswith("PIL.") and hasattr(img, "getbands")


def _check_image(img, name):
    if not (_is_pil(img) or isinstance(img, Tensor)):
        raise TypeError(f"{name}: expected a PIL Image or a Tensor, got {type(img).__name__}")
    if isinstance(img, Tensor) and img.ndim < 2:
        raise ValueError(f"{name}: expected a tensor image (..., C, H, W) or (H, W), got shape {tuple(img.shape)}")


def _array(tensor):
    return numpy.asarray(tensor.detach().cpu().numpy())


def _tensor(array, like=None):
    out = creation.from_numpy(numpy.ascontiguousarray(array))
    return out if like is None or like.device == out.device else out.to(like.device)


def _size_of(img):
    """(height, width) of a PIL image or a tensor (..., H, W)."""
    if _is_pil(img):
        return img.size[1], img.size[0]
    return tuple(img.shape[-2:])


def _pair(size, name):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"{name}: size should be an int or a sequence of 1 or 2 ints, got {size}")
    return size


class InterpolationMode:
    """torchvision's interpolation names (Resize uses bilinear whatever it is given on tensors)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


class _Transform:
    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Compose(_Transform):
    """Apply ``transforms`` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class Lambda(_Transform):
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


def _pil_array(pic):
    """A PIL image as an (H, W, C) array (mode '1' as 0/255, as torchvision)."""
    array = numpy.array(pic, copy=True)
    if pic.mode == "1":
        array = array.astype(numpy.uint8) * 255
    return array[:, :, None] if array.ndim == 2 else array


class ToTensor(_Transform):
    """PIL image or array (H, W, C) -> tensor (C, H, W); uint8 values x become float32 x / 255 in [0, 1], other
    dtypes are kept."""

    def __call__(self, pic):
        if _is_pil(pic):
            array = _pil_array(pic)
        elif isinstance(pic, numpy.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
            array = pic[:, :, None] if pic.ndim == 2 else pic
        else:
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        array = array.transpose(2, 0, 1)
        if array.dtype == numpy.uint8:
            return _tensor(numpy.divide(array, 255, dtype=numpy.float32))
        return _tensor(array)


class PILToTensor(_Transform):
    """PIL image -> tensor (C, H, W) of its own dtype (uint8), values unchanged."""

    def __call__(self, pic):
        if not _is_pil(pic):
            raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
        return _tensor(_pil_array(pic).transpose(2, 0, 1))


class ToPILImage(_Transform):
    """Tensor (C, H, W) or array (H, W, C) -> PIL image; float values in [0, 1] are scaled by 255."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            array = _array(pic)
            array = array[None] if array.ndim == 2 else array
            array = array.transpose(1, 2, 0)
        else:
            array = numpy.asarray(pic)
            array = array[:, :, None] if array.ndim == 2 else array
        if array.dtype.kind == "f":
            array = (array * 255).astype(numpy.uint8)  # torchvision: pic.mul(255).byte(), truncating
        if array.shape[2] == 1:
            array = array[:, :, 0]
        image = _pil().fromarray(array)  # L, RGB or RGBA from the array's shape
        return image.convert(self.mode) if self.mode and self.mode != image.mode else image


class ConvertImageDtype(_Transform):
    """A tensor image to ``dtype``, values rescaled: integers [0, max] <-> floats [0, 1] (float -> uint8 is
    x (255 + 1 - 0.001), truncated, as torchvision's)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        if not isinstance(image, Tensor):
            raise TypeError(f"Input img should be Tensor Image, got {type(image).__name__}")
        source, target = image.dtype, self.dtype
        if source == target:
            return image
        if dtypes.is_floating(source) and dtypes.is_floating(target):
            return image.to(target)
        if dtypes.is_floating(source):
            top = float(numpy.iinfo(creation.zeros(0, dtype=target).numpy().dtype).max)
            return (image * (top + 1.0 - 1e-3)).to(target)
        top = float(numpy.iinfo(_array(image).dtype).max)
        if dtypes.is_floating(target):
            return image.to(target) / top
        raise NotImplementedError("ConvertImageDtype between integer dtypes is not provided by backprop")


class Normalize(_Transform):
    """Per channel c of a tensor image: x_c <- (x_c - mean_c) / std_c."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not dtypes.is_floating(tensor.dtype):
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tuple(tensor.shape)}.")
        std = numpy.asarray(self.std, dtype=numpy.float64).reshape(-1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by "
                             "zero.")
        mean = creation.tensor(numpy.asarray(self.mean, dtype=numpy.float64).reshape(-1, 1, 1), dtype=tensor.dtype,
                               device=tensor.device)
        std = creation.tensor(std.reshape(-1, 1, 1), dtype=tensor.dtype, device=tensor.device)
        result = (tensor - mean) / std
        if self.inplace:
            with _no_grad():
                tensor.copy_(result)
            return tensor
        return result


def _no_grad():
    from backprop.autograd import no_grad

    return no_grad()


def _output_size(height, width, size, max_size=None):
    """torchvision's size rule: a pair is (h, w); an int is the new shorter side, the longer one int(size *
    long / short), then capped at ``max_size``."""
    if not isinstance(size, numbers.Number) and len(size) == 2:
        return int(size[0]), int(size[1])
    requested = int(size if isinstance(size, numbers.Number) else size[0])
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                             f"smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def antialiased_weights(size_in, size_out):
    """(size_out, size_in) matrix of bilinear interpolation with antialiasing (Pillow's, torch's antialias=True):
    row i holds max(0, 1 - |j + 1/2 - c_i| / max(s, 1)), c_i = (i + 1/2) s, s = size_in / size_out, over the
    pixels j within max(s, 1) of c_i, normalised to sum 1."""
    scale = size_in / size_out
    support = max(scale, 1.0)
    matrix = numpy.zeros((size_out, size_in))
    for i in range(size_out):
        centre = (i + 0.5) * scale
        low, high = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), size_in)
        j = numpy.arange(low, high)
        weights = numpy.maximum(0.0, 1.0 - numpy.abs((j + 0.5 - centre) / support))
        matrix[i, low:high] = weights / weights.sum()
    return matrix


class Resize(_Transform):
    """Resize to ``size``: (h, w), or an int for the shorter side keeping the aspect ratio."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        self.size, self.interpolation, self.max_size, self.antialias = size, interpolation, max_size, antialias

    def __call__(self, img):
        _check_image(img, "Resize")
        height, width = _size_of(img)
        out_h, out_w = _output_size(height, width, self.size, self.max_size)
        if _is_pil(img):
            if (out_h, out_w) == (height, width):
                return img
            resample = {"nearest": 0, "bicubic": 3}.get(str(getattr(self.interpolation, "value",
                                                                        self.interpolation)), 2)
            return img.resize((out_w, out_h), resample)
        array = _array(img)
        rows, cols = antialiased_weights(height, out_h), antialiased_weights(width, out_w)
        out = rows @ array.astype(numpy.float64) @ cols.T
        if array.dtype.kind in "iub":
            info = numpy.iinfo(array.dtype)
            out = numpy.clip(numpy.round(out), info.min, info.max)
        return _tensor(out.astype(array.dtype), like=img)


def _crop(img, top, left, height, width):
    """The (height, width) window at (top, left); parts outside the image are zeros (torchvision's crop)."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    array = _array(img)
    h, w = array.shape[-2:]
    pad = [(0, 0)] * (array.ndim - 2) + [(max(-top, 0), max(top + height - h, 0)),
                                         (max(-left, 0), max(left + width - w, 0))]
    array = numpy.pad(array, pad)
    top, left = max(top, 0), max(left, 0)
    return _tensor(array[..., top:top + height, left:left + width], like=img)


class CenterCrop(_Transform):
    """The central (h, w) window: top = round((H - h) / 2), left = round((W - w) / 2); zero-padded when larger."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        _check_image(img, "CenterCrop")
        height, width = _size_of(img)
        crop_h, crop_w = self.size
        return _crop(img, int(round((height - crop_h) / 2.0)), int(round((width - crop_w) / 2.0)), crop_h, crop_w)


def _pad(img, padding, fill, mode):
    """Pad a PIL image or tensor: padding an int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        padding = (int(padding),) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    left, top, right, bottom = (int(p) for p in padding)
    if _is_pil(img):
        array = _pil_array(img)
        widths = [(top, bottom), (left, right), (0, 0)]
    else:
        array = _array(img)
        widths = [(0, 0)] * (array.ndim - 2) + [(top, bottom), (left, right)]
    options = {"constant_values": fill} if mode == "constant" else {}
    padded = numpy.pad(array, widths, mode=mode, **options)
    if _is_pil(img):
        return _pil().fromarray(padded[:, :, 0] if padded.shape[2] == 1 else padded)
    return _tensor(padded, like=img)


class RandomCrop(_Transform):
    """A random (h, w) window of the image, after padding it by ``padding`` (int, 2 or 4 values)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size, "RandomCrop")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    def __call__(self, img):
        _check_image(img, "RandomCrop")
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        height, width = _size_of(img)
        crop_h, crop_w = self.size
        if self.pad_if_needed and (width < crop_w or height < crop_h):
            img = _pad(img, (max(crop_w - width, 0), max(crop_h - height, 0)), self.fill, self.padding_mode)
            height, width = _size_of(img)
        if height < crop_h or width < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than input image size "
                             f"{(height, width)}")
        top = int(creation.randint(0, height - crop_h + 1, size=(1,)).item())
        left = int(creation.randint(0, width - crop_w + 1, size=(1,)).item())
        return _crop(img, top, left, crop_h, crop_w)


def _flip(img, axis):
    if _is_pil(img):
        Image = _pil()
        return img.transpose(Image.FLIP_LEFT_RIGHT if axis == -1 else Image.FLIP_TOP_BOTTOM)
    return _tensor(numpy.flip(_array(img), axis=axis), like=img)


class _RandomFlip(_Transform):
    axis = -1

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        return _flip(img, self.axis) if float(creation.rand(1).item()) < self.p else img


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""

    axis = -2


class Grayscale(_Transform):
    """To grey levels: Pillow's L mode on images, 0.2989 R + 0.587 G + 0.114 B on tensors (torchvision's),
    repeated to ``num_output_channels`` (1 or 3)."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        _check_image(img, "Grayscale")
        if _is_pil(img):
            grey = img.convert("L")
            if self.num_output_channels == 1:
                return grey
            array = numpy.array(grey)
            return _pil().fromarray(numpy.dstack([array] * 3))
        array = _array(img)
        if array.shape[-3] == 1:
            grey = array
        else:
            grey = 0.2989 * array[..., 0:1, :, :] + 0.587 * array[..., 1:2, :, :] + 0.114 * array[..., 2:3, :, :]
            if array.dtype.kind in "iub":
                grey = numpy.floor(grey)  # torchvision's .to(uint8) truncates
            grey = grey.astype(array.dtype)
        reps = [1] * (array.ndim - 3) + [self.num_output_channels, 1, 1]
        return _tensor(numpy.tile(grey, reps), like=img)
