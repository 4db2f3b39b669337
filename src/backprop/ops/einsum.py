"""Einstein summation, and the products written with it: einsum, tensordot, kron."""
import string

from backprop import backend
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.manifest import export
from backprop.ops.util import check_tensor
from backprop.tensor import Tensor


class Einsum(Function):
    """y = einsum(equation, x_1, ..., x_n) with every subscript a letter (no ellipsis: ``parse`` expands it);
    dL/dx_i = einsum(dL/dy and the other operands -> the subscripts of x_i).

    A letter x_i repeats (a diagonal, ``ii``) comes back through an identity matrix over the repeated pair, and
    a letter only x_i has (summed away, ``ij->i``) through a vector of ones: both constants of the gradient's
    einsum, so every gradient is again an einsum, differentiable to any order.
    """

    def forward(self, *operands, equation):
        self.equation = equation
        if self.needs_input_grad:
            self.save_for_backward(*operands)
        return contract(equation, *operands)

    def backward(self, grad):
        operands = self.saved_tensors
        inputs, output = self.equation.split("->")
        inputs = inputs.split(",")
        sizes = _sizes(inputs, [x.shape for x in operands])
        return tuple(
            _operand_grad(i, grad, operands, inputs, output, sizes) if needed else None
            for i, needed in enumerate(self.needs_input_grad))


def _sizes(subscripts, shapes):
    sizes = {}
    for letters, shape in zip(subscripts, shapes):
        for letter, size in zip(letters, shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return sizes


def _operand_grad(i, grad, operands, inputs, output, sizes):
    """dL/dx_i as one einsum of dL/dy, the other operands and constant identities and ones."""
    xp = backend.array_module(_raw(grad))
    dtype = _raw(grad).dtype
    free = iter(c for c in string.ascii_letters if c not in sizes)
    target, terms, args = "", [output], [grad]
    seen = set()
    for letter in inputs[i]:
        if letter in seen:  # a repeat: its own letter, tied to the first by an identity matrix
            fresh = next(free)
            terms.append(letter + fresh)
            args.append(xp.eye(sizes[letter], dtype=dtype))
            letter = fresh
        seen.add(letter)
        target += letter
    for j, letters in enumerate(inputs):
        if j != i:
            terms.append(letters)
            args.append(operands[j])
    present = set("".join(terms))
    for letter in dict.fromkeys(inputs[i]):
        if letter not in present:  # summed away in the forward: spread back by ones
            terms.append(letter)
            args.append(xp.ones(sizes[letter], dtype=dtype))
    return contract(",".join(terms) + "->" + target, *args)


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def contract(equation, *operands):
    """NumPy's einsum of arrays, or the differentiable ``Einsum`` when an operand is a Tensor (inside a
    backward with ``create_graph=True``; array operands are then constants)."""
    if any(isinstance(x, Tensor) for x in operands):
        return Einsum.apply(*[x if isinstance(x, Tensor) else Tensor._make(x) for x in operands], equation=equation)
    xp = backend.array_module(operands[0])
    return xp.einsum(equation, *operands, optimize=len(operands) > 1)


def parse(equation, shapes):
    """torch's einsum equation (spaces, ``...``, an implicit output) as one with a letter per dimension."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"einsum(): the equation names {len(inputs)} operands, {len(shapes)} were given")
    for term in inputs + ([output] if arrow else []):
        bad = set(term.replace("...", "")) - set(string.ascii_letters)
        if bad or term.count("...") > 1 or "." in term.replace("...", ""):
            raise ValueError(f"einsum(): invalid subscripts {term!r} in {equation!r}: expected letters and at "
                             "most one '...'")
    used = set(equation)
    spare = [c for c in string.ascii_letters if c not in used]
    ellipsis_dims = 0
    for term, shape in zip(inputs, shapes):
        letters = len(term.replace("...", ""))
        if ("..." in term and letters > len(shape)) or ("..." not in term and letters != len(shape)):
            raise ValueError(f"einsum(): the subscripts {term!r} do not fit an operand of {len(shape)} "
                             f"dimensions (shape {tuple(shape)})")
        if "..." in term:
            ellipsis_dims = max(ellipsis_dims, len(shape) - letters)
    broadcast = "".join(spare[:ellipsis_dims])
    expanded = [term.replace("...", broadcast[ellipsis_dims - (len(shape) - len(term) + 3):] if ellipsis_dims else "")
                if "..." in term else term for term, shape in zip(inputs, shapes)]
    if arrow:
        output = output.replace("...", broadcast)
    else:
        letters = "".join(expanded).replace(broadcast, "") if broadcast else "".join(expanded)
        counts = {c: letters.count(c) for c in letters}
        output = broadcast + "".join(sorted(c for c, n in counts.items() if n == 1))
    for letter in output:
        if letter not in "".join(expanded):
            raise ValueError(f"einsum(): the output subscript {letter!r} appears in no operand of {equation!r}")
    if len(set(output)) != len(output):
        raise ValueError(f"einsum(): the output subscripts of {equation!r} repeat a letter")
    sizes = {}
    for term, shape in zip(expanded, shapes):
        for letter, size in zip(term, shape):
            if size != 1 and sizes.get(letter, size) not in (1, size):
                raise ValueError(f"einsum(): subscript {letter!r} has size {size} for one operand and "
                                 f"{sizes[letter]} for another, which do not broadcast")
            sizes[letter] = size if size != 1 else sizes.get(letter, 1)
    return ",".join(expanded) + "->" + output


@export(method=False)
def einsum(equation, *operands):
    """Sums of products over the subscripts of ``equation``, as torch.einsum (``'ij,jk->ik'``, ``'...ii->...i'``,
    ``'bij,bjk'`` with the output implied; operands listed or as one list)."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): expected the equation as a string first, got {type(equation).__name__} "
                        "(the sublist format is not provided by backprop)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for x in operands:
        check_tensor(x, "einsum")
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    if len({x.dtype for x in operands}) > 1:
        raise RuntimeError(f"einsum(): operands do not have the same dtype: {[str(x.dtype) for x in operands]}")
    return Einsum.apply(*operands, equation=parse(equation, [x.shape for x in operands]))


@export(method=False)
def tensordot(a, b, dims=2, out=None):
    """Sum of products over the last ``dims`` dimensions of ``a`` and the first ``dims`` of ``b`` (or over the
    dimensions listed in ``dims = (dims_a, dims_b)``)."""
    check_tensor(a, "tensordot")
    check_tensor(b, "tensordot")
    if isinstance(dims, int):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims >= 0 and <= the dimensions of both operands, got {dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both lists of dims must have one length, got {dims_a} and {dims_b}")
    dims_a, dims_b = [d % max(a.ndim, 1) for d in dims_a], [d % max(b.ndim, 1) for d in dims_b]
    letters = iter(string.ascii_letters)
    sub_a = [next(letters) for _ in range(a.ndim)]
    sub_b = [next(letters) for _ in range(b.ndim)]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: contracted dimensions need the same size, got {a.shape[da]} "
                               f"(dim {da} of a) and {b.shape[db]} (dim {db} of b)")
        sub_b[db] = sub_a[da]
    kept = [s for k, s in enumerate(sub_a) if k not in dims_a] + [s for k, s in enumerate(sub_b) if k not in dims_b]
    equation = "".join(sub_a) + "," + "".join(sub_b) + "->" + "".join(kept)
    return write_out(Einsum.apply(a, b, equation=equation), out, "tensordot")


@export()
def kron(input, other, *, out=None):
    """The Kronecker product: block (i, j) of the result is input[i, j] * other (for any number of dims)."""
    check_tensor(input, "kron")
    check_tensor(other, "kron")
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    spread_a = a.reshape(tuple(s for size in a.shape for s in (size, 1)))
    spread_b = b.reshape(tuple(s for size in b.shape for s in (1, size)))
    result = (spread_a * spread_b).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))
    return write_out(result, out, "kron")
