"""The replay buffer: a ring of the last `capacity` transitions, sampled uniformly from the filled slots."""
import numpy as np
import pytest

from backprop.rl import ReplayBuffer


def filled(capacity, count, seed=0):
    """A buffer holding transitions t = 0 .. count - 1 with s = (t, -t), a = t mod 3, r = t, s' = s + 1,
    done = t odd: every field of a row can be checked against its s."""
    buffer = ReplayBuffer(capacity, 2, seed=seed)
    for t in range(count):
        buffer.add([t, -t], t % 3, float(t), [t + 1, -t + 1], t % 2 == 1)
    return buffer


def test_the_oldest_transitions_are_overwritten():
    buffer = filled(5, 8)
    assert len(buffer) == 5
    # slots 0, 1, 2 took t = 5, 6, 7 (overwriting 0, 1, 2); slots 3, 4 still hold t = 3, 4
    assert buffer.observations[:, 0].tolist() == [5, 6, 7, 3, 4]
    samples = buffer.sample(500)["observations"][:, 0]
    assert set(samples.tolist()) == {3, 4, 5, 6, 7}


def test_sampling_uses_only_filled_slots():
    buffer = filled(100, 7)
    assert len(buffer) == 7
    samples = buffer.sample(2000)["observations"][:, 0]
    assert samples.min() == 0 and samples.max() == 6


def test_sampling_is_uniform():
    buffer = filled(10, 10)
    draws = 50_000
    counts = np.bincount(buffer.sample(draws)["observations"][:, 0].astype(int), minlength=10)
    expected = draws / 10
    chi_square = ((counts - expected) ** 2 / expected).sum()
    assert chi_square < 27.9   # the 0.1% quantile of chi^2 with 9 degrees of freedom


def test_a_sampled_row_is_one_whole_transition():
    batch = filled(16, 40).sample(300)
    s = batch["observations"]
    np.testing.assert_array_equal(s[:, 1], -s[:, 0])
    np.testing.assert_array_equal(batch["actions"], s[:, 0].astype(int) % 3)
    np.testing.assert_array_equal(batch["rewards"], s[:, 0])
    np.testing.assert_array_equal(batch["next_observations"], s + 1)
    np.testing.assert_array_equal(batch["dones"], s[:, 0] % 2)
    assert batch["actions"].dtype == np.int64 and s.dtype == np.float32 and s.shape == (300, 2)


def test_the_seed_fixes_the_draws():
    a, b, c = filled(10, 10, seed=1), filled(10, 10, seed=1), filled(10, 10, seed=2)
    first = a.sample(50)["observations"]
    np.testing.assert_array_equal(first, b.sample(50)["observations"])
    assert not np.array_equal(first, c.sample(50)["observations"])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, 2)
    buffer = ReplayBuffer(4, 2)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(1)
    with pytest.raises(ValueError, match="2 values"):
        buffer.add([1.0, 2.0, 3.0], 0, 0.0, [1.0, 2.0], False)
    buffer.add([1.0, 2.0], 0, 0.0, [1.0, 2.0], False)
    with pytest.raises(ValueError, match="batch_size"):
        buffer.sample(0)
