"""The Trainer: the lectures' loop step for step against torch, exact resume, callbacks, files."""
import csv
import json
import os

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import models
from backprop.train import EarlyStopping, Trainer, load_checkpoint


def _torch_mlp(bp_model):
    twin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in bp_model.state_dict().items()})
    return twin


def _dataset(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, n)
    return bp.data.TensorDataset(bp.tensor(x), bp.tensor(y))


def test_two_epochs_equal_the_same_loop_written_in_torch():
    """Mini-batch SGD with momentum, weight decay, gradient clipping and max-norm: the same weights as torch."""
    dataset = _dataset()
    model = models.mlp(input_shape=(1, 8, 8), hidden=(32,))
    twin = _torch_mlp(model)
    optimizer = bp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    trainer = Trainer(model, optimizer, bp.nn.CrossEntropyLoss(),
                      bp.data.DataLoader(dataset, batch_size=20, shuffle=True, seed=5), epochs=2,
                      clip_grad_norm=0.5, max_norm=1.5)
    history = trainer.fit()

    torch_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    same_batches = bp.data.DataLoader(dataset, batch_size=20, shuffle=True, seed=5)
    losses = []
    for _ in range(2):
        epoch_loss = 0.0
        for x, y in same_batches:
            loss = torch.nn.functional.cross_entropy(twin(torch.tensor(x.numpy())), torch.tensor(y.numpy()))
            torch_optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.5)
            torch_optimizer.step()
            with torch.no_grad():
                for layer in (twin[1], twin[3]):
                    layer.weight.copy_(torch.renorm(layer.weight, p=2, dim=0, maxnorm=1.5))
            epoch_loss += loss.item() * len(y)
        losses.append(epoch_loss / len(dataset))
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)
    assert [row["loss"] for row in history] == pytest.approx(losses, rel=1e-5)
    assert trainer.step == 2 * 5 and [row["epoch"] for row in history] == [1, 2]


def test_evaluate_is_the_loss_and_accuracy_of_the_whole_set():
    dataset = _dataset(n=50)
    model = models.mlp(input_shape=(1, 8, 8), hidden=(32,))
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), bp.nn.CrossEntropyLoss(), None)
    logs = trainer.evaluate(bp.data.DataLoader(dataset, batch_size=16))  # batches of 16, 16, 16, 2
    x, y = dataset.tensors
    twin = _torch_mlp(model)
    output = twin(torch.tensor(x.numpy()))
    target = torch.tensor(y.numpy())
    assert logs["loss"] == pytest.approx(torch.nn.functional.cross_entropy(output, target).item(), rel=1e-5)
    assert logs["accuracy"] == pytest.approx((output.argmax(1) == target).float().mean().item())


def _digits_run(out_dir, epochs, seed=0):
    """A run that draws random numbers everywhere: shuffling, shifted images, dropout, initialisation."""
    bp.manual_seed(seed)
    train_set = bp.data.digits(train=True, transform=bp.data.transforms.RandomShift(1))
    test_set = bp.data.digits(train=False)
    model = models.mlp(input_shape=(1, 8, 8), hidden=(48,), dropout=0.3)
    optimizer = bp.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = bp.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.8)
    return Trainer(model, optimizer, bp.nn.CrossEntropyLoss(),
                   bp.data.DataLoader(train_set, batch_size=64, shuffle=True, seed=seed),
                   bp.data.DataLoader(test_set, batch_size=128), epochs=epochs, scheduler=scheduler,
                   callbacks=[EarlyStopping(monitor="val_loss", patience=10)], out_dir=str(out_dir))


def _without_time(history):
    return [{k: v for k, v in row.items() if k not in ("time", "samples_per_s")} for row in history]


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    whole = _digits_run(tmp_path / "whole", epochs=4)
    whole.fit()
    first = _digits_run(tmp_path / "parts", epochs=2)
    first.fit()
    bp.manual_seed(1234)  # whatever happened in between must not matter
    bp.rand(10)
    second = _digits_run(tmp_path / "parts", epochs=4, seed=0)
    second.resume(str(tmp_path / "parts" / "checkpoint.safetensors"))
    assert second.epoch == 2
    second.fit()
    for key, value in whole.model.state_dict().items():
        np.testing.assert_array_equal(second.model.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    assert _without_time(second.history) == _without_time(whole.history)
    assert whole.history[-1]["val_accuracy"] > 0.8  # chance is 0.1


def test_checkpoint_holds_the_whole_state(tmp_path):
    trainer = _digits_run(tmp_path, epochs=1)
    trainer.fit()
    state = load_checkpoint(str(tmp_path / "checkpoint.safetensors"))
    assert state["epoch"] == 1 and state["step"] == len(trainer.train_loader)
    assert set(state) >= {"model", "optimizer", "scheduler", "rng", "train_loader", "history", "callbacks"}
    assert state["rng"] == bp.get_rng_state()
    assert state["scheduler"]["last_epoch"] == 1


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer = _digits_run(tmp_path, epochs=1)
    trainer.fit()
    path = tmp_path / "checkpoint.safetensors"
    before = path.read_bytes()
    from safetensors import numpy as st_numpy

    def crash(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(st_numpy, "save_file", crash)
    trainer.epochs = 2
    with pytest.raises(OSError, match="disk full"):
        trainer.fit()
    assert path.read_bytes() == before
    assert load_checkpoint(str(path))["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")) == []


def test_history_files_hold_every_epoch(tmp_path):
    trainer = _digits_run(tmp_path, epochs=2)
    history = trainer.fit()
    assert json.loads((tmp_path / "history.json").read_text()) == history
    with open(tmp_path / "history.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["val_loss"]) for r in rows] == [row["val_loss"] for row in history]
    assert [int(r["epoch"]) for r in rows] == [1, 2]


class _Run:
    """Just what EarlyStopping looks at."""

    def __init__(self, model):
        self.model, self.epoch, self.stop = model, 0, False


def test_early_stopping_waits_patience_epochs_then_restores_the_best_weights():
    model = bp.nn.Linear(2, 1)
    run = _Run(model)
    stop = EarlyStopping(monitor="val_loss", patience=2)
    weights = {}
    for epoch, value in enumerate([1.0, 0.4, 0.5, 0.45], start=1):
        with bp.no_grad():
            model.weight.fill_(float(epoch))
        run.epoch = epoch
        weights[epoch] = model.weight.detach().numpy().copy()
        stop.on_epoch_end(run, {"val_loss": value})
        assert run.stop == (epoch == 4), epoch
    stop.on_train_end(run)
    np.testing.assert_array_equal(model.weight.detach().numpy(), weights[2])
    assert stop.best == 0.4 and stop.best_epoch == 2


def test_early_stopping_in_max_mode_and_errors():
    stop = EarlyStopping(monitor="val_accuracy", mode="max", patience=1, min_delta=0.01)
    run = _Run(bp.nn.Linear(1, 1))
    for value in (0.5, 0.505):
        stop.on_epoch_end(run, {"val_accuracy": value})
    assert run.stop  # 0.505 is not better than 0.5 by min_delta
    with pytest.raises(KeyError, match="monitors 'val_loss', but the epoch logged only \\['loss'\\]"):
        EarlyStopping().on_epoch_end(run, {"loss": 1.0})
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        EarlyStopping(mode="up")


def test_trainer_stops_early_and_reports_it(tmp_path):
    trainer = _digits_run(tmp_path, epochs=6)
    trainer.optimizer.param_groups[0]["lr"] = 0.0  # nothing can improve after the first epoch
    trainer.callbacks = [EarlyStopping(monitor="val_loss", patience=2)]
    trainer.fit()
    assert trainer.epoch == 3 and len(trainer.history) == 3


def test_predict_runs_in_eval_mode_and_restores_training_mode():
    dataset = _dataset(n=40)
    model = models.mlp(input_shape=(1, 8, 8), hidden=(32,), dropout=0.5)
    trainer = Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), bp.nn.CrossEntropyLoss(), None)
    outputs = trainer.predict(bp.data.DataLoader(dataset, batch_size=16))
    twin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                               torch.nn.Linear(32, 10)).eval()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    expected = twin(torch.tensor(dataset.tensors[0].numpy())).detach().numpy()
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
    assert model.training


def test_reduce_on_plateau_is_stepped_with_the_validation_loss(tmp_path):
    trainer = _digits_run(tmp_path, epochs=5)
    trainer.scheduler = bp.optim.lr_scheduler.ReduceLROnPlateau(trainer.optimizer, factor=0.5, patience=0,
                                                                 threshold=0.3)
    history = trainer.fit()
    reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-2)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(reference, factor=0.5, patience=0, threshold=0.3)
    expected = []
    for row in history:
        expected.append(reference.param_groups[0]["lr"])
        plateau.step(row["val_loss"])
    assert [row["lr"] for row in history] == pytest.approx(expected)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(reference.param_groups[0]["lr"])
    assert len(set(expected)) > 2  # the rate was cut more than once
