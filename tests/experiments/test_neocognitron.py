"""Neocognitron experiment: the canvas and its shifts, the nearest-mean rule, accuracy vs shift, the network's invariance."""
import numpy
import pytest

import backprop as bp
from backprop.experiments import common, neocognitron


def test_canvas_centres_the_digit_and_shift_moves_it():
    digit = numpy.arange(1, 5, dtype=numpy.float32).reshape(1, 1, 2, 2)
    board = neocognitron.canvas(digit, margin=3)
    assert board.shape == (1, 1, 8, 8) and board.sum() == digit.sum()
    assert numpy.array_equal(board[0, 0, 3:5, 3:5], digit[0, 0])
    moved = neocognitron.shift(board, 2, -1)
    assert numpy.array_equal(moved[0, 0, 5:7, 2:4], digit[0, 0]) and moved.sum() == digit.sum()


def test_nearest_mean_is_cosine_to_the_normalised_class_means():
    codes = numpy.array([[1.0, 0.0], [3.0, 0.1], [0.0, 2.0], [0.2, 5.0]])
    labels = numpy.array([0, 0, 1, 1])
    rule = neocognitron.NearestMean(codes, labels, classes=2)
    first = (numpy.array([1.0, 0.0]) + numpy.array([3.0, 0.1]) / numpy.hypot(3.0, 0.1)) / 2
    assert numpy.allclose(rule.means[0], first / numpy.linalg.norm(first))
    # cosine, not distance: a long vector along class 0's mean is class 0
    assert rule.predict(numpy.array([[100.0, 1.0], [0.1, 0.3], [2.0, 2.5]])).tolist() == [0, 1, 1]


def test_accuracy_vs_shift_averages_over_the_directions():
    images = numpy.zeros((2, 1, 5, 5), dtype=numpy.float32)
    labels = numpy.array([0, 1])
    # a recogniser that is right only while the image's ink stays in the middle column
    recognise = lambda x: numpy.where(x[:, 0, :, 2].sum(axis=1) > 0, labels, 1 - labels)
    images[:, 0, 2, 2] = 1.0
    accuracy = neocognitron.accuracy_vs_shift(recognise, images, labels, [0, 1], directions=[(0, 1), (1, 0)])
    assert accuracy == [1.0, 0.5]     # moved right: wrong; moved down: still in the middle column


def test_the_experiments_network_answers_the_same_to_a_shift_by_its_stride():
    bp.manual_seed(0)
    net = neocognitron.build()
    digits, _ = common.digits(train=True, n=20)
    images = neocognitron.canvas(digits.numpy())
    net.fit(images[:10])
    codes = neocognitron.codes(net, images)
    assert codes.shape == (20, neocognitron.STAGES[-1][0])
    # stage 2's C-cells have stride 2: shifting by 2 (within the margin) leaves the whole-plane code unchanged
    assert numpy.allclose(neocognitron.codes(net, neocognitron.shift(images, 2, -2)), codes, atol=1e-5)
    # a 1-pixel shift changes the code a little, not wholesale
    moved = neocognitron.codes(net, neocognitron.shift(images, 1, 1))
    cosines = (moved * codes).sum(axis=1) / numpy.linalg.norm(moved, axis=1) / numpy.linalg.norm(codes, axis=1)
    assert cosines.min() > 0.9


def test_template_matcher_falls_with_the_shift_on_the_digits():
    x, y = common.digits(train=True, n=300)
    images, labels = neocognitron.canvas(x.numpy()), y.numpy()
    rule = neocognitron.NearestMean(images, labels)
    accuracy = neocognitron.accuracy_vs_shift(rule.predict, images, labels, [0, 2])
    assert accuracy[0] > 0.8 and accuracy[1] < 0.3
