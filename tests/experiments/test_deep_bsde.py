"""Deep BSDE experiment: the Allen-Cahn data (g, f), the Brownian increments, the Euler scheme on known solutions."""
import math

import numpy
import pytest

import backprop as bp
from backprop.experiments import deep_bsde


def test_terminal_condition_and_nonlinearity_by_hand():
    x = numpy.array([[0.0, 0.0, 0.0], [1.0, 2.0, 0.0], [3.0, 0.0, 1.0]])  # |x|^2 = 0, 5, 10
    assert numpy.allclose(deep_bsde.allen_cahn_g(x), [1 / 2, 1 / 4, 1 / 6])
    assert numpy.allclose(deep_bsde.allen_cahn_g(bp.from_numpy(x)).numpy(), [1 / 2, 1 / 4, 1 / 6])
    y = numpy.array([0.0, 0.5, 1.0, -0.5, 2.0])
    assert numpy.allclose(deep_bsde.allen_cahn_f(y), [0.0, 0.375, 0.0, -0.375, -6.0])


def test_brownian_increments_are_independent_normal_with_variance_dt():
    dt, n = 0.015, 40_000
    increments = deep_bsde.brownian_increments(numpy.random.default_rng(0), n, 4, 3, dt)
    assert increments.shape == (4, n, 3) and increments.dtype == numpy.float64
    flat = increments.reshape(4, -1)  # (steps, samples)
    # 4 standard errors: mean sqrt(dt / N), variance dt sqrt(2 / N), correlation 1 / sqrt(N)
    samples = flat.shape[1]
    assert numpy.abs(flat.mean(axis=1)).max() < 4 * math.sqrt(dt / samples)
    assert numpy.abs(flat.var(axis=1) - dt).max() < 4 * dt * math.sqrt(2 / samples)
    correlation = numpy.corrcoef(flat)[numpy.triu_indices(4, 1)]  # steps are independent of each other
    assert numpy.abs(correlation).max() < 4 / math.sqrt(samples)
    kurtosis = (flat ** 4).mean(axis=1) / dt ** 2  # 3 for a normal law
    assert numpy.abs(kurtosis - 3).max() < 0.1
    again = deep_bsde.brownian_increments(numpy.random.default_rng(0), n, 4, 3, dt)
    assert (again == increments).all()  # seeded
    with pytest.raises(ValueError, match="time step must be positive"):
        deep_bsde.brownian_increments(numpy.random.default_rng(0), 2, 2, 2, 0.0)


def test_forward_paths_are_x0_plus_sqrt2_times_the_brownian_path():
    increments = deep_bsde.brownian_increments(numpy.random.default_rng(1), 5, 3, 2, 0.1)
    x0 = numpy.array([0.5, -1.0])
    paths = deep_bsde.forward_paths(increments, x0)
    assert paths.shape == (4, 5, 2)
    assert numpy.allclose(paths[0], x0)
    assert numpy.allclose(numpy.diff(paths, axis=0), math.sqrt(2) * increments)


def _exact_z(a, steps, rate=0.0, dt=0.0, t_end=0.0):
    """sigma^T grad u(t_n, x) = sqrt(2) e^(rate (T - t_n)) a of u = e^(rate (T - t)) a.x, as (1, d) Tensors."""
    return [bp.from_numpy(math.sqrt(2) * math.exp(rate * (t_end - n * dt)) * a[None]) for n in range(steps)]


def test_scheme_with_the_exact_gradient_hits_a_linear_terminal_condition_on_every_path():
    # f = 0, g(x) = a.x: u(t, x) = a.x solves du/dt + Lap u = 0, sigma^T grad u = sqrt(2) a, and the scheme
    # Y_N = a.x0 + sum_n sqrt(2) a.Delta W_n = a.X_T exactly, path by path (no time-step error)
    rng = numpy.random.default_rng(2)
    a, x0, steps, dt = rng.normal(size=6), rng.normal(size=6), 7, 0.05
    increments = deep_bsde.brownian_increments(rng, 50, steps, 6, dt)
    paths = deep_bsde.forward_paths(increments, x0)
    y_end = deep_bsde.backward_scheme(bp.tensor([a @ x0], dtype=bp.float64), _exact_z(a, steps), increments, dt,
                                      f=lambda y: 0 * y)
    assert numpy.allclose(y_end.numpy(), paths[-1] @ a, rtol=0, atol=1e-12)


def test_scheme_steps_forward_with_minus_f_dt():
    # Z = 0 and f(y) = r y: Y_N = Y_0 (1 - r dt)^N exactly; du/dt + Lap u + r u = 0 has u(0) = e^(rT) E g, so the
    # Y_0 that makes Y_N match E g is E g / (1 - r dt)^N -> e^(rT) E g: the sign convention of the paper
    steps, dt, rate = 10, 0.03, 1.0
    increments = deep_bsde.brownian_increments(numpy.random.default_rng(3), 4, steps, 2, dt)
    zeros = [bp.zeros(1, 2, dtype=bp.float64)] * steps
    y_end = deep_bsde.backward_scheme(bp.tensor([0.7], dtype=bp.float64), zeros, increments, dt, f=lambda y: rate * y)
    assert numpy.allclose(y_end.numpy(), 0.7 * (1 - rate * dt) ** steps, rtol=1e-12)
    cubic = deep_bsde.backward_scheme(bp.tensor([0.5], dtype=bp.float64), zeros[:1], increments[:1], dt)
    assert numpy.allclose(cubic.numpy(), 0.5 - (0.5 - 0.125) * dt)  # Allen-Cahn's f by default


def test_scheme_error_with_linear_f_falls_like_dt():
    # f(y) = r y, g(x) = a.x: u = e^(r (T - t)) a.x exactly; with the exact Z the Euler scheme misses g(X_T) by
    # O(dt) on each path: halving dt halves the error
    rng = numpy.random.default_rng(4)
    a, x0, t_end, rate = rng.normal(size=3), rng.normal(size=3), 0.3, 2.0
    fine = deep_bsde.brownian_increments(rng, 200, 40, 3, t_end / 40)
    errors = []
    for steps in (10, 20, 40):
        increments = fine.reshape(steps, 40 // steps, 200, 3).sum(axis=1)  # the same Brownian paths
        dt = t_end / steps
        y0 = bp.tensor([math.exp(rate * t_end) * a @ x0], dtype=bp.float64)
        y_end = deep_bsde.backward_scheme(y0, _exact_z(a, steps, rate, dt, t_end), increments, dt,
                                          f=lambda y: rate * y)
        target = deep_bsde.forward_paths(increments, x0)[-1] @ a
        errors.append(numpy.sqrt(((y_end.numpy() - target) ** 2).mean()))
    ratios = numpy.array(errors[:-1]) / numpy.array(errors[1:])
    assert ((ratios > 1.7) & (ratios < 2.3)).all(), (errors, ratios)


def test_training_finds_u0_of_a_linear_problem():
    # f = 0, g(x) = 0.5 + mean(x), x0 = 0: u(0, x0) = 0.5 exactly; theta_u starts in [0.1, 0.2]
    bp.manual_seed(0)
    dim, steps, dt = 4, 5, 0.06
    model = deep_bsde.DeepBSDE(dim, steps, dt, f=lambda y: 0 * y, hidden=(8, 8), y0_range=(0.1, 0.2),
                               rng=numpy.random.default_rng(0))
    start = model.y0.item()
    history = deep_bsde.train(model, 150, deep_bsde.learning_rate([(0, 2e-2), (100, 2e-3)]), batch=64, seed=0,
                              g=lambda x: 0.5 + x.mean(-1), valid_every=50)
    assert 0.1 <= start <= 0.2 and history["y0_start"] == start
    assert abs(history["y0"][-1] - 0.5) < 0.01
    assert history["valid_loss"][-1] < history["valid_loss"][0] / 50


def test_learning_rate_schedule_is_piecewise_constant():
    lr_at = deep_bsde.learning_rate([(0, 1e-2), (5, 1e-3), (8, 1e-4)])
    assert [lr_at(i) for i in (0, 4, 5, 7, 8, 100)] == [1e-2, 1e-2, 1e-3, 1e-3, 1e-4, 1e-4]
