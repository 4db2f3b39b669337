"""Metrics against scikit-learn's and against counts made by hand."""
import numpy as np
import pytest
import sklearn.metrics

import backprop as bp
from backprop.train import metrics


def test_accuracy_matches_sklearn_on_random_scores():
    rng = np.random.default_rng(1)
    scores, target = rng.normal(size=(200, 7)).astype(np.float32), rng.integers(0, 7, 200)
    expected = sklearn.metrics.accuracy_score(target, scores.argmax(1))
    assert metrics.accuracy(bp.tensor(scores), bp.tensor(target)) == pytest.approx(expected)


def test_single_logit_is_binary():
    logits = bp.tensor([[2.0], [-1.0], [0.5], [-3.0]])
    assert metrics.accuracy(logits, bp.tensor([1, 0, 0, 0])) == 0.75


def test_confusion_matrix_matches_sklearn():
    rng = np.random.default_rng(2)
    target, predicted = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    expected = sklearn.metrics.confusion_matrix(target, predicted, labels=range(5))
    np.testing.assert_array_equal(metrics.confusion_matrix(predicted, target, 5), expected)


def test_mismatched_lengths_are_named():
    with pytest.raises(ValueError, match="3 predictions for 2 targets"):
        metrics.correct(bp.zeros(3, 4), bp.tensor([0, 1]))
    with pytest.raises(ValueError, match="2 predictions for 3 targets"):
        metrics.confusion_matrix([0, 1], [0, 1, 1], 2)


def test_running_mean_weights_by_count():
    mean = metrics.RunningMean()
    for value, count in [(2.0, 10), (4.0, 30)]:
        mean.update(value, count)
    assert mean.value == pytest.approx((2 * 10 + 4 * 30) / 40)
    assert np.isnan(metrics.RunningMean().value)
