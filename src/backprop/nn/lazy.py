"""Lazy modules (torch.nn.LazyLinear, LazyConv2d ...): layers whose input size is read from the first input.

``nn.LazyLinear(10)`` has no ``in_features`` yet: its weight is an
``UninitializedParameter``. The first forward reads the size from the input
(``input.shape[-1]``; the channel axis for a convolution or batch norm),
gives the parameters their shapes, initialises them as the plain layer does,
and the module becomes that plain layer (its class changes to ``Linear``).
Loading a state_dict before the first forward also gives the parameters the
saved shapes. As torch's, ``LazyModuleMixin`` does it for any module that
writes ``initialize_parameters``.

>>> import backprop as bp
>>> layer = bp.nn.LazyLinear(4)
>>> layer
LazyLinear(in_features=0, out_features=4, bias=True)
>>> layer(bp.zeros(2, 3)).shape, type(layer).__name__, tuple(layer.weight.shape)
(backprop.Size([2, 4]), 'Linear', (4, 3))
"""
from backprop import autograd
from backprop import creation
from backprop import dtypes
from backprop.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from backprop.nn.linear import Linear
from backprop.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from backprop.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]


class LazyModuleMixin:
    """Mixed in before a Module class: ``initialize_parameters(*args, **kwargs)`` runs before the first forward
    (a forward pre-hook), then the hooks go and the module becomes ``cls_to_become`` (if set)."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """As Module's, but an uninitialised parameter or buffer is saved as it is (it has no values)."""
        for registry, skip in ((self._parameters, ()), (self._buffers, self._non_persistent_buffers_set)):
            for name, value in registry.items():
                if value is not None and name not in skip:
                    destination[prefix + name] = value if is_lazy(value) or keep_vars else value.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        """Give each uninitialised parameter or buffer the shape of its (initialised) entry in ``state_dict``."""
        for name, value in [*self._parameters.items(), *self._buffers.items()]:
            key = prefix + name
            if key in state_dict and value is not None and is_lazy(value) and not is_lazy(state_dict[key]):
                with autograd.no_grad():
                    value.materialize(tuple(state_dict[key].shape))

    def initialize_parameters(self, *args, **kwargs):
        """Give the parameters their shapes from the first input (the lazy layer's own)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self):
        return any(is_lazy(value) for value in [*self._parameters.values(), *self._buffers.values()])

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become


def _uninitialized_weight_and_bias(module, bias, device, dtype):
    module.weight = UninitializedParameter(device=device, dtype=dtype)
    if bias:
        module.bias = UninitializedParameter(device=device, dtype=dtype)


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last size of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.out_features = out_features
        _uninitialized_weight_and_bias(self, bias, device, dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with autograd.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        else:  # shaped by load_state_dict: Linear checks its inputs against in_features (torch leaves it 0)
            self.in_features = self.weight.shape[1]


class _LazyConvXdMixin(LazyModuleMixin):
    """The lazy convolutions: ``in_channels`` is the channel size of the first input ((N, C, ...) or (C, ...))."""

    def _lazy_init(self, out_channels, bias, device, dtype):
        self.out_channels = out_channels
        _uninitialized_weight_and_bias(self, bias, device, dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        unbatched = self._dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with autograd.no_grad():
                if self.transposed:
                    shape = (self.in_channels, self.out_channels // self.groups)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize((*shape, *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()
        else:  # shaped by load_state_dict: the layer checks its inputs against in_channels (torch leaves it 0)
            self.in_channels = self.weight.shape[0] if self.transposed else self.weight.shape[1] * self.groups


def _lazy_conv(plain):
    """LazyConv<n>d for the convolution class ``plain``."""
    class LazyConv(_LazyConvXdMixin, plain):
        cls_to_become = plain

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                     padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
            self._lazy_init(out_channels, bias, device, dtype)

    LazyConv.__name__ = LazyConv.__qualname__ = f"Lazy{plain.__name__}"
    LazyConv.__doc__ = f"A {plain.__name__} whose ``in_channels`` is read from its first input."
    return LazyConv


def _lazy_conv_transpose(plain):
    """LazyConvTranspose<n>d for the transposed convolution class ``plain``."""
    class LazyConvTranspose(_LazyConvXdMixin, plain):
        cls_to_become = plain

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                     dilation=1, padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                             padding_mode)
            self._lazy_init(out_channels, bias, device, dtype)

    LazyConvTranspose.__name__ = LazyConvTranspose.__qualname__ = f"Lazy{plain.__name__}"
    LazyConvTranspose.__doc__ = f"A {plain.__name__} whose ``in_channels`` is read from its first input."
    return LazyConvTranspose


LazyConv1d, LazyConv2d, LazyConv3d = map(_lazy_conv, (Conv1d, Conv2d, Conv3d))
LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d = map(
    _lazy_conv_transpose, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d))


class _LazyNormBase(LazyModuleMixin):
    """The lazy batch norms: ``num_features`` is the channel size (axis 1) of the first input."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        super().__init__(0, eps, momentum, False, False)
        self.affine, self.track_running_stats, self._has_bias = affine, track_running_stats, affine
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=dtypes.int64, device=device)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with autograd.no_grad():
                for value in (self.weight, self.bias, self.running_mean, self.running_var):
                    if value is not None and is_lazy(value):
                        value.materialize((self.num_features,))
                self.reset_parameters()
        else:  # shaped by load_state_dict (torch leaves num_features 0)
            shaped = [v for v in (self.weight, self.running_mean) if v is not None]
            self.num_features = shaped[0].shape[0] if shaped else input.shape[1]


def _lazy_batch_norm(plain):
    class LazyBatchNorm(_LazyNormBase, plain):
        cls_to_become = plain

    LazyBatchNorm.__name__ = LazyBatchNorm.__qualname__ = f"Lazy{plain.__name__}"
    LazyBatchNorm.__doc__ = f"A {plain.__name__} whose ``num_features`` is read from its first input."
    return LazyBatchNorm


LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = map(_lazy_batch_norm, (BatchNorm1d, BatchNorm2d, BatchNorm3d))
