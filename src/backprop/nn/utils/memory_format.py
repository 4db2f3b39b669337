"""torch.nn.utils.memory_format: converting convolution weights to channels_last. backprop's arrays have one
layout (NumPy's), so these return the module unchanged; programs that call them run as they would."""

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """Returns ``module`` unchanged (torch re-lays its Conv2d weights out in ``memory_format``)."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Returns ``module`` unchanged (torch re-lays its Conv3d weights out in ``memory_format``)."""
    return module
