"""``backprop.accelerator``: the device that speeds tensors up here, if any (torch.accelerator's questions).

backprop's one accelerator is a CUDA GPU through CuPy (``backprop.cuda``); without one, every answer
says so (``is_available()`` is False, ``current_accelerator()`` None), as torch's do.

>>> import backprop as bp
>>> device = bp.accelerator.current_accelerator() if bp.accelerator.is_available() else bp.device("cpu")
>>> device.type in ("cpu", "cuda")
True
"""
from backprop import backend
from backprop import cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "set_device_index",
           "synchronize"]


def is_available():
    """True when a CUDA GPU can be used."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` where backprop has a GPU to run on, else None."""
    return backend.device("cuda") if cuda.is_available() else None


def device_count():
    """How many GPUs there are (0 without one)."""
    return cuda.device_count()


def current_device_index():
    """The index of the GPU new CUDA tensors go to."""
    return cuda.current_device()


def set_device_index(device):
    """Make GPU ``device`` (an index or a device) the current one."""
    cuda.set_device(device)


def synchronize(device=None):
    """Wait for every kernel queued on the GPU."""
    cuda.synchronize(device)
