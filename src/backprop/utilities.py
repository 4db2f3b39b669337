"""torch's global switches that programs set at the top (determinism, matmul precision, warnings,
denormals) and its dtype promotion queries.

backprop computes on the CPU with NumPy, whose results do not depend on these switches: every op is
already deterministic, float32 matmuls are never done in a lower precision, and denormals are kept.
So the setters check their arguments as torch does and remember the value for the getters, and
change nothing else.
"""
import warnings

from backprop import dtypes

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "set_warn_always", "is_warn_always_enabled", "set_flush_denormal", "promote_types", "can_cast"]

_state = {"deterministic": False, "warn_only": False, "matmul_precision": "highest", "warn_always": False}
_DEBUG_MODES = ("default", "warn", "error")
_PRECISIONS = ("highest", "high", "medium")


def _require_bool(value, message):
    if not isinstance(value, bool):
        raise TypeError(f"{message} must be bool, not {type(value).__name__}")


# ---------------------------------------------------------------- determinism
def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms only (``warn_only``: torch would warn rather than raise where an
    op has none). backprop's ops are all deterministic: the flag is remembered, nothing changes."""
    _require_bool(mode, "use_deterministic_algorithms(): argument 'mode' (position 1)")
    _require_bool(warn_only, "use_deterministic_algorithms(): argument 'warn_only'")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    """True after ``use_deterministic_algorithms(True)``."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """True after ``use_deterministic_algorithms(True, warn_only=True)``."""
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """The same switch as a level: 0 / "default" (off), 1 / "warn" (on, warn only), 2 / "error" (on)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif isinstance(debug_mode, int):
        if debug_mode not in (0, 1, 2):
            raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0 (off), 1 (deterministic, warn only) or 2 (deterministic)."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


# ---------------------------------------------------------------- matmul precision, warnings, denormals
def set_float32_matmul_precision(precision):
    """"highest", "high" or "medium": how far torch may lower float32 matmuls (TF32, bfloat16) on GPUs.
    Remembered only: backprop's float32 matmuls stay float32. Another string warns and changes nothing."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"set_float32_matmul_precision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision():
    """The precision last set by ``set_float32_matmul_precision`` ("highest" at first)."""
    return _state["matmul_precision"]


def set_warn_always(b, /):
    """Ask warnings that torch gives once to be given every time (remembered only)."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _state["warn_always"] = b


def is_warn_always_enabled():
    """True after ``set_warn_always(True)``."""
    return _state["warn_always"]


def set_flush_denormal(mode):
    """Flushing denormal floats to zero is not supported (NumPy keeps them): True only for ``mode=False``,
    the state that is already in force, False for ``mode=True``."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {type(mode).__name__}")
    return not mode


# ---------------------------------------------------------------- dtype promotion
def _require_dtype(value, op, name, position):
    if not isinstance(value, dtypes.DType):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be dtype, not {type(value).__name__}")


def promote_types(type1, type2):
    """The smallest dtype of the higher kind (bool < integer < floating) that holds both: the dtype of an
    elementwise op on two tensors of these dtypes.

    >>> import backprop as bp
    >>> promote_types(bp.uint8, bp.int8), promote_types(bp.int64, bp.float16)
    (backprop.int16, backprop.float16)
    """
    _require_dtype(type1, "promote_types", "type1", 1)
    _require_dtype(type2, "promote_types", "type2", 2)
    return dtypes.of(dtypes._promote_within(type1, type2))


def can_cast(from_, to):
    """Whether torch's casting rules allow ``from_`` to ``to`` in a type-promoting op's output: never to a
    lower kind (floating to integer or bool, integer to bool); any size within a kind."""
    _require_dtype(from_, "can_cast", "from_", 1)
    _require_dtype(to, "can_cast", "to", 2)
    return dtypes.category(from_) <= dtypes.category(to)
