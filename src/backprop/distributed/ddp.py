"""DistributedDataParallel: one model replica per rank, gradients averaged after each backward pass.

Data parallelism (Horovod, ChainerMN, torch's DDP): each of the N ranks holds
the same weights w, takes its own batch B_r of the global batch B, and
computes g_r = dJ(w; B_r)/dw. For a loss that is a mean over examples and
equal shares |B_r| = |B|/N,

    dJ(w; B)/dw = (1/N) sum_r g_r,

so after the all-reduce every rank holds the gradient one process would
have computed on the whole batch, takes the same step, and the replicas
stay equal: N processes with batch B/N train exactly as one with batch B,
up to float rounding.

The all-reduce is made per *bucket*: the gradients are packed, in the
reverse order of ``parameters()`` (the order backward produces them), into
flat buffers of about ``bucket_cap_mb`` MB, and each buffer is reduced in
one call, since each call pays a latency that does not depend on its size.
A bucket is reduced when the last of its gradients has been accumulated
(``Tensor.register_post_accumulate_grad_hook``), once per backward pass in
training mode (an attack's or an explanation's backward pass in eval mode is
not averaged), and always in bucket order, so that every rank makes the same
calls in the same order even if its graph was walked in another.

At construction, rank 0's parameters and buffers are broadcast to every
rank; in training mode each forward pass broadcasts rank 0's buffers again
(batch norm's running statistics), as torch does.

Every parameter that requires grad must get a gradient in every backward
pass (otherwise its bucket is never reduced and the next forward raises).
Inside ``with ddp.no_sync():`` backward passes only accumulate locally
(gradient accumulation); the first one after it reduces the sum.

>>> import backprop as bp
>>> model = DistributedDataParallel(bp.nn.Linear(3, 2))    # a world of one: the average is the gradient
>>> model(bp.ones(4, 3)).sum().backward()
>>> model.module.weight.grad
tensor([[4., 4., 4.],
        [4., 4., 4.]])
"""
import contextlib
import time
import weakref

from backprop import backend
from backprop.distributed.comm import init
from backprop.nn.module import Module

__all__ = ["DistributedDataParallel", "buckets"]


def buckets(parameters, cap_bytes):
    """Split ``parameters`` (in the order given) into lists of at most ``cap_bytes`` bytes each (a larger one alone),
    never mixing dtypes or devices in one list.

    >>> import backprop as bp
    >>> ps = [bp.zeros(100), bp.zeros(100), bp.zeros(300)]     # float32: 400, 400, 1200 bytes
    >>> [[p.numel() for p in bucket] for bucket in buckets(ps, 1000)]
    [[100, 100], [300]]
    """
    result, current, size, key = [], [], 0, None
    for p in parameters:
        nbytes = p._data.nbytes
        p_key = (p._data.dtype, backend.array_module(p._data))
        if current and (size + nbytes > cap_bytes or p_key != key):
            result.append(current)
            current, size = [], 0
        current.append(p)
        size += nbytes
        key = p_key
    if current:
        result.append(current)
    return result


class _Bucket:
    def __init__(self, parameters):
        self.parameters = parameters
        self.ready = set()  # ids of the parameters whose gradient this backward pass has completed

    @property
    def complete(self):
        return len(self.ready) == len(self.parameters)

    def flat_gradient(self):
        xp = backend.array_module(self.parameters[0]._data)
        return xp.concatenate([p.grad._data.reshape(-1) for p in self.parameters])

    def unpack(self, flat):
        start = 0
        for p in self.parameters:
            n = p._data.size
            p.grad._data[...] = flat[start:start + n].reshape(p.grad._data.shape)
            start += n


class DistributedDataParallel(Module):
    """Wrap ``module`` so that its gradients are averaged over the ranks after each backward pass.

    ``bucket_cap_mb``: the size of one all-reduce (MB; torch's default 25).
    ``broadcast_buffers``: broadcast rank 0's buffers at each training forward.
    ``world``: a ``distributed.World`` (default: ``distributed.init()``).
    ``ddp.module`` is the wrapped model; save and load its ``state_dict``.
    ``ddp.reduce_seconds`` and ``ddp.reductions`` count the time spent in, and
    the number of, gradient all-reduces (for measuring their share of a step).
    """

    def __init__(self, module, bucket_cap_mb=25, broadcast_buffers=True, world=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel expects an nn.Module, got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb!r}")
        self.module = module
        self.world = world if world is not None else init()
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = bucket_cap_mb
        self.reduce_seconds, self.reductions = 0.0, 0
        self._sync = True
        for tensor in [*module.parameters(), *module.buffers()]:
            self.world.broadcast_(_contiguous(tensor), src=0)
        trainable = [p for p in module.parameters() if p.requires_grad]
        self._buckets = [_Bucket(ps) for ps in buckets(list(reversed(trainable)), bucket_cap_mb * 2**20)]
        self._bucket_of = {id(p): bucket for bucket in self._buckets for p in bucket.parameters}
        self._next = 0  # the bucket to reduce next
        # the hooks hold the wrapper weakly: a deleted wrapper is freed, and its hooks removed with it
        this = weakref.ref(self)

        def gradient_ready(parameter):
            wrapper = this()
            if wrapper is not None:
                wrapper._gradient_ready(parameter)

        self._handles = [p.register_post_accumulate_grad_hook(gradient_ready) for p in trainable]
        weakref.finalize(self, _remove, list(self._handles))

    @property
    def bucket_sizes(self):
        """The number of parameters in each bucket, in the order they are reduced."""
        return [len(bucket.parameters) for bucket in self._buckets]

    def forward(self, *args, **kwargs):
        if self._sync and (self._next or any(bucket.ready for bucket in self._buckets)):
            raise RuntimeError(
                "DistributedDataParallel: the last backward pass gave gradients to only some parameters, so their "
                "average was never taken; every parameter that requires grad must be used in the loss (or set "
                f"requires_grad=False before wrapping). Parameters without a gradient: {self._missing()}")
        if self.training and self.broadcast_buffers and self.world.size > 1:
            for buffer in self.module.buffers():
                self.world.broadcast_(_contiguous(buffer), src=0)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes in this block only add to the local ``.grad``; no all-reduce."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous

    def _gradient_ready(self, parameter):
        if not (self._sync and self.training):  # eval mode: e.g. an attack's gradient, not a training step
            return
        self._bucket_of[id(parameter)].ready.add(id(parameter))
        # in bucket order whatever order the gradients came in: every rank must make the same calls in the same order
        while self._next < len(self._buckets) and self._buckets[self._next].complete:
            bucket = self._buckets[self._next]
            self._reduce(bucket)
            bucket.ready.clear()
            self._next += 1
        if self._next == len(self._buckets):
            self._next = 0

    def _missing(self):
        """The names of the parameters that the backward pass under way has not given a gradient: those of the
        buckets not yet reduced (a complete bucket after an incomplete one waits, unreduced) that are not ready."""
        names = {id(p): name for name, p in self.module.named_parameters()}
        return [names.get(id(p), "?") for bucket in self._buckets[self._next:] for p in bucket.parameters
                if id(p) not in bucket.ready]

    def _reduce(self, bucket):
        started = time.perf_counter()
        if self.world.size > 1:
            flat = bucket.flat_gradient()
            self.world.all_reduce_(flat, "mean")
            bucket.unpack(flat)
        self.reduce_seconds += time.perf_counter() - started
        self.reductions += 1

    def remove_hooks(self):
        """Stop averaging (the wrapped module's parameters go back to plain local gradients)."""
        _remove(self._handles)

    def extra_repr(self):
        return f"world_size={self.world.size}, buckets={len(self._buckets)}, bucket_cap_mb={self.bucket_cap_mb}"


def _remove(handles):
    for handle in handles:
        handle.remove()


def _contiguous(tensor):
    if not tensor._data.flags.c_contiguous:
        tensor._data = backend.array_module(tensor._data).ascontiguousarray(tensor._data)
    return tensor._data
