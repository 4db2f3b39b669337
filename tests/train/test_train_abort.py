"""A training run ended by an error or Ctrl-C: the callbacks' ``on_train_abort`` runs (a progress bar ends its line,
so that the error's one line starts a line of its own), and Ctrl-C's KeyboardInterrupt says in which epoch."""
import io

import numpy as np
import pytest

import backprop as bp
from backprop.train import Callback, NonFiniteError, ProgressBar, Trainer


def _trainer(loss_fn, callbacks):
    rng = np.random.default_rng(0)
    data = bp.data.TensorDataset(bp.from_numpy(rng.standard_normal((64, 4)).astype(np.float32)),
                                 bp.from_numpy(rng.integers(0, 3, 64)))
    model = bp.nn.Linear(4, 3)
    return Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), loss_fn, bp.data.DataLoader(data, batch_size=16),
                   epochs=3, callbacks=callbacks)


def _failing_at(call, error):
    """Cross-entropy whose ``call``-th evaluation raises ``error`` instead."""
    calls = iter(range(1, 1000))
    cross_entropy = bp.nn.CrossEntropyLoss()

    def loss(output, target):
        if next(calls) == call:
            raise error
        return cross_entropy(output, target)
    return loss


class Record(Callback):
    def __init__(self):
        self.seen = []

    def on_train_end(self, trainer):
        self.seen.append("end")

    def on_train_abort(self, trainer):
        self.seen.append(f"abort in epoch {trainer.epoch + 1}")


@pytest.mark.parametrize("error", [KeyboardInterrupt(), NonFiniteError("diverged", epoch=2, step=6, what="loss"),
                                   OSError(28, "No space left on device")])
def test_an_error_calls_on_train_abort_not_on_train_end(error):
    record = Record()
    with pytest.raises(type(error)) as caught:
        _trainer(_failing_at(6, error), [record]).fit()  # 4 batches per epoch: the 6th is in epoch 2
    assert record.seen == ["abort in epoch 2"]
    if isinstance(error, KeyboardInterrupt):
        assert caught.value.epoch == 2


def test_a_progress_bar_ends_its_line_when_training_is_interrupted():
    pytest.importorskip("tqdm")
    shown = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        _trainer(_failing_at(6, KeyboardInterrupt()), [ProgressBar(file=shown)]).fit()
    text = shown.getvalue()
    assert "epoch 2/3" in text and text.endswith("\n")


def test_a_callback_without_the_hook_is_skipped():
    class Old:  # duck-typed, not a Callback
        def on_train_begin(self, trainer): pass
        def on_epoch_begin(self, trainer): pass
        def on_batch_end(self, trainer, logs): pass
        def on_epoch_end(self, trainer, logs): pass
        def on_train_end(self, trainer): pass

    with pytest.raises(KeyboardInterrupt):  # the interrupt itself, not an AttributeError
        _trainer(_failing_at(2, KeyboardInterrupt()), [Old()]).fit()
