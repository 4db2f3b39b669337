"""The training loop of the lectures, with the bookkeeping a real run needs.

One step: draw a mini-batch, forward pass, loss, backward pass, update
w <- w - eta dJ/dw (the optimiser's rule); one epoch: every mini-batch of
the training set once. After each epoch the trainer evaluates on the
validation set, steps the learning-rate schedule, records the metrics,
runs the callbacks and, given an ``out_dir``, writes a checkpoint holding
everything needed to resume exactly: the model, optimiser and scheduler
states, the epoch, the loaders' and the random generator's states, the
callbacks' states and the history.

Adversarial training (Goodfellow et al. 2015): given an ``adversary``
(model, x, y) -> x_adv, e.g. ``functools.partial(backprop.attacks.fgsm,
eps=0.1)``, each step trains on

    J~(theta, x, y) = (1 - w) J(theta, x, y) + w J(theta, x_adv, y)

with w = ``adversarial_weight``; w = 1 trains on the attacked batch only
(Madry et al.'s PGD training).

Non-finite guard (``check_finite=True``): a step whose loss or gradients are NaN or infinite, or an epoch that
ends with non-finite weights, raises ``NonFiniteError`` before the update is applied and before any checkpoint
is written, so the checkpoint on disk stays the one of the last good epoch. The check costs one test of the loss
value (already fetched for the logs) and one ``isfinite`` over each gradient per step; with ``clip_grad_norm`` the
total norm already computed is tested instead.

The guard also stops a run whose loss *exploded* while still finite (Adam with lr=1e9 reaches losses of 1e29
without ever overflowing): a step's loss above EXPLODED = 1e6 times max(1, the first step's loss of this
Trainer). Healthy training lowers the loss, and a noisy or too-high learning rate makes it jump by tens or
hundreds of times, not a million: a cross-entropy starts near ln(classes) (2.3 for ten), so the bar is 2.3e6,
where the network's outputs are of the order of a million. Measured on every model of the zoo (12 steps on random
inputs, SGD with momentum 0.9 at lr 0.1 and Adam at lr 0.01): the largest loss was 290 times the first (alexnet,
Adam); even lr=1 (Adam) stayed below 1e5 times but on runs that had blown up (alexnet with Adam at lr 0.1: 1e9).
max(1, ...) keeps a run that starts near a loss of zero (a resumed or fine-tuned model) from being stopped by a
rise to 0.1; a regression's large first loss (squared errors of 1e4) scales the bar up with it.
"""
import contextlib
import csv
import io
import json
import math
import numbers
import os
import time

import numpy

from backprop import autograd, backend, creation
from backprop.nn import utils as nn_utils
from backprop.nn.utils import evaluating
from backprop.optim import lr_scheduler
from backprop.files import atomic_write
from backprop.tensor import Tensor
from backprop.train import metrics
from backprop.train.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["Trainer", "NonFiniteError"]

CHECKPOINT = "checkpoint.safetensors"
EXPLODED = 1e6  # a loss above EXPLODED * max(1, the first step's) has exploded (see the module's docstring)


class NonFiniteError(RuntimeError):
    """Training diverged: the loss, a gradient or a weight became NaN or infinite (``Trainer(check_finite=True)``).

    ``epoch`` and ``step`` (both counted from 1, ``step`` over the whole run) say where; ``what`` is what
    became non-finite ("loss", "gradients" or "weights").
    """

    def __init__(self, message, *, epoch, step, what):
        super().__init__(message)
        self.epoch, self.step, self.what = epoch, step, what


class Trainer:
    """Train ``model`` with ``optimizer`` on ``loss_fn`` over ``train_loader`` for ``epochs`` epochs.

    ``clip_grad_norm`` (v): if ||g|| > v then g <- g v / ||g|| before each update.
    ``max_norm`` (alpha): each unit's incoming weights rescaled to norm <= alpha after each update.
    ``config`` (plain values) is stored in every checkpoint, e.g. how to rebuild the model.
    ``adversary`` (model, x, y) -> x_adv and ``adversarial_weight`` w: train on (1 - w) J(x) + w J(x_adv);
    x_adv is crafted with the model in eval mode, the update is made in training mode. The logged loss is
    that combination; the logged accuracy is on the clean batch for w < 1, on the attacked one for w = 1.
    w = 0 is plain training: the adversary is not called.
    The adversary is code, not state: a checkpoint does not hold it, pass it again to resume.
    ``check_finite`` (default True): refuse a non-finite learning rate or momentum >= 1 up front (ValueError), and
    stop with ``NonFiniteError`` as soon as the loss or the gradients become NaN or infinite, before the update and
    before the epoch's checkpoint (the last good one stays on disk); False trains on.

    >>> import backprop as bp
    >>> data = bp.data.TensorDataset(bp.randn(64, 2), bp.randint(0, 2, (64,)))
    >>> model = bp.nn.Linear(2, 2)
    >>> trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), bp.nn.CrossEntropyLoss(),
    ...                   bp.data.DataLoader(data, batch_size=16), epochs=2)
    >>> [sorted(row) for row in trainer.fit()][0][:3]
    ['accuracy', 'epoch', 'loss']
    """

    def __init__(self, model, optimizer, loss_fn, train_loader, val_loader=None, *, epochs=10, scheduler=None,
                 clip_grad_norm=None, max_norm=None, callbacks=(), out_dir=None, device=None, config=None,
                 adversary=None, adversarial_weight=0.5, check_finite=True):
        if epochs < 0:
            raise ValueError(f"Trainer: epochs must be >= 0, got {epochs}")
        if isinstance(adversarial_weight, bool) or not isinstance(adversarial_weight, numbers.Real) \
                or not 0 <= adversarial_weight <= 1:
            raise ValueError(f"Trainer: adversarial_weight must be a number in [0, 1], got {adversarial_weight!r}")
        if adversary is not None and not callable(adversary):
            raise TypeError(f"Trainer: adversary must be a function (model, x, y) -> x_adv, got {adversary!r}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.train_loader, self.val_loader = train_loader, val_loader
        self.epochs, self.scheduler = epochs, scheduler
        self.clip_grad_norm, self.max_norm = clip_grad_norm, max_norm
        self.callbacks = list(callbacks)
        self.out_dir, self.device, self.config = out_dir, device, dict(config or {})
        self.adversary, self.adversarial_weight = adversary, float(adversarial_weight)
        self.check_finite = bool(check_finite)
        if self.check_finite:
            _refuse_divergent_settings(optimizer)
        self.epoch, self.step, self.history, self.stop = 0, 0, [], False
        self._first_loss = None  # the loss of this Trainer's first step: the scale of an exploded loss
        if device is not None:
            self.model.to(device=device)

    # --- one step, one epoch -------------------------------------------------------------------------
    def _to_device(self, batch):
        if self.device is None:
            return batch
        return tuple(t.to(device=self.device) for t in batch)

    def train_step(self, inputs, target):
        """Forward, loss, backward, update; returns (loss value, output)."""
        if self.adversary is None or self.adversarial_weight == 0:
            output = self.model(inputs)
            loss = self.loss_fn(output, target)
        else:
            loss, output = self._adversarial_loss(inputs, target)
        self.optimizer.zero_grad()
        loss.backward()
        value = loss.item()
        # checked after the backward pass: a data-parallel run has then the same (all-reduced) gradients on every
        # rank, so that every rank stops at the same step, not only the one whose loss diverged
        if self.check_finite:
            self._check_loss(value)
        if self.clip_grad_norm is not None:
            norm = nn_utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            if self.check_finite and not math.isfinite(norm.item()):
                raise self._non_finite("gradients", f"the gradient norm is {norm.item()}")
        elif self.check_finite and not _all_finite(p.grad for p in self.model.parameters()):
            raise self._non_finite("gradients", "a gradient holds NaN or infinite values")
        self.optimizer.step()
        if self.max_norm is not None:
            nn_utils.max_norm_(self.model, self.max_norm)
        self.step += 1
        return value, output

    def _check_loss(self, value):
        """NonFiniteError when the loss is NaN, infinite, or exploded (above EXPLODED * max(1, the first one))."""
        if not math.isfinite(value):
            raise self._non_finite("loss", f"the loss is {value}")
        if self._first_loss is None:
            self._first_loss = value
        elif value > EXPLODED * max(1.0, abs(self._first_loss)):
            raise self._non_finite("loss", f"the loss exploded to {value:.3g}, over {EXPLODED:.0e} times the first "
                                           f"step's {self._first_loss:.3g}")

    def _non_finite(self, what, found, step=None):
        """The error of a diverged run at the coming step (or ``step``), naming the likely causes."""
        epoch, step = self.epoch + 1, self.step + 1 if step is None else step
        group = self.optimizer.param_groups[0]
        causes = [f"the learning rate (lr={float(group['lr']):g}) is probably too high"]
        momentum = float(group.get("momentum") or 0)
        if momentum >= 1:  # v <- mu v + g grows without bound: the cause, whatever the learning rate
            causes.insert(0, f"momentum={momentum:g} must be below 1")
        elif momentum:
            causes.append(f"momentum={momentum:g} may be too high")
        message = f"training diverged at epoch {epoch}, step {step}: {found}; {' or '.join(causes)}"
        if self.out_dir is not None and self.epoch > 0:
            message += f"; the checkpoint of epoch {self.epoch} is kept"
        return NonFiniteError(message, epoch=epoch, step=step, what=what)

    def _adversarial_loss(self, inputs, target):
        """(J~ = (1 - w) J(x) + w J(x_adv), the output on x, or on x_adv when w = 1)."""
        with evaluating(self.model), autograd.enable_grad():  # eval mode, but the attack needs its gradient
            attacked = self.adversary(self.model, inputs, target)
        if isinstance(attacked, Tensor):
            attacked = attacked.detach()
        else:  # an array: as a batch of the loader's, on the training device
            attacked = creation.as_tensor(attacked, dtype=inputs.dtype, device=inputs.device)
        w = self.adversarial_weight
        if w == 1:  # no clean forward pass
            output = self.model(attacked)
            return self.loss_fn(output, target), output
        output = self.model(inputs)
        return (1 - w) * self.loss_fn(output, target) + w * self.loss_fn(self.model(attacked), target), output

    def train_epoch(self):
        self.model.train()
        loss_mean, right, seen = metrics.RunningMean(), 0, 0
        classify = None
        started = time.perf_counter()
        for batch in self.train_loader:
            inputs, target = self._to_device(batch)
            loss, output = self.train_step(inputs, target)
            n = target.shape[0]
            loss_mean.update(loss, n)
            seen += n
            logs = {"loss": loss_mean.value, "size": n}
            if classify is None:
                classify = _is_class_target(target)
            if classify:
                right += metrics.correct(output, target)
                logs["accuracy"] = right / seen
            for callback in self.callbacks:
                callback.on_batch_end(self, logs)
        seconds = time.perf_counter() - started
        logs = {"loss": loss_mean.value, "time": seconds, "samples_per_s": seen / seconds if seconds else 0.0}
        if classify:
            logs["accuracy"] = right / seen
        return self.merge_logs(logs, seen)

    def evaluate(self, loader):
        """Mean loss (and accuracy, for class targets) over ``loader`` in eval mode, without a graph."""
        loss_mean, right, seen, classify = metrics.RunningMean(), 0, 0, False
        with evaluating(self.model):
            for batch in loader:
                inputs, target = self._to_device(batch)
                output = self.model(inputs)
                n = target.shape[0]
                loss_mean.update(self.loss_fn(output, target).item(), n)
                seen += n
                classify = _is_class_target(target)
                if classify:
                    right += metrics.correct(output, target)
        logs = {"loss": loss_mean.value}
        if classify:
            logs["accuracy"] = right / seen
        return self.merge_logs(logs, seen)

    def merge_logs(self, logs, seen):
        """The metrics of an epoch or an evaluation on ``seen`` examples, as reported: here as they are; a
        ``distributed.DistributedTrainer`` averages them over its ranks."""
        return logs

    def predict(self, loader):
        """Outputs of the model on every batch of ``loader`` (eval mode), as one NumPy array."""
        with evaluating(self.model):
            outputs = [backend.to_numpy(self.model(self._to_device(batch)[0])._data) for batch in loader]
        return numpy.concatenate(outputs) if outputs else numpy.zeros((0,))

    # --- the loop ----------------------------------------------------------------------------------------
    def fit(self):
        """Train until ``epochs`` epochs are done (counting those before a resume) or a callback stops it.

        Returns the history: one dict of metrics per epoch.

        The loop of ``backprop train``: any Dataset through a DataLoader, callbacks, checkpoints and resuming,
        metrics, the non-finite guard. ``train.minibatch.fit`` is the plain loop on Tensors in memory (the
        experiments, the autoencoders), where none of that is wanted.
        """
        self.stop = False
        for callback in self.callbacks:
            callback.on_train_begin(self)
        while self.epoch < self.epochs and not self.stop:
            epoch = self.epoch + 1
            try:
                self._fit_epoch()
            except BaseException as error:
                if isinstance(error, KeyboardInterrupt):  # Ctrl-C: in which epoch (the checkpoint holds an earlier one)
                    error.epoch = epoch
                for callback in self.callbacks:
                    abort = getattr(callback, "on_train_abort", None)  # (a callback need not subclass Callback)
                    if abort is not None:
                        abort(self)
                raise
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _fit_epoch(self):
        """One epoch of ``fit``: train, validate, step the schedule, record, call back, checkpoint."""
        for callback in self.callbacks:
            callback.on_epoch_begin(self)
        with self._quiet_overflow():
            logs = self.train_epoch()
        if self.check_finite and not _all_finite(self.model.parameters()):  # the last update overflowed
            raise self._non_finite("weights", "a weight became NaN or infinite", step=self.step)
        if self.val_loader is not None:
            logs.update({f"val_{k}": v for k, v in self.evaluate(self.val_loader).items()})
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        self._step_scheduler(logs)
        self.epoch += 1
        logs = {"epoch": self.epoch, **logs}
        self.history.append(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(self, logs)
        if self.out_dir is not None:
            self.save(os.path.join(self.out_dir, CHECKPOINT))
            self.write_history()

    def _quiet_overflow(self):
        """With the guard on, NumPy's overflow and invalid-value warnings are silenced while training: the guard
        turns what they announce (an inf or a NaN in the loss or the gradients) into one error instead."""
        if not self.check_finite:
            return contextlib.nullcontext()
        return numpy.errstate(over="ignore", invalid="ignore", divide="ignore")

    def _step_scheduler(self, logs):
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, lr_scheduler.ReduceLROnPlateau):
            monitored = logs.get("val_loss", logs["loss"])
            if math.isfinite(monitored):
                self.scheduler.step(monitored)
        else:
            self.scheduler.step()

    # --- checkpoints ---------------------------------------------------------------------------------------
    def state_dict(self):
        state = {
            "config": self.config,
            "epoch": self.epoch,
            "step": self.step,
            "model": self.model_state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": creation.get_rng_state(),
            "train_loader": _loader_state(self.train_loader),
            "history": self.history,
            "callbacks": [[type(callback).__name__, callback.state_dict()] for callback in self._stateful_callbacks()],
        }
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def model_state_dict(self):
        """The model's weights as checkpoints hold them (a ``DistributedTrainer``: the wrapped model's)."""
        return self.model.state_dict()

    def load_model_state_dict(self, state):
        self.model.load_state_dict(state)

    def _stateful_callbacks(self):
        return [callback for callback in self.callbacks if getattr(callback, "stateful", False)]

    def load_state_dict(self, state):
        self.load_model_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            if "scheduler" not in state:
                raise ValueError("the checkpoint holds no scheduler state, but this Trainer has a scheduler")
            self.scheduler.load_state_dict(state["scheduler"])
        if state.get("train_loader") is not None and hasattr(self.train_loader, "load_state_dict"):
            self.train_loader.load_state_dict(state["train_loader"])
        stateful = self._stateful_callbacks()
        names = [name for name, _ in state["callbacks"]]
        if names != [type(callback).__name__ for callback in stateful]:
            raise ValueError(f"the checkpoint holds the state of the callbacks {names}, this Trainer has "
                             f"{[type(callback).__name__ for callback in stateful]}")
        for callback, (_, callback_state) in zip(stateful, state["callbacks"]):
            callback.load_state_dict(callback_state)
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.history = list(state["history"])
        creation.set_rng_state(state["rng"])

    def save(self, path):
        """Write the checkpoint atomically (``save_checkpoint``: temporary file, fsync, rename). A failure to write (a
        full disk, no permission) is an OSError naming ``path``; the temporary file is removed and the previous
        checkpoint stays as it was."""
        return save_checkpoint(self.state_dict(), path)

    def resume(self, path):
        """Load a checkpoint written by ``save``; ``fit()`` then goes on from the epoch after it."""
        self.load_state_dict(load_checkpoint(path))
        return self

    def write_history(self):
        """``history.json`` and ``history.csv`` (one row per epoch) in ``out_dir``."""
        os.makedirs(self.out_dir, exist_ok=True)
        _write_atomic(os.path.join(self.out_dir, "history.json"), json.dumps(self.history, indent=1))
        keys = []
        for row in self.history:
            keys += [k for k in row if k not in keys]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.history)
        _write_atomic(os.path.join(self.out_dir, "history.csv"), text.getvalue())


def _is_class_target(target):
    return target.dtype.kind in "iu" and target.ndim == 1


def _all_finite(tensors):
    """Whether every element of the tensors (None skipped) is finite: one ``isfinite`` reduction per tensor, the
    verdicts combined on the device so that a GPU run waits for them once."""
    verdict = True
    for tensor in tensors:
        if tensor is not None:
            data = tensor._data
            verdict = verdict & backend.array_module(data).isfinite(data).all()
    return bool(verdict)


def _refuse_divergent_settings(optimizer):
    """Settings that diverge whatever the data, refused before training: a learning rate that is not a finite
    number, momentum >= 1 (the velocity v <- mu v + g then grows without bound)."""
    for index, group in enumerate(optimizer.param_groups):
        where = f" (parameter group {index})" if len(optimizer.param_groups) > 1 else ""
        lr = float(group["lr"])
        if not math.isfinite(lr):
            raise ValueError(f"Trainer: the learning rate must be a finite number, got lr={lr}{where}")
        momentum = float(group.get("momentum") or 0)
        if momentum >= 1:
            raise ValueError(f"Trainer: momentum must be below 1 (v <- mu v + g grows without bound), got "
                             f"momentum={momentum:g}{where}; check_finite=False trains anyway")


def _loader_state(loader):
    return loader.state_dict() if hasattr(loader, "state_dict") else None


def _write_atomic(path, text):
    """Write ``text`` to ``path`` atomically (``files.atomic_write``: temporary file, fsync, rename; the temporary
    file removed on failure); a failure is an OSError naming ``path``."""
    with atomic_write(path, "w") as handle:
        handle.write(text)
