"""Higher-order gradients end to end, against torch: a third derivative, Newton's method, a
WGAN-GP gradient-penalty step and a one-step MAML inner loop (the programs written once,
for ``lib`` = torch and ``lib`` = backprop)."""
import numpy as np
import pytest
import torch

import backprop as bp

LIBS = {"torch": torch, "backprop": bp}


def _tensor(lib, array, requires_grad=False):
    return lib.tensor(np.array(array, dtype=np.float64), requires_grad=requires_grad)


def _value(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


# ---------------------------------------------------------------- derivatives of f(x) = x^3 sin x
def _derivatives(lib, order):
    x = _tensor(lib, [0.3, -1.2, 2.0], requires_grad=True)
    y = (x ** 3 * lib.sin(x)).sum()
    found = []
    for _ in range(order):
        (y,) = lib.autograd.grad(y, x, create_graph=True)
        found.append(_value(y))
        y = y.sum()
    return found


def test_third_derivative_matches_torch_and_the_formula():
    ours, theirs = _derivatives(bp, 3), _derivatives(torch, 3)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    x = np.array([0.3, -1.2, 2.0])
    # d^3/dx^3 x^3 sin x = 6 sin x + 18 x cos x - 9 x^2 sin x - x^3 cos x
    exact = 6 * np.sin(x) + 18 * x * np.cos(x) - 9 * x ** 2 * np.sin(x) - x ** 3 * np.cos(x)
    np.testing.assert_allclose(ours[2], exact, rtol=1e-12)


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    for lib in (bp, torch):
        x = _tensor(lib, [1.5], requires_grad=True)
        (x ** 4).sum().backward(create_graph=True)
        first = x.grad
        assert first.requires_grad and first.grad_fn is not None
        x.grad = None
        first.sum().backward()  # d/dx 4 x^3 = 12 x^2
        np.testing.assert_allclose(_value(x.grad), [12 * 1.5 ** 2])


# ---------------------------------------------------------------- Newton's method
def _newton(lib, steps):
    """Newton's method on f(x, y) = (x - 1)^4 + (x - 1)^2 + (x - y)^2 + e^{y/2}: Hessian by grad of grad."""
    p = _tensor(lib, [3.0, -2.0], requires_grad=True)
    path = []
    for _ in range(steps):
        x, y = p[0], p[1]
        f = (x - 1) ** 4 + (x - 1) ** 2 + (x - y) ** 2 + lib.exp(y / 2)
        (g,) = lib.autograd.grad(f, p, create_graph=True)
        rows = [lib.autograd.grad(g[i], p, retain_graph=True)[0] for i in range(2)]
        hessian = np.stack([_value(r) for r in rows])
        step = np.linalg.solve(hessian, _value(g))
        with lib.no_grad():
            p -= lib.tensor(step)
        path.append(_value(p).copy())
    return np.array(path)


def test_newtons_method_follows_torchs_path_to_the_minimum():
    ours, theirs = _newton(bp, 8), _newton(torch, 8)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    x, y = ours[-1]
    gradient = [4 * (x - 1) ** 3 + 2 * (x - 1) + 2 * (x - y), -2 * (x - y) + 0.5 * np.exp(y / 2)]
    assert np.abs(gradient).max() < 1e-10  # converged quadratically


# ---------------------------------------------------------------- WGAN-GP
def _critic(lib, rng):
    nn = lib.nn
    critic = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1)).double()
    for p in critic.parameters():
        with lib.no_grad():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    return critic


def _wgan_gp_steps(lib, steps=3, penalty=10.0):
    rng = np.random.default_rng(0)
    critic = _critic(lib, rng)
    optimizer = lib.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.9))
    losses = []
    for _ in range(steps):
        real = _tensor(lib, rng.standard_normal((6, 4)))
        fake = _tensor(lib, rng.standard_normal((6, 4)) + 1)
        eps = _tensor(lib, rng.random((6, 1)))
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (slopes,) = lib.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        gradient_penalty = (((slopes ** 2).sum(1) + 1e-12).sqrt() - 1) ** 2
        loss = critic(fake).mean() - critic(real).mean() + penalty * gradient_penalty.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [_value(p) for p in critic.parameters()]


def test_a_wgan_gp_step_gives_torchs_parameters():
    ours, theirs = _wgan_gp_steps(bp), _wgan_gp_steps(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- MAML
def _maml(lib, inner_lr=0.1, outer_lr=0.05):
    """One meta step: adapt (W, b) by one SGD step on the support set, keeping the graph, then
    differentiate the query loss of the adapted weights with respect to the original ones."""
    rng = np.random.default_rng(1)
    weight = _tensor(lib, rng.standard_normal((3, 5)) * 0.3, requires_grad=True)
    bias = _tensor(lib, rng.standard_normal(3) * 0.1, requires_grad=True)
    hidden = _tensor(lib, rng.standard_normal((3, 2)) * 0.5)

    def model(x, w, b):
        return lib.tanh(x @ w.T + b) @ hidden

    meta_loss = 0
    for task in range(2):
        x_support, y_support = _tensor(lib, rng.standard_normal((4, 5))), _tensor(lib, rng.standard_normal((4, 2)))
        x_query, y_query = _tensor(lib, rng.standard_normal((4, 5))), _tensor(lib, rng.standard_normal((4, 2)))
        support_loss = ((model(x_support, weight, bias) - y_support) ** 2).mean()
        g_weight, g_bias = lib.autograd.grad(support_loss, (weight, bias), create_graph=True)
        adapted_weight, adapted_bias = weight - inner_lr * g_weight, bias - inner_lr * g_bias
        meta_loss = meta_loss + ((model(x_query, adapted_weight, adapted_bias) - y_query) ** 2).mean()
    meta_loss.backward()
    grads = [_value(weight.grad), _value(bias.grad)]
    with lib.no_grad():
        weight -= outer_lr * weight.grad
        bias -= outer_lr * bias.grad
    return meta_loss.item(), grads, [_value(weight), _value(bias)]


def test_a_maml_meta_step_gives_torchs_gradients_and_parameters():
    ours, theirs = _maml(bp), _maml(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1] + ours[2], theirs[1] + theirs[2]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_second_order_term_matters_in_maml():
    """First-order MAML (the adapted gradient detached) gives other meta-gradients: the test above
    really checks second derivatives."""
    rng = np.random.default_rng(2)
    w = bp.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    x = bp.tensor(rng.standard_normal((4, 3)))
    inner = (bp.tanh(x @ w.T) ** 2).sum()
    (g,) = bp.autograd.grad(inner, w, create_graph=True)
    full = ((w - 0.5 * g) ** 2).sum()
    (g_full,) = bp.autograd.grad(full, w)
    (g_first,) = bp.autograd.grad(((w - 0.5 * g.detach()) ** 2).sum(), w)
    assert np.abs(g_full.numpy() - g_first.numpy()).max() > 1e-3


@pytest.mark.parametrize("lib_name", ["backprop", "torch"])
def test_grad_of_a_grad_without_create_graph_is_refused(lib_name):
    lib = LIBS[lib_name]
    x = _tensor(lib, [1.0, 2.0], requires_grad=True)
    (g,) = lib.autograd.grad((x ** 2).sum(), x)
    assert not g.requires_grad
    with pytest.raises(RuntimeError):
        g.sum().backward()
