"""RBM: one CD-1 update by hand, the conditionals, free energy and pseudo-likelihood by enumerating every state,
Gibbs samples against the exact distribution, PCD's chains, and learning on the 8x8 digits."""
import itertools
import math

import numpy as np
import pytest

import backprop as bp
from backprop.pretrain import RBM

LN3 = math.log(3.0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def rbm_with(weight, visible_bias, hidden_bias):
    rbm = RBM(len(visible_bias), len(hidden_bias))
    rbm.weight.data = np.asarray(weight, dtype=np.float32)
    rbm.visible_bias.data = np.asarray(visible_bias, dtype=np.float32)
    rbm.hidden_bias.data = np.asarray(hidden_bias, dtype=np.float32)
    return rbm


def params(rbm):
    return [p.detach().numpy().astype(np.float64) for p in (rbm.weight, rbm.visible_bias, rbm.hidden_bias)]


def states(n):
    """All 2^n binary vectors, (2^n, n)."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def energy(v, h, w, b, c):
    """E(v, h) = -b^T v - c^T h - h^T W v, written out."""
    return -v @ b - h @ c - h @ w @ v


def unnormalised_p_v(v, w, b, c):
    """sum over all h of exp(-E(v, h)), by enumeration."""
    return sum(math.exp(-energy(v, h, w, b, c)) for h in states(len(c)))


def binarised_digits():
    images = bp.data.digits().data.reshape(-1, 64) / 16
    return bp.tensor((images > 0.5).astype(np.float32))


@pytest.fixture
def tiny():
    """3 visible, 2 hidden, with weights and biases far from zero."""
    rng = np.random.default_rng(7)
    return rbm_with(rng.normal(0, 1.5, (2, 3)), rng.normal(0, 1, 3), rng.normal(0, 1, 2))


@pytest.mark.parametrize("persistent", [False, True])
def test_one_cd1_update_by_hand(persistent):
    # W v = [ln 3, -ln 3] for v = [1, 0, 1]: p(h|v) = [3/4, 1/4]
    rbm = rbm_with([[LN3, 0, 0], [0, 0, -LN3]], [0, 0, 0], [0, 0])
    v = bp.tensor([[1.0, 0.0, 1.0]])
    bp.manual_seed(0)
    draws = np.random.default_rng(0)
    u_h, u_v = draws.random((1, 2)), draws.random((1, 3))
    assert u_h[0, 0] < 0.75 and u_h[0, 1] >= 0.25  # so the sampled h0 is [1, 0]
    assert np.array_equal(u_v < [0.75, 0.5, 0.5], [[True, True, False]])  # and the sampled v1 [1, 1, 0]
    error = rbm.cd_step(v, lr=1.0, k=1, persistent=persistent)
    ph0 = np.array([0.75, 0.25])
    pv1 = np.array([0.75, 0.5, 0.5])            # sigmoid(h0 W) = sigmoid([ln 3, 0, 0])
    a, b = 3 ** 0.75 / (1 + 3 ** 0.75), 1 / (1 + 3 ** 0.5)
    ph1 = np.array([a, b])                       # sigmoid(W pv1) = sigmoid([0.75 ln 3, -0.5 ln 3])
    v0 = np.array([1.0, 0.0, 1.0])
    w, vb, hb = params(rbm)
    assert np.allclose(w, np.array([[LN3, 0, 0], [0, 0, -LN3]]) + np.outer(ph0, v0) - np.outer(ph1, pv1), atol=1e-6)
    assert np.allclose(vb, [0.25, -0.5, 0.5], atol=1e-6)
    assert np.allclose(hb, [0.75 - a, 0.25 - b], atol=1e-6)
    # reconstruction error with h = p(h|v): p(v | [3/4, 1/4]) = sigmoid([0.75 ln 3, 0, -0.25 ln 3])
    expected = ((1 - a) ** 2 + 0.25 + (1 - 1 / (1 + 3 ** 0.25)) ** 2) / 3
    assert error == pytest.approx(expected, rel=1e-5)
    if persistent:  # the first chain starts at the data; its sampled v1 is kept, not used in the statistics
        assert rbm.chains.tolist() == [[1.0, 1.0, 0.0]]
    else:
        assert rbm.chains is None


def cd_by_hand(v0, w, b, c, k, lr, draws):
    """CD-k written out with NumPy: sampled h drives the chain, probabilities for the last step's statistics."""
    v = v0
    for _ in range(k):
        h = (draws.random((len(v0), len(c))) < sigmoid(v @ w.T + c)).astype(float)
        pv = sigmoid(h @ w + b)
        v = (draws.random(pv.shape) < pv).astype(float)
    ph0, phk = sigmoid(v0 @ w.T + c), sigmoid(pv @ w.T + c)
    n = len(v0)
    return (w + lr * (ph0.T @ v0 - phk.T @ pv) / n, b + lr * (v0 - pv).mean(0), c + lr * (ph0 - phk).mean(0), v)


@pytest.mark.parametrize("k", [1, 3])
def test_cd_k_on_a_batch_matches_numpy(tiny, k):
    v = np.random.default_rng(1).integers(0, 2, (5, 3)).astype(np.float64)
    before = params(tiny)
    bp.manual_seed(3)
    tiny.cd_step(bp.tensor(v, dtype=bp.float32), lr=0.5, k=k, persistent=True)
    *expected, chains = cd_by_hand(v, *before, k, 0.5, np.random.default_rng(3))
    for got, want in zip(params(tiny), expected):
        assert np.allclose(got, want, atol=1e-5)
    assert np.array_equal(tiny.chains.numpy(), chains)


def test_conditionals_are_the_marginals_of_the_joint(tiny):
    w, b, c = params(tiny)
    for v in states(3):
        weights = np.array([math.exp(-energy(v, h, w, b, c)) for h in states(2)])
        p_h1 = (weights[:, None] * states(2)).sum(0) / weights.sum()
        assert np.allclose(tiny.hidden_probabilities(bp.tensor([v], dtype=bp.float32)).numpy()[0], p_h1, atol=1e-6)
    for h in states(2):
        weights = np.array([math.exp(-energy(v, h, w, b, c)) for v in states(3)])
        p_v1 = (weights[:, None] * states(3)).sum(0) / weights.sum()
        assert np.allclose(tiny.visible_probabilities(bp.tensor([h], dtype=bp.float32)).numpy()[0], p_v1, atol=1e-6)


def test_free_energy_sums_h_out(tiny):
    w, b, c = params(tiny)
    v = states(3)
    free = tiny.free_energy(bp.tensor(v, dtype=bp.float32)).numpy()
    assert np.allclose(free, [-math.log(unnormalised_p_v(x, w, b, c)) for x in v], atol=1e-5)


def test_exact_pseudo_likelihood_by_enumeration(tiny):
    w, b, c = params(tiny)
    v = states(3)
    expected = []
    for x in v:
        terms = []
        for i in range(3):
            flipped = x.copy()
            flipped[i] = 1 - flipped[i]
            p, q = unnormalised_p_v(x, w, b, c), unnormalised_p_v(flipped, w, b, c)
            terms.append(math.log(p / (p + q)))  # log p(v_i | v_-i)
        expected.append(sum(terms))
    assert tiny.pseudo_likelihood(bp.tensor(v, dtype=bp.float32), exact=True) == pytest.approx(np.mean(expected),
                                                                                              rel=1e-5)


def test_stochastic_pseudo_likelihood_flips_one_random_bit(tiny):
    w, b, c = params(tiny)
    v = states(3)
    bp.manual_seed(5)
    got = tiny.pseudo_likelihood(bp.tensor(v, dtype=bp.float32))
    bits = np.random.default_rng(5).integers(0, 3, len(v))
    expected = []
    for x, i in zip(v, bits):
        flipped = x.copy()
        flipped[i] = 1 - flipped[i]
        p, q = unnormalised_p_v(x, w, b, c), unnormalised_p_v(flipped, w, b, c)
        expected.append(3 * math.log(p / (p + q)))
    assert got == pytest.approx(np.mean(expected), rel=1e-5)


def test_gibbs_samples_follow_p_v(tiny):
    w, b, c = params(tiny)
    exact = np.array([unnormalised_p_v(x, w, b, c) for x in states(3)])
    exact /= exact.sum()
    samples = tiny.sample(20000, steps=30).numpy()
    assert set(np.unique(samples)) <= {0.0, 1.0}
    codes = (samples @ [4, 2, 1]).astype(int)  # the row of states(3) each sample is
    empirical = np.bincount(codes, minlength=8) / len(codes)
    assert 0.5 * np.abs(empirical - exact).sum() < 0.02  # total variation; about 0.005 expected from 20000 draws


def test_sampling_is_repeatable_with_manual_seed(tiny):
    v = bp.tensor(states(3), dtype=bp.float32)
    bp.manual_seed(11)
    first = tiny.gibbs(v, 5).numpy(), tiny.sample_hidden(v).numpy(), tiny.sample_visible(bp.ones(2, 2)).numpy()
    bp.manual_seed(11)
    second = tiny.gibbs(v, 5).numpy(), tiny.sample_hidden(v).numpy(), tiny.sample_visible(bp.ones(2, 2)).numpy()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_pcd_continues_its_chains(tiny):
    v = bp.tensor(states(3), dtype=bp.float32)
    tiny.cd_step(v, lr=0.1, persistent=True)
    chains = tiny.chains.numpy().copy()
    assert chains.shape == (8, 3) and set(np.unique(chains)) <= {0.0, 1.0}
    state = bp.get_rng_state()
    expected = tiny.gibbs(bp.tensor(chains), 1).numpy()  # one step from the kept chains, with the same draws
    bp.set_rng_state(state)
    tiny.cd_step(v[:2], lr=0.1, persistent=True)  # a different batch: the chains, not the data, start the chain
    assert np.array_equal(tiny.chains.numpy(), expected)


def test_fit_resets_the_chains(tiny):
    tiny.chains = bp.zeros(7, 3)
    tiny.fit(bp.tensor(states(3), dtype=bp.float32), epochs=1, batch_size=8, persistent=True)
    assert tiny.chains.shape == (8, 3)  # restarted from the 8 examples, not the 7 old chains


def test_the_chains_follow_the_model_to_another_dtype_and_stay_out_of_the_state_dict(tiny):
    v = bp.tensor(states(3), dtype=bp.float32)
    tiny.cd_step(v, lr=0.1, persistent=True, momentum=0.5)
    tiny.double()
    assert tiny.chains.dtype == bp.float64                    # a buffer: .to() casts (and moves) it
    tiny.cd_step(v[:3], lr=0.1, persistent=True, momentum=0.5)  # chains of 8 against a batch of 3
    assert tiny.weight.dtype == tiny.chains.dtype == bp.float64 and tiny.chains.shape == (8, 3)
    assert list(tiny.state_dict()) == ["weight", "visible_bias", "hidden_bias"]


def test_weight_decay_and_momentum_add_their_terms(tiny):
    v = bp.tensor(states(3), dtype=bp.float32)
    w0 = params(tiny)[0]
    plain, decayed = rbm_with(*params(tiny)), rbm_with(*params(tiny))
    bp.manual_seed(2)
    plain.cd_step(v, lr=0.5)
    bp.manual_seed(2)
    decayed.cd_step(v, lr=0.5, weight_decay=0.1)
    assert np.allclose(params(decayed)[0] - params(plain)[0], -0.5 * 0.1 * w0, atol=1e-6)
    assert np.allclose(params(decayed)[1], params(plain)[1])  # biases are not decayed
    heavy = rbm_with(*params(tiny))
    bp.manual_seed(4)
    heavy.cd_step(v, lr=0.5, momentum=0.5)
    first_step = [p - q for p, q in zip(params(heavy), params(tiny))]
    heavy.cd_step(v, lr=0.5, momentum=0.5)
    light = rbm_with(*params(tiny))
    bp.manual_seed(4)
    light.cd_step(v, lr=0.5)
    light.cd_step(v, lr=0.5)
    for p, q, step in zip(params(heavy), params(light), first_step):
        assert np.allclose(p - q, 0.5 * step, atol=1e-6)  # delta_2 = momentum delta_1 + lr gradient_2


def test_reconstruction_error_falls_on_digits():
    x = binarised_digits()
    bp.manual_seed(0)
    rbm = RBM(64, 32)
    before = rbm.reconstruction_error(x)
    history = rbm.fit(x, epochs=5, batch_size=32, lr=0.1, momentum=0.5)
    assert len(history) == 5 and history[-1] < 0.75 * history[0]
    assert rbm.reconstruction_error(x) < 0.5 * before
    assert rbm.pseudo_likelihood(x, exact=True) > RBM(64, 32).pseudo_likelihood(x, exact=True) + 10


def test_forward_is_the_differentiable_hidden_probability(tiny):
    images = bp.rand(4, 1, 1, 3)
    h = tiny(images)
    assert np.allclose(h.detach().numpy(), tiny.hidden_probabilities(images.reshape(4, 3)).numpy())
    h.sum().backward()
    assert tiny.weight.grad.shape == (2, 3)
    assert list(tiny.state_dict()) == ["weight", "visible_bias", "hidden_bias"]


def test_bad_arguments_are_named():
    rbm = RBM(3, 2)
    with pytest.raises(ValueError, match="n_hidden"):
        RBM(3, 0)
    with pytest.raises(ValueError, match="3 features"):
        rbm.hidden_probabilities(bp.ones(2, 4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rbm.cd_step(bp.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="binary"):
        rbm.pseudo_likelihood(bp.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="k must be"):
        rbm.cd_step(bp.ones(2, 3), k=0)
    for momentum, error in ((1.0, ValueError), (-0.1, ValueError), ("0.5", TypeError), (None, TypeError),
                            (True, TypeError)):
        with pytest.raises(error, match=r"momentum must be a number in \[0, 1\), got"):
            rbm.cd_step(bp.ones(2, 3), momentum=momentum)
    for weight_decay, error, message in ((-1e-4, ValueError, "a number >= 0, got -0.0001"),
                                         (float("nan"), ValueError, "a number >= 0, got nan"),
                                         (float("inf"), ValueError, "a finite number, got inf"),
                                         (None, TypeError, "a number >= 0, got None")):
        with pytest.raises(error, match=f"weight_decay must be {message}"):
            rbm.cd_step(bp.ones(2, 3), weight_decay=weight_decay)
