"""torch.nn.modules.utils: the helpers that turn a size argument into a tuple (``kernel_size=3`` -> (3, 3)),
which programs writing their own convolution or pooling layers import."""
import collections.abc
import itertools

__all__ = []


def _ntuple(n, name="parse"):
    """A function making an n-tuple of its argument: an iterable as a tuple, a single value repeated n times."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Each element of ``t``, in reverse order, repeated ``n`` times: (1, 2), 2 -> (2, 2, 1, 1) (F.pad's order)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """``out_size`` with each None replaced by the matching trailing entry of ``defaults`` (adaptive pooling)."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]
