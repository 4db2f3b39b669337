"""DistributedDataParallel: N ranks with batch B/N train as one process with batch B; buckets; no_sync; eval; buffers.

One ``mpirun -n 2`` job (``rank_main``) runs every multi-rank check and saves what each rank saw; the tests compare
it with references computed here, in one process: the same training with one ``DataLoader(shuffle=True)`` of
batch B, and gradients averaged by hand from the ranks' own local gradients.
"""
import gc
import os
import pathlib
import pickle
import weakref

import numpy as np
import pytest

import backprop as bp
from backprop.data import DataLoader, TensorDataset
from backprop.distributed import DistributedDataParallel, DistributedSampler, World
from backprop.distributed.ddp import buckets

from .mpi import requires_mpi, run_mpi

N, STEPS, BATCH, SEED = 2, 50, 16, 3
CONFIGS = [(model, optimizer) for model in ("mlp", "cnn") for optimizer in ("sgd", "adam")]
ROOT = pathlib.Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------- what the ranks and the reference share
def arrays(kind, n=64):
    """Fixed inputs (float32) and labels (3 classes)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8) if kind == "mlp" else (n, 1, 6, 6)).astype(np.float32)
    return x, rng.integers(0, 3, size=n)


def dataset(kind):
    x, y = arrays(kind)
    return TensorDataset(bp.tensor(x), bp.tensor(y))


def make_model(kind, seed):
    """No dropout, no batch norm: the same weights and batch give the same gradient on every rank."""
    bp.manual_seed(seed)
    nn = bp.nn
    if kind == "mlp":
        return nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def make_optimizer(name, parameters):
    if name == "sgd":
        return bp.optim.SGD(parameters, lr=0.1, momentum=0.9)
    return bp.optim.Adam(parameters, lr=0.01)


def train(model, loader, optimizer, steps=STEPS):
    """``steps`` steps of mean cross-entropy, over as many epochs as they take (4 batches an epoch here)."""
    step = 0
    while step < steps:
        for x, y in loader:
            optimizer.zero_grad()
            bp.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            step += 1
            if step == steps:
                break


def weights(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def gradients(module):
    return {name: p.grad.numpy().copy() for name, p in module.named_parameters()}


def local_loss(model, rank, part=0):
    """Rank ``rank``'s loss on its own 8 rows (``part`` picks another 8): different data on each rank."""
    x, y = arrays("mlp")
    rows = slice(16 * part + 8 * rank, 16 * part + 8 * rank + 8)
    return bp.nn.functional.cross_entropy(model(bp.tensor(x[rows])), bp.tensor(y[rows]))


class WithUnused(bp.nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = bp.nn.Linear(8, 3), bp.nn.Linear(8, 3)

    def forward(self, x):
        return self.used(x)


class UnusedFirst(WithUnused):
    """The unused layer registered first: its buckets come last (reverse order), after the used ones are reduced."""

    def __init__(self):
        bp.nn.Module.__init__(self)
        self.unused, self.used = bp.nn.Linear(8, 3), bp.nn.Linear(8, 3)


def rank_main(out):
    """The body of each rank: every check, its observations pickled to ``out/rank{r}.pkl``."""
    from backprop import distributed

    world = distributed.init(timeout=60)
    rank, seen = world.rank, {}

    # 1. N ranks with batch B/N vs one process with batch B; each rank starts from its own random init
    for kind, name in CONFIGS:
        model = make_model(kind, seed=100 + rank)
        before = weights(model)
        ddp = DistributedDataParallel(model)
        after_broadcast = weights(model)
        loader = DataLoader(dataset(kind), batch_size=BATCH // N, sampler=DistributedSampler(dataset(kind), seed=SEED))
        train(ddp, loader, make_optimizer(name, ddp.parameters()))
        seen[kind, name] = dict(before=before, after_broadcast=after_broadcast, final=weights(model),
                                reductions=ddp.reductions)

    # 2. buckets of one tensor vs one bucket; the average vs the mean of the ranks' local gradients
    small = DistributedDataParallel(make_model("mlp", seed=rank), bucket_cap_mb=1e-9)
    big = DistributedDataParallel(make_model("mlp", seed=rank), bucket_cap_mb=100)
    local = make_model("mlp", seed=rank)
    local.load_state_dict(big.module.state_dict())
    for ddp in (small, big, local):
        for part in (0, 1):  # two backward passes into the same .grad
            local_loss(ddp, rank, part).backward()
    seen["buckets"] = dict(small=gradients(small.module), big=gradients(big.module), sizes=small.bucket_sizes,
                           big_sizes=big.bucket_sizes, reductions=(small.reductions, big.reductions),
                           by_hand=world.all_gather_object(gradients(local)))

    # 3. no_sync accumulates locally; the next synchronised backward averages the sum. 4. eval mode: no all-reduce
    ddp = DistributedDataParallel(make_model("mlp", seed=rank))
    with ddp.no_sync():
        local_loss(ddp, rank, 0).backward()
    inside = gradients(ddp.module), ddp.reductions
    local_loss(ddp, rank, 1).backward()
    after = gradients(ddp.module), ddp.reductions
    ddp.zero_grad()
    ddp.eval()
    local_loss(ddp, rank, 0).backward()
    evaluated = gradients(ddp.module), ddp.reductions
    ddp.train()
    ddp.zero_grad()
    local_loss(ddp, rank, 0).backward()  # training again: averaged again
    seen["no_sync"] = dict(inside=inside, after=after, eval=evaluated, train_again=(gradients(ddp.module),
                                                                                    ddp.reductions))
    reference = make_model("mlp", seed=rank)
    reference.load_state_dict(ddp.module.state_dict())
    parts = []
    for part in (0, 1):
        reference.zero_grad()
        local_loss(reference, rank, part).backward()
        parts.append(gradients(reference))
    seen["no_sync_by_hand"] = world.all_gather_object(parts)

    # 5. an unused parameter: the next forward raises, on every rank
    ddp = DistributedDataParallel(WithUnused())
    ddp(bp.tensor(arrays("mlp")[0][:4])).sum().backward()
    try:
        ddp(bp.tensor(arrays("mlp")[0][:4]))
        seen["unused"] = None
    except RuntimeError as error:
        seen["unused"] = str(error)

    # 6. buffers: rank 0's are broadcast at each training forward, not at an evaluation one
    bp.manual_seed(rank)
    ddp = DistributedDataParallel(bp.nn.Sequential(bp.nn.Linear(8, 3), bp.nn.BatchNorm1d(3)))
    norm = ddp.module[1]
    x = bp.tensor(arrays("mlp")[0][:8])
    norm.running_mean.fill_(rank + 1.0)
    norm.running_var.fill_(rank + 2.0)
    norm.num_batches_tracked.fill_(5 * rank)
    h = ddp.module[0](x).detach().numpy()
    ddp(x)
    trained = {name: b.numpy().copy() for name, b in norm.named_buffers()}
    norm.running_mean.fill_(rank + 1.0)
    ddp.eval()
    ddp(x)
    seen["buffers"] = dict(h=h, trained=trained, eval_mean=norm.running_mean.numpy().copy())

    with open(os.path.join(out, f"rank{rank}.pkl"), "wb") as file:
        pickle.dump(seen, file)


SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from tests.distributed.test_ddp import rank_main
rank_main(sys.argv[1])
"""


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    code, stdout, stderr, _ = run_mpi(SCRIPT, N, out, directory=out, timeout=120)
    assert code == 0, stdout + stderr
    result = []
    for rank in range(N):
        with open(out / f"rank{rank}.pkl", "rb") as file:
            result.append(pickle.load(file))
    return result


def assert_all_equal(a, b):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def mean(dicts):
    return {name: sum(d[name] for d in dicts) / np.float32(len(dicts)) for name in dicts[0]}


@requires_mpi
@pytest.mark.parametrize("kind, name", CONFIGS)
def test_n_ranks_with_batch_b_over_n_train_as_one_process_with_batch_b(ranks, kind, name):
    model = make_model(kind, seed=100)  # rank 0's initial weights, which the wrapper broadcasts
    loader = DataLoader(dataset(kind), batch_size=BATCH, shuffle=True, seed=SEED)
    train(model, loader, make_optimizer(name, model.parameters()))
    expected = weights(model)
    first, second = ranks[0][kind, name], ranks[1][kind, name]
    assert not np.array_equal(first["before"]["0.weight"], second["before"]["0.weight"])  # different inits...
    assert_all_equal(first["after_broadcast"], first["before"])  # ...and rank 0's everywhere after wrapping
    assert_all_equal(second["after_broadcast"], first["before"])
    assert_all_equal(first["final"], second["final"])  # the replicas stay identical
    assert first["reductions"] == second["reductions"] == STEPS  # one bucket (25 MB): one all-reduce per step
    for key in expected:
        assert not np.allclose(expected[key], first["before"][key])  # it trained
        np.testing.assert_allclose(first["final"][key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


@requires_mpi
def test_bucket_size_does_not_change_the_average(ranks):
    parameters = len(list(make_model("mlp", 0).parameters()))
    for seen in ranks:
        got = seen["buckets"]
        assert got["sizes"] == [1] * parameters and got["big_sizes"] == [parameters]
        assert got["reductions"] == (2 * parameters, 2)  # one all-reduce per bucket per backward pass
        assert_all_equal(got["small"], got["big"])
        by_hand = mean(got["by_hand"])  # the mean of the ranks' own gradients (each summed over its two passes)
        assert not np.allclose(got["by_hand"][0]["0.weight"], got["by_hand"][1]["0.weight"])
        for key in by_hand:
            np.testing.assert_allclose(got["big"][key], by_hand[key], rtol=1e-6, atol=1e-7, err_msg=key)
    assert_all_equal(ranks[0]["buckets"]["big"], ranks[1]["buckets"]["big"])


@requires_mpi
def test_no_sync_accumulates_locally_then_averages_the_sum(ranks):
    by_hand = ranks[0]["no_sync_by_hand"]  # [rank][part]: each rank's local gradient of each part
    summed = mean([{k: parts[0][k] + parts[1][k] for k in parts[0]} for parts in by_hand])
    for rank, seen in enumerate(ranks):
        got = seen["no_sync"]
        inside, count = got["inside"]
        assert count == 0
        assert_all_equal(inside, by_hand[rank][0])  # this rank's own gradient, not averaged
        after, count = got["after"]
        assert count == 1
        for key in summed:
            np.testing.assert_allclose(after[key], summed[key], rtol=1e-6, atol=1e-7, err_msg=key)
    assert not np.allclose(ranks[0]["no_sync"]["inside"][0]["0.weight"], ranks[1]["no_sync"]["inside"][0]["0.weight"])


@requires_mpi
def test_eval_mode_backward_does_not_all_reduce(ranks):
    by_hand = ranks[0]["no_sync_by_hand"]
    for rank, seen in enumerate(ranks):
        evaluated, count = seen["no_sync"]["eval"]
        assert count == 1  # unchanged since the synchronised backward
        assert_all_equal(evaluated, by_hand[rank][0])
        trained, count = seen["no_sync"]["train_again"]
        assert count == 2
        for key, value in mean([parts[0] for parts in by_hand]).items():
            np.testing.assert_allclose(trained[key], value, rtol=1e-6, atol=1e-7, err_msg=key)


@requires_mpi
def test_an_unused_parameter_raises_at_the_next_forward_on_every_rank(ranks):
    for seen in ranks:
        assert seen["unused"] is not None
        assert "unused.weight" in seen["unused"] and "unused.bias" in seen["unused"]


@requires_mpi
def test_buffers_are_broadcast_from_rank_0_in_training_forward_only(ranks):
    momentum = 0.1
    for rank, seen in enumerate(ranks):
        got = seen["buffers"]
        h = got["h"]
        np.testing.assert_allclose(got["trained"]["running_mean"], (1 - momentum) * 1.0 + momentum * h.mean(0),
                                   rtol=1e-6)
        np.testing.assert_allclose(got["trained"]["running_var"], (1 - momentum) * 2.0 + momentum * h.var(0, ddof=1),
                                   rtol=1e-5)
        assert got["trained"]["num_batches_tracked"] == 1
        np.testing.assert_array_equal(got["eval_mean"], np.full(3, rank + 1.0, np.float32))  # not broadcast
    np.testing.assert_array_equal(ranks[0]["buffers"]["h"], ranks[1]["buffers"]["h"])  # the Linear was broadcast too


# ------------------------------------------------------------------------------------------------ one process
def test_buckets_split_by_cap_and_dtype():
    def sizes(parameters, cap):
        return [[p.numel() for p in bucket] for bucket in buckets(parameters, cap)]

    f32 = [bp.zeros(n) for n in (10, 20, 30, 5)]  # 40, 80, 120, 20 bytes
    assert sizes(f32, 1000) == [[10, 20, 30, 5]]
    assert sizes(f32, 120) == [[10, 20], [30], [5]]
    assert sizes(f32, 160) == [[10, 20], [30, 5]]
    assert sizes(f32, 1) == [[10], [20], [30], [5]]  # each larger than the cap: alone
    mixed = [bp.zeros(4), bp.zeros(4, dtype=bp.float64), bp.zeros(4, dtype=bp.float64), bp.zeros(4)]
    assert [[p.dtype.name for p in bucket] for bucket in buckets(mixed, 10**6)] == [
        ["float32"], ["float64", "float64"], ["float32"]]
    together = buckets(f32, 120)
    assert [p for bucket in together for p in bucket] == f32  # same tensors, same order
    assert buckets([], 100) == []


def test_world_of_one_buckets_in_reverse_order_and_counts():
    model = make_model("mlp", seed=0)
    ddp = DistributedDataParallel(model, bucket_cap_mb=(16 * 16 + 16) * 4 / 2**20, world=World(None))
    # in reverse order, buckets of at most 272 floats: [3, 48, 16], [256, 16], [128]
    assert [p.numel() for p in reversed(list(model.parameters()))] == [3, 48, 16, 256, 16, 128]
    assert ddp.bucket_sizes == [3, 2, 1]
    local_loss(ddp, 0).backward()
    assert ddp.reductions == 3
    with ddp.no_sync():
        local_loss(ddp, 0).backward()
    assert ddp.reductions == 3
    ddp.remove_hooks()
    local_loss(ddp, 0).backward()
    assert ddp.reductions == 3 and ddp.module is model


def test_world_of_one_gradient_is_the_local_gradient():
    ddp = DistributedDataParallel(make_model("mlp", seed=0), world=World(None))
    local = make_model("mlp", seed=0)
    local_loss(ddp, 0).backward()
    local_loss(local, 0).backward()
    assert_all_equal(gradients(ddp.module), gradients(local))


# one bucket; one bucket a tensor, the used ones complete but unreduced (WithUnused) or already reduced (UnusedFirst)
@pytest.mark.parametrize("cap", [25, 1e-9])
@pytest.mark.parametrize("model", [WithUnused, UnusedFirst])
def test_world_of_one_unused_parameter_raises_naming_it_and_only_it(cap, model):
    ddp = DistributedDataParallel(model(), bucket_cap_mb=cap, world=World(None))
    x = bp.tensor(arrays("mlp")[0][:4])
    ddp(x).sum().backward()
    with pytest.raises(RuntimeError, match="without a gradient") as raised:
        ddp(x)
    named = str(raised.value).rsplit(":", 1)[1]
    assert "unused.weight" in named and "unused.bias" in named and "'used." not in named, named
    frozen = WithUnused()
    frozen.unused.requires_grad_(False)
    ddp = DistributedDataParallel(frozen, world=World(None))
    ddp(x).sum().backward()
    ddp(x)  # a parameter that does not require grad is not waited for


def test_constructor_errors():
    with pytest.raises(TypeError, match="nn.Module"):
        DistributedDataParallel(lambda x: x, world=World(None))
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="bucket_cap_mb"):
            DistributedDataParallel(bp.nn.Linear(2, 2), bucket_cap_mb=bad, world=World(None))


def test_a_deleted_wrapper_is_freed():
    module = bp.nn.Linear(3, 2)
    ddp = DistributedDataParallel(module, world=World(None))
    alive = weakref.ref(ddp)
    del ddp
    gc.collect()
    assert alive() is None
    from backprop import autograd
    assert not any(autograd._post_accumulate_hooks.get(p) for p in module.parameters())

