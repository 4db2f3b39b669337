"""Tensor methods of torch's tensor-level API (type, new_*, strides, conversions, devices, threads), against torch."""
import numpy as np
import pytest
import torch

import backprop as bp


def name(dtype):
    return str(dtype).split(".")[-1]


def both(array):
    return bp.tensor(array), torch.tensor(array)


def test_type_names_and_casts():
    for array in (np.zeros(2, np.float32), np.zeros(2, np.float64), np.zeros(2, np.int64), np.zeros(2, bool),
                  np.zeros(2, np.uint8), np.zeros(2, np.int8), np.zeros(2, np.int16), np.zeros(2, np.int32),
                  np.zeros(2, np.float16)):
        ours, theirs = both(array)
        assert ours.type() == theirs.type()
    ours, theirs = both([1.5, -2.0])
    for target in ("torch.DoubleTensor", "torch.LongTensor", "torch.IntTensor"):
        assert ours.type(target).tolist() == theirs.type(target).tolist()
        assert name(ours.type(target).dtype) == name(theirs.type(target).dtype)
    assert ours.type(bp.float64).dtype == bp.float64 and ours.type(bp.LongTensor).dtype == bp.int64
    assert ours.type(bp.float32) is ours
    assert ours.type_as(bp.tensor([1])).dtype == bp.int64
    with pytest.raises(ValueError, match="invalid type"):
        ours.type("torch.NoSuchTensor")
    for method in ("short", "byte", "char", "half", "int", "long", "double", "float", "bool"):
        assert name(getattr(ours, method)().dtype) == name(getattr(theirs, method)().dtype)


@pytest.mark.parametrize("make", [
    lambda t, m: t.new_tensor([1, 2]), lambda t, m: t.new_tensor([1.5], dtype=m.float64),
    lambda t, m: t.new_zeros(2, 3), lambda t, m: t.new_zeros((2,)), lambda t, m: t.new_ones((1, 2), dtype=m.int64),
    lambda t, m: t.new_full((2, 2), 7), lambda t, m: t.new_full((2,), 1.5), lambda t, m: t.new_empty(3).zero_(),
    lambda t, m: t.new_zeros(m.Size([2, 1])),
])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_factories(make, dtype):
    ours, theirs = make(bp.zeros(1, dtype=getattr(bp, dtype)), bp), make(torch.zeros(1, dtype=getattr(torch, dtype)), torch)
    assert name(ours.dtype) == name(theirs.dtype) and ours.shape == theirs.shape and ours.tolist() == theirs.tolist()


def test_new_factories_take_requires_grad():
    assert bp.zeros(1).new_ones(2, requires_grad=True).requires_grad


def test_sizes_strides_and_memory():
    ours, theirs = bp.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    for method in ("element_size", "nelement", "ndimension", "stride", "storage_offset", "is_contiguous",
                   "is_floating_point", "is_complex"):
        assert getattr(ours, method)() == getattr(theirs, method)(), method
    assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize and ours.is_cuda == theirs.is_cuda
    assert ours.stride(1) == theirs.stride(1)
    for view in (lambda t: t[1], lambda t: t[:, 1], lambda t: t[1, 2:], lambda t: t.transpose(0, 2), lambda t: t.permute(1, 0, 2)):
        a, b = view(ours), view(theirs)
        assert a.stride() == b.stride() and a.storage_offset() == b.storage_offset()
        assert a.is_contiguous() == b.is_contiguous()
        assert a.data_ptr() == ours.data_ptr() + a.storage_offset() * 4
        c = a.contiguous()
        assert c.is_contiguous() and c.tolist() == a.tolist() and (c is a) == (b.contiguous() is b)
    assert bp.zeros(2, dtype=bp.int16).element_size() == 2 and bp.zeros(3, dtype=bp.float64).nbytes == 24


def test_contiguous_and_clone_are_differentiable_and_accept_memory_formats():
    x = bp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.t().contiguous(memory_format=bp.contiguous_format)
    z = x.clone(memory_format=bp.preserve_format)
    (y * bp.tensor([[1.0, 2.0], [3.0, 4.0]]) + z).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [3.0, 5.0]]
    assert bp.zeros(1, 2, 2, 2).clone(memory_format=bp.channels_last).shape == (1, 2, 2, 2)
    assert bp.zeros(2).contiguous() is not None


def test_detach_and_requires_grad_in_place():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y and y.grad_fn is None and not y.requires_grad and y.is_leaf
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_to_accepts_torchs_forms():
    ours, theirs = both([1.5, 2.5])
    for args, kwargs in (((bp.float64,), {}), (("cpu", bp.float64), {}), (("cpu",), {"non_blocking": True}),
                         ((), {"device": "cpu", "dtype": bp.int32}), ((bp.float16, False, True), {}),
                         ((bp.device("cpu"),), {"copy": True}), ((bp.zeros(1, dtype=bp.int64),), {})):
        targs = tuple(getattr(torch, name(a)) if isinstance(a, bp.dtype) else torch.zeros(1, dtype=torch.int64)
                      if isinstance(a, bp.Tensor) else str(a) if isinstance(a, bp.device) else a for a in args)
        tkwargs = {k: getattr(torch, name(v)) if isinstance(v, bp.dtype) else v for k, v in kwargs.items()}
        a, b = ours.to(*args, **kwargs), theirs.to(*targs, **tkwargs)
        assert name(a.dtype) == name(b.dtype) and a.tolist() == b.tolist() and (a is ours) == (b is theirs)
    assert ours.cpu() is ours and ours.to("cpu", bp.float32) is ours


def test_conversions_to_python():
    ours, theirs = both([[1.5, 2.0], [3.0, 4.0]])
    assert len(ours) == len(theirs) and ours.tolist() == theirs.tolist()
    assert [row.tolist() for row in ours] == [row.tolist() for row in theirs]
    assert np.array_equal(np.asarray(ours), np.asarray(theirs)) and np.asarray(ours, dtype=np.float64).dtype == np.float64
    assert ours[0, 0].item() == theirs[0, 0].item() and float(ours[1, 1]) == 4.0
    assert [10, 20, 30][bp.tensor(2)] == 30 and range(5)[bp.tensor([3])] == 3
    assert (3.0 in ours) == (3.0 in theirs) is True and (7 in ours) == (7 in theirs) is False
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][bp.tensor(1.0)]
    for t in (bp.tensor([]), bp.tensor([1, 2])):
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with"):
            bool(t)
    assert bool(bp.tensor([0.5])) and not bool(bp.tensor(0))
    with pytest.raises(TypeError, match="len"):
        len(bp.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(bp.tensor(1.0))


def test_devices_as_torch():
    for spec in ("cpu", "cuda:1", bp.device("cuda", 2)):
        ours, theirs = bp.device(spec), torch.device(str(spec))
        assert (ours.type, ours.index) == (theirs.type, theirs.index) and str(ours) == str(theirs)
    assert bp.device("cuda", 0) == bp.device("cuda:0") and bp.device("cpu") != bp.device("cuda:0")
    assert bp.get_default_device() == bp.device("cpu") and str(torch.get_default_device()) == "cpu"


def test_without_a_gpu_cuda_and_accelerator_answer_as_torch():
    if bp.cuda.is_available():
        pytest.skip("a GPU is present: tests/test_cuda.py covers it")
    assert bp.cuda.is_available() is torch.cuda.is_available() is False
    assert bp.cuda.device_count() == torch.cuda.device_count() == 0
    assert bp.accelerator.is_available() is torch.accelerator.is_available() is False
    assert bp.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert bp.accelerator.device_count() == torch.accelerator.device_count() == 0
    for fn in (bp.cuda.manual_seed, bp.cuda.manual_seed_all, torch.cuda.manual_seed, torch.cuda.manual_seed_all):
        fn(0)  # accepted, nothing to seed
    bp.cuda.empty_cache()
    torch.cuda.empty_cache()
    assert not bp.cuda.is_initialized()
    with pytest.raises(RuntimeError, match="no CUDA device"):
        bp.cuda.current_device()
    with pytest.raises(RuntimeError, match="no CUDA device"):
        bp.cuda.synchronize()
    assert not isinstance(bp.zeros(1), bp.cuda.FloatTensor) and isinstance(bp.zeros(1), bp.FloatTensor)
    assert bp.zeros(1).is_cuda is False


def test_set_default_device_places_new_tensors():
    try:
        bp.set_default_device("cpu")
        assert bp.zeros(2).device == bp.device("cpu") and bp.get_default_device() == bp.device("cpu")
    finally:
        bp.set_default_device(None)


def test_num_threads_set_blas_for_real():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = bp.get_num_threads()
    try:
        bp.set_num_threads(1)
        assert bp.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas")
    finally:
        bp.set_num_threads(before)
    assert bp.get_num_threads() == before
    with pytest.raises(ValueError, match="positive integer"):
        bp.set_num_threads(0)


def test_operators_delegate_to_the_ops_by_name():
    a, b = bp.tensor([7, -7, 5]), bp.tensor([2, 2, -3])
    ta, tb = torch.tensor([7, -7, 5]), torch.tensor([2, 2, -3])
    assert (a & b).tolist() == (ta & tb).tolist() and (a | b).tolist() == (ta | tb).tolist()
    assert (a ^ b).tolist() == (ta ^ tb).tolist() and (~a).tolist() == (~ta).tolist()
    assert (~bp.tensor([True, False])).tolist() == [False, True]
    c, tc = a.clone(), ta.clone()
    c &= 3
    tc &= 3
    assert c.tolist() == tc.tolist()
    c |= 8
    tc |= 8
    c ^= 1
    tc ^= 1
    assert c.tolist() == tc.tolist()


def test_small_module_functions_as_torchs():
    for m in (bp, torch):
        assert m.is_nonzero(m.tensor([1.5])) and not m.is_nonzero(m.tensor(0))
        with pytest.raises(RuntimeError, match="ambiguous"):
            m.is_nonzero(m.tensor([1, 2]))
        assert not m.is_complex(m.zeros(1)) and not m.is_storage(m.zeros(1))
        assert m.zeros(1).get_device() == -1 and not m.zeros(1).is_pinned()
    t = bp.zeros(1)
    assert t.pin_memory() is t  # torch needs an accelerator for it; NumPy's arrays stay as they are
    assert repr(bp.zeros(1).layout) == repr(torch.zeros(1).layout).replace("torch", "backprop") == "backprop.strided"
    assert bp.zeros(2, layout=bp.strided).shape == (2,)
    before = bp.get_num_interop_threads()
    bp.set_num_interop_threads(3)
    assert bp.get_num_interop_threads() == 3
    bp.set_num_interop_threads(before)


def test_asarray_shares_memory_where_torch_does():
    array = np.zeros(3)
    ours, theirs = bp.asarray(array), torch.asarray(array)
    assert name(ours.dtype) == name(theirs.dtype) and np.shares_memory(ours.numpy(), array)
    t = bp.ones(2)
    assert bp.asarray(t) is t and bp.asarray(t, dtype=bp.float32) is t
    assert bp.asarray(t, copy=True) is not t and bp.asarray(t, dtype=bp.float64).dtype == bp.float64
    assert name(bp.asarray([1, 2]).dtype) == name(torch.asarray([1, 2]).dtype)
    assert bp.asarray([1.0], requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="needs a copy"):
        bp.asarray(t, dtype=bp.float64, copy=False)


@pytest.mark.parametrize("op", [
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: 10 // a, lambda a, b: 10 % a, lambda a, b: a // 2,
    lambda a, b: a % -3, lambda a, b: -a % b,
])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_floor_division_and_remainder_operators(op, dtype):
    a, b = np.array([7, -7, 5, 9], dtype=dtype), np.array([2, 3, -4, 9], dtype=dtype)
    ours, theirs = op(bp.tensor(a), bp.tensor(b)), op(torch.tensor(a), torch.tensor(b))
    assert ours.tolist() == theirs.tolist() and name(ours.dtype) == name(theirs.dtype)


def test_in_place_floor_division_and_remainder():
    ours, theirs = bp.tensor([7, -7, 5]), torch.tensor([7, -7, 5])
    for t in (ours, theirs):
        t //= 2
        t %= 3
    assert ours.tolist() == theirs.tolist()
    x = bp.tensor([1.0, 2.5], requires_grad=True)
    (x % 1.5).sum().backward()
    tx = torch.tensor([1.0, 2.5], requires_grad=True)
    (tx % 1.5).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(size=(2, 3)), lambda m: m.ones(size=[4]), lambda m: m.empty(size=(1, 2)),
    lambda m: m.rand(size=(3,)), lambda m: m.randn(size=(2, 2), dtype=m.float64), lambda m: m.zeros(m.Size([2, 1])),
    lambda m: m.ones(()), lambda m: m.full(size=(2,), fill_value=3), lambda m: m.randint(5, size=(3,)),
])
def test_factories_take_sizes_as_torch(make):
    ours, theirs = make(bp), make(torch)
    assert ours.shape == tuple(theirs.shape) and name(ours.dtype) == name(theirs.dtype)


@pytest.mark.parametrize("op", [
    lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b, lambda a, b: ~a, lambda a, b: a << b,
    lambda a, b: a >> b, lambda a, b: a << 2, lambda a, b: 3 << b, lambda a, b: 100 >> b, lambda a, b: 6 & a,
    lambda a, b: 6 | a, lambda a, b: 6 ^ a,
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_bitwise_and_shift_operators(op, dtype):
    a, b = np.array([7, 12, 5, 1], dtype=dtype), np.array([1, 2, 3, 0], dtype=dtype)
    ours, theirs = op(bp.tensor(a), bp.tensor(b)), op(torch.tensor(a), torch.tensor(b))
    assert ours.tolist() == theirs.tolist() and name(ours.dtype) == name(theirs.dtype)


def test_in_place_bitwise_and_shift_operators():
    ours, theirs = bp.tensor([7, -12, 5]), torch.tensor([7, -12, 5])
    for t in (ours, theirs):
        t <<= 2
        t >>= 1
        t &= 13
        t |= 16
        t ^= 5
    assert ours.tolist() == theirs.tolist()
    flags, tflags = bp.tensor([True, False]), torch.tensor([True, False])
    assert (flags & True).tolist() == (tflags & True).tolist() and (~flags).tolist() == (~tflags).tolist()


def test_a_device_as_a_context_sets_the_default_device_inside_its_block():
    import torch

    for lib in (bp, torch):
        assert lib.get_default_device() == lib.device("cpu")
        with lib.device("cuda:0") as inside:
            assert lib.get_default_device() == inside == lib.device("cuda:0")
            with lib.device("cpu"):
                assert lib.get_default_device() == lib.device("cpu")
            assert lib.get_default_device() == lib.device("cuda:0")
        assert lib.get_default_device() == lib.device("cpu")


@pytest.mark.parametrize("value,error", [(0.0, TypeError), ("zeros(3)", RuntimeError)])
def test_assigning_a_grad_is_checked_as_torch(value, error):
    import torch

    for lib in (bp, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(error):
            x.grad = lib.zeros(3) if value == "zeros(3)" else value
        x.grad = lib.full((2,), 3.0)
        assert x.grad.tolist() == [3.0, 3.0]
