"""FGSM and PGD: torch's gradient as the reference, the lecture's claims as invariants, bad input refused."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.attacks import fgsm, pgd
from tests.attacks import trained_digits_mlp

EPS = 0.1


def _mlp(dtype=bp.float64, batchnorm=False):
    layers = [bp.nn.Linear(6, 16)] + ([bp.nn.BatchNorm1d(16)] if batchnorm else []) + [bp.nn.Tanh(),
                                                                                      bp.nn.Dropout(0.5),
                                                                                      bp.nn.Linear(16, 3)]
    return bp.nn.Sequential(*layers).to(dtype)


def _torch_twin(model):
    """The same network in torch (float64, eval mode), with the same parameters and buffers."""
    layers = []
    for layer in model:
        if isinstance(layer, bp.nn.Linear):
            layers.append(torch.nn.Linear(layer.in_features, layer.out_features))
        elif isinstance(layer, bp.nn.BatchNorm1d):
            layers.append(torch.nn.BatchNorm1d(layer.num_features))
        elif isinstance(layer, bp.nn.Tanh):
            layers.append(torch.nn.Tanh())
        else:
            layers.append(torch.nn.Dropout(0.5))
    twin = torch.nn.Sequential(*layers).double()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    return twin.eval()


def _batch(n=12, d=6, k=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return bp.tensor(rng.uniform(0, 1, (n, d)).astype(dtype)), bp.tensor(rng.integers(0, k, n))


def _torch_input_gradient(twin, x, y):
    x = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.cross_entropy(twin(x), torch.tensor(y.numpy())).backward()
    return x.grad.numpy()


def _losses(model, x, y):
    """The cross-entropy of each example (reduction none) in eval mode."""
    model.eval()
    with bp.no_grad():
        return bp.nn.functional.cross_entropy(model(x), y, reduction="none").numpy()


@pytest.fixture
def trained():
    return trained_digits_mlp()


# --- FGSM --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("clip", [(0.0, 1.0), None])
def test_fgsm_is_x_plus_eps_sign_of_torchs_input_gradient(clip):
    """x + eps sign(g) with g from torch on a twin in eval mode: batch norm on its running statistics, no
    dropout, although the model is left in training mode."""
    model = _mlp(batchnorm=True)
    model[1].running_mean.data[:] = np.linspace(-0.5, 0.5, 16)
    model[1].running_var.data[:] = np.linspace(0.5, 2.0, 16)
    x, y = _batch()
    g = _torch_input_gradient(_torch_twin(model), x, y)
    assert (np.abs(g) > 1e-12).all()
    expected = x.numpy() + EPS * np.sign(g)
    if clip is not None:
        expected = np.clip(expected, *clip)
    np.testing.assert_allclose(fgsm(model, x, y, EPS, clip=clip).numpy(), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fgsm_raises_the_loss_of_every_example_for_a_small_eps(dtype):
    model = _mlp(dtype=bp.float64 if dtype == np.float64 else bp.float32)
    x, y = _batch(n=32, dtype=dtype)
    eps = 1e-3 if dtype == np.float64 else 1e-2
    before, after = _losses(model, x, y), _losses(model, fgsm(model, x, y, eps, clip=None), y)
    assert (after > before).all(), np.flatnonzero(after <= before)


def test_fgsm_raises_every_loss_of_a_trained_model_within_the_data_range(trained):
    model, x, y = trained
    before, after = _losses(model, x, y), _losses(model, fgsm(model, x, y, 0.02), y)
    assert (after > before).all(), np.flatnonzero(after <= before)


def test_fgsm_takes_a_loss_function_and_targets_as_arrays():
    """A loss per example (reduction none) is summed: the same step as the mean cross-entropy."""
    model = _mlp()
    x, y = _batch()
    per_example = bp.nn.CrossEntropyLoss(reduction="none")
    np.testing.assert_array_equal(fgsm(model, x.numpy(), y.numpy(), EPS, loss_fn=per_example).numpy(),
                                  fgsm(model, x, y, EPS).numpy())


def test_eps_zero_returns_x():
    model = _mlp()
    x, y = _batch()
    assert np.array_equal(fgsm(model, x, y, 0.0).numpy(), x.numpy())
    assert np.array_equal(pgd(model, x, y, 0.0).numpy(), x.numpy())


# --- the eps-ball and the data range -----------------------------------------------------------------------
@pytest.mark.parametrize("attack", [
    lambda model, x, y: fgsm(model, x, y, 0.3),
    lambda model, x, y: pgd(model, x, y, 0.3, steps=5),
    lambda model, x, y: pgd(model, x, y, 0.3, alpha=0.5, steps=3),
], ids=["fgsm", "pgd", "pgd_large_alpha"])
def test_attacks_never_leave_the_eps_ball_or_the_data_range(attack):
    model = _mlp()
    x, y = _batch(n=40)
    x.data[:5], x.data[5:10] = 0.0, 1.0  # on the edges of the range
    x_adv = attack(model, x, y).numpy()
    assert np.abs(x_adv - x.numpy()).max() <= 0.3 + 1e-12
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert np.abs(x_adv - x.numpy()).max() > 0.29  # and it does move


def test_per_channel_eps_and_clip_bounds():
    """Images (N, C, H, W) normalised per channel: eps and the range given as (C, 1, 1) arrays."""
    rng = np.random.default_rng(0)
    model = bp.nn.Sequential(bp.nn.Flatten(), bp.nn.Linear(3 * 4 * 4, 5)).double()
    low, high = np.array([-1.0, -2.0, 0.0]).reshape(3, 1, 1), np.array([1.0, 2.0, 0.5]).reshape(3, 1, 1)
    x = bp.tensor(rng.uniform(low, high, (6, 3, 4, 4)))
    y = bp.tensor(rng.integers(0, 5, 6))
    eps = np.array([0.1, 0.0, 0.3]).reshape(3, 1, 1)

    free = fgsm(model, x, y, eps, clip=None).numpy() - x.numpy()  # each value moves by exactly its eps
    np.testing.assert_allclose(np.abs(free), np.broadcast_to(eps, free.shape), rtol=0, atol=1e-12)
    for x_adv in (fgsm(model, x, y, eps, clip=(low, high)), pgd(model, x, y, eps, steps=4, clip=(low, high))):
        change = x_adv.numpy() - x.numpy()
        assert (np.abs(change) <= eps + 1e-12).all()
        assert (x_adv.numpy() >= low).all() and (x_adv.numpy() <= high).all()
        assert (change[:, 1] == 0).all() and np.abs(change[:, 2]).max() > 0.2


def test_per_channel_eps_as_a_flat_list_is_refused_with_the_shape_to_give():
    """[e_R, e_G, e_B] lines up with the width axis of (N, 3, H, W), not with the channels."""
    model = bp.nn.Sequential(bp.nn.Flatten(), bp.nn.Linear(3 * 4 * 4, 5))
    x, y = bp.rand(2, 3, 4, 4), bp.tensor([0, 1])
    with pytest.raises(ValueError, match=r"eps of shape \(3,\) does not broadcast .*\(C, 1, 1\)"):
        fgsm(model, x, y, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"clip low of shape \(3,\) does not broadcast"):
        pgd(model, x, y, 0.1, clip=([0.0, 0.0, 0.0], 1.0))


# --- PGD -------------------------------------------------------------------------------------------------
def _sum_loss(model, x, y):
    return _losses(model, x, y).sum()


def test_pgd_finds_a_higher_loss_than_fgsm_on_a_trained_model(trained):
    model, x, y = trained
    fgsm_losses = _losses(model, fgsm(model, x, y, EPS), y)
    pgd_losses = _losses(model, pgd(model, x, y, EPS, steps=10, random_start=False), y)
    assert pgd_losses.sum() >= fgsm_losses.sum()
    assert (pgd_losses >= fgsm_losses - 1e-6).mean() >= 0.9
    bp.manual_seed(0)
    assert _sum_loss(model, pgd(model, x, y, EPS, steps=10), y) >= fgsm_losses.sum()


def test_pgd_on_a_linear_two_class_model_walks_along_one_sign_until_the_ball_ends():
    """For z = W x + b with two classes, grad_x J = (p_1 - [y = 1]) (w_1 - w_0): the same sign at every step,
    so PGD from x moves each value by min(k alpha, eps) along -sign(w_y - w_other)."""
    model = bp.nn.Linear(4, 2).double()
    x, y = _batch(n=8, d=4, k=2)
    x.data[:] = 0.5  # far from the range's edges
    w = model.weight.detach().numpy()
    direction = np.where(y.numpy()[:, None] == 1, np.sign(w[0] - w[1]), np.sign(w[1] - w[0]))
    for alpha, steps, moved in [(0.25 * EPS, 3, 0.75 * EPS), (0.25 * EPS, 6, EPS), (None, 3, EPS)]:
        x_adv = pgd(model, x, y, EPS, alpha=alpha, steps=steps, random_start=False)
        np.testing.assert_allclose(x_adv.numpy(), 0.5 + moved * direction, rtol=0, atol=1e-12)


def test_pgd_with_one_step_and_the_default_alpha_is_fgsm():
    """alpha = 2.5 eps / steps; one step of 2.5 eps projected onto the eps-ball is FGSM's step."""
    model = _mlp()
    x, y = _batch()
    np.testing.assert_array_equal(pgd(model, x, y, EPS, steps=1, random_start=False).numpy(),
                                  fgsm(model, x, y, EPS).numpy())
    np.testing.assert_array_equal(pgd(model, x, y, EPS, steps=8, random_start=False).numpy(),
                                  pgd(model, x, y, EPS, alpha=2.5 * EPS / 8, steps=8, random_start=False).numpy())


def test_pgd_without_random_start_is_deterministic_and_with_a_seed_repeatable():
    model = _mlp()
    x, y = _batch()
    bp.manual_seed(1)
    first = pgd(model, x, y, EPS, steps=3, random_start=False).numpy()
    bp.manual_seed(2)
    np.testing.assert_array_equal(pgd(model, x, y, EPS, steps=3, random_start=False).numpy(), first)
    bp.manual_seed(3)
    random = pgd(model, x, y, EPS, steps=3).numpy()
    bp.manual_seed(3)
    np.testing.assert_array_equal(pgd(model, x, y, EPS, steps=3).numpy(), random)
    assert not np.array_equal(random, first)


def test_the_random_start_is_uniform_in_the_ball():
    """With alpha = 0 PGD stays at its start x + u: u within [-eps, eps], spread over it, mean about 0."""
    model = _mlp()
    x, y = _batch(n=200)
    x.data[:] = 0.5
    u = pgd(model, x, y, EPS, alpha=0.0, steps=1).numpy() - 0.5
    assert np.abs(u).max() <= EPS and np.abs(u).max() > 0.99 * EPS
    assert abs(u.mean()) < 0.01 and abs(u.std() - EPS / np.sqrt(3)) < 0.005  # the uniform's sd: eps / sqrt 3


# --- what an attack leaves alone ---------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_attacks_leave_parameter_grads_mode_and_buffers_alone(training):
    model = _mlp(batchnorm=True)
    model.train(training)
    parameters = list(model.parameters())
    parameters[0].grad = bp.ones_like(parameters[0])
    parameters[-1].requires_grad_(False)
    buffers = {k: v.numpy().copy() for k, v in model.state_dict().items() if "running" in k or "batches" in k}
    x, y = _batch()
    with bp.no_grad():  # attacks record their own graph even here
        results = [fgsm(model, x, y, EPS), pgd(model, x, y, EPS, steps=2)]
    assert model.training is training and all(layer.training is training for layer in model)
    assert np.array_equal(parameters[0].grad.numpy(), np.ones(parameters[0].shape))
    assert all(p.grad is None for p in parameters[1:])
    assert [p.requires_grad for p in parameters] == [True] * (len(parameters) - 1) + [False]
    for key, value in buffers.items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value, err_msg=key)
    for x_adv in results:
        assert x_adv.grad_fn is None and not x_adv.requires_grad and not np.array_equal(x_adv.numpy(), x.numpy())


# --- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: fgsm(m, x, y, -0.1), "eps must be >= 0"),
    (lambda m, x, y: pgd(m, x, y, np.array([0.1, -0.1, 0.1, 0.1, 0.1, 0.1])), "eps must be >= 0"),
    (lambda m, x, y: pgd(m, x, y, EPS, alpha=-0.01), "alpha must be >= 0"),
    (lambda m, x, y: pgd(m, x, y, EPS, steps=0), "pgd: steps must be a positive int, got 0"),
    (lambda m, x, y: fgsm(m, x, y, EPS, clip=(1.0, 0.0)), "low < high"),
    (lambda m, x, y: fgsm(m, x, y, EPS, clip=(0.0, 0.0)), "low < high"),
    (lambda m, x, y: fgsm(m, x, y, EPS, clip=1.0), r"\(low, high\) pair"),
    (lambda m, x, y: fgsm(m, x, y[:5], EPS), "12 examples"),
    (lambda m, x, y: fgsm(m, x, y, np.full(4, 0.1)), "does not broadcast"),
    (lambda m, x, y: fgsm(m, 2 * x - 0.5, y, EPS), r"outside the data range clip=\(0.0, 1.0\)"),
    (lambda m, x, y: pgd(m, x, y, EPS, clip=(0.0, 0.5)), r"outside the data range clip=\(0.0, 0.5\)"),
    (lambda m, x, y: fgsm(m, x[0], y[0], EPS), "batch"),
])
def test_bad_arguments_are_refused_with_a_clear_message(call, message):
    model = _mlp()
    x, y = _batch()
    with pytest.raises(ValueError, match=message):
        call(model, x, y)


def test_a_count_of_steps_that_is_no_int_is_a_type_error():
    with pytest.raises(TypeError, match=r"pgd: steps must be a positive int, got 2.5 \(a float\)"):
        pgd(_mlp(), *_batch(), EPS, steps=2.5)
