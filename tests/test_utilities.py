"""torch's global switches and dtype promotion queries (backprop.utilities) against torch: the values the
getters return after each setter, the errors for bad arguments, promote_types and can_cast over every pair
of backprop's dtypes."""
import itertools
import warnings

import pytest
import torch

import backprop as bp


@pytest.fixture(autouse=True)
def _restore():
    """Leave both frameworks' switches as they were."""
    saved = [(f.are_deterministic_algorithms_enabled(), f.is_deterministic_algorithms_warn_only_enabled(),
              f.get_float32_matmul_precision(), f.is_warn_always_enabled()) for f in (bp, torch)]
    yield
    for lib, (mode, warn_only, precision, warn_always) in zip((bp, torch), saved):
        lib.use_deterministic_algorithms(mode, warn_only=warn_only)
        lib.set_float32_matmul_precision(precision)
        lib.set_warn_always(warn_always)


def _deterministic_state(lib):
    return (lib.are_deterministic_algorithms_enabled(), lib.is_deterministic_algorithms_warn_only_enabled(),
            lib.get_deterministic_debug_mode())


def _error(call):
    """(type, message) of the exception ``call()`` raises."""
    with pytest.raises(Exception) as info:
        call()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("calls", [
    [("use", True, False)], [("use", True, True)], [("use", True, True), ("use", False, False)],
    [("debug", "warn")], [("debug", "error")], [("debug", 1)], [("debug", 2), ("debug", "default")],
    [("debug", True)], [("use", True, False), ("debug", 0)]])
def test_deterministic_switches_read_back_as_torch(calls):
    for lib in (bp, torch):
        lib.use_deterministic_algorithms(False)
        for kind, *args in calls:
            if kind == "use":
                lib.use_deterministic_algorithms(args[0], warn_only=args[1])
            else:
                lib.set_deterministic_debug_mode(args[0])
    assert _deterministic_state(bp) == _deterministic_state(torch)


@pytest.mark.parametrize("call", [
    lambda lib: lib.use_deterministic_algorithms(1), lambda lib: lib.use_deterministic_algorithms("yes"),
    lambda lib: lib.use_deterministic_algorithms(True, warn_only=1),
    lambda lib: lib.set_deterministic_debug_mode("bad"), lambda lib: lib.set_deterministic_debug_mode(5),
    lambda lib: lib.set_deterministic_debug_mode(1.0), lambda lib: lib.set_float32_matmul_precision(3),
    lambda lib: lib.set_warn_always(1), lambda lib: lib.set_flush_denormal(1),
    lambda lib: lib.promote_types("float32", lib.uint8), lambda lib: lib.can_cast(1, lib.int32)])
def test_bad_arguments_raise_as_torch(call):
    (bp_type, bp_message), (torch_type, torch_message) = _error(lambda: call(bp)), _error(lambda: call(torch))
    assert bp_type is torch_type
    # torch's message up to its first comma or "must be", without the name of its private function
    head = torch_message.split(",")[0].split(" must be")[0].split("(): ")[-1]
    assert head in bp_message, (bp_message, torch_message)


def test_deterministic_switches_survive_a_failed_call():
    bp.use_deterministic_algorithms(True, warn_only=True)
    with pytest.raises(RuntimeError):
        bp.set_deterministic_debug_mode(7)
    assert _deterministic_state(bp) == (True, True, 1)


@pytest.mark.parametrize("precisions", [["high"], ["medium"], ["high", "highest"], ["medium", "bad"], ["HIGH"]])
def test_float32_matmul_precision_reads_back_as_torch(precisions):
    for lib in (bp, torch):
        lib.set_float32_matmul_precision("highest")
        for precision in precisions:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_float32_matmul_precision(precision)
            warned = any("is not one of 'highest', 'high', or 'medium'" in str(w.message) for w in caught)
            assert warned == (precision not in ("highest", "high", "medium")), (lib.__name__, precision)
    assert bp.get_float32_matmul_precision() == torch.get_float32_matmul_precision()


def test_warn_always_reads_back_as_torch():
    for value in (True, False):
        bp.set_warn_always(value)
        torch.set_warn_always(value)
        assert bp.is_warn_always_enabled() is torch.is_warn_always_enabled() is value


def test_flush_denormal_is_reported_unsupported():
    # torch flushes on x86 CPUs (returns True); NumPy keeps denormals, so asking to flush says False
    assert bp.set_flush_denormal(True) is False
    assert bp.set_flush_denormal(False) is True
    assert bp.tensor([1e-40], dtype=bp.float32).item() != 0.0


_DTYPES = [name for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")]


@pytest.mark.parametrize("name1", _DTYPES)
def test_promote_types_and_can_cast_over_every_pair_as_torch(name1):
    for name2 in _DTYPES:
        a, b = getattr(bp, name1), getattr(bp, name2)
        ta, tb = getattr(torch, name1), getattr(torch, name2)
        assert repr(bp.promote_types(a, b)).split(".")[1] == repr(torch.promote_types(ta, tb)).split(".")[1], \
            (name1, name2)
        assert bp.can_cast(a, b) is torch.can_cast(ta, tb), (name1, name2)


def test_promote_types_is_the_dtype_of_an_elementwise_op():
    for name1, name2 in itertools.product(_DTYPES, repeat=2):
        a, b = getattr(bp, name1), getattr(bp, name2)
        assert (bp.ones(2, dtype=a) + bp.ones(2, dtype=b)).dtype == bp.promote_types(a, b), (name1, name2)


def test_the_names_are_exported_from_backprop():
    from backprop import utilities

    for name in utilities.__all__:
        assert getattr(bp, name) is getattr(utilities, name)
        assert hasattr(torch, name), name


def test_cuda_seed_and_state_are_the_one_generator():
    # torch.cuda's answer these for the GPU generator (and raise without CUDA); backprop draws GPU values from
    # its one generator, so they read and restore that
    state = bp.get_rng_state()
    try:
        bp.manual_seed(123)
        assert bp.cuda.initial_seed() == 123
        saved = bp.cuda.get_rng_state()
        first = bp.rand(4).tolist()
        bp.cuda.set_rng_state(saved)
        assert bp.rand(4).tolist() == first
        assert len(bp.cuda.get_rng_state_all()) == bp.cuda.device_count()
        bp.cuda.set_rng_state_all([saved])
        assert bp.rand(4).tolist() == first
    finally:
        bp.set_rng_state(state)
