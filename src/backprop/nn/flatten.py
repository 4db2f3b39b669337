"""Flatten and Unflatten: reshape layers between convolutional and fully connected parts."""
from backprop.nn.module import Module
from backprop.ops import shape as S
from backprop.ops.util import dim_index

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Merge dims ``start_dim``..``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default.

    >>> import backprop as bp
    >>> Flatten()(bp.zeros(2, 3, 4, 5)).shape
    backprop.Size([2, 60])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return S.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 60) -> (N, 3, 4, 5) with dim=1, size (3, 4, 5).

    >>> import backprop as bp
    >>> Unflatten(1, (3, 4, 5))(bp.zeros(2, 60)).shape
    backprop.Size([2, 3, 4, 5])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(int(s) for s in unflattened_size)

    def forward(self, input):
        axis = dim_index(self.dim, input.ndim, "Unflatten")
        sizes = list(self.unflattened_size)
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != input.shape[axis]) or \
                (sizes.count(-1) == 1 and (known == 0 or input.shape[axis] % known)):
            raise ValueError(f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size}): dim {self.dim} "
                             f"of the input has size {input.shape[axis]}, which does not split into that shape "
                             f"(input shape {tuple(input.shape)})")
        return S.reshape(input, tuple(input.shape[:axis]) + tuple(sizes) + tuple(input.shape[axis + 1:]))

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
