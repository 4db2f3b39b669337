"""``t[key]`` and ``t[key] = value`` with every kind of key torch accepts, against torch (values and the
gradients of the target, of the value, and of what the target was made from); the in-place shape methods
and ``out=``, which the op registry cannot express."""
import warnings

import numpy as np
import pytest
import torch

import backprop as bp

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5, 6))
_I = np.array([0, 2, 2])
_MASK = rng.random((4, 5)) > 0.5

KEYS = [
    1, -1, slice(1, 3), (None, 1), (Ellipsis, 2), (1, Ellipsis, None), (slice(None, None, 2), slice(1, None, 3)),
    _I, (slice(None), _I), (_I, _I), (np.array([[1], [3]]), _I),
    # advanced indices apart (their dims go first) and together (in place), with ints (torch selects first)
    (_I, slice(None), _I), (np.array([[1], [3]]), slice(1, 4), _I), (0, slice(None), _I), (_I, slice(None), 0),
    (slice(None), 0, _I), (np.array(1), slice(None), _I), (None, _I, None, _I), (Ellipsis, _I), (_I, Ellipsis, _I),
    (None, [0, 1], slice(None), 0), (0, None, slice(None), [0, 1]),
    # bool masks, lists
    np.array([True, False, True, True]), (_MASK,), (_MASK, 2), (_MASK, slice(None, None, 2)), (slice(None), _MASK[0]),
    (np.array(True),), (np.array(False), 1), (1, [True, False, False, True, True]),
    ([0, 1], 2), [0, 3], ([0, 1], [1, 2]), [[0, 1], [2, 3]], [True, False, True, False],
    (np.array([], dtype=np.int64),), np.array([1, 0, 1, 1], dtype=np.uint8),
]


def _key(key, lib):
    """The key with NumPy arrays as tensors of ``lib`` (lists and numbers stay as they are)."""
    if isinstance(key, tuple):
        return tuple(_key(k, lib) for k in key)
    if isinstance(key, np.ndarray):
        return lib.tensor(key)
    return key


def _pair(array, grad=True):
    return bp.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def _close(b, t):
    assert b.shape == tuple(t.shape), (b.shape, tuple(t.shape))
    np.testing.assert_allclose(b.detach().numpy(), t.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_as_torch(key):
    b, t = _pair(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of list keys read as tuples
        yt = t[_key(key, torch)]
    yb = b[_key(key, bp)]
    _close(yb, yt)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    yb.backward(bp.tensor(g))
    _close(b.grad, t.grad)


def _region_shapes(key):
    """The shapes of values to assign at ``key``: the region's, its trailing dims (broadcast), a number."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape = tuple(torch.tensor(X)[_key(key, torch)].shape)
    return [shape, shape[1:], ()]


SET_KEYS = [k for k in KEYS if not (isinstance(k, tuple) and any(i is None for i in k) and any(isinstance(i, int) for i in k)
                                    and any(isinstance(i, (list, np.ndarray)) for i in k))
            and getattr(k, "dtype", None) != np.uint8]  # torch refuses to assign through a uint8 mask


def _assign_as_torch(write, value_shape):
    """``write(z, v, lib)`` assigns v into z = 2 x (a non-leaf made from the leaf x) in both libraries, v = 3 w
    from a leaf w: the values, and the gradients of x and w, must be torch's."""
    (b, t), (vb, vt) = _pair(X), _pair(rng.standard_normal(value_shape))
    zt, zb = t * 2, b * 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write(zt, vt * 3, torch)
    write(zb, vb * 3, bp)
    _close(zb, zt)
    g = rng.standard_normal(X.shape)
    zt.backward(torch.tensor(g))
    zb.backward(bp.tensor(g))
    _close(b.grad, t.grad)
    _close(vb.grad, vt.grad)


@pytest.mark.parametrize("key", SET_KEYS, ids=repr)
def test_setitem_as_torch(key):
    """A value of the region's shape, of its trailing dims (broadcast), and a 0-d value."""
    for shape in _region_shapes(key):
        _assign_as_torch(lambda z, v, lib: z.__setitem__(_key(key, lib), v), shape)


def test_setitem_with_none_ints_and_arrays_apart():
    key = (None, [0, 1], slice(None), 0)
    b, t = bp.zeros(4, 5, 6), torch.zeros(4, 5, 6)
    v = rng.standard_normal((1, 2, 5)).astype(np.float32)
    t[key] = torch.tensor(v)
    b[key] = bp.tensor(v)
    _close(b, t)


def test_setitem_with_repeated_indices_gives_every_copy_the_gradient():
    _assign_as_torch(lambda z, v, lib: z.__setitem__(([1, 1, 3], 2), v), (3, 6))


def test_setitem_through_a_view_reaches_the_base():
    _assign_as_torch(lambda z, v, lib: z.narrow(1, 1, 3).__setitem__((0, [0, 2], 4), v), (2,))


def test_setitem_of_a_bool_mask_with_a_tensor_of_the_selected_values():
    b, t = _pair(X)
    zt, zb = t * 1, b * 1
    zt[zt > 0] = zt[zt > 0] ** 2
    zb[zb > 0] = zb[zb > 0] ** 2
    _close(zb, zt)
    zt.sum().backward()
    zb.sum().backward()
    _close(b.grad, t.grad)


def test_views_share_memory_with_their_base():
    x = bp.arange(24.0).reshape(2, 3, 4)
    for view in [x.narrow(2, 1, 2), x.unbind(1)[2], x.movedim(0, 2), x.swapaxes(0, 1), x[0].t(), x.unflatten(2, (2, 2)),
                 x.split([1, 2], dim=1)[1], x.view_as(bp.zeros(6, 4)), x.adjoint()]:
        view.mul_(1)  # a view's version is its base's
        assert np.shares_memory(view.numpy(), x.numpy())
    assert np.shares_memory(x[:, :1].expand_as(x).numpy(), x.numpy())
    before = x._version[0]
    x.narrow(0, 1, 1).fill_(-1.0)
    assert (x[1] == -1).all() and x._version[0] > before


def test_in_place_shape_methods_change_the_tensor_and_its_gradient():
    b, t = _pair(rng.standard_normal((3, 1, 4)))
    yb, yt = b * 2, t * 2
    for name, args in [("squeeze_", (1,)), ("unsqueeze_", (0,)), ("transpose_", (0, 2)), ("swapdims_", (1, 2)),
                       ("swapaxes_", (0, 1)), ("squeeze_", ()), ("t_", ())]:
        assert getattr(yb, name)(*args) is yb
        getattr(yt, name)(*args)
        assert yb.shape == tuple(yt.shape), name
    g = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(g)).sum().backward()
    (yb * bp.tensor(g)).sum().backward()
    _close(b.grad, t.grad)


def test_in_place_shape_methods_refuse_a_leaf_that_requires_grad():
    w = bp.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.unsqueeze_(0)
    with bp.no_grad():
        w.unsqueeze_(0)
    assert w.shape == (1, 3) and w.is_leaf


def test_out_writes_into_the_given_tensor():
    x = bp.arange(12.0).reshape(3, 4)
    out = bp.zeros(1)
    result = bp.index_select(x, 1, bp.tensor([3, 0]), out=out)
    assert result is out and out.tolist() == [[3.0, 0.0], [7.0, 4.0], [11.0, 8.0]]
    assert bp.cat([x, x], out=out) is out and out.shape == (6, 4)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        bp.take(x.requires_grad_(), bp.tensor([0]), out=bp.zeros(1))


@pytest.mark.parametrize("call, error", [
    (lambda lib, x: lib.index_select(x, 0, lib.tensor([4])), IndexError),
    (lambda lib, x: lib.index_select(x, 0, lib.tensor([0.0])), (IndexError, RuntimeError)),
    (lambda lib, x: lib.gather(x, 1, lib.tensor([[5]])), RuntimeError),
    (lambda lib, x: lib.scatter_add(x, 0, lib.tensor([[4]]), x), RuntimeError),
    (lambda lib, x: lib.take(x, lib.tensor([20])), IndexError),
    (lambda lib, x: lib.scatter(x, 0, lib.tensor([[0, 1]]), lib.ones(1, 1)), RuntimeError),
    (lambda lib, x: lib.narrow(x, 0, 5, 1), IndexError),
    (lambda lib, x: lib.narrow(x, 0, 1, 4), RuntimeError),
    (lambda lib, x: lib.hsplit(x, 2), RuntimeError),
    (lambda lib, x: x.repeat(2), RuntimeError),
    (lambda lib, x: lib.broadcast_shapes((2, 3), (4,)), RuntimeError),
    (lambda lib, x: lib.scatter_reduce(x, 0, lib.tensor([[0]]), x[:1, :1], "foo"), RuntimeError),
])
def test_errors_as_torch(call, error):
    for lib in (bp, torch):
        with pytest.raises(error):
            call(lib, lib.ones(4, 5))


def test_view_as_a_dtype_of_the_same_size():
    x = np.array([1.5, -2.0, 0.0], dtype=np.float32)
    b, t = bp.tensor(x), torch.tensor(x)
    assert b.view(bp.int32).tolist() == t.view(torch.int32).tolist()
    assert b.view(bp.float32) is b
    with pytest.raises(NotImplementedError, match="same size"):
        b.view(bp.float64)


def test_broadcast_shapes_is_a_size():
    shape = bp.broadcast_shapes((2, 1), (3,), 1)
    assert isinstance(shape, bp.Size) and shape == torch.broadcast_shapes((2, 1), (3,), 1)


def test_views_taken_before_an_in_place_shape_change_keep_their_place():
    """Views of a tensor, then its t_(), then in-place changes through the views and the tensor: values and
    gradients as torch's."""
    def run(lib):
        x = lib.tensor(X[0, :3, :4], requires_grad=True)
        b = x * 1
        v, w = b[0], b[:, 1:3]
        b.t_()
        v.mul_(2)
        b.mul_(lib.tensor(X[1, :4, :3]))
        w.add_(1)
        (b * lib.tensor(X[2, :4, :3])).sum().backward()
        return b, x.grad, v, w

    for actual, expected in zip(run(bp), run(torch)):
        _close(actual, expected)


def test_cat_of_zero_dimensional_tensors_is_refused_as_torch():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        torch.cat([torch.ones(1), torch.tensor(2.0)])
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        bp.cat([bp.ones(1), bp.tensor(2.0)])
