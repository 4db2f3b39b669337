"""DistributedTrainer: the job's metrics are the means over all the ranks' examples, early stopping decides the same on
every rank, and in a world of one it is a Trainer.

One job of 2 ranks runs ``SCRIPT``: it records every batch's loss, size and number right on each rank (through the
loss function, so not through the trainer's own bookkeeping), and the test recomputes the logged means by hand.
"""
import json
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop import creation, nn
from backprop.data import DataLoader, TensorDataset
from backprop.distributed.comm import World
from backprop.distributed.trainer import DistributedTrainer
from backprop.train import Trainer
from tests.distributed.mpi import requires_mpi, run_mpi

TIMING_KEYS = ("time", "samples_per_s")

SCRIPT = r"""
import json

import numpy as np

import backprop as bp
from backprop import distributed, nn
from backprop.data import DataLoader, TensorDataset
from backprop.distributed.trainer import DistributedTrainer
from backprop.train.callbacks import Callback, EarlyStopping

world = distributed.init(timeout=20)


class Recorder:
    # cross-entropy that notes (phase, loss, size, right) of every batch it is called on
    def __init__(self, model):
        self.model, self.loss, self.batches = model, nn.CrossEntropyLoss(), []

    def __call__(self, output, target):
        loss = self.loss(output, target)
        right = int((output.detach().numpy().argmax(axis=1) == target.numpy()).sum())
        phase = "train" if self.model.training else "val"
        self.batches.append((phase, float(loss.item()), int(target.shape[0]), right))
        return loss


class Gather(Callback):
    # at each epoch's end: every rank's batches of the epoch (all_gather_object) and the logged row
    def __init__(self, recorder):
        self.recorder, self.epochs = recorder, []

    def on_epoch_end(self, trainer, logs):
        self.epochs.append({"logs": dict(logs), "ranks": world.all_gather_object(self.recorder.batches)})
        self.recorder.batches = []


def replicas_differ(model):
    weights = world.all_gather_object([p.detach().numpy() for p in model.parameters()])
    return max(float(np.abs(a - b).max()) for a, b in zip(weights[0], weights[-1]))


# --- 1. metrics: 37 training examples (padded to 38), 11 validation ones (shards of 6 and 5, not padded)
bp.manual_seed(0)
x, y = bp.randn(37, 5), bp.randint(0, 3, (37,))
x_val, y_val = bp.randn(11, 5), bp.randint(0, 3, (11,))
model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
recorder = Recorder(model)
gather = Gather(recorder)
trainer = DistributedTrainer(model, bp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), recorder,
                             DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=1),
                             DataLoader(TensorDataset(x_val, y_val), batch_size=4), epochs=2, callbacks=[gather],
                             world=world)
trainer.fit()
bare = trainer.model.module.eval()
with bp.no_grad():  # one process, the whole validation set at once, on the final weights
    output = bare(x_val)
    whole = {"loss": float(nn.CrossEntropyLoss()(output, y_val).item()),
             "right": int((output.numpy().argmax(axis=1) == y_val.numpy()).sum())}
metrics = {"epochs": gather.epochs, "history": trainer.history, "whole": whole,
           "replicas_differ": replicas_differ(bare)}

# --- 2. early stopping: rank 0's validation shard is all class 0, rank 1's all class 1, every training label is 0;
# training moves the biases toward class 0, so rank 0's own val loss falls, rank 1's rises, and their mean rises
bp.manual_seed(0)
model = nn.Linear(1, 2)
with bp.no_grad():
    model.weight.zero_()
    model.bias.zero_()
recorder = Recorder(model)
gather = Gather(recorder)
stopper = EarlyStopping(monitor="val_loss", patience=1)
trainer = DistributedTrainer(model, bp.optim.SGD(model.parameters(), lr=1.0), recorder,
                             DataLoader(TensorDataset(bp.zeros(8, 1), bp.zeros(8, dtype=bp.int64)), batch_size=2),
                             DataLoader(TensorDataset(bp.zeros(4, 1), bp.tensor([0, 1, 0, 1])), batch_size=4),
                             epochs=6, callbacks=[stopper, gather], world=world)
trainer.fit()
stopping = {"epochs": world.all_gather_object(trainer.epoch), "stopped": world.all_gather_object(stopper.stopped_epoch),
            "history": trainer.history, "gathered": gather.epochs}

# --- 3. one validation example on two ranks: rank 1's shard is empty (no target seen, so no accuracy of its own)
bp.manual_seed(0)
model = nn.Linear(5, 3)
trainer = DistributedTrainer(model, bp.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                             DataLoader(TensorDataset(x[:8], y[:8]), batch_size=2),
                             DataLoader(TensorDataset(x_val[:1], y_val[:1]), batch_size=4), epochs=1, world=world)
trainer.fit()
with bp.no_grad():  # one process, on the final weights
    output = trainer.model.module.eval()(x_val[:1])
empty = {"shards": world.all_gather_object(len(trainer.val_loader.sampler)), "logged": trainer.history[-1],
         "loss": float(nn.CrossEntropyLoss()(output, y_val[:1]).item()),
         "right": int(output.numpy().argmax(axis=1)[0] == y_val.numpy()[0])}

if world.rank == 0:
    print(json.dumps({"metrics": metrics, "stopping": stopping, "empty": empty}))
"""


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    code, out, err, _ = run_mpi(SCRIPT, 2, timeout=90, directory=tmp_path_factory.mktemp("trainer"))
    assert code == 0, f"exit code {code}\nstdout:\n{out}\nstderr:\n{err}"
    return json.loads(out.strip().splitlines()[-1])


def phase(batches, name):
    """The (loss, size, right) rows of one phase."""
    return [(loss, size, right) for kind, loss, size, right in batches if kind == name]


def by_hand(ranks, name):
    """(mean loss over every example of every rank, accuracy, examples per rank) of a phase."""
    rows = [phase(batches, name) for batches in ranks]
    seen = [sum(size for _, size, _ in r) for r in rows]
    loss = sum(loss * size for r in rows for loss, size, _ in r) / sum(seen)
    return loss, sum(right for r in rows for _, _, right in r) / sum(seen), seen


# ---------------------------------------------------------------------------------------- metrics over the ranks
@requires_mpi
def test_logged_metrics_are_means_over_every_example_of_every_rank(job):
    epochs = job["metrics"]["epochs"]
    assert len(epochs) == 2
    for epoch in epochs:
        logs, ranks = epoch["logs"], epoch["ranks"]
        loss, accuracy, seen = by_hand(ranks, "train")
        assert seen == [19, 19]  # 37 examples padded to 38: every rank takes as many steps
        assert logs["loss"] == pytest.approx(loss, rel=1e-12) and logs["accuracy"] == pytest.approx(accuracy, rel=1e-12)
        assert logs["samples_per_s"] * logs["time"] == pytest.approx(38, rel=1e-9)  # the job's throughput
        val_loss, val_accuracy, val_seen = by_hand(ranks, "val")
        assert val_seen == [6, 5]  # the validation shards are not padded
        assert logs["val_loss"] == pytest.approx(val_loss, rel=1e-12)
        assert logs["val_accuracy"] == pytest.approx(val_accuracy, rel=1e-12)
        # the plain mean of the ranks' means would be another number: the weighting is seen
        rank_means = [by_hand([batches], "val")[0] for batches in ranks]
        assert abs(np.mean(rank_means) - val_loss) > 1e-4


@requires_mpi
def test_validation_metrics_are_those_of_one_process_on_the_whole_set(job):
    last, whole = job["metrics"]["history"][-1], job["metrics"]["whole"]
    assert last["val_loss"] == pytest.approx(whole["loss"], rel=1e-6)  # float32 forward passes in other batches
    assert last["val_accuracy"] == pytest.approx(whole["right"] / 11, rel=1e-12)
    assert job["metrics"]["replicas_differ"] == 0.0


# ------------------------------------------------------------------------------------------------ early stopping
@requires_mpi
def test_early_stopping_stops_every_rank_at_the_same_epoch(job):
    stopping = job["stopping"]
    assert stopping["epochs"] == [2, 2] and stopping["stopped"] == [2, 2]  # of 6
    # alone, the ranks would disagree: rank 0's own val loss improves, rank 1's gets worse
    local = [[by_hand([epoch["ranks"][rank]], "val")[0] for epoch in stopping["gathered"]] for rank in (0, 1)]
    assert local[0][1] < local[0][0] and local[1][1] > local[1][0]
    logged = [row["val_loss"] for row in stopping["history"]]
    assert logged == pytest.approx([(a + b) / 2 for a, b in zip(*local)], rel=1e-12)  # 2 examples each
    assert logged[1] > logged[0]


@requires_mpi
def test_an_empty_validation_shard_counts_for_nothing(job):
    empty = job["empty"]
    assert empty["shards"] == [1, 0]
    assert empty["logged"]["val_loss"] == pytest.approx(empty["loss"], rel=1e-6)
    assert empty["logged"]["val_accuracy"] == empty["right"]


# ------------------------------------------------------------------------------------------------ a world of one
def make(trainer_class, **options):
    """A small run with dropout and shuffling: the same for each class given the same seeds."""
    creation.manual_seed(4)
    x, y = bp.randn(30, 5), bp.randint(0, 3, (30,))
    x_val, y_val = bp.randn(9, 5), bp.randint(0, 3, (9,))
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
    return trainer_class(model, bp.optim.Adam(model.parameters(), lr=0.01), nn.CrossEntropyLoss(),
                         DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=2),
                         DataLoader(TensorDataset(x_val, y_val), batch_size=4), epochs=3, **options)


def without_timing(history):
    return [{k: v for k, v in row.items() if k not in TIMING_KEYS} for row in history]


@pytest.fixture(scope="module")
def alone():
    """(plain Trainer, DistributedTrainer in a world of one without MPI), each fitted."""
    plain = make(Trainer)
    plain.fit()
    distributed = make(DistributedTrainer, world=World())
    distributed.fit()
    return plain, distributed


def test_exported_as_docs_distributed_md_names_it():
    from backprop import distributed

    assert distributed.DistributedTrainer is DistributedTrainer and "DistributedTrainer" in distributed.__all__


def test_world_of_one_trains_as_a_trainer(alone):
    plain, distributed = alone
    a, b = plain.state_dict(), distributed.state_dict()
    assert list(a["model"]) == list(b["model"])  # the bare model's names, no "module." prefix
    for name in a["model"]:
        np.testing.assert_array_equal(a["model"][name].numpy(), b["model"][name].numpy(), err_msg=name, strict=True)
    assert b["rng_ranks"] == [a["rng"]] and b["rng"] == a["rng"]


def test_world_of_one_logs_as_a_trainer(alone):
    plain, distributed = alone
    assert without_timing(distributed.history) == without_timing(plain.history)


def test_world_of_one_loads_a_checkpoint_of_two_ranks_with_a_warning(alone):
    plain, _ = alone
    state = plain.state_dict()
    fresh = make(DistributedTrainer, world=World())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh.load_state_dict({**state, "rng_ranks": [state["rng"]]})  # as many ranks: no warning
    assert creation.get_rng_state() == state["rng"]
    with pytest.warns(UserWarning, match="resuming a run of 2 process"):
        make(DistributedTrainer, world=World()).load_state_dict({**state, "rng_ranks": [state["rng"], state["rng"]]})
