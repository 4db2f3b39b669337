"""backprop.checks: one line "NAME must be ..., got ...", TypeError for a wrong type, ValueError for a bad value."""
import math

import numpy as np
import pytest

from backprop.checks import check_flag, check_int, check_number, check_widths, kind_of


def test_good_values_come_back_as_plain_ints_and_floats():
    assert check_int("n", np.int64(3), at_least=1) == 3 and type(check_int("n", np.int64(3))) is int
    assert check_int("rank", 0, at_least=0, at_most=0) == 0
    assert check_number("lr", np.float32(0.5), above=0) == 0.5 and type(check_number("lr", 1)) is float
    assert check_number("lr", math.inf, at_least=0.0, finite=False) == math.inf


@pytest.mark.parametrize("call, message", [
    (lambda: check_int("epochs", 0, at_least=1), "epochs must be a positive int, got 0"),
    (lambda: check_int("seed", -1, at_least=0), "seed must be an int >= 0, got -1"),
    (lambda: check_int("pad_id", 5, at_least=0, at_most=4), r"pad_id must be an int in \[0, 4\], got 5"),
    (lambda: check_int("k", 9, at_most=8), "k must be an int <= 8, got 9"),
    (lambda: check_number("lr", -0.1, above=0), "lr must be a positive number, got -0.1"),
    (lambda: check_number("lr", -1.0, at_least=0.0, finite=False), r"lr must be a number >= 0.0, got -1.0"),
    (lambda: check_number("momentum", 1.0, at_least=0, below=1), r"momentum must be a number in \[0, 1\), got 1.0"),
    (lambda: check_number("p", 0.0, above=0, at_most=1), r"p must be a number in \(0, 1\], got 0.0"),
    (lambda: check_number("x", 2.0, above=2.5), "x must be a number > 2.5, got 2.0"),
    (lambda: check_number("gamma", math.nan, at_least=0, at_most=1), r"gamma must be a number in \[0, 1\], got nan"),
    (lambda: check_number("lr", math.nan, at_least=0.0, finite=False), r"lr must be a number >= 0.0, got nan"),
    (lambda: check_number("lr", math.inf, above=0), "lr must be a finite number, got inf"),
    (lambda: check_number("t", -math.inf), "t must be a finite number, got -inf"),
])
def test_a_bad_value_is_a_value_error_in_one_line(call, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: check_int("epochs", 2.0, at_least=1), r"epochs must be a positive int, got 2.0 \(a float\)"),
    (lambda: check_int("epochs", True, at_least=1), r"epochs must be a positive int, got True \(a bool\)"),
    (lambda: check_int("n", "3"), r"n must be an int, got '3' \(a str\)"),
    (lambda: check_number("lr", "0.1", above=0), r"lr must be a positive number, got '0.1' \(a str\)"),
    (lambda: check_number("lr", None, above=0), r"lr must be a positive number, got None \(a NoneType\)"),
    (lambda: check_number("w", False), r"w must be a number, got False \(a bool\)"),
])
def test_a_value_of_the_wrong_type_is_a_type_error_in_one_line(call, message):
    with pytest.raises(TypeError, match=f"^{message}$"):
        call()


def test_check_flag_takes_true_or_false_only():
    assert check_flag("DQN double", True) is True and check_flag("DQN double", np.False_) is False
    for value, got in [("maybe", "'maybe' (a str)"), ("false", "'false' (a str)"), (1, "1 (an int)"),
                       (None, "None (a NoneType)")]:
        with pytest.raises(TypeError) as refused:
            check_flag("DQN double", value)
        assert str(refused.value) == f"DQN double must be true or false, got {got}"


def test_check_widths_takes_a_width_or_a_sequence_of_widths():
    assert check_widths("hidden", 8) == (8,) and check_widths("hidden", (16, np.int64(4))) == (16, 4)
    assert check_widths("hidden", [], empty=True) == ()
    for value, empty, error, line in [
            ([], False, ValueError, "hidden must be a non-empty sequence of positive ints, got []"),
            ("x", True, TypeError, "hidden must be a sequence of positive ints, got 'x' (a str)"),
            (None, False, TypeError, "hidden must be a non-empty sequence of positive ints, got None (a NoneType)"),
            ({}, False, TypeError, "hidden must be a non-empty sequence of positive ints, got {} (a dict)"),
            ([16, 0], True, ValueError, "hidden must be a sequence of positive ints, got [16, 0]"),
            (0, False, ValueError, "hidden must be a non-empty sequence of positive ints, got 0"),
            ([2.5], False, TypeError, "hidden must be a non-empty sequence of positive ints, got [2.5] (2.5 is a float)"),
            ([8, True], False, TypeError,
             "hidden must be a non-empty sequence of positive ints, got [8, True] (True is a bool)")]:
        with pytest.raises(error) as refused:
            check_widths("hidden", value, empty=empty)
        assert str(refused.value) == line


def test_kind_of_names_a_type_with_its_article():
    assert (kind_of(1), kind_of(2.5), kind_of("x"), kind_of([1])) == ("an int", "a float", "a str", "a list")
