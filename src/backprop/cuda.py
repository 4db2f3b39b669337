"""``backprop.cuda``: is there a CUDA GPU to run on? (torch.cuda's questions, answered by CuPy.)

Tensors and modules move to a GPU with ``.to("cuda")`` / ``.cuda()``, or are
made there with ``device="cuda"``; every op then runs on CuPy arrays through
the backend (``backprop.backend``). CuPy is the optional ``gpu`` extra
(``pip install 'backprop[gpu]'``, a wheel for CUDA 12); nothing here imports
it until it is asked about a GPU, and every function answers "no GPU" when
CuPy or a driver is missing rather than raising.

>>> import backprop as bp
>>> isinstance(bp.cuda.is_available(), bool)
True
"""
from backprop import backend, random

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize", "get_device_name",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "empty_cache", "is_initialized"]
# FloatTensor, LongTensor ...: torch's legacy constructors of CUDA tensors, added by backprop/__init__.py (they
# are Tensor's, a layer above this module)


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def device_count():
    """The number of CUDA devices CuPy can see; 0 without CuPy, a driver or a GPU."""
    cupy = _cupy()
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # noqa: BLE001  (CUDARuntimeError without a driver, ImportError of libcuda ...)
        return 0


def is_available():
    """True when ``device="cuda"`` can be used: CuPy is installed and sees at least one GPU."""
    return device_count() > 0


def _require():
    if not is_available():
        raise RuntimeError("no CUDA device is available: backprop.cuda.is_available() is False "
                           "(install the gpu extra, pip install 'backprop[gpu]', on a machine with an NVIDIA GPU)")
    return _cupy()


def current_device():
    """The index of the GPU that new CUDA tensors go to by default."""
    return int(_require().cuda.runtime.getDevice())


def get_device_name(device=0):
    """The GPU's name, e.g. 'NVIDIA H100 80GB HBM3'."""
    name = _require().cuda.runtime.getDeviceProperties(int(device))["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device=None):
    """Wait until every kernel queued on the GPU has finished (GPU work is asynchronous: time it after this)."""
    cupy = _require()
    index = 0 if device is None else (device if isinstance(device, int) else backend.device(device).index)
    cupy.cuda.Device(index).synchronize()


def set_device(device):
    """Make GPU ``device`` (an index, 'cuda:N' or a device) the one new CUDA tensors go to."""
    index = device if isinstance(device, int) else backend.device(device).index
    _require().cuda.Device(index).use()


def is_initialized():
    """True once CuPy has been loaded for a GPU."""
    return backend.cupy is not None


# Random draws on a GPU come from backprop's default generator (drawn on the host, then moved), which
# bp.manual_seed seeds: these are accepted, and change nothing, with or without a GPU.
def manual_seed(seed):
    """Accepted as torch.cuda.manual_seed; GPU draws follow ``bp.manual_seed`` (the one generator)."""


def manual_seed_all(seed):
    """Accepted as torch.cuda.manual_seed_all; GPU draws follow ``bp.manual_seed``."""


def seed():
    """Accepted as torch.cuda.seed."""


def seed_all():
    """Accepted as torch.cuda.seed_all."""


__all__ += ["initial_seed", "get_rng_state", "set_rng_state", "get_rng_state_all", "set_rng_state_all"]


def initial_seed():
    """The seed of the one generator GPU draws come from (``bp.initial_seed()``)."""
    return random.initial_seed()


def get_rng_state(device="cuda"):
    """The state of the one generator GPU draws come from (``bp.get_rng_state()``: a dict, not a ByteTensor)."""
    return random.get_rng_state()


def set_rng_state(new_state, device="cuda"):
    """Restore a state ``get_rng_state`` gave (it is the CPU generator's state too: there is one generator)."""
    random.set_rng_state(new_state)


def get_rng_state_all():
    """One state per GPU: ``[get_rng_state()] * device_count()`` (the same generator for all)."""
    return [get_rng_state() for _ in range(device_count())]


def set_rng_state_all(new_states):
    """Restore the states ``get_rng_state_all`` gave (the last one wins: they are the same generator's)."""
    for state in new_states:
        set_rng_state(state)


def empty_cache():
    """Hand the GPU memory CuPy keeps for reuse back to the driver (nothing to do without a GPU)."""
    if backend.cupy is not None:
        backend.cupy.get_default_memory_pool().free_all_blocks()
