"""Batches of sequences of unequal lengths, as torch's ``torch.nn.utils.rnn``.

Padding puts the sequences side by side in one (T, B, *) tensor, the short
ones filled up with ``padding_value``. Packing keeps only the real steps: the
sequences are sorted by decreasing length, and the packed ``data`` lists time
step 0 of every sequence, then step 1 of those that have one, and so on;
``batch_sizes[t]`` says how many sequences are still running at step t. A
recurrent layer given a ``PackedSequence`` runs each sequence for exactly its
own length (its final state is taken at its last real step, and the reverse
direction starts there), which padding alone cannot give.

Every conversion is one differentiable gather (``index_select``), so
gradients flow back from packed outputs to the padded inputs.
"""
from collections import namedtuple

import numpy as np  # index bookkeeping on the (CPU) lengths only, never array maths on tensor data

from backprop import creation
from backprop import dtypes
from backprop.ops.indexing import index_select
from backprop.ops.join import cat
from backprop.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _indices(values):
    return None if values is None else np.asarray(values.tolist() if isinstance(values, Tensor) else values,
                                                  dtype=np.int64)


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None): out[permutation[i]] = i."""
    if permutation is None:
        return None
    order = _indices(permutation)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return creation.tensor(inverse, device=permutation.device if isinstance(permutation, Tensor) else None)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch: ``data`` (sum of lengths, *), ``batch_sizes`` (int64, one per time step, on the CPU),
    ``sorted_indices`` (the batch order sorted by decreasing length; None when the input was sorted already)
    and ``unsorted_indices`` (its inverse). Built by ``pack_padded_sequence`` or ``pack_sequence``.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required (build one with pack_padded_sequence or "
                             "pack_sequence)")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = creation.tensor(_indices(batch_sizes))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """``data.to(...)``; the index tensors follow data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=dtypes.float64)

    def float(self):
        return self.to(dtype=dtypes.float32)

    def long(self):
        return self.to(dtype=dtypes.int64)

    def int(self):
        return self.to(dtype=dtypes.int32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False

    def pin_memory(self):
        return self


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) into one (T, B, *) tensor (``batch_first``: (B, T, *)), T the longest length,
    the rest filled with ``padding_value`` after each sequence (``padding_side="left"``: before it).

    >>> import backprop as bp
    >>> pad_sequence([bp.tensor([1, 2, 3]), bp.tensor([4])], batch_first=True).tolist()
    [[1, 2, 3], [4, 0, 0]]
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    lengths = [s.shape[0] for s in sequences]
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape {trailing} of the "
                               f"first, got {tuple(s.shape)}")
    first = sequences[0]
    fill = creation.full((1,) + trailing, padding_value, dtype=first.dtype, device=first.device)
    rows = cat([s.reshape((s.shape[0],) + trailing) for s in sequences] + [fill], dim=0)
    # rows: the sequences one after another, then the padding row; index[b, t] picks the row of step t of b
    longest, total = max(lengths), sum(lengths)
    index = np.full((len(sequences), longest), total, dtype=np.int64)
    start = 0
    for b, length in enumerate(lengths):
        offset = 0 if padding_side == "right" else longest - length
        index[b, offset:offset + length] = np.arange(start, start + length)
        start += length
    if not batch_first:
        index = index.T
    out = index_select(rows, 0, creation.tensor(index.reshape(-1), device=first.device))
    return out.reshape(index.shape + trailing)


def _lengths(lengths, batch):
    lengths = _indices(lengths).reshape(-1)
    if lengths.size != batch:
        raise ValueError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} (batch_size="
                         f"{batch})")
    return lengths


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) whose sequence b has ``lengths[b]`` real steps.

    With ``enforce_sorted`` the lengths must be in decreasing order; else the batch is sorted here (stable) and
    the PackedSequence remembers the order, so that ``pad_packed_sequence`` and the recurrent layers give results
    in the caller's order.
    """
    batch_dim = 0 if batch_first else 1
    lengths = _lengths(lengths, input.shape[batch_dim])
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order = np.arange(lengths.size)
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = creation.tensor(order, device=input.device)
    ordered = lengths[order]
    if ordered.size and ordered[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    steps = input.shape[1 - batch_dim]
    if ordered.size and ordered[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {ordered[0]} is longer than the input's "
                           f"{steps} time steps")
    batch_sizes = (ordered[None, :] > np.arange(ordered[0])[:, None]).sum(axis=1)
    # row of (t, b) in the input flattened to (T * B, *) or (B * T, *), for the running sequences at each t
    rows = []
    batch = input.shape[batch_dim]
    for t, size in enumerate(batch_sizes):
        chosen = order[:size]
        rows.append(chosen * steps + t if batch_first else t * batch + chosen)
    trailing = tuple(input.shape[2:])
    flat = input.reshape((-1,) + trailing)
    data = index_select(flat, 0, creation.tensor(np.concatenate(rows), device=input.device))
    return PackedSequence(data, creation.tensor(batch_sizes.astype(np.int64)), sorted_indices, None)


def _packed_lengths(batch_sizes):
    """Each sorted sequence's length from the batch sizes: sequence i runs while batch_sizes[t] > i."""
    sizes = _indices(batch_sizes)
    return (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(axis=1)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *), lengths) in the caller's batch order, T the
    longest length or ``total_length``; lengths an int64 tensor."""
    data, batch_sizes = sequence.data, _indices(sequence.batch_sizes)
    longest = batch_sizes.size
    if total_length is not None:
        if total_length < longest:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {longest}")
        longest = total_length
    lengths = _packed_lengths(batch_sizes)
    batch = lengths.size
    trailing = tuple(data.shape[1:])
    fill = creation.full((1,) + trailing, padding_value, dtype=data.dtype, device=data.device)
    rows = cat([data, fill], dim=0)
    index = np.full((longest, batch), data.shape[0], dtype=np.int64)  # (t, sorted b) -> row of data
    start = 0
    for t, size in enumerate(batch_sizes):
        index[t, :size] = np.arange(start, start + size)
        start += size
    unsorted = _indices(sequence.unsorted_indices)
    if unsorted is not None:
        index, lengths = index[:, unsorted], lengths[unsorted]
    if batch_first:
        index = index.T
    padded = index_select(rows, 0, creation.tensor(index.reshape(-1), device=data.device))
    return padded.reshape(index.shape + trailing), creation.tensor(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch: sequence b is its first ``lengths[b]`` steps."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(length)] for seq, length in zip(padded_sequences.unbind(0), _indices(lengths).reshape(-1))]


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
