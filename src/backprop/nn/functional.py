"""``backprop.nn.functional`` (import as F): the functional form of every layer,
activation and loss. The ops themselves live in ``backprop.ops``, one module
per family; this module gathers their names in one place, as
torch.nn.functional does.
"""
import warnings

from backprop.ops import activation as _activation
from backprop.ops import nn_activation as _nn_activation
from backprop.ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from backprop.ops.conv import conv1d, conv2d, conv3d, locally_connected2d
from backprop.ops.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from backprop.ops.dropout import channel_dropout as _channel_dropout, dropout
from backprop.ops.elementwise import sigmoid, tanh
from backprop.ops.embedding import embedding, one_hot
from backprop.ops.fold import fold, pixel_shuffle, pixel_unshuffle, unfold
from backprop.ops.join import pad
from backprop.ops.linalg import linear
from backprop.ops.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, hinge_embedding_loss, kl_div, l1_loss,
    mse_loss, multi_margin_loss, nll_loss,
)
from backprop.ops.ctc import ctc_loss
from backprop.ops.loss import (
    cosine_embedding_loss, gaussian_nll_loss, huber_loss, margin_ranking_loss, multilabel_margin_loss,
    multilabel_soft_margin_loss, poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from backprop.ops.nn_activation import arctan, elu, gelu, leaky_relu, softplus, step
from backprop.ops.nn_activation import (
    celu, celu_, elu_, glu, gumbel_softmax, hardshrink, hardsigmoid, hardswish, hardtanh, hardtanh_, leaky_relu_, logsigmoid, mish,
    prelu, relu, relu6, relu_, rrelu, rrelu_, selu, selu_, silu, softshrink, softsign, tanhshrink, threshold,
    threshold_,
)
from backprop.ops.normalization import batch_norm, layer_norm
from backprop.ops.normalization import group_norm, instance_norm, local_response_norm, normalize, rms_norm
from backprop.ops.distance import bilinear, channel_shuffle, cosine_similarity, pairwise_distance
from backprop.ops.embedding import embedding_bag
from backprop.ops.dropout import alpha_dropout, feature_alpha_dropout
from backprop.ops.pooling import (
    adaptive_max_pool1d, adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d, lp_pool1d, lp_pool2d, lp_pool3d,
    max_pool1d_with_indices, max_pool2d_with_indices, max_unpool1d, max_unpool2d, max_unpool3d,
)
from backprop.ops.pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
)
from backprop.ops.recurrent import gru_sequence, lstm_sequence, rnn_relu_sequence, rnn_tanh_sequence
from backprop.ops.upsample import interpolate, upsample, upsample_bilinear, upsample_nearest
from backprop.ops.pooling import avg_pool3d, max_pool3d
from backprop.ops.grid import affine_grid, grid_sample
from backprop.ops.pooling import adaptive_avg_pool3d
from backprop.ops.distance import pdist


def _implicit_dim(name, dim, input):
    """torch's legacy implicit dim (0 for 0-, 1- and 3-d inputs, else 1), with its deprecation warning."""
    from backprop.nn.activation import _softmax_dim

    if dim is None:
        dim = _softmax_dim(None, input.ndim)
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      f"dim=X as an argument.", UserWarning, stacklevel=3)
    return dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(z)_i = e^{z_i} / sum_j e^{z_j} along ``dim`` (``dtype=``: the input cast first)."""
    dim = _implicit_dim("softmax", dim, input)
    return _activation.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log softmax(z)_i = z_i - log sum_j e^{z_j} along ``dim`` (``dtype=``: the input cast first)."""
    dim = _implicit_dim("log_softmax", dim, input)
    return _activation.log_softmax(input if dtype is None else input.to(dtype), dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(z) = softmax(-z) along ``dim`` (``dtype=``: the input cast first)."""
    return _nn_activation.softmin(input, _implicit_dim("softmin", dim, input), dtype)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) inputs, each with probability ``p`` (see nn.Dropout1d)."""
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) inputs, each with probability ``p`` (see nn.Dropout2d)."""
    return _channel_dropout(input, p, training, 2, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs, each with probability ``p``."""
    return _channel_dropout(input, p, training, 3, "dropout3d")
