"""Checking and converting what the classic units are given: inputs x and targets t."""
from backprop import backend, creation
from backprop.tensor import Tensor


def examples(x, n_features, like, name):
    """``x`` of shape (n,) or (N, n) as a 2-D array of ``like``'s dtype and device, and whether it was one example.

    ``x`` may be a Tensor, a NumPy array or nested lists; ``like`` is the
    unit's weight Tensor. A wrong shape raises ValueError naming ``name``.
    """
    array = creation.as_tensor(x, dtype=like.dtype, device=like.device)._data
    if array.ndim not in (1, 2) or array.shape[-1] != n_features:
        raise ValueError(f"{name} expects inputs of shape ({n_features},) or (N, {n_features}), "
                         f"got shape {tuple(array.shape)}")
    return (array[None] if array.ndim == 1 else array), array.ndim == 1


def targets(t, n, allowed, like, name, hint):
    """Targets ``t`` (N,) or (N, 1), each one of ``allowed``, as a 1-D array of ``like``'s dtype and device.

    Anything else raises ValueError naming ``name``, the values that came and
    ``hint`` (how to turn them into the allowed ones).
    """
    array = creation.as_tensor(t, dtype=like.dtype, device=like.device)._data
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.shape != (n,):
        raise ValueError(f"{name} expects {n} targets of shape ({n},) or ({n}, 1), got shape {tuple(array.shape)}")
    xp = backend.array_module(array)
    wrong = ~xp.isin(array, xp.asarray(allowed, dtype=array.dtype))
    if bool(wrong.any()):
        found = sorted(set(backend.to_numpy(array[wrong]).tolist()))[:3]
        wanted = "{" + ", ".join(map(str, allowed)) + "}"
        raise ValueError(f"{name} expects targets in {wanted}, got {found}; {hint}")
    return array


def tensor(array, one_example):
    """Wrap a result array (N, ...) as a Tensor, dropping the batch dimension for a single example."""
    return Tensor._make(array[0] if one_example else array)
