"""DataLoader: a dataset cut into mini-batches, reshuffled every epoch, reproducibly (``torch.utils.data.DataLoader``).

One epoch visits every sample once (mini-batch SGD: w <- w - eta dJ/dw,
averaged over each batch). With ``shuffle=True`` the order of epoch e is the
permutation drawn from ``numpy.random.default_rng([seed, e])``: it depends
only on the seed and the epoch number, so a run resumed at an epoch boundary
(``load_state_dict``) sees the same batches as one that never stopped. The
seed is ``seed=`` (beyond torch), else drawn once from ``generator``, else
from backprop's global generator (``bp.manual_seed``).

``num_workers > 0`` loads in that many worker processes (``multiprocessing``,
the platform's default start method unless ``multiprocessing_context`` says
otherwise), as torch's: batch k goes to worker k mod N, the batches come
back in order (unless ``in_order=False``), worker w is seeded with
``base_seed + w`` (Python's ``random``, NumPy's global generator and
backprop's) and runs ``worker_init_fn(w)`` first; ``get_worker_info()``
tells a worker who it is. It pays off when fetching a sample costs more
than sending it between processes (decoding images, Python transforms);
for arrays in memory the main process is faster. ``pin_memory`` and
``pin_memory_device`` are accepted and change nothing (the arrays are
NumPy's, or CuPy's already on the GPU).

>>> import backprop as bp
>>> from backprop.data import TensorDataset
>>> ds = TensorDataset(bp.arange(6).float(), bp.arange(6))
>>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
>>> len(loader), [tuple(x.shape) for x, y in loader]
(2, [(4,), (2,)])
>>> loader.epoch
1
"""
import itertools
import math
import multiprocessing
import numbers
import os
import queue
import random
import sys
import time
import traceback

import numpy

from backprop import random as bp_random
from backprop.checks import check_int
from backprop.data.collate import default_collate, default_convert
from backprop.data.dataset import IterableDataset, fetch_batch
from backprop.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from backprop.random import numpy_generator

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo", "default_collate", "default_convert"]


def _set_epoch(sampler, epoch):
    """Tell a sampler (and the one a batch sampler wraps) which epoch comes next, where they have set_epoch."""
    for part in (sampler, getattr(sampler, "sampler", None)):
        if callable(getattr(part, "set_epoch", None)):
            part.set_epoch(epoch)


class DataLoader:
    """Mini-batches of ``dataset``, ``len(loader)`` of them per epoch; torch's arguments and checks.

    ``seed`` (beyond torch) fixes the shuffle: see the module's docstring. ``loader.epoch`` is the epoch the next
    ``iter(loader)`` runs; each ``iter`` starts the next one, and calls ``set_epoch(e)`` first on the sampler
    (and batch sampler) where they have it (a ``distributed.DistributedSampler``, a seeded ``RandomSampler``).
    ``loader.sampler`` is the sampler you gave (None without one).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, seed=None):
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader expects a dataset with __getitem__ and __len__ (or an IterableDataset), "
                            f"got {type(dataset).__name__}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing. (got {num_workers!r})")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        for name, given in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if given is not None and not hasattr(given, "__iter__"):
                raise TypeError(f"DataLoader: {name} must be an iterable of indices, got {type(given).__name__}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory, self.pin_memory_device = bool(pin_memory), pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self.generator = generator
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.batch_size = batch_size
        if seed is None and shuffle:
            seed = int(numpy_generator(generator).integers(2**63 - 1))
        self.seed = None if seed is None else check_int("DataLoader seed", seed, at_least=0)
        self.sampler = sampler
        self._shuffler = None
        if sampler is None and not iterable:
            self._shuffler = RandomSampler(dataset, seed=self.seed) if shuffle else None
            sampler = self._shuffler or SequentialSampler(dataset)
        self._index_sampler = sampler  # what the epochs iterate: a sampler, or the batch sampler below
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler if sampler is not None else [], batch_size, self.drop_last)
        self.batch_sampler = batch_sampler
        if batch_sampler is not None and not iterable:
            self._index_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.epoch = 0
        self._pool = None

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            elif not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        self._multiprocessing_context = context

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        return len(self._index_sampler)

    def __iter__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        _set_epoch(self._index_sampler, epoch)
        if self.num_workers == 0:
            return _Epoch(self, _single_process(self, _Fetcher.of(self)))
        pool = self._pool
        if pool is None or not pool.alive():
            pool = _WorkerPool(self, self._base_seed(epoch))
            self._pool = pool if self.persistent_workers else None
        return _Epoch(self, pool.epoch(self, shut_down_after=not self.persistent_workers))

    def _base_seed(self, epoch):
        """The seed of the workers of ``epoch``: from the loader's seed and the epoch, else drawn from its
        generator (or backprop's global one), as torch draws its base seed."""
        if self.seed is not None:
            return int(numpy.random.default_rng([self.seed, epoch, 1]).integers(2**62))
        return int(numpy_generator(self.generator).integers(2**62))

    def set_epoch(self, epoch):
        """Make the next ``iter(loader)`` run ``epoch``."""
        self.epoch = check_int("DataLoader epoch", epoch, at_least=0)

    def state_dict(self):
        """``{"seed": ..., "epoch": ...}``: plain values, JSON-able."""
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state):
        """Continue from a ``state_dict``: the next ``iter`` gives the batches the saved run would have seen."""
        if not isinstance(state, dict) or set(state) != {"seed", "epoch"}:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"DataLoader.load_state_dict expects a dict with keys ['epoch', 'seed'], got {got}")
        seed = state["seed"]
        if seed is None and self.shuffle:
            raise ValueError("DataLoader.load_state_dict: a shuffling loader needs an int seed, got None")
        self.seed = None if seed is None else check_int("DataLoader seed", seed, at_least=0)
        if self._shuffler is not None:
            self._shuffler.seed = self.seed
        self.set_epoch(state["epoch"])

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            try:
                pool.shut_down()
            except Exception:  # noqa: BLE001  (at interpreter exit the modules it needs may be gone already)
                pass

    def __repr__(self):
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        workers = f", num_workers={self.num_workers}" if self.num_workers else ""
        return (f"DataLoader({type(self.dataset).__name__} of {size}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}{sampler}{workers})")


class _Epoch:
    """The iterator of one epoch: its batches, and ``len`` (the loader's)."""

    def __init__(self, loader, batches):
        self._loader, self._batches = loader, batches

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self):
        return len(self._loader)


class _Fetcher:
    """Makes one batch (or one sample without auto-batching), in the main process or in a worker."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, batch_size):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.drop_last, self.batch_size = drop_last, batch_size
        self.stream = iter(dataset) if isinstance(dataset, IterableDataset) else None

    @classmethod
    def of(cls, loader):
        return cls(loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last, loader.batch_size)

    def fetch(self, index):
        """The batch at ``index`` (a list of indices, or one index); for a stream its next batch (StopIteration
        at its end)."""
        if self.stream is not None:
            if not self.auto_collation:
                return self.collate_fn(next(self.stream))
            batch = list(itertools.islice(self.stream, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                raise StopIteration
            return self.collate_fn(batch)
        if self.auto_collation:
            return fetch_batch(self.dataset, index, self.collate_fn)
        return self.collate_fn(self.dataset[index])


def _single_process(loader, fetcher):
    if fetcher.stream is not None:
        while True:
            try:
                yield fetcher.fetch(None)
            except StopIteration:
                return
    for index in loader._index_sampler:
        yield fetcher.fetch(index)


# --- worker processes -------------------------------------------------------------------------------------------
class WorkerInfo:
    """Who this worker is: ``id`` (0 .. num_workers - 1), ``num_workers``, ``seed`` and its copy of ``dataset``."""

    def __init__(self, **fields):
        for key, value in fields.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key, value):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


_worker_info = None


def get_worker_info():
    """In a DataLoader worker process its ``WorkerInfo``; in the main process None.

    >>> get_worker_info() is None
    True
    """
    return _worker_info


class _Failure:
    """An exception raised in a worker, carried to the main process and raised there again, with its traceback."""

    def __init__(self, worker_id):
        kind, error, _ = sys.exc_info()
        self.kind = kind
        self.message = (f"Caught {kind.__name__} in DataLoader worker process {worker_id}.\nOriginal "
                        + "".join(traceback.format_exception(kind, error, error.__traceback__)))

    def reraise(self):
        try:
            error = self.kind(self.message)
        except Exception:  # noqa: BLE001  (an exception type whose constructor wants other arguments)
            error = RuntimeError(self.message)
        raise error


class _End:
    """A worker's answer when its stream has no batch left."""


class _Reset:
    """Tells a worker to start its stream again (the next epoch, with persistent workers)."""


_STOP = object()
_POLL = 1.0  # seconds between checks that the workers (or, in a worker, the main process) are alive


def _worker_loop(fetcher_args, index_queue, results, worker_id, num_workers, seed, init_fn):
    """A worker process: seed, init, then answer (epoch, task, index) messages with (epoch, task, batch)."""
    global _worker_info
    parent = os.getppid()
    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    bp_random.manual_seed(seed)
    dataset = fetcher_args[0]
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    failure, fetcher = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = _Fetcher(*fetcher_args)
    except Exception:  # noqa: BLE001  (sent to the main process, which raises it)
        failure = _Failure(worker_id)
    while True:
        try:
            message = index_queue.get(timeout=_POLL)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone
                return
            continue
        if message is None:
            return
        if isinstance(message, _Reset):
            if failure is None:
                fetcher = _Fetcher(*fetcher_args)  # a fresh stream for the next epoch
            continue
        epoch, task, index = message
        if failure is not None:
            results.put((epoch, task, failure))
            continue
        try:
            batch = fetcher.fetch(index)
        except StopIteration:
            batch = _End()
        except Exception:  # noqa: BLE001
            batch = _Failure(worker_id)
        results.put((epoch, task, batch))


class _WorkerPool:
    """``num_workers`` processes, each with its queue of tasks, and the one queue of their results."""

    def __init__(self, loader, base_seed):
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self.timeout = loader.timeout
        self.results = context.Queue()
        self.queues, self.workers = [], []
        self.epochs = 0
        fetcher_args = (loader.dataset, loader._auto_collation, loader.collate_fn, loader.drop_last,
                        loader.batch_size)
        for worker_id in range(loader.num_workers):
            tasks = context.Queue()
            worker = context.Process(target=_worker_loop, daemon=True,
                                     args=(fetcher_args, tasks, self.results, worker_id, loader.num_workers,
                                           base_seed + worker_id, loader.worker_init_fn))
            worker.start()
            self.queues.append(tasks)
            self.workers.append(worker)

    def alive(self):
        return bool(self.workers) and all(w.is_alive() for w in self.workers)

    def receive(self):
        """The next (epoch, task, batch) from any worker; RuntimeError if one died or ``timeout`` passed."""
        waited = 0.0
        while True:
            wait = _POLL if self.timeout <= 0 else min(_POLL, self.timeout - waited)
            start = time.monotonic()
            try:
                return self.results.get(timeout=max(wait, 0.001))
            except queue.Empty:
                waited += time.monotonic() - start
                dead = [w.pid for w in self.workers if not w.is_alive()]
                if dead:
                    self.shut_down(wait=False)
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited "
                                       f"unexpectedly") from None
                if 0 < self.timeout <= waited:
                    self.shut_down(wait=False)
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None

    def epoch(self, loader, shut_down_after):
        """The batches of one epoch: task k to worker k mod N (for a stream, among the workers whose stream has not
        ended), ``prefetch_factor`` tasks per worker in flight, yielded in task order (or as they come)."""
        epoch, self.epochs = self.epochs, self.epochs + 1
        stream = isinstance(loader.dataset, IterableDataset)
        if stream and epoch > 0:
            for tasks in self.queues:
                tasks.put(_Reset())
        indices = itertools.repeat(None) if stream else iter(loader._index_sampler)
        active, owner, pending = list(range(len(self.queues))), {}, {}
        turns = itertools.count()
        sent = yielded = 0  # tasks sent; the next task to yield, in order

        def send():
            nonlocal sent
            index = next(indices, _STOP)
            if not active or index is _STOP:
                return
            owner[sent] = active[next(turns) % len(active)] if stream else sent % len(self.queues)
            self.queues[owner[sent]].put((epoch, sent, index))
            sent += 1

        try:
            for _ in range(max(1, loader.prefetch_factor) * len(self.queues)):
                send()
            while owner:
                task = yielded if loader.in_order else next(iter(pending), None)
                if task not in pending:
                    got_epoch, got_task, batch = self.receive()
                    if got_epoch == epoch:  # a result of an epoch left unfinished is dropped
                        pending[got_task] = batch
                    continue
                batch, worker = pending.pop(task), owner.pop(task)
                yielded += 1
                if isinstance(batch, _End):
                    if worker in active:
                        active.remove(worker)
                    continue
                send()
                if isinstance(batch, _Failure):
                    batch.reraise()
                yield batch
        finally:
            if shut_down_after:
                self.shut_down()

    def shut_down(self, wait=True):
        """Stop the workers: each is asked to end and given 5 s (``wait=False``: none), then terminated."""
        workers, self.workers = self.workers, []
        for tasks in self.queues:
            try:
                tasks.put(None)
            except (OSError, ValueError):
                pass
        for worker in workers:
            worker.join(timeout=5 if wait else 0)
            if worker.is_alive():
                worker.terminate()
        for q in [*self.queues, self.results]:
            q.cancel_join_thread()
            q.close()
        self.queues = []
