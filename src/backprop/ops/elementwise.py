"""Elementwise functions of one tensor: exp, log, sqrt, abs, sin, cos, and the
activations tanh, sigmoid, relu, with clamp (the rest of torch's pointwise
maths is in pointwise.py).

Integer inputs to the float-valued functions are first converted to float32,
as in PyTorch.
"""
from backprop import backend
from backprop import dtypes
from backprop.autograd import Function
from backprop.ops.indexing import write_out
from backprop.ops.util import check_tensor, floating, to_dtype
from backprop.ops.manifest import export


class Exp(Function):
    """y = e^x;  dL/dx = dL/dy * y."""

    def forward(self, x):
        y = backend.array_module(x).exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * y


class Log(Function):
    """y = ln x;  dL/dx = dL/dy / x."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).log(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / x


class Sqrt(Function):
    """y = sqrt(x);  dL/dx = dL/dy / (2 y)."""

    def forward(self, x):
        y = backend.array_module(x).sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad / (2 * y)


class Abs(Function):
    """y = |x|;  dL/dx = dL/dy * sign(x) (0 at x = 0 and at nan, as in PyTorch)."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).abs(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        xp = backend.array_module(x)
        return grad * xp.where(xp.isnan(x), 0, xp.sign(x))


class Sin(Function):
    """y = sin x;  dL/dx = dL/dy * cos x."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).sin(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * backend.array_module(x).cos(x)


class Cos(Function):
    """y = cos x;  dL/dx = -dL/dy * sin x."""

    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).cos(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return -grad * backend.array_module(x).sin(x)


class Tanh(Function):
    """y = tanh z = (e^z - e^-z) / (e^z + e^-z);  dL/dz = dL/dy * (1 - y^2)."""

    def forward(self, x):
        y = backend.array_module(x).tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * (1 - y * y)


def sigmoid_parts(x, e=None):
    """(sigmoid(x), sigmoid(-x)) of an array, the one stable sigmoid of backprop: from one exponential
    e = e^{-|x|} <= 1, which never overflows (pass it when the caller has it already), as 1 / (1 + e) and
    e / (1 + e), which keep the tiny values of either tail (1 - sigmoid(x) would round them to 0)."""
    xp = backend.array_module(x)
    if e is None:
        e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    positive = x >= 0
    return xp.where(positive, r, e * r), xp.where(positive, e * r, r)


class Sigmoid(Function):
    """The logistic sigmoid y = 1 / (1 + e^-z);  dL/dz = dL/dy * y (1 - y).

    Computed by ``sigmoid_parts``, which neither overflows for very negative z nor loses the tiny values there.
    """

    def forward(self, x):
        y = sigmoid_parts(x)[0]
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * y * (1 - y)


class ReLU(Function):
    """The rectified linear unit y = max(0, z);  dL/dz = dL/dy where z > 0, else 0."""

    def forward(self, x):
        xp = backend.array_module(x)
        y = xp.empty_like(x)  # max(x, 0) as max of two arrays, which NumPy vectorises (not array and number)
        y.fill(0)
        xp.maximum(x, y, out=y)
        if self.needs_input_grad:
            self.save_for_backward(y)
        return y

    def backward(self, grad):
        (y,) = self.saved_tensors
        return grad * (y > 0)


class Clamp(Function):
    """y = min(max(x, lo), hi);  dL/dx = dL/dy where lo <= x <= hi, else 0."""

    def forward(self, x, lo, hi):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.lo, self.hi = lo, hi
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    def backward(self, grad):
        (x,) = self.saved_tensors
        inside = True
        if self.lo is not None:
            inside = x >= self.lo
        if self.hi is not None:
            inside = inside & (x <= self.hi)
        # selected, not multiplied: outside the range the gradient is 0 even where dL/dy is inf or nan, as torch
        return backend.array_module(grad).where(inside, grad, 0)


def float_unary(cls, name):
    """Declare ``name(input, *, out=None)``: ``cls`` applied to ``input`` (integers and bools first converted
    to float32, as torch), with its method, in-place method and ``out=``; the docstring is ``cls``'s formula."""

    def function(input, *, out=None):
        return write_out(cls.apply(floating(input, name)), out, name)

    function.__name__ = function.__qualname__ = name
    function.__module__, function.__doc__ = cls.__module__, cls.__doc__
    return export(name=name, inplace=True)(function)


exp = float_unary(Exp, "exp")
log = float_unary(Log, "log")
sqrt = float_unary(Sqrt, "sqrt")
sin = float_unary(Sin, "sin")
cos = float_unary(Cos, "cos")
tanh = float_unary(Tanh, "tanh")


@export(inplace=True)
def abs(input, *, out=None):
    return write_out(Abs.apply(check_tensor(input, "abs")), out, "abs")


absolute = export(name="absolute", inplace=True)(abs)  # torch's other name


@export(inplace=True)
def sigmoid(input, *, out=None):
    """sigmoid(z) = 1 / (1 + e^-z), from (-inf, inf) to (0, 1).

    >>> import backprop as bp
    >>> bp.sigmoid(bp.tensor([0.0])).tolist()
    [0.5]
    """
    return write_out(Sigmoid.apply(floating(input, "sigmoid")), out, "sigmoid")


@export(inplace=True)
def relu(input):
    return ReLU.apply(check_tensor(input, "relu"))


@export(inplace=True)
def clamp(input, min=None, max=None, *, out=None):
    """Limit every element to [min, max] (numbers or tensors; either may be None)."""
    from backprop.ops import selection

    check_tensor(input, "clamp")
    if min is None and max is None:
        raise ValueError("clamp() expected at least one of min and max, got neither")
    dtype = dtypes.result_type(input, *[bound for bound in (min, max) if bound is not None])
    input = to_dtype(input, dtype, input)  # clamp(int_tensor, 0.5) is float32, as in torch
    if hasattr(min, "shape") or hasattr(max, "shape"):  # tensor bounds: composed of maximum/minimum
        result = input if min is None else selection.maximum(input, min)
        result = result if max is None else selection.minimum(result, max)
    else:
        result = Clamp.apply(input, lo=min, hi=max)
    return write_out(result, out, "clamp")


clip = export(name="clip", inplace=True)(clamp)  # torch's other name for clamp


@export(inplace=True)
def clamp_min(input, min, *, out=None):
    """max(input, min): ``clamp`` with a lower bound only."""
    return clamp(input, min=min, out=out)


@export(inplace=True)
def clamp_max(input, max, *, out=None):
    """min(input, max): ``clamp`` with an upper bound only."""
    return clamp(input, max=max, out=out)
