"""The adversarial experiment's parts, on a linear model whose attacks can be worked out by hand.

The model: two logits z = (0, w.x + b), so the margin m = z_1 - z_0 = w.x + b
and softmax gives p(class 1) = sigmoid(m). The cross-entropy's input
gradient is (p_1 - y_1) w, so FGSM at eps moves x by -eps sign(w) for a
1 and +eps sign(w) for a 0: the margin moves by eps ||w||_1 the wrong way.
PGD can do no better on a linear model (that corner is the worst point of
the ball) and, from anywhere in the ball, its steps of 2.5 eps / steps in
all reach it. With w = (1, -2, 0.5, 1.5), b = -w.(1/2) and
x = 1/2 +- c sign(w), the margin is +- c ||w||_1 = +- 5c, and an example
stays right under either attack exactly when c > eps.
"""
import functools
import math

import numpy
import pytest

import backprop as bp
from backprop import attacks, nn
from backprop.experiments import adversarial as A, common

W = numpy.array([1.0, -2.0, 0.5, 1.5])
C = [0.02, 0.07, 0.12, 0.17, 0.25]  # |margin| / ||w||_1 of the examples


def linear_model():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    model[1].weight.data[...] = numpy.stack([numpy.zeros(4), W])
    model[1].bias.data[...] = [0.0, -W.sum() / 2]
    return model


def examples(cs, labels):
    """Images (N, 1, 2, 2) at 1/2 + c sign(w) for a 1, 1/2 - c sign(w) for a 0: margin +-5c, right side."""
    signs = numpy.where(numpy.asarray(labels) == 1, 1.0, -1.0)
    x = 0.5 + signs[:, None] * numpy.asarray(cs)[:, None] * numpy.sign(W)
    return bp.tensor(x.reshape(-1, 1, 2, 2).astype(numpy.float32)), bp.tensor(numpy.asarray(labels))


def sigmoid(t):
    return 1 / (1 + math.exp(-t))


def test_accuracy_curves_by_hand_and_pgd_equals_fgsm_on_a_linear_model():
    x, y = examples(C + C, [1] * 5 + [0] * 5)
    curves = A.accuracy_curves(linear_model(), x, y, eps_grid=[0.0, 0.05, 0.1, 0.15, 0.2])
    assert curves["fgsm"] == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2])  # the share of c > eps
    assert curves["pgd"] == pytest.approx(curves["fgsm"])


def test_attack_is_none_at_eps_0_and_rejects_an_unknown_name():
    assert A.attack("fgsm", 0.0) is None and A.attack("pgd", 0) is None
    assert A.attack("pgd", 0.1, pgd_steps=7).keywords == {"eps": 0.1, "steps": 7}
    with pytest.raises(ValueError, match="expected 'fgsm' or 'pgd', got 'cw'"):
        A.attack("cw", 0.1)


def test_fooling_example_by_hand():
    # c = 0.02 and 0.05: margins 0.1 and 0.25 lose 5/16 = 0.3125 and flip; c = 0.12 holds; the last is a 0
    # the model calls a 1 (margin +0.5), already wrong, so not counted
    x, y = examples([0.02, 0.05, 0.12, 0.1], [1, 1, 1, 1])
    y = bp.tensor([1, 1, 1, 0])
    found = A.fooling_example(linear_model(), x, y, eps=1 / 16)
    assert found["fooled"] == pytest.approx(2 / 3)
    # picked: the fooled example whose wrong class is surest, p(0) = sigmoid(0.3125 - 5c), largest for c = 0.02
    assert found["index"] == 0 and found["label"] == 1
    assert (found["label_before"], found["label_after"]) == (1, 0)
    assert found["confidence_before"] == pytest.approx(sigmoid(0.1), abs=1e-6)
    assert found["confidence_after"] == pytest.approx(sigmoid(0.3125 - 0.1), abs=1e-6)
    assert numpy.allclose(found["perturbation"].ravel(), -numpy.sign(W) / 16, atol=1e-6)
    assert numpy.allclose(found["adversarial"], found["image"] + found["perturbation"])


def test_fooling_example_when_nothing_is_fooled():
    x, y = examples([0.2, 0.25], [1, 0])
    assert A.fooling_example(linear_model(), x, y, eps=1 / 16) == {"fooled": 0.0, "index": None}


def test_confidences_are_the_softmax_for_a_tensor_or_an_array():
    x, _ = examples([0.02], [1])
    for given in (x, x.numpy()):
        p = A.confidences(linear_model(), given)
        assert p[0] == pytest.approx([1 - sigmoid(0.1), sigmoid(0.1)], abs=1e-6)


def curves(normal, adversarial):
    """{net: {attack: accuracies}} from (fgsm, pgd) lists per net."""
    return {"normal": dict(zip(A.ATTACKS, normal)), "adversarial": dict(zip(A.ATTACKS, adversarial))}


GRID = [0.0, 0.05, 0.1, 0.2, 0.3]


def test_margins_and_holds_up_by_hand():
    normal = ([0.9, 0.8, 0.5, 0.1, 0.0], [0.9, 0.75, 0.4, 0.05, 0.0])
    robust = ([0.9, 0.9, 0.8, 0.3, 0.0], [0.9, 0.85, 0.7, 0.2, 0.0])
    found = curves(normal, robust)
    assert A.margins(found)["pgd"] == pytest.approx([0.0, 0.1, 0.3, 0.15, 0.0])
    assert A.holds_up(found, GRID, train_eps=0.1, margin=0.2, band=(0.05, 0.2), band_margin=0.05)
    # a gap of 0.3 at eps 0.1 is not 0.35; eps 0.3 (gap 0) lies outside the band, eps 0.05 (gap 0.1) inside
    assert not A.holds_up(found, GRID, train_eps=0.1, margin=0.35, band=(0.05, 0.2), band_margin=0.05)
    assert not A.holds_up(found, GRID, train_eps=0.1, margin=0.2, band=(0.05, 0.3), band_margin=0.05)
    assert not A.holds_up(found, GRID, train_eps=0.1, margin=0.2, band=(0.05, 0.2), band_margin=0.11)


def test_pgd_is_stronger_asks_pgd_at_most_fgsm_plus_the_tolerance_everywhere():
    same = [0.9, 0.5, 0.1]
    assert A.pgd_is_stronger(curves((same, same), (same, [0.9, 0.4, 0.0])), tolerance=0.0)
    assert not A.pgd_is_stronger(curves((same, same), (same, [0.9, 0.4, 0.2])), tolerance=0.0)
    assert A.pgd_is_stronger(curves((same, same), (same, [0.9, 0.4, 0.104])), tolerance=0.005)
    assert not A.pgd_is_stronger(curves((same, same), (same, [0.9, 0.4, 0.106])), tolerance=0.005)


def test_mean_over_seeds():
    runs = [curves(([1.0, 0.5], [1.0, 0.4]), ([1.0, 0.7], [1.0, 0.6])),
            curves(([0.8, 0.3], [0.8, 0.2]), ([0.9, 0.5], [0.9, 0.5]))]
    mean = A._mean(runs)
    assert mean["normal"]["pgd"] == pytest.approx([0.9, 0.3])
    assert mean["adversarial"]["fgsm"] == pytest.approx([0.95, 0.6])


def test_training_on_an_attack_that_changes_nothing_is_plain_training():
    # J~ = (1 - w) J(x) + w J(x) = J(x): the same net as without an adversary
    x, y = common.digits(n=40)
    plain = A.train(x, y, hidden=(6,), epochs=2, seed=3)
    unchanged = A.train(x, y, hidden=(6,), epochs=2, seed=3, adversary=lambda model, x, y: x)
    for p, q in zip(plain.parameters(), unchanged.parameters(), strict=True):
        assert numpy.allclose(p.detach().numpy(), q.detach().numpy(), atol=1e-6)
    fgsm = A.train(x, y, hidden=(6,), epochs=2, seed=3, adversary=functools.partial(attacks.fgsm, eps=0.2))
    assert not numpy.allclose(plain[1].weight.detach().numpy(), fgsm[1].weight.detach().numpy())


def test_in_band_includes_both_ends():
    assert A.in_band([0.0, 0.05, 0.1, 0.15, 0.2, 0.3], (0.05, 0.2)) == [1, 2, 3, 4]
