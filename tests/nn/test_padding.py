"""Padding layers (Zero/Constant/Reflection/Replication/CircularPad 1d-3d) and F.pad's modes, negative widths
and errors against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

CASES = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 2, 0, 3),), (2, 2, 3, 3)), ("ZeroPad3d", (1,), (1, 2, 2, 2, 3)),
    ("ConstantPad1d", ((2, 1), 3.5), (3, 4)), ("ConstantPad2d", (1, -1.0), (2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 0.5), (2, 2, 3, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad1d", ((3, 1),), (3, 5)),
    ("ReflectionPad2d", ((1, 2, 2, 0),), (2, 2, 3, 4)), ("ReflectionPad2d", (1,), (2, 3, 3)),
    ("ReflectionPad3d", (1,), (1, 2, 2, 3, 3)),
    ("ReplicationPad1d", ((2, 3),), (2, 3, 4)), ("ReplicationPad2d", (2,), (2, 2, 3, 3)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 1, 2),), (2, 2, 3, 2)),
    ("CircularPad1d", ((2, 3),), (2, 3, 4)), ("CircularPad2d", ((1, 2, 3, 0),), (2, 3, 4)),
    ("CircularPad3d", (1,), (1, 1, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,shape", CASES)
def test_padding_layers_match_torch(name, args, shape, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    compare_module(ours, theirs, [np.random.default_rng(0).standard_normal(shape)], dtype)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-1, 2), (1, -2, 0, 1), (-1, -1, 2, -1)])
def test_negative_widths_crop_as_torch(mode, pad):
    x = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    ours, theirs = F.pad(bp.tensor(x), pad, mode), TF.pad(torch.tensor(x), pad, mode)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("x_shape,pad,mode,value", [
    ((1, 2, 3), (1,), "constant", None), ((1, 2, 3), (1, 1), "fancy", None), ((1, 2, 3), (3, 0), "reflect", None),
    ((1, 2, 3), (4, 0), "circular", None), ((1, 2, 3), (1, 1), "reflect", 2.0), ((3,), (1, 1), "reflect", None),
    ((2, 0, 3), (1, 1), "replicate", None), ((1, 2, 3), (1, 1, 1, 1, 1, 1), "replicate", None)])
def test_errors_have_torchs_types(x_shape, pad, mode, value):
    with pytest.raises(Exception) as theirs:
        TF.pad(torch.zeros(x_shape), pad, mode, value)
    with pytest.raises(type(theirs.value)):
        F.pad(bp.zeros(*x_shape), pad, mode, value)
