"""Maxout units (Goodfellow et al. 2013): each unit is the max of ``pieces`` linear functions.

h_j = max_{k < pieces} (W x + b)_{j * pieces + k}: a piecewise-linear, learnt
convex activation; with pieces = 2 it can represent ReLU (one piece at 0) and
|z|. Not in torch.
"""
from backprop.nn.linear import dense_parameters_, reset_linear_
from backprop.nn.module import Module
from backprop.ops import linalg

__all__ = ["Maxout"]


class Maxout(Module):
    """y_j = max over k of z_{j*pieces + k}, z = x W^T + b: a Linear to ``out_features * pieces`` units,
    then a max over each group of ``pieces`` consecutive units.

    ``weight`` (out_features * pieces, in_features) and ``bias``
    (out_features * pieces,) are initialised as a Linear's:
    U(-1/sqrt(in), 1/sqrt(in)). The gradient reaches only the winning piece
    of each group.

    >>> import backprop as bp
    >>> Maxout(4, 3, pieces=2)(bp.zeros(5, 4)).shape
    backprop.Size([5, 3])
    """

    def __init__(self, in_features, out_features, pieces, bias=True, device=None, dtype=None):
        super().__init__()
        if not isinstance(pieces, int) or pieces < 1:
            raise ValueError(f"Maxout: pieces must be a positive integer, got {pieces!r}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        dense_parameters_(self, in_features, out_features * pieces, bias, device, dtype)

    def reset_parameters(self):
        reset_linear_(self.weight, self.bias)

    def forward(self, input):
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"Maxout(in_features={self.in_features}) got input of shape {tuple(input.shape)}: "
                             f"expected (*, {self.in_features})")
        z = linalg.linear(input, self.weight, self.bias)
        z = z.reshape(tuple(input.shape[:-1]) + (self.out_features, self.pieces))
        return z.max(dim=-1)[0]

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}, "
                f"bias={self.bias is not None}")
