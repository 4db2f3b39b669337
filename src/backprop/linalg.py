"""``bp.linalg``: torch.linalg's functions (norms, inverses, decompositions, solvers)."""
