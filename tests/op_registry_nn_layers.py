"""Registry entries of the layers' functional forms added for issue 20 (normalisation, pooling, padding,
embedding bags, distances, dropout): each compared with torch.nn.functional (values, gradients; gradcheck,
gradgradcheck and second derivatives against torch come from tests/test_ops.py).

Max-pooling samples draw DISTINCT values (no tied windows: a tie is a kink). Running statistics, indices
and offsets never require grad.
"""
import numpy as np

from helpers import DISTINCT, POSITIVE, AwayFrom
from op_registry import (
    S, Sample, T, _classes, _F, _fixed, _functional, op, torch_nan_second_derivative,
)

# ------------------------------------------------------------- normalisation
_functional("group_norm", [
    S(T((2, 4, 3)), 2, T((4,)), T((4,))), S(T((2, 6, 2, 2)), 3), S(T((3, 4)), 2, T((4,)), None, 1e-3),
    S(T((2, 4, 5)), 1, T((4,))), S(T((1, 4, 2)), 4, T((4,)), T((4,)))])
_functional("instance_norm", [
    S(T((2, 3, 4)), None, None, T((3,)), T((3,))), S(T((2, 3, 2, 3))), S(T((1, 2, 5)), eps=1e-3),
    S(T((2, 3, 4)), _fixed((3,)), _fixed((3,), POSITIVE), T((3,)), T((3,)), momentum=0.3),
    S(T((2, 3, 4)), _fixed((3,)), _fixed((3,), POSITIVE), T((3,)), T((3,)), use_input_stats=False)])
_functional("rms_norm", [
    S(T((2, 3)), (3,), T((3,))), S(T((2, 2, 3)), (2, 3)), S(T((4,)), [4], None, 1e-3),
    S(T((2, 3, 4)), (4,), T((4,)), eps=0.1)])
_functional("local_response_norm", [
    S(T((2, 5, 3)), 3), S(T((1, 4, 2, 2)), 2, alpha=0.1, beta=0.5, k=2.0), S(T((2, 3, 4)), 5, 0.5, 0.75, 1.0),
    S(T((1, 3, 2, 1, 2)), 4, 0.2)])
_functional("normalize", [
    S(T((2, 3))), S(T((2, 3, 4)), p=3.0, dim=2), S(T((4,)), dim=0), S(T((2, 3)), 1.0, 0),
    # a zero row (the norm's kink): torch's second derivative there is nan
    torch_nan_second_derivative(T(values=[[0.0, 0.0], [1.0, 2.0]]), eps=1e-3)],
    domain=AwayFrom(0))

# ------------------------------------------------------------- pooling: indices, unpooling, adaptive max, LP
_functional("max_pool2d_with_indices", [
    S(T((2, 2, 4, 4)), 2), S(T((1, 2, 5, 5)), 3, stride=2, padding=1, ceil_mode=True),
    S(T((1, 1, 6, 7)), (2, 3), stride=(1, 2), dilation=(2, 1)), S(T((2, 4, 4)), 2, 1)],
    domain=DISTINCT)
_functional("max_pool1d_with_indices",
            [S(T((2, 3, 8)), 2), S(T((1, 2, 8)), 3, 2, 1, ceil_mode=True), S(T((2, 7)), 3, 2)], domain=DISTINCT)
op("nn.functional.max_pool2d.return_indices",
   lambda lib, x, *a, **k: _F(lib).max_pool2d(x, *a, return_indices=True, **k),
   [S(T((2, 2, 4, 4)), 2), S(T((1, 2, 5, 5)), 3, 2, 1)], domain=DISTINCT)


def _pool_indices(pool, shape, *args, **kwargs):
    """torch's own indices of ``max_pool1d``/``max_pool2d`` on a random input (the unpooling samples' positions;
    windows that do not overlap, so that no position is named twice)."""
    import torch
    import torch.nn.functional as F

    x = torch.tensor(DISTINCT.floats(np.random.default_rng(1), shape))
    return _classes(getattr(F, pool)(x, *args, return_indices=True, **kwargs)[1].numpy())


_functional("max_unpool2d", [
    S(T((2, 2, 2, 2)), _pool_indices("max_pool2d", (2, 2, 4, 4), 2), 2),
    S(T((1, 2, 2, 2)), _pool_indices("max_pool2d", (1, 2, 6, 6), 3, 3, 1), 3, 3, 1, (6, 6)),
    S(T((1, 2, 3, 3)), _pool_indices("max_pool2d", (1, 2, 7, 6), 2), 2, output_size=(7, 6)),
    S(T((2, 2, 2)), _pool_indices("max_pool2d", (2, 4, 4), 2), (2, 2), output_size=(1, 2, 4, 4))])
_functional("max_unpool1d", [
    S(T((2, 3, 4)), _pool_indices("max_pool1d", (2, 3, 8), 2), 2),
    S(T((2, 3)), _pool_indices("max_pool1d", (2, 7), 3, 3, 1), 3, 3, 1)])
_functional("max_unpool3d", [
    S(T((1, 2, 2, 2, 1)), _pool_indices("max_pool3d", (1, 2, 4, 4, 2), 2), 2),
    S(T((2, 3, 2, 2)), _pool_indices("max_pool3d", (2, 3, 4, 5), (1, 2, 2)), (1, 2, 2), output_size=(3, 4, 5))])
_functional("adaptive_max_pool3d", [S(T((1, 2, 3, 4, 5)), (2, 3, 2)), S(T((2, 3, 4, 3)), 2, True)], domain=DISTINCT)
_functional("lp_pool3d", [S(T((1, 2, 4, 4, 4)), 2, 2), S(T((2, 3, 4, 5)), 1.5, (2, 2, 3), 1)], domain=POSITIVE)
_functional("adaptive_max_pool1d", [S(T((2, 3, 7)), 3), S(T((2, 5)), 5), S(T((1, 2, 4)), 1), S(T((2, 3, 7)), 4, True)],
            domain=DISTINCT)
_functional("adaptive_max_pool2d", [
    S(T((2, 2, 5, 7)), (2, 3)), S(T((2, 4, 5)), 1), S(T((1, 2, 5, 4)), (3, None)), S(T((1, 2, 5, 7)), (4, 3), True)],
    domain=DISTINCT)
_functional("adaptive_max_pool2d_with_indices", [S(T((1, 2, 5, 7)), (2, 3)), S(T((2, 5, 4)), 3)], domain=DISTINCT)
_functional("adaptive_max_pool1d_with_indices", [S(T((2, 3, 7)), 4)], domain=DISTINCT)
_functional("lp_pool1d", [S(T((2, 3, 8)), 2, 3), S(T((2, 7)), 1.5, 2, 1), S(T((1, 2, 8)), 3, 3, 2, True)],
            domain=POSITIVE)
_functional("lp_pool2d", [
    S(T((2, 2, 4, 4)), 2, 2), S(T((1, 2, 5, 5)), 2, 2, ceil_mode=True), S(T((1, 2, 4, 5)), 1.5, (2, 3), 1),
    S(T((2, 5, 5)), 4.0, 3, 2)],
    domain=POSITIVE)

# ------------------------------------------------------------- padding: negative widths crop
op("nn.functional.pad.crop", lambda lib, x, p, **k: _F(lib).pad(x, p, **k), [
    S(T((2, 3, 4)), (-1, 2)), S(T((2, 3, 4)), (1, -2, 0, 1), value=0.5), S(T((2, 3, 4)), (1, -2, 0, 1), mode="reflect"),
    S(T((2, 3, 4)), (-1, -1, 2, -1), mode="reflect"), S(T((2, 3, 4)), (-1, 2), mode="circular"),
    S(T((1, 2, 3, 4)), (2, -1, -1, 1), mode="replicate")])

# ------------------------------------------------------------- distances, bilinear, channel shuffle
_functional("cosine_similarity", [
    S(T((2, 3)), T((2, 3))), S(T((2, 3, 4)), T((3, 4)), dim=-1), S(T((4,)), T((4,)), dim=0),
    S(T((2, 3)), T((1, 3)), 0, 1e-3)])
_functional("pairwise_distance", [
    S(T((3, 4)), T((3, 4))), S(T((3, 4)), T((4,)), 1.0), S(T((3, 4)), T((3, 4)), 3.0, keepdim=True),
    S(T((4,)), T((4,))), S(T((2, 3)), T((2, 3)), float("inf"), 1e-3)],
    domain=DISTINCT)
_functional("bilinear", [
    S(T((3, 2)), T((3, 4)), T((5, 2, 4)), T((5,))), S(T((2, 3, 2)), T((2, 3, 4)), T((5, 2, 4))),
    S(T((2,)), T((4,)), T((3, 2, 4)), T((3,)))])
_functional("channel_shuffle", [S(T((2, 6, 3)), 2), S(T((1, 4, 2, 2)), 4), S(T((6, 3, 2)), 3), S(T((2, 4, 3)), 1)])

# ------------------------------------------------------------- embeddings, alpha dropout
def _no_torch_second_derivative(*args, **kwargs):
    """embedding_bag: torch 2.13 has no second derivative ('the derivative for _embedding_bag_backward is not
    implemented'); backprop's are checked by gradgradcheck (finite differences) only."""
    return Sample(args, kwargs, double_backward=False)


def _first_derivatives_only(*args, **kwargs):
    """scale_grad_by_freq: the gradient is by definition not the derivative (each row's is divided by its
    count), so finite differences disagree, and torch's second derivative ignores the scaling: values and
    first gradients are compared with torch's, nothing more."""
    return Sample(args, kwargs, gradcheck=False, double_backward=False)


_bag_indices = _classes([1, 2, 4, 5, 4, 3, 2, 0])
_bag = _no_torch_second_derivative
_functional("embedding_bag", [
    _bag(_bag_indices, T((6, 3)), _classes([0, 3, 3, 5])),
    _bag(_bag_indices, T((6, 3)), _classes([0, 3, 5]), mode="sum"),
    _bag(_classes([[1, 2, 3], [4, 0, 5]]), T((6, 3)), mode="max"),
    _bag(_bag_indices, T((6, 3)), _classes([0, 2, 5, 8]), mode="max", include_last_offset=True),
    _bag(_bag_indices, T((6, 3)), _classes([0, 3, 5]), mode="sum", per_sample_weights=T((8,))),
    _bag(_bag_indices, T((6, 3)), _classes([0, 3, 5]), padding_idx=4),
    _first_derivatives_only(_classes([[1, 2, 2], [4, 0, 4]]), T((6, 3)), mode="sum", scale_grad_by_freq=True)])
op("nn.functional.embedding.scale_grad_by_freq",
   lambda lib, weight, indices, **k: _F(lib).embedding(indices, weight, scale_grad_by_freq=True, **k),
   [_first_derivatives_only(T((5, 3)), _classes([[0, 2, 2], [4, 2, 0]])),
    _first_derivatives_only(T((5, 3)), _classes([[0, 2, 2], [4, 1, 0]]), padding_idx=2)])
for _n in ("alpha_dropout", "feature_alpha_dropout"):
    _functional(_n, [S(T((2, 3, 4)), 0.0, True), S(T((2, 3, 4)), 0.5), S(T((2, 3)), 0.3, training=False)])
