"""SparseAdam: refused, backprop has no sparse gradients."""

__all__ = ["SparseAdam"]


class SparseAdam:
    """torch's Adam for sparse gradients (``nn.Embedding(sparse=True)``). backprop's gradients are dense: use
    ``Adam`` (it gives the same steps on the rows that have a gradient only when no row is skipped)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        raise NotImplementedError("SparseAdam: sparse gradients are not supported in backprop; use bp.optim.Adam "
                                  "(gradients are dense)")
