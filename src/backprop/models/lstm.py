"""An LSTM classifier that reads an image row by row (a sequence of H rows)."""
from backprop import nn
from backprop.models.common import check_arguments, check_size, check_width

__all__ = ["RowLSTM", "lstm"]


class RowLSTM(nn.Module):
    """x (N, C, H, W) -> the sequence of its H rows, each the C W values of one row ->
    ``lstm`` (batch first) -> the last layer's final hidden state h_H -> ``fc`` logits.

    >>> import backprop as bp
    >>> RowLSTM(1, 8, 16, 10)(bp.zeros(2, 1, 8, 8)).shape
    backprop.Size([2, 10])
    """

    def __init__(self, channels, width, hidden_size, num_classes, num_layers=1):
        super().__init__()
        self.channels, self.width = channels, width
        self.lstm = nn.LSTM(channels * width, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.channels or x.shape[3] != self.width:
            raise ValueError(f"RowLSTM expects images (N, {self.channels}, H, {self.width}), got {tuple(x.shape)}")
        n, c, h, w = x.shape
        rows = x.permute(0, 2, 1, 3).reshape(n, h, c * w)
        _, (h_n, _) = self.lstm(rows)
        return self.fc(h_n[-1])


def lstm(input_shape=(1, 28, 28), num_classes=10, hidden_size=128, num_layers=1):
    """Row-by-row LSTM classifier (the "sequential MNIST by rows" task): 28 steps of 28 pixels for
    MNIST; the image height may differ at call time, channels and width may not.

    >>> import backprop as bp
    >>> lstm()(bp.zeros(2, 1, 28, 28)).shape
    backprop.Size([2, 10])
    """
    channels, _, width = check_arguments(input_shape, num_classes, "lstm")
    hidden_size = check_width("lstm", "hidden_size", hidden_size)
    num_layers = check_width("lstm", "num_layers", num_layers)
    # each layer: four gates of hidden_size units, each seeing its input and the hidden state (two biases)
    first, other = 4 * hidden_size * (channels * width + hidden_size + 2), 4 * hidden_size * (2 * hidden_size + 2)
    check_size("lstm", first + (num_layers - 1) * other + (hidden_size + 1) * num_classes, hidden_size=hidden_size,
               num_layers=num_layers)
    return RowLSTM(channels, width, hidden_size, num_classes, num_layers)
