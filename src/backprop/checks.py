"""The argument checks of backprop: an int in a range, a number in a range.

Each returns the value as a plain ``int`` or ``float`` and refuses a bad one in
one line, ``NAME must be ..., got ...``, with the error type torch uses: a
``TypeError`` for a value of the wrong type (a str, a float where an int
belongs, a bool: True is no count), a ``ValueError`` for a value of the right
type outside its range (or NaN, or infinite where a finite number belongs).

>>> check_int("epochs", 3, at_least=1)
3
>>> check_number("momentum", 0.9, at_least=0, below=1)
0.9
>>> check_int("epochs", 0, at_least=1)
Traceback (most recent call last):
ValueError: epochs must be a positive int, got 0
>>> check_number("lr", "0.1", above=0)
Traceback (most recent call last):
TypeError: lr must be a positive number, got '0.1' (a str)
"""
import math
import numbers

__all__ = ["check_int", "check_number", "check_flag", "check_widths", "describe", "kind_of"]


def check_int(name, value, at_least=None, at_most=None):
    """``value`` as an int if it is an integer (Python's or NumPy's; bools refused) with
    ``at_least <= value <= at_most`` (None: no bound)."""
    words = describe("int", at_least=at_least, at_most=at_most)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {words}, got {value!r} ({kind_of(value)})")
    if not _in_range(value, at_least=at_least, at_most=at_most):
        raise ValueError(f"{name} must be {words}, got {value!r}")
    return int(value)


def check_number(name, value, *, above=None, at_least=None, below=None, at_most=None, finite=True):
    """``value`` as a float if it is a real number (bools refused) in the range the bounds give (None: no bound;
    ``above``/``below`` exclude the bound, ``at_least``/``at_most`` include it); NaN is always refused, and
    infinity too unless ``finite=False``."""
    words = describe("number", above=above, at_least=at_least, below=below, at_most=at_most)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {words}, got {value!r} ({kind_of(value)})")
    if finite and not math.isnan(value) and math.isinf(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not _in_range(value, above=above, at_least=at_least, below=below, at_most=at_most):
        raise ValueError(f"{name} must be {words}, got {value!r}")
    return float(value)


def check_flag(name, value):
    """``value`` as a bool if it is True or False (NumPy's too); anything else ("false", "maybe", 1, None) is a
    TypeError, never read as true or false.

    >>> check_flag("batch_norm", False)
    False
    """
    kind = type(value)
    # NumPy's bool is no subclass of bool; it is recognised by its type's name, without importing NumPy
    if not (isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))):
        raise TypeError(f"{name} must be true or false, got {value!r} ({kind_of(value)})")
    return bool(value)


def check_widths(name, value, empty=False):
    """Layer widths as a tuple of ints: one positive int (one layer) or a list or tuple of them (non-empty unless
    ``empty``: no hidden layer); another type is a TypeError, a width below 1 a ValueError.

    >>> check_widths("hidden", 64), check_widths("hidden", [64, 32])
    ((64,), (64, 32))
    >>> check_widths("channels", [0, 0])
    Traceback (most recent call last):
    ValueError: channels must be a non-empty sequence of positive ints, got [0, 0]
    """
    words = f"{'a' if empty else 'a non-empty'} sequence of positive ints"
    widths = (value,) if _is_int(value) else value
    if not isinstance(widths, (list, tuple)) or not all(_is_int(width) for width in widths):
        raise TypeError(f"{name} must be {words}, got {value!r} ({_what(value)})")
    if not (widths or empty) or not all(width >= 1 for width in widths):
        raise ValueError(f"{name} must be {words}, got {value!r}")
    return tuple(int(width) for width in widths)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def kind_of(value):
    """A value's type with its article, for an error: "a str", "an int".

    >>> kind_of("0.1"), kind_of(None)
    ('a str', 'a NoneType')
    """
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _what(value):
    """What a value is, for an error: its type, or the type of the first entry of a sequence that is no int."""
    if isinstance(value, (list, tuple)):
        wrong = next(item for item in value if not _is_int(item))
        return f"{wrong!r} is {kind_of(wrong)}"
    return kind_of(value)


def _in_range(value, above=None, at_least=None, below=None, at_most=None):
    """Whether the bounds hold; written so that NaN, for which every comparison is False, fails them."""
    return ((above is None or value > above) and (at_least is None or value >= at_least)
            and (below is None or value < below) and (at_most is None or value <= at_most)
            and value == value)


def describe(kind, above=None, at_least=None, below=None, at_most=None):
    """How an error names what was expected (``kind`` "int" or "number", the bounds as the checks take them), for
    a parser of text (the command line) to say it in the same words.

    >>> describe("int", at_least=1), describe("int", at_least=0), describe("number", at_least=0, below=1)
    ('a positive int', 'an int >= 0', 'a number in [0, 1)')
    """
    article = "an" if kind == "int" else "a"
    low = None if above is None and at_least is None else ("(", above) if above is not None else ("[", at_least)
    high = None if below is None and at_most is None else (")", below) if below is not None else ("]", at_most)
    if low and high:
        return f"{article} {kind} in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if low == ("(", 0) or (kind == "int" and low == ("[", 1)):
        return f"a positive {kind}"
    if low:
        return f"{article} {kind} {'>' if low[0] == '(' else '>='} {low[1]}"
    if high:
        return f"{article} {kind} {'<' if high[0] == ')' else '<='} {high[1]}"
    return f"{article} {kind}"
