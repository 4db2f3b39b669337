"""``bp.sparse``: a minimal sparse COO tensor, enough for graph networks (torch.sparse)."""
