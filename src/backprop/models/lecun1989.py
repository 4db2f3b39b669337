"""The five networks of LeCun 1989, "Generalization and network design strategies" (16x16 digits).

From a single layer to local receptive fields to weight sharing, with the
paper's counts of links (connections) and free weights, for 16x16 inputs and
10 outputs:

=====  ==================================================  =====  =======
net    hidden layers                                       links  weights
=====  ==================================================  =====  =======
Net-1  none (256 -> 10)                                     2570     2570
Net-2  12 units, fully connected                            3214     3214
Net-3  8x8 local 3x3, 4x4 local 5x5 (unshared)              1226     1226
Net-4  two 8x8 maps shared 3x3, 4x4 local 5x5 over both     2266     1132
Net-5  two 8x8 maps shared 3x3, four 4x4 maps shared 5x5    5194     1060
=====  ==================================================  =====  =======

Hidden units are tanh (the paper's scaled hyperbolic tangent without its
scale). Every unit has its own bias, also in shared maps (``UntiedBiasConv2d``).
The 8x8 layers see the 16x16 image with stride 2 and padding 1, the 4x4 layers
the 8x8 maps with stride 2 and padding 2; other (C, H, W) inputs give maps of
the matching sizes. The outputs are logits for a cross-entropy loss;
``output_tanh=True`` adds the paper's tanh output units (trained there towards
targets of +-1 with squared error).
"""
import math

from backprop import nn
from backprop.models.common import check_arguments, check_flag
from backprop.models.mlp import mlp
from backprop.models.untied import UntiedBiasConv2d

__all__ = ["lecun1989_net1", "lecun1989_net2", "lecun1989_net3", "lecun1989_net4", "lecun1989_net5"]


def _local(maps, kernel_size, padding):
    """H1 or H2 without weight sharing: ``maps`` locally connected maps (stride 2)."""
    return lambda channels, size: nn.LocallyConnected2d(channels, maps, size, kernel_size, 2, padding)


def _shared(maps, kernel_size, padding):
    """H1 or H2 with weight sharing: ``maps`` feature maps of one kernel each (stride 2), untied biases."""
    return lambda channels, size: UntiedBiasConv2d(channels, maps, size, kernel_size, 2, padding)


_H1_LOCAL, _H1_SHARED = _local(1, 3, 1), _shared(2, 3, 1)  # 16x16 -> 8x8
_H2_LOCAL, _H2_SHARED = _local(1, 5, 2), _shared(4, 5, 2)  # 8x8 -> 4x4


def _finish(net, output_tanh):
    return net.append(nn.Tanh()) if output_tanh else net


def _maps_net(name, input_shape, num_classes, output_tanh, first, second):
    """H1 -> tanh -> H2 -> tanh -> flatten -> fully connected output."""
    channels, height, width = check_arguments(input_shape, num_classes, name)
    check_flag(name, "output_tanh", output_tanh)
    h1 = first(channels, (height, width))
    h2 = second(h1.out_channels, h1.output_size)
    out = nn.Linear(h2.out_channels * math.prod(h2.output_size), num_classes)
    return _finish(nn.Sequential(h1, nn.Tanh(), h2, nn.Tanh(), nn.Flatten(), out), output_tanh)


def lecun1989_net1(input_shape=(1, 16, 16), num_classes=10, output_tanh=False):
    """LeCun 1989 Net-1: no hidden layer, 256 -> 10 fully connected (2570 links, 2570 weights).

    >>> import backprop as bp
    >>> lecun1989_net1()(bp.zeros(2, 1, 16, 16)).shape
    backprop.Size([2, 10])
    """
    check_flag("lecun1989_net1", "output_tanh", output_tanh)
    return _finish(mlp(input_shape, num_classes, hidden=()), output_tanh)


def lecun1989_net2(input_shape=(1, 16, 16), num_classes=10, output_tanh=False):
    """LeCun 1989 Net-2: one fully connected hidden layer of 12 tanh units (3214 links, 3214 weights).

    >>> import backprop as bp
    >>> lecun1989_net2()(bp.zeros(2, 1, 16, 16)).shape
    backprop.Size([2, 10])
    """
    check_flag("lecun1989_net2", "output_tanh", output_tanh)
    return _finish(mlp(input_shape, num_classes, hidden=(12,), activation="tanh"), output_tanh)


def lecun1989_net3(input_shape=(1, 16, 16), num_classes=10, output_tanh=False):
    """LeCun 1989 Net-3: H1 8x8 and H2 4x4 locally connected, 3x3 and 5x5 fields (1226 links, 1226 weights).

    >>> import backprop as bp
    >>> lecun1989_net3()(bp.zeros(2, 1, 16, 16)).shape
    backprop.Size([2, 10])
    """
    return _maps_net("lecun1989_net3", input_shape, num_classes, output_tanh, _H1_LOCAL, _H2_LOCAL)


def lecun1989_net4(input_shape=(1, 16, 16), num_classes=10, output_tanh=False):
    """LeCun 1989 Net-4: H1 two 8x8 maps of shared 3x3 kernels, H2 4x4 locally connected 5x5 over both
    (2266 links, 1132 weights).

    >>> import backprop as bp
    >>> lecun1989_net4()(bp.zeros(2, 1, 16, 16)).shape
    backprop.Size([2, 10])
    """
    return _maps_net("lecun1989_net4", input_shape, num_classes, output_tanh, _H1_SHARED, _H2_LOCAL)


def lecun1989_net5(input_shape=(1, 16, 16), num_classes=10, output_tanh=False):
    """LeCun 1989 Net-5: H1 two 8x8 maps of shared 3x3 kernels, H2 four 4x4 maps of shared 5x5 kernels over
    both (5194 links, 1060 weights).

    >>> import backprop as bp
    >>> lecun1989_net5()(bp.zeros(2, 1, 16, 16)).shape
    backprop.Size([2, 10])
    """
    return _maps_net("lecun1989_net5", input_shape, num_classes, output_tanh, _H1_SHARED, _H2_SHARED)
