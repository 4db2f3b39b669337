"""Graph convolution (Kipf & Welling 2017): each node's new features mix its own and its neighbours' features.

For a graph of N nodes with adjacency matrix A (N, N) and node features
H (N, F), one layer is

    H' = Â H W^T + b,    Â = D^-1/2 (A + I) D^-1/2,    D_ii = sum_j (A + I)_ij,

the "renormalised" propagation of Kipf and Welling (ICLR 2017): the self-loops
I keep each node's own features, and the symmetric scaling by the degrees
keeps repeated products of Â from growing or shrinking the features. The
activation (ReLU between layers, softmax at the end) is applied outside,
as after a Linear. Not in torch (torch_geometric's GCNConv is the same layer
on sparse edge lists); here A is a dense matrix, which suits graphs of up to
a few thousand nodes.
"""
from backprop import creation
from backprop.nn import init
from backprop.nn.linear import dense_parameters_
from backprop.nn.module import Module
from backprop.ops import linalg

__all__ = ["GCNConv", "normalized_adjacency"]


def _check_square(adjacency, what):
    if adjacency.ndim < 2 or adjacency.shape[-1] != adjacency.shape[-2]:
        raise ValueError(f"{what}: expected a square adjacency matrix of shape (*, N, N), "
                         f"got {tuple(adjacency.shape)}")


def normalized_adjacency(adjacency, add_self_loops=True):
    """Â = D^-1/2 (A + I) D^-1/2 with D_ii = sum_j (A + I)_ij, for A of shape (*, N, N).

    Without ``add_self_loops`` it is D^-1/2 A D^-1/2; a node of degree 0
    then keeps a zero row and column (not a division by zero; A >= 0).

    >>> import backprop as bp
    >>> normalized_adjacency(bp.tensor([[0.0, 1.0], [1.0, 0.0]])).tolist()  # D = 2 I, so Â = (A + I) / 2
    [[0.5, 0.5], [0.5, 0.5]]
    """
    _check_square(adjacency, "normalized_adjacency")
    a = adjacency
    if add_self_loops:
        a = a + creation.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    degree = a.sum(dim=-1)
    # Â_ij = a_ij / sqrt(d_i d_j); a node of degree 0 has a_ij = 0 (A >= 0), the clamp keeps it from 0 / 0
    return a / (degree.unsqueeze(-1) * degree.unsqueeze(-2)).clamp(min=1e-12).sqrt()


class GCNConv(Module):
    """H' = Â H W^T + b: a graph convolution from ``in_features`` to ``out_features`` per node.

    ``forward(input, adjacency)`` takes node features (*, N, in_features) and
    the adjacency matrix A (N, N) or (*, N, N) (0/1 or weighted, symmetric);
    with ``normalize=True`` (the default) the layer forms Â =
    D^-1/2 (A + I) D^-1/2 itself, with ``normalize=False`` it uses the given
    matrix as Â (pass ``normalized_adjacency(A)`` once to save the work on
    every call). ``weight`` (out_features, in_features) is initialised as
    Kipf and Welling's: Glorot uniform, U(-a, a), a = sqrt(6 / (in + out));
    ``bias`` (out_features,) starts at 0.

    >>> import backprop as bp
    >>> layer = GCNConv(34, 16)
    >>> layer(bp.eye(34), bp.zeros(34, 34)).shape
    backprop.Size([34, 16])
    """

    def __init__(self, in_features, out_features, bias=True, normalize=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features, self.normalize = in_features, out_features, normalize
        dense_parameters_(self, in_features, out_features, bias, device, dtype)

    def reset_parameters(self):
        init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input, adjacency):
        _check_square(adjacency, "GCNConv")
        if input.ndim < 2 or input.shape[-1] != self.in_features or input.shape[-2] != adjacency.shape[-1]:
            raise ValueError(f"GCNConv(in_features={self.in_features}) got input of shape {tuple(input.shape)} "
                             f"with an adjacency of shape {tuple(adjacency.shape)}: expected "
                             f"(*, {adjacency.shape[-1]}, {self.in_features})")
        propagation = normalized_adjacency(adjacency) if self.normalize else adjacency
        output = propagation @ linalg.linear(input, self.weight)
        return output if self.bias is None else output + self.bias

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"normalize={self.normalize}")
