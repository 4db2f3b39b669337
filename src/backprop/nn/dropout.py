"""Dropout layer: randomly zeroes units in training, a regulariser against co-adaptation."""
from backprop.nn.module import Module
from backprop.ops import dropout as D

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class Dropout(Module):
    """Keep each unit with probability 1 - p in training; identity (or a rescaling) in eval.

    Default (``scale_at_test=False``, torch's inverted dropout): training
    y = m z / (1 - p), m ~ Bernoulli(1 - p); evaluation y = z. The default
    because it is torch's (weights copy between the two unchanged) and the
    trained network needs no change at test time.
    ``scale_at_test=True`` is the lectures' form: training y = m z,
    evaluation y = (1 - p) z ("at test use all units and multiply the
    outgoing weights by 1/2" for p = 1/2). Both give E[y_train] = y_test.

    >>> import backprop as bp
    >>> Dropout(0.5).eval()(bp.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    >>> Dropout(0.5, scale_at_test=True).eval()(bp.ones(3)).tolist()
    [0.5, 0.5, 0.5]
    """

    def __init__(self, p=0.5, inplace=False, *, scale_at_test=False):
        super().__init__()
        D._check_p(p, "Dropout")
        self.p, self.inplace, self.scale_at_test = p, inplace, scale_at_test

    def forward(self, input):
        return D.dropout(input, self.p, self.training, self.inplace, scale_at_test=self.scale_at_test)

    def extra_repr(self):
        text = f"p={self.p}, inplace={self.inplace}"
        return text + (", scale_at_test=True" if self.scale_at_test else "")


class _ChannelDropout(Module):
    """Zero whole channels in training, each with probability p, and scale the kept ones by 1 / (1 - p)."""

    spatial = None  # the number of spatial dims after (N, C)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        D._check_p(p, type(self).__name__)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return D.channel_dropout(input, self.p, self.training, self.spatial, f"dropout{self.spatial}d")

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_ChannelDropout):
    """Channel dropout of (N, C, L) or (C, L) inputs: a whole sequence channel is kept or zeroed."""

    spatial = 1


class Dropout2d(_ChannelDropout):
    """Channel dropout of (N, C, H, W) inputs: a whole feature map is kept or zeroed.

    >>> import backprop as bp
    >>> y = Dropout2d(0.5)(bp.ones(2, 8, 3, 3))
    >>> bool(((y == 0) | (y == 2)).all()) and bool((y.amax(dim=(2, 3)) == y.amin(dim=(2, 3))).all())
    True
    """

    spatial = 2


class Dropout3d(_ChannelDropout):
    """Channel dropout of (N, C, D, H, W) or (C, D, H, W) inputs."""

    spatial = 3


class AlphaDropout(_ChannelDropout):
    """Alpha dropout for SELU networks: dropped units take SELU's negative saturation, then an affine map
    keeps mean 0 and variance 1 (see ``alpha_dropout``); identity in evaluation."""

    def forward(self, input):
        return D.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_ChannelDropout):
    """Alpha dropout of whole channels of (N, C, *) inputs."""

    def forward(self, input):
        return D.feature_alpha_dropout(input, self.p, self.training)
