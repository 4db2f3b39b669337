"""Callbacks: code that runs at fixed points of ``Trainer.fit`` without changing the loop.

The hooks are called in this order::

    on_train_begin
      on_epoch_begin, on_batch_end (each mini-batch), on_epoch_end   (each epoch)
    on_train_end

and ``on_train_abort`` instead of ``on_train_end`` when an error or Ctrl-C ends the training (a progress bar ends
its line there, so that the error's message starts a line of its own).

``logs`` holds the metrics of the batch or the epoch (``loss``,
``accuracy``, ``val_loss``, ...). A callback with state that matters for an
exact resume (early stopping's best value and patience) sets ``stateful``
and returns that state from ``state_dict``; the trainer stores it in the
checkpoint. Progress bars and loggers keep none, so a run may be resumed
with other ones.
"""
import sys
import time

__all__ = ["Callback", "EarlyStopping", "ProgressBar", "PrintLogger"]


class Callback:
    stateful = False  # True: state_dict() matters for an exact resume and goes into the checkpoint

    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer):
        pass

    def on_batch_end(self, trainer, logs):
        pass

    def on_epoch_end(self, trainer, logs):
        pass

    def on_train_end(self, trainer):
        pass

    def on_train_abort(self, trainer):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (the lectures' early stopping).

    With ``restore_best=True`` the model ends with the weights of its best
    epoch, not its last.

    >>> class Run:  # what the callback sees of a Trainer
    ...     model, epoch, stop = None, 0, False
    >>> stop = EarlyStopping(monitor="val_loss", patience=1, restore_best=False)
    >>> for loss in (1.0, 0.5, 0.6):
    ...     stop.on_epoch_end(Run, {"val_loss": loss})
    >>> Run.stop, stop.best
    (True, 0.5)
    """

    stateful = True

    def __init__(self, monitor="val_loss", mode="min", patience=5, min_delta=0.0, restore_best=True):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta, self.restore_best = abs(min_delta), restore_best
        self.best, self.best_epoch, self.wait, self.best_state = None, None, 0, None
        self.stopped_epoch = None

    def improved(self, value):
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the epoch logged only {sorted(logs)}")
        value = logs[self.monitor]
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, trainer.epoch, 0
            if self.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in _model_state_dict(trainer).items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.stop = True
                self.stopped_epoch = trainer.epoch

    def on_train_end(self, trainer):
        if self.restore_best and self.best_state is not None and self.stopped_epoch is not None:
            _load_model_state_dict(trainer, self.best_state)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_state": self.best_state}

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch, self.best_state = state["stopped_epoch"], state["best_state"]


def _model_state_dict(trainer):
    """The weights as the trainer's checkpoints hold them (a distributed run's: the bare model's), for any object
    with a ``model`` that stands in for a Trainer."""
    if hasattr(trainer, "model_state_dict"):
        return trainer.model_state_dict()
    return trainer.model.state_dict()


def _load_model_state_dict(trainer, state):
    if hasattr(trainer, "load_model_state_dict"):
        trainer.load_model_state_dict(state)
    else:
        trainer.model.load_state_dict(state)


def _format(logs, keys=("loss", "accuracy", "val_loss", "val_accuracy")):
    parts = []
    for key in keys:
        if key in logs:
            value = logs[key]
            parts.append(f"{key} {value:.2%}" if "accuracy" in key else f"{key} {value:.4f}")
    return ", ".join(parts)


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss, accuracy and throughput (needs ``tqdm``)."""

    def __init__(self, file=None):
        try:
            import tqdm
        except ImportError as error:
            raise ImportError("ProgressBar needs tqdm: pip install tqdm (or 'backprop[progress]')") from error
        self._tqdm = tqdm.tqdm
        self.file = file or sys.stderr
        self.bar = None

    def on_epoch_begin(self, trainer):
        self.bar = self._tqdm(total=len(trainer.train_loader), desc=f"epoch {trainer.epoch + 1}/{trainer.epochs}",
                              file=self.file, leave=True, dynamic_ncols=True, unit="batch")
        self.started, self.samples = time.perf_counter(), 0

    def on_batch_end(self, trainer, logs):
        self.samples += logs["size"]
        rate = self.samples / max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{_format(logs)}, {rate:,.0f} samples/s", refresh=False)
        self.bar.update(1)

    def on_epoch_end(self, trainer, logs):
        self.bar.set_postfix_str(_format(logs), refresh=False)
        self.bar.close()

    def on_train_abort(self, trainer):
        if self.bar is not None:
            self.bar.close()  # ends the bar's line: what the error prints starts a line of its own


class PrintLogger(Callback):
    """One line per epoch (for logs and terminals without a progress bar)."""

    def __init__(self, file=None):
        self.file = file or sys.stdout

    def on_epoch_end(self, trainer, logs):
        print(f"epoch {trainer.epoch}/{trainer.epochs}: {_format(logs)} "
              f"({logs['samples_per_s']:,.0f} samples/s)", file=self.file, flush=True)
