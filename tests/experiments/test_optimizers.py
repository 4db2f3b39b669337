"""optimizers: the surfaces' gradients, descend against hand computations and against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.experiments import optimizers as opt


def test_surface_gradients_from_backprop_equal_the_hand_gradients():
    w = bp.nn.Parameter(bp.tensor([-1.5, 2.0]))
    opt.quadratic(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.1 * -1.5, 10 * 2.0], rtol=1e-6)
    w = bp.nn.Parameter(bp.tensor([-1.5, 2.0]))
    value = opt.rosenbrock(w)
    value.backward()
    x, y = -1.5, 2.0
    assert value.item() == pytest.approx((1 - x) ** 2 + 100 * (y - x * x) ** 2)
    np.testing.assert_allclose(w.grad.numpy(), [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], rtol=1e-5)


def test_gradient_descent_steps_by_hand():
    # f(t) = 0.5 (1 - 0.5)^(2t) = 0.5, 0.125, 0.03125, 0.0078: below 0.01 after 3 steps
    assert opt.gradient_descent_steps(0.5, (1.0,), 0.01, curvatures=(1.0,)) == 3
    assert opt.gradient_descent_steps(2.5, (1.0,), 0.01, curvatures=(1.0,), limit=50) is None  # eta > 2 / lambda


@pytest.mark.parametrize("lr", [0.05, 0.15, 2 / 10.1])
def test_sgd_on_the_quadratic_takes_the_steps_of_the_closed_form(lr):
    path, steps = opt.descend(opt.quadratic, "SGD", lr, (-8.0, 1.0), 5000, 1e-6)
    assert steps == opt.gradient_descent_steps(lr, (-8.0, 1.0), 1e-6)
    assert len(path) == steps + 1 and tuple(path[0]) == (-8.0, 1.0)


def test_momentum_and_adagrad_first_steps_by_hand():
    eta, w0 = 0.1, np.array([-8.0, 1.0])
    lam = np.array(opt.CURVATURES)
    path, _ = opt.descend(opt.quadratic, "momentum", eta, tuple(w0), 2, 0.0)
    g0 = lam * w0
    w1 = w0 - eta * g0
    w2 = w1 - eta * (opt.BETA * g0 + lam * w1)  # v <- beta v + g
    np.testing.assert_allclose(path, [w0, w1, w2], rtol=1e-5)
    path, _ = opt.descend(opt.quadratic, "AdaGrad", 0.5, tuple(w0), 1, 0.0)
    np.testing.assert_allclose(path[1], w0 - 0.5 * np.sign(g0), rtol=1e-6)  # g / sqrt(g^2): each moves by eta


def test_descend_reports_a_tolerance_never_reached():
    path, steps = opt.descend(opt.rosenbrock, "SGD", 1e-3, (-1.5, 2.0), 10, 1e-4)
    assert steps is None and len(path) == 11


@pytest.mark.parametrize("name", opt.OPTIMISERS)
def test_descend_follows_torchs_optimiser_on_rosenbrock(name):
    lr = opt.LEARNING_RATES["rosenbrock"][name]
    path, _ = opt.descend(opt.rosenbrock, name, lr, (-1.5, 2.0), 30, 0.0)
    w = torch.nn.Parameter(torch.tensor([-1.5, 2.0]))
    kind = {"SGD": lambda p: torch.optim.SGD(p, lr=lr), "momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
            "AdaGrad": lambda p: torch.optim.Adagrad(p, lr=lr), "RMSprop": lambda p: torch.optim.RMSprop(p, lr=lr),
            "Adam": lambda p: torch.optim.Adam(p, lr=lr)}[name]
    optimizer, expected = kind([w]), [w.detach().numpy().copy()]
    for _ in range(30):
        optimizer.zero_grad()
        ((1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2).backward()
        optimizer.step()
        expected.append(w.detach().numpy().copy())
    np.testing.assert_allclose(path, expected, rtol=1e-4, atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="name must be one of"):
        opt.make_optimizer("LBFGS", [bp.nn.Parameter(bp.zeros(2))], 0.1)
    with pytest.raises(ValueError, match="start must be a 2-D point"):
        opt.descend(opt.quadratic, "SGD", 0.1, (1.0, 2.0, 3.0), 5, 1e-6)
