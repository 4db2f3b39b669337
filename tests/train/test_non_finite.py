"""The non-finite guard: a diverging run stops at once with one line naming where and why, the last good checkpoint
stays on disk byte for byte, ``check_finite=False`` trains on, and a normal run is unchanged by the guard."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop.train import Callback, NonFiniteError, Trainer
from backprop.train.trainer import CHECKPOINT


def _regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 1))).astype(np.float32)
    return bp.data.TensorDataset(bp.tensor(x), bp.tensor(y))


class _HugeLrFromEpoch2(Callback):
    """Sets lr = 1e38 when epoch 2 begins, and keeps the bytes the checkpoint then has (the last good one)."""

    def __init__(self, out_dir):
        self.out_dir, self.good_bytes = out_dir, None

    def on_epoch_begin(self, trainer):
        if trainer.epoch == 1:
            with open(os.path.join(self.out_dir, CHECKPOINT), "rb") as handle:
                self.good_bytes = handle.read()
            for group in trainer.optimizer.param_groups:
                group["lr"] = 1e38


def _diverging_trainer(out_dir, check_finite=True, momentum=0.0):
    bp.manual_seed(0)
    model = bp.nn.Linear(4, 1)
    optimizer = bp.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    loader = bp.data.DataLoader(_regression(), batch_size=16)  # 4 steps per epoch
    callback = _HugeLrFromEpoch2(out_dir)
    trainer = Trainer(model, optimizer, bp.nn.MSELoss(), loader, epochs=3, callbacks=[callback], out_dir=out_dir,
                      check_finite=check_finite)
    return trainer, callback


def test_a_huge_lr_stops_at_the_first_non_finite_loss_and_keeps_the_last_good_checkpoint(tmp_path):
    """Step 5 (the first of epoch 2) still uses epoch 1's weights, so its loss and gradient are finite; its update
    multiplies the gradient by 1e38, so step 6's float32 weights are ~1e38 or beyond and its squared error overflows:
    the guard must stop exactly there."""
    trainer, callback = _diverging_trainer(str(tmp_path), momentum=0.9)
    with pytest.raises(NonFiniteError) as caught:
        trainer.fit()
    error = caught.value
    assert isinstance(error, RuntimeError)
    assert (error.epoch, error.step, error.what) == (2, 6, "loss")
    message = str(error)
    assert "\n" not in message
    assert "epoch 2, step 6" in message and "lr=1e+38" in message and "momentum=0.9" in message
    assert "checkpoint of epoch 1 is kept" in message
    assert trainer.step == 5 and len(trainer.history) == 1  # step 6's update was not applied
    with open(tmp_path / CHECKPOINT, "rb") as handle:
        assert handle.read() == callback.good_bytes


def test_check_finite_false_trains_on(tmp_path):
    trainer, callback = _diverging_trainer(str(tmp_path), check_finite=False)
    with pytest.warns(RuntimeWarning, match="overflow|invalid"):  # without the guard NumPy's warnings are kept
        history = trainer.fit()
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert math.isfinite(history[0]["loss"]) and not math.isfinite(history[-1]["loss"])
    with open(tmp_path / CHECKPOINT, "rb") as handle:
        assert handle.read() != callback.good_bytes  # overwritten by the diverged state: what the guard prevents


@pytest.mark.parametrize("lr, momentum, message", [
    (float("nan"), 0.0, r"^Trainer: the learning rate must be a finite number, got lr=nan$"),
    (float("inf"), 0.9, r"^Trainer: the learning rate must be a finite number, got lr=inf$"),
    (0.1, 1.0, r"^Trainer: momentum must be below 1 .*, got momentum=1; check_finite=False trains anyway$"),
])
def test_settings_that_always_diverge_are_refused_up_front(lr, momentum, message):
    model = bp.nn.Linear(4, 1)
    optimizer = bp.optim.SGD(model.parameters(), lr=0.1, momentum=0.0)
    optimizer.param_groups[0].update(lr=lr, momentum=momentum)  # SGD itself refuses a NaN lr, as torch
    loader = bp.data.DataLoader(_regression(), batch_size=16)
    with pytest.raises(ValueError, match=message):
        Trainer(model, optimizer, bp.nn.MSELoss(), loader)
    Trainer(model, optimizer, bp.nn.MSELoss(), loader, check_finite=False)  # no guard: taken as given


def test_momentum_of_1_or_more_is_named_first():
    """Without the up-front refusal (check_finite=False for the constructor), a momentum of 5 set afterwards."""
    bp.manual_seed(0)
    model = bp.nn.Linear(4, 1)
    optimizer = bp.optim.SGD(model.parameters(), lr=1e-3, momentum=0.5)
    trainer = Trainer(model, optimizer, bp.nn.MSELoss(), bp.data.DataLoader(_regression(), batch_size=16), epochs=100)
    optimizer.param_groups[0]["momentum"] = 5.0  # e.g. by a schedule of the momentum
    with pytest.raises(NonFiniteError, match=r": the (loss|gradient).*; momentum=5 must be below 1 or the learning "
                                             r"rate \(lr=0.001\) is probably too high$"):
        trainer.fit()


def _zero_with_infinite_gradient(output, target):
    """0 whose gradient is NaN: d sqrt(u)/du = 1 / (2 sqrt(u)) is infinite at u = 0, times du/doutput = 0."""
    return ((output - output.detach()) ** 2).sum().sqrt()


@pytest.mark.parametrize("clip", [None, 1.0])
def test_a_finite_loss_with_non_finite_gradients_stops_before_the_update(clip):
    bp.manual_seed(0)
    model = bp.nn.Linear(4, 1)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), _zero_with_infinite_gradient,
                      bp.data.DataLoader(_regression(), batch_size=16), epochs=1, clip_grad_norm=clip)
    with pytest.raises(NonFiniteError, match=r"epoch 1, step 1: .*gradient") as caught:
        trainer.fit()
    assert caught.value.what == "gradients"
    for old, new in zip(before, model.parameters()):
        np.testing.assert_array_equal(new.detach().numpy(), old)


def test_weights_that_overflow_in_the_last_update_of_an_epoch_are_not_checkpointed(tmp_path):
    """One step per epoch: finite loss and gradient (100 per example of the bias), but lr * gradient = 1.6e41
    overflows float32, so the weights are infinite when the epoch ends."""
    bp.manual_seed(0)
    model = bp.nn.Linear(4, 1)
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=1e38), lambda output, target: 100 * output.sum(),
                      bp.data.DataLoader(_regression(n=16), batch_size=16), epochs=2, out_dir=str(tmp_path))
    with pytest.raises(NonFiniteError, match="epoch 1, step 1: a weight") as caught:
        trainer.fit()
    assert caught.value.what == "weights"
    assert not (tmp_path / CHECKPOINT).exists()


def test_the_guard_changes_nothing_on_a_normal_run():
    def run(check_finite):
        bp.manual_seed(1)
        model = bp.nn.Sequential(bp.nn.Linear(4, 8), bp.nn.Tanh(), bp.nn.Linear(8, 1))
        trainer = Trainer(model, bp.optim.Adam(model.parameters(), lr=1e-2), bp.nn.MSELoss(),
                          bp.data.DataLoader(_regression(), batch_size=16, shuffle=True, seed=3), epochs=3,
                          check_finite=check_finite)
        history = [{k: v for k, v in row.items() if k not in ("time", "samples_per_s")} for row in trainer.fit()]
        return history, [p.detach().numpy() for p in model.parameters()]

    (history_on, weights_on), (history_off, weights_off) = run(True), run(False)
    assert history_on == history_off
    for on, off in zip(weights_on, weights_off):
        np.testing.assert_array_equal(on, off)


def test_the_cli_reports_a_diverged_run_in_one_line_and_exits_1(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "backprop.cli", "train", "--model", "mlp", "--epochs", "1",
                             "--optimizer", "sgd", "--lr", "1e9", "--out", str(out)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()  # NumPy's overflow warnings silenced: the guard says it in one line
    assert len(lines) == 1 and lines[0].startswith("backprop: error: training diverged at epoch 1, step "), lines
    assert "lr=1e+09" in lines[0]
    assert not (out / CHECKPOINT).exists()


def test_run_train_passes_check_finite_to_the_trainer(tmp_path):
    """``backprop.train.run.train(config, check_finite=False)``: what a command-line switch would call."""
    from backprop.train import run
    config = run.make_config(model="mlp", epochs=1, optimizer="sgd", lr=1e9, augment=False, val_fraction=0.0,
                             out=str(tmp_path / "run"))
    with pytest.raises(NonFiniteError):
        run.train(config)
    with pytest.warns(RuntimeWarning):
        run.train(config, check_finite=False)
    assert (tmp_path / "run" / CHECKPOINT).exists()
