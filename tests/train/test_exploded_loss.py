"""The non-finite guard's *exploded* rule: a finite loss above 1e6 * max(1, the first step's loss) stops the run
(Adam at lr=1e9 reaches 1e29 without overflowing); ``--no-check-finite`` turns the guard off from the command line."""
import os

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.train import NonFiniteError, Trainer
from backprop.train.trainer import CHECKPOINT, EXPLODED


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return bp.data.TensorDataset(bp.from_numpy(rng.standard_normal((n, 4)).astype(np.float32)),
                                 bp.from_numpy(rng.integers(0, 3, n)))


def _scripted_loss(values):
    """A loss function whose value at the k-th call is values[k] (its gradient is zero: the weights stay)."""
    calls = iter(values)

    def loss(output, target):
        return output.sum() * 0 + next(calls)
    return loss


def _trainer(loss_fn, steps, out_dir=None):
    model = bp.nn.Linear(4, 3)
    loader = bp.data.DataLoader(_data(16 * steps), batch_size=16)
    return Trainer(model, bp.optim.SGD(model.parameters(), lr=0.1), loss_fn, loader, epochs=1, out_dir=out_dir)


@pytest.mark.parametrize("values, stops", [
    ([2.3, 2.3e6 * 0.99], False),            # below 1e6 times a cross-entropy's start
    ([2.3, 2.3e6 * 1.01], True),
    ([1e-3, 9e5], False),                    # a first loss near 0: the bar is 1e6, not 1e3
    ([1e-3, 1.1e6], True),
    ([1e4, 9e9], False),                     # a regression's large first loss scales the bar up
    ([1e4, 1.1e10], True),
    ([2.3, 1.0, 0.5, 2.3e6 * 1.01], True),   # measured against the first step, whatever came between
])
def test_the_loss_explodes_above_a_million_times_the_first_steps(values, stops):
    assert EXPLODED == 1e6
    trainer = _trainer(_scripted_loss(values), len(values))
    if not stops:
        trainer.fit()
        return
    with pytest.raises(NonFiniteError) as caught:
        trainer.fit()
    error = caught.value
    assert (error.what, error.epoch, error.step) == ("loss", 1, len(values))
    assert f"training diverged at epoch 1, step {len(values)}: the loss exploded to " in str(error)
    assert f"over 1e+06 times the first step's {values[0]:.3g}" in str(error)
    assert "the learning rate (lr=0.1) is probably too high" in str(error)


def test_the_check_is_the_guards_check_finite_false_trains_on():
    trainer = _trainer(_scripted_loss([2.3, 1e30]), 2)
    trainer.check_finite = False
    trainer.fit()
    assert trainer.step == 2


def test_adam_with_a_huge_learning_rate_stops_early_and_keeps_the_last_good_checkpoint(tmp_path):
    bp.manual_seed(0)
    model = bp.nn.Sequential(bp.nn.Linear(4, 16), bp.nn.ReLU(), bp.nn.Linear(16, 3))
    optimizer = bp.optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(model, optimizer, bp.nn.CrossEntropyLoss(), bp.data.DataLoader(_data(), batch_size=16),
                      epochs=1, out_dir=str(tmp_path))
    trainer.fit()  # one good epoch, checkpointed
    saved = (tmp_path / CHECKPOINT).read_bytes()
    optimizer.param_groups[0]["lr"] = 1e9
    trainer.epochs = 3
    with pytest.raises(NonFiniteError, match=r"at epoch 2, step \d+: the loss exploded to .*lr=1e\+09.*the "
                                             r"checkpoint of epoch 1 is kept"):
        trainer.fit()
    assert (tmp_path / CHECKPOINT).read_bytes() == saved
    assert sorted(os.listdir(tmp_path)) == [CHECKPOINT, "history.csv", "history.json"]  # no temporary file left


@pytest.fixture
def quick_report(monkeypatch):
    from backprop.train import run

    monkeypatch.setattr(run, "finish", lambda trainer, test_loader, info: {
        "test_accuracy": 0.0, "test_loss": 0.0, "epochs": trainer.epoch, "out": trainer.config["out"],
        "parameters": 0})


ADAM_1E9 = ["train", "--model", "mlp", "--model-option", "hidden=[16]", "--epochs", "1", "--optimizer", "adam",
            "--lr", "1e9", "--no-augment", "--progress", "none"]


def test_the_cli_stops_an_exploded_run_in_one_line(tmp_path, capsys, quick_report):
    assert main([*ADAM_1E9, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("backprop: error: training diverged at epoch 1, step 2: the loss exploded to "), err
    assert "lr=1e+09" in err
    assert not (tmp_path / CHECKPOINT).exists()


def test_no_check_finite_trains_on(tmp_path, capsys, quick_report):
    with np.errstate(all="ignore"):
        assert main([*ADAM_1E9, "--out", str(tmp_path), "--no-check-finite"]) == 0
    assert bp.load(str(tmp_path / CHECKPOINT))["epoch"] == 1
