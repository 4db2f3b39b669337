"""Generators, seeding and random factories: shapes, dtypes and errors as torch's; distributions checked by their
moments (the values cannot be torch's: another algorithm); exact values where nothing is random."""
import numpy as np
import pytest
import torch

import backprop as bp


def name(dtype):
    return str(dtype).split(".")[-1]


def test_a_generator_has_its_own_seed_and_state():
    g = bp.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3 and str(g.device) == "cpu"
    a = bp.rand(5, generator=g)
    state = g.get_state()
    b = bp.randn(5, generator=g)
    assert g.set_state(state) is g and bp.randn(5, generator=g).tolist() == b.tolist()
    g.manual_seed(3)
    assert bp.rand(5, generator=g).tolist() == a.tolist()
    bp.manual_seed(3)
    c = bp.rand(5)
    assert bp.rand(5, generator=g.manual_seed(3)).tolist() == c.tolist()  # the same seed, the same stream
    bp.manual_seed(3)
    bp.rand(5, generator=bp.Generator().manual_seed(9))
    assert bp.rand(5).tolist() == c.tolist()  # a generator of its own leaves the default one alone
    assert bp.Generator().manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    seed = g.seed()
    assert isinstance(seed, int) and g.initial_seed() == seed
    with pytest.raises(TypeError, match="expected the dict"):
        g.set_state("state")


def test_the_default_generator_and_the_seeding_functions():
    assert isinstance(bp.manual_seed(5), bp.Generator) and isinstance(torch.manual_seed(5), torch.Generator)
    assert bp.manual_seed(5) is bp.default_generator and bp.initial_seed() == 5
    seed = bp.seed()
    assert bp.initial_seed() == seed and isinstance(seed, int)
    state = bp.get_rng_state()
    a = bp.randn(3)
    bp.set_rng_state(state)
    assert bp.randn(3).tolist() == a.tolist()
    assert bp.random.manual_seed is bp.manual_seed and bp.random.get_rng_state is bp.get_rng_state
    state = bp.get_rng_state()
    with bp.random.fork_rng():
        inside = bp.rand(3)
    assert bp.get_rng_state() == state and bp.rand(3).tolist() == inside.tolist()  # the fork drew a copy


SEEDED = [
    lambda g: bp.rand(4, generator=g), lambda g: bp.randn(2, 2, generator=g), lambda g: bp.randint(0, 9, (5,), generator=g),
    lambda g: bp.randperm(6, generator=g), lambda g: bp.rand_like(bp.zeros(3), generator=g),
    lambda g: bp.randn_like(bp.zeros(3), generator=g), lambda g: bp.randint_like(bp.zeros(3), 5, generator=g),
    lambda g: bp.multinomial(bp.tensor([1.0, 2.0, 3.0]), 2, generator=g),
    lambda g: bp.bernoulli(bp.full((4,), 0.5), generator=g), lambda g: bp.normal(0.0, 1.0, (3,), generator=g),
    lambda g: bp.normal(bp.zeros(3), bp.ones(3), generator=g), lambda g: bp.poisson(bp.full((3,), 4.0), generator=g),
    lambda g: bp.zeros(4).normal_(generator=g), lambda g: bp.zeros(4).uniform_(generator=g),
    lambda g: bp.zeros(4).exponential_(generator=g), lambda g: bp.zeros(4).random_(10, generator=g),
    lambda g: bp.zeros(4).bernoulli_(0.5, generator=g), lambda g: bp.zeros(4).geometric_(0.5, generator=g),
    lambda g: bp.zeros(4).log_normal_(generator=g), lambda g: bp.zeros(4).cauchy_(generator=g),
]


@pytest.mark.parametrize("draw", SEEDED)
def test_every_random_function_repeats_under_its_generators_seed(draw):
    g = bp.Generator()
    assert draw(g.manual_seed(1)).tolist() == draw(g.manual_seed(1)).tolist()


# (backprop call, torch call): same shape and dtype
FACTORIES = [
    (lambda m: m.empty(2, 3), None), (lambda m: m.empty((2,), dtype=m.int64), None),
    (lambda m: m.empty_like(m.zeros(2, dtype=m.float64)), None), (lambda m: m.rand_like(m.zeros(2, 2)), None),
    (lambda m: m.randn_like(m.zeros(3, dtype=m.float64)), None), (lambda m: m.randint_like(m.zeros(3), 4), None),
    (lambda m: m.randint_like(m.zeros(3, dtype=m.int32), 2, 4), None), (lambda m: m.randperm(5), None),
    (lambda m: m.randperm(5, dtype=m.int32), None), (lambda m: m.multinomial(m.tensor([[1.0, 2.0], [3.0, 0.0]]), 1), None),
    (lambda m: m.multinomial(m.tensor([1.0, 2.0]), 5, replacement=True), None),
    (lambda m: m.bernoulli(m.full((2, 2), 0.3, dtype=m.float64)), None), (lambda m: m.bernoulli(m.zeros(3), 0.5), None),
    (lambda m: m.normal(m.zeros(2, 3), 1.0), None), (lambda m: m.normal(0.0, m.ones(4)), None),
    (lambda m: m.normal(m.zeros(3, 1), m.ones(1, 2)), None), (lambda m: m.normal(2, 3, (2,)), None),
    (lambda m: m.normal(2.0, 3.0, size=(1, 2), dtype=m.float64), None), (lambda m: m.poisson(m.ones(3)), None),
    (lambda m: m.zeros(3, dtype=m.int64).random_(), None), (lambda m: m.zeros(3, dtype=m.uint8).random_(2, 5), None),
    (lambda m: m.zeros(2, dtype=m.float64).exponential_(), None), (lambda m: m.zeros(2, dtype=m.int32).bernoulli_(), None),
    (lambda m: m.tensor([0.5, 0.5]).bernoulli(), None), (lambda m: m.tensor([1.0, 1.0]).multinomial(2), None),
    (lambda m: m.randint(3, 10, (2, 2), dtype=m.int32), None), (lambda m: m.rand(2, dtype=m.float16), None),
]


@pytest.mark.parametrize("make", [f for f, _ in FACTORIES])
def test_shapes_and_dtypes_match_torch(make):
    ours, theirs = make(bp), make(torch)
    assert ours.shape == tuple(theirs.shape) and name(ours.dtype) == name(theirs.dtype)
    assert ours.requires_grad == theirs.requires_grad


def moments(t):
    values = t.double().numpy()
    return values.mean(), values.std()


def test_distributions_have_the_right_moments():
    bp.manual_seed(0)
    n = 20000
    assert np.allclose(moments(bp.normal(2.0, 3.0, (n,))), (2.0, 3.0), atol=0.1)
    assert np.allclose(moments(bp.normal(bp.full((n,), -1.0), bp.full((n,), 0.5))), (-1.0, 0.5), atol=0.03)
    assert np.allclose(moments(bp.empty(n).uniform_(2, 4)), (3.0, 2 / np.sqrt(12)), atol=0.03)
    assert np.allclose(moments(bp.empty(n).normal_(1, 2)), (1.0, 2.0), atol=0.06)
    assert np.allclose(moments(bp.empty(n).exponential_(2.0)), (0.5, 0.5), atol=0.03)
    assert np.allclose(moments(bp.poisson(bp.full((n,), 4.0))), (4.0, 2.0), atol=0.06)
    assert np.allclose(moments(bp.bernoulli(bp.full((n,), 0.3))), (0.3, np.sqrt(0.21)), atol=0.02)
    assert np.allclose(moments(bp.empty(n).bernoulli_(0.7)), (0.7, np.sqrt(0.21)), atol=0.02)
    assert np.allclose(moments(bp.empty(n).geometric_(0.25)), (4.0, np.sqrt(0.75) / 0.25), atol=0.2)
    log_normal = np.log(bp.empty(n).log_normal_(1.0, 0.5).double().numpy())
    assert np.allclose((log_normal.mean(), log_normal.std()), (1.0, 0.5), atol=0.03)
    assert abs(np.median(bp.empty(n).cauchy_(3.0, 1.0).numpy()) - 3.0) < 0.1
    r = bp.empty(n, dtype=bp.int64).random_(3, 7).numpy()
    assert set(np.unique(r)) == {3, 4, 5, 6}
    assert set(np.unique(bp.empty(n, dtype=bp.uint8).random_().numpy())) == set(range(256))
    assert set(np.unique(bp.empty(n, dtype=bp.bool).random_().numpy())) == {False, True}
    counts = np.bincount(bp.multinomial(bp.tensor([1.0, 3.0, 0.0]), n, replacement=True).numpy(), minlength=3)
    assert np.allclose(counts / n, [0.25, 0.75, 0.0], atol=0.02)


def test_randperm_and_multinomial_without_replacement_draw_each_index_once():
    assert sorted(bp.randperm(50).tolist()) == list(range(50))
    drawn = bp.multinomial(bp.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 5.0, 1.0, 1.0]]), 3)
    assert drawn.shape == (2, 3) and [sorted(row) for row in drawn.tolist()] == [[0, 1, 2], [1, 2, 3]]
    for m in (bp, torch):
        with pytest.raises(RuntimeError, match="cannot sample n_sample"):
            m.multinomial(m.tensor([1.0, 2.0]), 3)
        with pytest.raises(RuntimeError):
            m.multinomial(m.tensor([1.0, -2.0]), 1)
        with pytest.raises(RuntimeError):
            m.bernoulli(m.tensor([1.5]))


def test_sampling_records_zero_gradients_as_torch():
    for m in (bp, torch):
        mean, std = m.tensor([1.0, 2.0], requires_grad=True), m.tensor([1.0, 1.0], requires_grad=True)
        p = m.tensor([0.3, 0.6], requires_grad=True)
        rate = m.tensor([1.0, 2.0], requires_grad=True)
        total = m.normal(mean, std).sum() + m.normal(mean, 2.0).sum() + m.bernoulli(p).sum() + m.poisson(rate).sum()
        assert total.requires_grad
        total.backward()
        assert [x.grad.tolist() for x in (mean, std, p, rate)] == [[0.0, 0.0]] * 4


@pytest.mark.parametrize("make", [
    lambda m: m.logspace(0, 3, 4), lambda m: m.logspace(-1, 1, 5, base=2), lambda m: m.logspace(0, 2, 3, dtype=m.float64),
    lambda m: m.tril_indices(3, 3), lambda m: m.tril_indices(4, 3, 1), lambda m: m.tril_indices(3, 4, -1),
    lambda m: m.triu_indices(3, 3), lambda m: m.triu_indices(4, 3, -1), lambda m: m.triu_indices(3, 5, 2),
    lambda m: m.tril_indices(0, 3), lambda m: m.triu_indices(3, 3, dtype=m.int32),
])
def test_deterministic_factories_equal_torchs(make):
    ours, theirs = make(bp), make(torch)
    assert name(ours.dtype) == name(theirs.dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("sizes", [(3,), (2, 3), (2, 3, 4)])
def test_meshgrid_equals_torchs_and_is_differentiable(indexing, sizes):
    arrays = [np.arange(1.0, n + 1) * (i + 1) for i, n in enumerate(sizes)]
    ours = [bp.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    a, b = bp.meshgrid(*ours, indexing=indexing), torch.meshgrid(*theirs, indexing=indexing)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == tuple(y.shape) and x.tolist() == y.tolist()
    weights = np.random.default_rng(0).standard_normal(tuple(b[0].shape))
    sum(((g * bp.tensor(weights)) ** 2).sum() for g in a).backward()
    sum(((g * torch.tensor(weights)) ** 2).sum() for g in b).backward()
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12)
    assert [g.shape for g in bp.meshgrid(ours, indexing=indexing)] == [g.shape for g in a]  # a list of tensors too


def test_complex_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="no complex dtypes"):
        bp.complex(bp.zeros(1), bp.zeros(1))
    assert not hasattr(bp, "cfloat")
