"""Distance layers: CosineSimilarity and PairwiseDistance (no parameters)."""
from backprop.nn.module import Module
from backprop.ops import distance as _distance

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """cos(x1, x2) = x1 . x2 / (max(||x1||, eps) max(||x2||, eps)) along ``dim``.

    >>> import backprop as bp
    >>> CosineSimilarity()(bp.randn(4, 8), bp.randn(4, 8)).shape
    backprop.Size([4])
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return _distance.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p along the last dim, row by row."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return _distance.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
