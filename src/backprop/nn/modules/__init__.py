"""``backprop.nn.modules``: torch's import paths for the layers, ``torch.nn.modules.<file>.<Class>``.

Programs import layers and their base classes from torch's files
(``from torch.nn.modules.loss import _Loss``, ``torch.nn.modules.batchnorm._BatchNorm``,
``from torch.nn.modules.module import Module``). backprop arranges its layers
by topic instead, so ``backprop.nn.modules.<file>`` is a module made here
that lends the names torch's file defines (``FILES``) from where backprop
keeps them: ``backprop.nn.<Name>``, or for a private base class the
``backprop.nn`` submodule that defines it. A name torch's file has and
backprop lacks raises AttributeError naming it. ``backprop.nn.modules.X`` is
``backprop.nn.X``, as ``torch.nn.modules.X`` is ``torch.nn.X``.

>>> from backprop.nn.modules.loss import _Loss
>>> from backprop.nn.modules.linear import Linear
>>> import backprop as bp
>>> Linear is bp.nn.Linear, issubclass(bp.nn.MSELoss, _Loss)
(True, True)
"""
import importlib
import pkgutil
import sys
import types

# torch 2.13's files and the classes each defines (those programs import from there)
FILES = {
    "activation": (
        "CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU", "LogSigmoid",
        "LogSoftmax", "Mish", "MultiheadAttention", "PReLU", "RReLU", "ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid",
        "Softmax", "Softmax2d", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold"),
    "adaptive": ("AdaptiveLogSoftmaxWithLoss",),
    "batchnorm": ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
                  "SyncBatchNorm", "_BatchNorm", "_NormBase"),
    "channelshuffle": ("ChannelShuffle",),
    "container": ("Container", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"),
    "conv": ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
             "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
             "_ConvNd", "_ConvTransposeNd"),
    "distance": ("CosineSimilarity", "PairwiseDistance"),
    "dropout": ("AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout", "_DropoutNd"),
    "flatten": ("Flatten", "Unflatten"),
    "fold": ("Fold", "Unfold"),
    "instancenorm": ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
                     "LazyInstanceNorm3d", "_InstanceNorm"),
    "lazy": ("LazyModuleMixin",),
    "linear": ("Bilinear", "Identity", "LazyLinear", "Linear", "NonDynamicallyQuantizableLinear"),
    "loss": (
        "BCELoss", "BCEWithLogitsLoss", "CTCLoss", "CosineEmbeddingLoss", "CrossEntropyLoss", "GaussianNLLLoss",
        "HingeEmbeddingLoss", "HuberLoss", "KLDivLoss", "L1Loss", "LinearCrossEntropyLoss", "MSELoss",
        "MarginRankingLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "NLLLoss",
        "NLLLoss2d", "PoissonNLLLoss", "SmoothL1Loss", "SoftMarginLoss", "TripletMarginLoss",
        "TripletMarginWithDistanceLoss", "_Loss", "_WeightedLoss"),
    "module": ("Module", "_IncompatibleKeys"),
    "normalization": ("CrossMapLRN2d", "GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"),
    "padding": (
        "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
        "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
        "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "_CircularPadNd", "_ConstantPadNd",
        "_ReflectionPadNd", "_ReplicationPadNd"),
    "pixelshuffle": ("PixelShuffle", "PixelUnshuffle"),
    "pooling": (
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
        "AdaptiveMaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
        "LPPool1d", "LPPool2d", "LPPool3d", "MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d",
        "MaxUnpool3d", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd", "_AvgPoolNd", "_LPPoolNd", "_MaxPoolNd",
        "_MaxUnpoolNd"),
    "rnn": ("GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"),
    "sparse": ("Embedding", "EmbeddingBag"),
    "transformer": ("Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
                    "TransformerEncoderLayer"),
    "upsampling": ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"),
}

# the functions programs import from torch's files (the global module hooks, _addindent), from the module named
_FUNCTIONS = {"module": ("backprop.nn.module", (
    "register_module_forward_pre_hook", "register_module_forward_hook", "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook", "register_module_backward_hook", "register_module_buffer_registration_hook",
    "register_module_module_registration_hook", "register_module_parameter_registration_hook", "_addindent"))}

# torch's _NormBase is the common base of _BatchNorm and _InstanceNorm; in backprop _InstanceNorm derives from
# _BatchNorm, which therefore plays _NormBase's part
_ALIASES = {"_NormBase": "_BatchNorm"}
_SKIPPED = ("functional", "init", "modules", "utils")  # backprop.nn submodules that define no layers


def _defining_modules():
    """backprop.nn's submodules that define layers (imported; the package imports them all anyway)."""
    import backprop.nn

    for info in pkgutil.iter_modules(backprop.nn.__path__):
        if info.name not in _SKIPPED:
            yield importlib.import_module(f"backprop.nn.{info.name}")


def resolve(file, name):
    """The backprop class that ``torch.nn.modules.<file>.<name>`` names; AttributeError if there is none."""
    import backprop.nn

    home, functions = _FUNCTIONS.get(file, (None, ()))
    if name in functions:
        return getattr(importlib.import_module(home), name)
    if name not in FILES[file]:
        raise AttributeError(f"module 'backprop.nn.modules.{file}' has no attribute '{name}' (it lends the "
                             f"classes of torch.nn.modules.{file}; {name} is not one of them)")
    wanted = _ALIASES.get(name, name)
    value = getattr(backprop.nn, wanted, None) if not wanted.startswith("_") else None
    if value is None:
        for module in _defining_modules():
            candidate = vars(module).get(wanted)
            if isinstance(candidate, type) and candidate.__module__.startswith("backprop."):
                value = candidate
                break
    if value is None:
        raise AttributeError(f"torch.nn.modules.{file}.{name} is not provided by backprop")
    return value


class _File(types.ModuleType):
    """``backprop.nn.modules.<file>``: its names are looked up in backprop.nn when first used."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = resolve(self.__name__.rpartition(".")[2], name)
        setattr(self, name, value)
        return value

    def __dir__(self):
        file = self.__name__.rpartition(".")[2]
        names = list(_FUNCTIONS.get(file, (None, ()))[1])
        for name in FILES[file]:
            try:
                resolve(file, name)
            except AttributeError:
                continue
            names.append(name)
        return sorted(set(names) | set(self.__dict__))


for _file in FILES:
    _module = _File(f"{__name__}.{_file}", f"torch.nn.modules.{_file}'s classes, from backprop.nn")
    _module.__package__ = __name__
    sys.modules[_module.__name__] = _module
    globals()[_file] = _module
del _file, _module

from backprop.nn.modules import utils  # noqa: E402,F401  (a real file: torch's tuple helpers)


def __getattr__(name):
    """``backprop.nn.modules.Linear`` is ``backprop.nn.Linear``."""
    import backprop.nn

    try:
        return getattr(backprop.nn, name)
    except AttributeError:
        raise AttributeError(f"module 'backprop.nn.modules' has no attribute '{name}'") from None
