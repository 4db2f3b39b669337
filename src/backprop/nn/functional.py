"""``backprop.nn.functional`` (import as F): the functional form of every layer,
activation and loss. The ops themselves live in ``backprop.ops``, one module
per family; this module gathers their names in one place, as
torch.nn.functional does.
"""
from backprop.ops.activation import log_softmax, softmax
from backprop.ops.attention import scaled_dot_product_attention
from backprop.ops.conv import conv1d, conv2d, locally_connected2d
from backprop.ops.dropout import dropout
from backprop.ops.elementwise import relu, sigmoid, tanh
from backprop.ops.embedding import embedding, one_hot
from backprop.ops.join import pad
from backprop.ops.linalg import linear
from backprop.ops.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, hinge_embedding_loss, kl_div, l1_loss,
    mse_loss, multi_margin_loss, nll_loss,
)
from backprop.ops.nn_activation import arctan, elu, gelu, leaky_relu, softplus, step
from backprop.ops.normalization import batch_norm, layer_norm
from backprop.ops.pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
)
from backprop.ops.recurrent import gru_sequence, lstm_sequence, rnn_relu_sequence, rnn_tanh_sequence
