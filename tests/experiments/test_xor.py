"""The xor experiment's pieces: the perceptron fails on XOR at every cap, the 2-2-1 net and the Mark I succeed."""
import numpy as np
import pytest

from backprop.experiments import xor


@pytest.mark.parametrize("cap", [1, 7, 200])
def test_the_perceptron_never_has_an_error_free_epoch(cap):
    unit, mistakes, errors = xor.perceptron_errors(cap)
    assert len(mistakes) == cap and min(mistakes) > 0 and not unit.converged
    assert errors >= 1  # no line gets all four XOR points right


def test_a_solved_2_2_1_net_gets_every_point_right():
    net, errors, epochs = xor.train_mlp(0, 1000, lr=1.0, momentum=0.9)
    assert errors == 0 and epochs < 1000  # stopped early: the loss fell below 1/16
    outputs = net(xor.datasets.xor().tensors[0]).detach().numpy().reshape(-1)
    assert ((outputs > 0.5) == np.array([False, True, True, False])).all()
    assert np.mean((outputs - [0, 1, 1, 0]) ** 2) < 1 / 16  # which forces every |y_i - t_i| < 1/2


def test_mark_i_needs_enough_random_units():
    none, _ = xor.mark_i_success(1, range(5), epochs=20)
    many, machine = xor.mark_i_success(64, range(5), epochs=100)
    assert none == 0 and many == 5 and machine.converged
