"""Random number generators and seeding, as ``torch.Generator`` and ``torch.random``.

Every random function of backprop draws from a ``Generator``: the one passed as ``generator=``, or
``default_generator`` (which ``bp.manual_seed`` seeds). A Generator holds a NumPy ``Generator``
(PCG64) of its own, so its draws repeat under its seed and do not disturb any other generator's.
The values cannot be torch's (another algorithm); the distributions are.

>>> import backprop as bp
>>> g = bp.Generator().manual_seed(0)
>>> a = bp.rand(3, generator=g)
>>> bool((bp.rand(3, generator=g.manual_seed(0)) == a).all())
True
"""
import contextlib
import os

import numpy

from backprop import backend

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng"]


class Generator:
    """A random number generator with its own seed and state (torch.Generator).

    >>> g = Generator().manual_seed(42)
    >>> g.initial_seed()
    42
    >>> state = g.get_state()
    >>> x = g.numpy().random()
    >>> _ = g.set_state(state)
    >>> g.numpy().random() == x
    True
    """

    def __init__(self, device="cpu"):
        self.device = backend.device(device)
        self.seed()

    def manual_seed(self, seed):
        """Restart from ``seed`` (an int; negative ones wrap around as in torch); returns this generator."""
        if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
            raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
        self._initial = int(seed) % 2**64
        self._numpy = numpy.random.default_rng(self._initial)
        return self

    def seed(self):
        """Restart from a seed taken from the operating system's entropy; returns that seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self):
        """The seed this generator was last started from."""
        return self._initial

    def get_state(self):
        """The generator's state (a JSON-able dict, where torch gives a ByteTensor); ``set_state`` restores it."""
        return self._numpy.bit_generator.state

    def set_state(self, new_state):
        """Restore a state that ``get_state`` returned: the draws that followed it repeat. Returns this generator."""
        if not isinstance(new_state, dict) or "bit_generator" not in new_state:
            raise TypeError(f"set_state() expected the dict get_state() returns, got {type(new_state).__name__}")
        self._numpy.bit_generator.state = new_state
        return self

    def numpy(self):
        """The NumPy Generator this one draws from (shares its state)."""
        return self._numpy


default_generator = Generator()


def numpy_generator(generator=None):
    """The NumPy Generator to draw from: ``generator``'s (a backprop or a NumPy Generator), else the default's."""
    if generator is None:
        return default_generator._numpy
    if isinstance(generator, Generator):
        return generator._numpy
    if isinstance(generator, numpy.random.Generator):
        return generator
    raise TypeError(f"generator= expected a backprop.Generator, got {type(generator).__name__}")


def manual_seed(seed):
    """Seed the default generator (every random function and the layers' initialisation draw from it);
    returns it, as torch.manual_seed."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, a JSON-able dict (torch gives a ByteTensor; both go to ``set_rng_state``).

    >>> import backprop as bp
    >>> state = get_rng_state()
    >>> a = bp.rand(2)
    >>> set_rng_state(state)
    >>> bool((bp.rand(2) == a).all())
    True
    """
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore a state that ``get_rng_state`` returned: the following draws repeat."""
    if not isinstance(new_state, dict) or "bit_generator" not in new_state:
        raise TypeError(f"set_rng_state() expected the dict get_rng_state() returns, got {type(new_state).__name__}")
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(seed=None, enabled=True, devices=None, device_type="cuda"):
    """Draws inside the ``with`` block come from a generator of their own (seeded with ``seed``, or a copy of the
    current state); afterwards the default generator is the one from before, untouched (torch.random.fork_rng;
    ``enabled=False`` forks nothing).

    >>> import backprop as bp
    >>> state = get_rng_state()
    >>> with fork_rng(0):
    ...     a = bp.rand(2)
    >>> with fork_rng(0):
    ...     b = bp.rand(2)
    >>> bool((a == b).all()), get_rng_state() == state
    (True, True)
    """
    if isinstance(seed, (list, tuple)):  # torch's first argument: the CUDA devices to fork (all draws are the host's)
        seed, devices = None, seed
    if not enabled:
        yield default_generator._numpy
        return
    saved, initial = default_generator._numpy, default_generator._initial
    default_generator._numpy = numpy.random.default_rng(seed)
    if seed is None:
        default_generator._numpy.bit_generator.state = saved.bit_generator.state
    try:
        yield default_generator._numpy
    finally:
        default_generator._numpy, default_generator._initial = saved, initial
