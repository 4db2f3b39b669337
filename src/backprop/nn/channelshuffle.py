"""ChannelShuffle (ShuffleNet): interleave the channels of ``groups`` groups, so that the next grouped
convolution sees channels from every group."""
from backprop.nn.module import Module
from backprop.ops.distance import channel_shuffle

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """(N, g * k, *) -> channels reordered as (N, k, g, *) read back: channel g k + i moves to i g + g'.

    >>> import backprop as bp
    >>> ChannelShuffle(2)(bp.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
