"""Spatial transformers: affine_grid (a sampling grid from affine matrices) and grid_sample (the input
read at the grid's points), as torch.nn.functional.

Both are compositions of differentiable ops, so their first AND second derivatives (with respect to the
input, theta and the grid) come from the ops they are built of:

- affine_grid: grid[n, i, j] = theta[n] @ (x_j, y_i, 1), with x and y the normalised pixel centres in
  [-1, 1] (the corners -1 and 1 with align_corners=True, else the pixel centres (2k + 1) / W - 1);
- grid_sample: a grid point (x, y) in [-1, 1] is mapped to the source pixel coordinate
  u = (x + 1) / 2 (W - 1) with align_corners=True, u = ((x + 1) W - 1) / 2 otherwise (likewise y, H);
  padding_mode "border" clamps u into [0, W - 1], "reflection" reflects it at the border (at the corner
  pixels' centres with align_corners=True, at the image edges otherwise), "zeros" reads 0 outside;
  then
    bilinear: y = sum over the 2^d neighbours k of x[k] prod_dims (1 - |u - k|)   (linear in every dim),
    nearest:  y = x[round(u)]                                                      (round half to even),
    bicubic:  y = sum over the 4 x 4 neighbours of x[k] c(u - k_x) c(v - k_y), Keys' cubic kernel c with
              A = -0.75, the neighbours' indices themselves padded (clamped or reflected).
  The neighbours are fixed integer positions (floor(u), floor(u) + 1, ...), so the output is the
  gathered values times weights that are polynomials of u: d/du comes through the weights.
"""
import itertools
import math
import warnings

from backprop import backend, dtypes
from backprop.ops.linalg import matmul
from backprop.ops.selection import where
from backprop.ops.util import check_tensor
from backprop.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")
_CUBIC_A = -0.75


# ---------------------------------------------------------------- affine_grid
def _normalised_positions(xp, steps, align_corners, dtype):
    """The normalised coordinates of ``steps`` pixels: corners at -1 and 1, or pixel centres."""
    if steps <= 1:
        return xp.zeros(1, dtype=dtype)
    positions = xp.linspace(-1.0, 1.0, steps)
    if not align_corners:
        positions = positions * ((steps - 1) / steps)
    return positions.astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps: theta (N, 2, 3) and size (N, C, H, W) give an (N, H, W, 2)
    grid of (x, y) points, theta (N, 3, 4) and size (N, C, D, H, W) an (N, D, H, W, 3) grid of (x, y, z).

    >>> import backprop as bp
    >>> affine_grid(bp.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]), (1, 1, 1, 2), align_corners=True).tolist()
    [[[[-1.0, 0.0], [1.0, 0.0]]]]
    """
    check_tensor(theta, "affine_grid")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not dtypes.is_floating(theta.dtype):
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    d = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[-2:]) != (d, d + 1):
        raise ValueError(f"Expected a batch of {d}D affine matrices of shape Nx{d}x{d + 1} for size {size}. "
                         f"Got {tuple(theta.shape)}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta's batch size {theta.shape[0]} differs from size[0] = {size[0]}")
    xp = backend.array_module(theta._data)
    # base[..., :] = (x, y[, z], 1) at every output pixel, x along the last spatial dim
    axes = [_normalised_positions(xp, n, align_corners, theta._data.dtype) for n in reversed(spatial)]
    mesh = xp.meshgrid(*axes[::-1], indexing="ij")  # one array per spatial dim, in (D,) H, W order
    base = xp.stack(list(mesh[::-1]) + [xp.ones(spatial, dtype=theta._data.dtype)], axis=-1)
    points = Tensor._make(base.reshape(1, -1, d + 1))
    grid = matmul(points, theta.transpose(1, 2))  # (N, prod(spatial), d)
    return grid.reshape(size[0], *spatial, d)


# ---------------------------------------------------------------- grid_sample
def _unnormalise(coord, size, align_corners):
    """A normalised coordinate in [-1, 1] as a pixel coordinate in [0, size - 1] (corners) or
    [-0.5, size - 0.5] (edges)."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """``coord`` folded back into [low, high] by reflecting it at both ends as often as needed."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coord - low).abs()
    flips = (distance.detach() / span).floor()
    extra = distance - flips * span
    return where(flips % 2 == 1, (span + low) - extra, extra + low)


def _pad_coordinate(coord, size, padding_mode, align_corners):
    """Where a pixel coordinate reads under ``padding_mode`` ("zeros": unchanged, reads 0 outside)."""
    if padding_mode == "border":
        return coord.clamp(0, size - 1)
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        return coord.clamp(0, size - 1)
    return coord


class _Reader:
    """Reads input values at integer pixel positions: input (N, C, *spatial), positions one int array
    (N, *out) per spatial dim; positions outside the input read 0."""

    def __init__(self, input):
        self.xp = backend.array_module(input._data)
        self.n, self.c = input.shape[:2]
        self.spatial = tuple(input.shape[2:])
        self.flat = input.reshape(self.n, self.c, math.prod(self.spatial))

    def read(self, positions):
        """(values (N, C, *out), inside (N, 1, *out) as 0/1 of the input's dtype)."""
        xp = self.xp
        out_shape = positions[0].shape[1:]
        inside, flat = True, 0
        for p, n in zip(positions, self.spatial):
            inside = inside & (p >= 0) & (p < n)
            flat = flat * n + xp.clip(p, 0, n - 1)
        count = math.prod(out_shape)
        index = xp.broadcast_to(flat.reshape(self.n, 1, count), (self.n, self.c, count))
        values = self.flat.gather(2, Tensor._make(xp.ascontiguousarray(index).astype(xp.int64)))
        values = values.reshape(self.n, self.c, *out_shape)
        mask = Tensor._make(inside[:, None].astype(self.flat._data.dtype))
        return values, mask


def _int_positions(coord):
    return coord._data.astype(backend.array_module(coord._data).int64)


def _cubic_weights(t):
    """Keys' cubic weights of the neighbours at distances 1 + t, t, 1 - t, 2 - t (A = -0.75)."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _check_grid_sample(input, grid, mode, padding_mode):
    check_tensor(input, "grid_sample")
    check_tensor(grid, "grid_sample")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        expected = f"{input.ndim}D" if input.ndim in (4, 5) else "4D or 5D"
        raise RuntimeError(f"grid_sampler(): expected {expected} input and grid with same number of dimensions, "
                           f"but got {shapes}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {shapes}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    if not dtypes.is_floating(input.dtype):
        raise RuntimeError(f"grid_sampler(): expected a floating point input, got {input.dtype}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if any(n == 0 for n in input.shape[2:]):
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                           f"sizes {list(input.shape)}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Read ``input`` (N, C, H, W) at the grid's points (N, Ho, Wo, 2), (x, y) in [-1, 1] from the left/top
    to the right/bottom edge; 5-D inputs (N, C, D, H, W) with grids (N, Do, Ho, Wo, 3) of (x, y, z).
    Result (N, C, Ho, Wo) (or (N, C, Do, Ho, Wo)); see the module docstring for the formulas.

    >>> import backprop as bp
    >>> image = bp.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    >>> grid_sample(image, bp.tensor([[[[0.0, 0.0]]]]), align_corners=True).tolist()
    [[[[1.5]]]]
    """
    _check_grid_sample(input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    reader = _Reader(input)
    d = input.ndim - 2
    # coords[k]: pixel coordinate along spatial dim k (input order); grid's last entry 0 is x (the last dim)
    raw = [_unnormalise(grid[..., d - 1 - k], reader.spatial[k], align_corners) for k in range(d)]
    if mode == "bicubic":
        return _bicubic(reader, raw, padding_mode, align_corners)
    coords = [_pad_coordinate(c, n, padding_mode, align_corners) for c, n in zip(raw, reader.spatial)]
    if mode == "nearest":
        xp = reader.xp
        values, mask = reader.read([xp.rint(c._data).astype(xp.int64) for c in coords])
        return values * mask
    lows = [c.detach().floor() for c in coords]
    fractions = [c - low for c, low in zip(coords, lows)]
    result = None
    for corner in itertools.product((0, 1), repeat=d):
        positions = [_int_positions(low) + bit for low, bit in zip(lows, corner)]
        weight = None
        for fraction, bit in zip(fractions, corner):
            w = fraction if bit else 1 - fraction
            weight = w if weight is None else weight * w
        values, mask = reader.read(positions)
        term = values * (weight.unsqueeze(1) * mask)
        result = term if result is None else result + term
    return result


def _bicubic(reader, raw, padding_mode, align_corners):
    """4 x 4 neighbours around the unpadded coordinate; each neighbour's index padded on its own."""
    y, x = raw
    y_low, x_low = y.detach().floor(), x.detach().floor()
    wy, wx = _cubic_weights(y - y_low), _cubic_weights(x - x_low)
    result = None
    for i in range(4):
        for j in range(4):
            positions = []
            for low, offset, n in ((y_low, i - 1, reader.spatial[0]), (x_low, j - 1, reader.spatial[1])):
                tap = _pad_coordinate(low + offset, n, padding_mode, align_corners)
                positions.append(_int_positions(tap))
            values, mask = reader.read(positions)
            term = values * ((wy[i] * wx[j]).unsqueeze(1) * mask)
            result = term if result is None else result + term
    return result
