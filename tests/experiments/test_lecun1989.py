"""LeCun 1989 experiment: the placement of the digits, the counts, the test loss, the rules of the verdict."""

import numpy
import pytest

import backprop as bp
from backprop.experiments import lecun1989


def test_counts_match_the_lecture_and_a_hand_count():
    counts, match = lecun1989.check_counts()
    assert match
    assert counts["Net-1"] == (256 * 10 + 10,) * 2
    assert counts["Net-2"] == (256 * 12 + 12 + 12 * 10 + 10,) * 2
    # Net-5: H1 2 maps of 8x8 units, 3x3 shared kernels, one bias per unit; H2 4 maps of 4x4 units, 2 x 5x5 kernels
    h1_links, h1_weights = 2 * 8 * 8 * (9 + 1), 2 * 9 + 2 * 8 * 8
    h2_links, h2_weights = 4 * 4 * 4 * (2 * 25 + 1), 4 * 2 * 25 + 4 * 4 * 4
    out = 10 * (4 * 4 * 4 + 1)
    assert counts["Net-5"] == (h1_links + h2_links + out, h1_weights + h2_weights + out) == (5194, 1060)


def test_placed_puts_each_digit_in_a_window_at_every_offset():
    ones = bp.ones(200, 1, 16, 16)
    moved = lecun1989.placed(ones, 16, 13, seed=0).numpy()
    offsets = set()
    for image in moved[:, 0]:
        columns = numpy.flatnonzero(image.any(axis=0))
        assert len(columns) == 13 and columns[-1] - columns[0] == 12       # one contiguous 16x13 block
        numpy.testing.assert_allclose(image[:, columns], 1, rtol=1e-6)  # a constant image stays constant
        assert image.sum() == pytest.approx(16 * 13, rel=1e-5)
        offsets.add(int(columns[0]))
    assert offsets == {0, 1, 2, 3}  # four horizontal positions, all drawn
    again = lecun1989.placed(ones, 16, 13, seed=0).numpy()
    assert (again == moved).all() and not (lecun1989.placed(ones, 16, 13, seed=1).numpy() == moved).all()


def test_placed_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"shape \(N, 1, 16, 16\), got \(2, 1, 8, 8\)"):
        lecun1989.placed(bp.zeros(2, 1, 8, 8), 13, 13, seed=0)
    with pytest.raises(ValueError, match="1 <= height, width <= 16, got 17 x 13"):
        lecun1989.placed(bp.zeros(2, 1, 16, 16), 17, 13, seed=0)


def test_load_gives_the_lecture_sizes_with_every_class():
    x, y, xt, yt = lecun1989.load("4 x 4 positions (13x13)", seed=0)
    assert tuple(x.shape) == (320, 1, 16, 16) and tuple(xt.shape) == (160, 1, 16, 16)
    assert numpy.bincount(y.numpy(), minlength=10).tolist() == [32] * 10
    assert numpy.bincount(yt.numpy(), minlength=10).tolist() == [16] * 10


def _found(finals):
    return {name: {"final": numpy.array(values)} for name, values in finals.items()}


def test_judge_needs_both_shared_nets_above_both_unconstrained_ones():
    good = _found({"Net-1": [0.6, 0.62], "Net-2": [0.65, 0.67], "Net-3": [0.7, 0.7], "Net-4": [0.72, 0.74],
                   "Net-5": [0.74, 0.76]})
    mean, shared_beat, net5_best = lecun1989.judge(good)
    assert mean["Net-4"] == pytest.approx(0.73) and shared_beat and net5_best
    net4_behind = dict(good, **_found({"Net-4": [0.64, 0.64]}))
    assert not lecun1989.judge(net4_behind)[1]
    net3_far_ahead = dict(good, **_found({"Net-3": [0.9, 0.9]}))
    assert lecun1989.judge(net3_far_ahead)[1:] == (True, False)
    one_image_behind = dict(good, **_found({"Net-5": [0.74, 0.74], "Net-4": [0.745, 0.745]}))
    assert lecun1989.judge(one_image_behind)[2]  # within one test image of the best


def test_overfitting_reads_the_test_minimum():
    found = {"test_loss": numpy.array([2.0, 1.0, 0.8, 0.9, 1.1]), "train_loss": numpy.array([2.0, 1.0, 0.5, 0.3, 0.2]),
             "test_accuracy": numpy.array([0.3, 0.6, 0.7, 0.69, 0.68])}
    over = lecun1989.overfitting(found)
    assert over["epoch_of_min"] == 3 and over["test_loss_min"] == 0.8 and over["test_loss_final"] == 1.1
    assert over["train_loss_at_min"] == 0.5 and over["train_loss_final"] == 0.2
    assert over["best_accuracy"] == 0.7 and over["final_accuracy"] == 0.68
