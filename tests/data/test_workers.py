"""DataLoader(num_workers=N): worker processes give the batches the main process would, in order; each worker is
seeded, initialised and told who it is as in torch; errors, dead workers and timeouts surface in the main process."""
import os
import random
import time

import numpy as np
import pytest
import torch.utils.data as tud

import backprop as bp
from backprop.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info


def labels(loader):
    return [y.tolist() for _, y in loader]


def dataset(n=23):
    return TensorDataset(bp.arange(n).float()[:, None] * 2, bp.arange(n))


@pytest.mark.parametrize("options", [{"batch_size": 4, "shuffle": True, "seed": 3},
                                     {"batch_size": 5, "drop_last": True},
                                     {"batch_size": None},
                                     {"batch_size": 3, "sampler": [5, 1, 8, 3, 3]}], ids=str)
def test_workers_give_the_batches_of_the_main_process_in_order(options):
    one = DataLoader(dataset(), **options)
    two = DataLoader(dataset(), num_workers=2, **options)
    expected = [[y.tolist() for *_, y in one] for _ in range(2)]
    assert [[y.tolist() for *_, y in two] for _ in range(2)] == expected
    assert len(two) == len(one)


class WhoAmI(Dataset):
    """Sample i is (i, the id of the worker that fetched it, draws from the worker's generators)."""

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, info.num_workers, np.random.randint(1 << 30), random.random(), bp.rand(1).item()

    def __len__(self):
        return 12


def test_batch_k_is_fetched_by_worker_k_mod_n():
    for index, worker, num_workers, *_ in DataLoader(WhoAmI(), batch_size=2, num_workers=3):
        assert num_workers.tolist() == [3, 3]
        assert set(worker.tolist()) == {index[0].item() // 2 % 3}


def draws(loader):
    return [tuple(float(v) for v in column) for batch in loader for column in zip(*[b.tolist() for b in batch[3:]])]


def test_workers_are_seeded_the_same_way_for_a_seeded_loader_and_differently_from_each_other():
    def run(seed):
        return draws(DataLoader(WhoAmI(), batch_size=3, num_workers=2, shuffle=True, seed=seed))

    first = run(1)
    assert first == run(1) and first != run(2)
    assert len(set(first)) == len(first)  # no two workers (nor two samples) drew the same numbers


def test_workers_follow_manual_seed_without_a_seed():
    bp.manual_seed(0)
    first = draws(DataLoader(WhoAmI(), batch_size=4, num_workers=2))
    bp.manual_seed(0)
    assert draws(DataLoader(WhoAmI(), batch_size=4, num_workers=2)) == first


def test_each_epoch_seeds_its_workers_anew():
    loader = DataLoader(WhoAmI(), batch_size=4, num_workers=2, seed=5)
    assert draws(loader) != draws(loader)


def test_the_main_process_has_no_worker_info():
    assert get_worker_info() is None


class Pid(Dataset):
    """Sample i is (i, the pid of the process fetching it, what worker_init_fn left in that process)."""

    def __getitem__(self, i):
        return i, os.getpid(), getattr(Pid, "initialised", -1)

    def __len__(self):
        return 8


def mark(worker_id):
    Pid.initialised = worker_id + 100


def test_worker_init_fn_runs_in_each_worker_before_it_fetches():
    pids, initialised = set(), set()
    for i, pid, init in DataLoader(Pid(), batch_size=2, num_workers=2, worker_init_fn=mark):
        pids.update(pid.tolist())
        initialised.update(init.tolist())
        assert init.tolist() == [100 + i[0].item() // 2 % 2] * 2
    assert len(pids) == 2 and os.getpid() not in pids and initialised == {100, 101}


def pids_per_epoch(loader, epochs=2):
    return [{p for _, pid, _ in loader for p in pid.tolist()} for _ in range(epochs)]


def test_persistent_workers_live_across_epochs():
    persistent = pids_per_epoch(DataLoader(Pid(), batch_size=2, num_workers=2, persistent_workers=True))
    assert persistent[0] == persistent[1]
    fresh = pids_per_epoch(DataLoader(Pid(), batch_size=2, num_workers=2))
    assert not fresh[0] & fresh[1]


@pytest.mark.parametrize("persistent", [False, True])
def test_an_epoch_left_early_does_not_disturb_the_next(persistent):
    loader = DataLoader(dataset(), batch_size=2, num_workers=2, persistent_workers=persistent)
    for _, y in loader:
        break
    assert sum(labels(loader), []) == list(range(23))


def test_in_order_false_gives_every_batch():
    loader = DataLoader(dataset(), batch_size=3, num_workers=2, in_order=False)
    assert sorted(sum(labels(loader), [])) == list(range(23))


class Shards(IterableDataset):
    """0 .. n-1, each worker yielding its share (every num_workers-th), as torch's documentation shows."""

    def __init__(self, n, split=True):
        self.n, self.split = n, split

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.split:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class TorchShards(tud.IterableDataset):
    def __init__(self, n, split=True):
        self.n, self.split = n, split

    def __iter__(self):
        info = tud.get_worker_info()
        if info is None or not self.split:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


@pytest.mark.parametrize("n, batch_size, split, drop_last", [(11, 2, True, False), (11, 2, True, True), (5, 3, False,
                                                                                                         False)])
def test_an_iterable_dataset_in_workers_is_batched_as_torch(n, batch_size, split, drop_last):
    ours = DataLoader(Shards(n, split), batch_size=batch_size, num_workers=2, drop_last=drop_last)
    theirs = tud.DataLoader(TorchShards(n, split), batch_size=batch_size, num_workers=2, drop_last=drop_last)
    expected = [b.tolist() for b in theirs]
    assert [b.tolist() for b in ours] == expected
    assert [b.tolist() for b in ours] == expected  # again: each epoch restarts the streams


def test_an_iterable_dataset_with_persistent_workers_restarts_each_epoch():
    loader = DataLoader(Shards(7), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    assert [b.tolist() for b in loader] == first and sorted(sum(first, [])) == list(range(7))


class Failing(Dataset):
    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"no sample {i}")
        return i

    def __len__(self):
        return 8


def test_an_error_in_a_worker_is_raised_in_the_main_process():
    with pytest.raises(KeyError, match=r"Caught KeyError in DataLoader worker process 0(.|\n)*no sample 5"):
        list(DataLoader(Failing(), batch_size=2, num_workers=2))


def test_an_error_in_worker_init_fn_is_raised():
    def broken(worker_id):
        raise ValueError(f"cannot start {worker_id}")

    with pytest.raises(ValueError, match="cannot start"):
        list(DataLoader(Failing(), batch_size=2, num_workers=1, worker_init_fn=broken))


class Dying(Dataset):
    def __getitem__(self, i):
        if i == 3:
            os._exit(1)
        return i

    def __len__(self):
        return 8


def test_a_worker_that_dies_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(DataLoader(Dying(), batch_size=2, num_workers=2))


class Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(3)
        return i

    def __len__(self):
        return 2


def test_timeout():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.3))


def test_the_spawn_start_method():
    loader = DataLoader(dataset(9), batch_size=4, num_workers=2, multiprocessing_context="spawn")
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]
