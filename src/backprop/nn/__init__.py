"""``backprop.nn``: modules, layers, activations, losses, initialisation."""
from backprop.nn import functional, init, modules, utils
from backprop.nn.activation import ELU, GELU, Arctan, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Step, Tanh
from backprop.nn.activation import (
    CELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, RReLU, SiLU,
    Softmax2d, Softmin, Softshrink, Softsign, Tanhshrink, Threshold,
)
from backprop.nn.attention import MultiheadAttention
from backprop.nn.transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
)
from backprop.nn.container import (
    Container, Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential,
)
from backprop.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from backprop.nn.dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from backprop.nn.embedding import Embedding
from backprop.nn.flatten import Flatten, Unflatten
from backprop.nn.fold import Fold, Unfold
from backprop.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from backprop.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from backprop.nn.normalization import BatchNorm3d
from backprop.nn.pooling import AvgPool3d, MaxPool3d
from backprop.nn.linear import Linear
from backprop.nn.local import LocallyConnected2d
from backprop.nn.loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeEmbeddingLoss, KLDivLoss, L1Loss, MSELoss, MultiMarginLoss,
    NLLLoss,
)
from backprop.nn.loss import (
    CosineEmbeddingLoss, CTCLoss, GaussianNLLLoss, HuberLoss, MarginRankingLoss, MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss, NLLLoss2d, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from backprop.nn.maxout import Maxout
from backprop.nn.graph import GCNConv
from backprop.nn.module import Module
from backprop.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from backprop.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from backprop.nn.pooling import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from backprop.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from backprop.nn.normalization import GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm, RMSNorm
from backprop.nn.pooling import (
    AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, LPPool1d, LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d,
    MaxUnpool3d,
)
from backprop.nn.pooling import AdaptiveAvgPool3d
from backprop.nn.padding import (
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d,
    ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d,
    ZeroPad3d,
)
from backprop.nn.channelshuffle import ChannelShuffle
from backprop.nn.distance import CosineSimilarity, PairwiseDistance
from backprop.nn.linear import Bilinear
from backprop.nn.embedding import EmbeddingBag
from backprop.nn.dropout import AlphaDropout, FeatureAlphaDropout
from backprop.nn.lazy import (  # noqa: E402  (after the layers they extend)
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d,
    LazyConvTranspose2d, LazyConvTranspose3d, LazyLinear,
)
