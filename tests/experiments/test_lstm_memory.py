"""The lstm_memory experiment's parts: the adding problem, its baseline, the hand-set carousel, the memory profile."""
import numpy
import pytest

import backprop as bp
from backprop.experiments import lstm_memory as M


def test_adding_problem_has_one_marker_per_half_and_the_marked_sum_as_target():
    x, y = M.adding_problem(300, 11, numpy.random.default_rng(0))
    x, y = x.numpy(), y.numpy()
    assert x.shape == (300, 11, 2) and y.shape == (300, 1) and x.dtype == numpy.float32
    values, markers = x[:, :, 0], x[:, :, 1]
    assert values.min() >= 0 and values.max() < 1 and set(numpy.unique(markers)) == {0.0, 1.0}
    assert (markers[:, :5].sum(axis=1) == 1).all() and (markers[:, 5:].sum(axis=1) == 1).all()
    assert numpy.allclose(y[:, 0], (values * markers).sum(axis=1), atol=1e-6)
    # every step of each half gets marked sometimes
    assert (markers.sum(axis=0) > 0).all()


@pytest.mark.parametrize("n, length, message", [(0, 10, "n must be a positive integer, got 0"),
                                                (5, 1, "length must be an integer >= 2"),
                                                (5, 2.5, "got 2.5")])
def test_adding_problem_rejects_bad_sizes(n, length, message):
    with pytest.raises(ValueError, match=message):
        M.adding_problem(n, length, numpy.random.default_rng(0))


def test_baseline_by_hand_and_the_variance_of_two_uniforms():
    assert M.baseline_mse(bp.tensor([[1.0], [2.0], [0.5]])) == pytest.approx((0 + 1 + 0.25) / 3)
    # v_a + v_b - 1 is triangular on [-1, 1]: variance 2/12, fourth moment 1/15, so the mean of
    # 200000 squares has standard error sqrt((1/15 - 1/36) / 200000) ~ 4.4e-4
    _, y = M.adding_problem(200_000, 2, numpy.random.default_rng(1))
    assert M.baseline_mse(y) == pytest.approx(1 / 6, abs=2e-3)


def test_adder_reads_out_the_last_hidden_state_and_rejects_other_cells():
    bp.manual_seed(0)
    model = M.Adder("rnn", hidden=4)
    x = bp.rand(3, 7, 2)
    last = model.recurrent(x)[0][:, -1]
    assert numpy.allclose(model(x).detach().numpy(), model.head(last).detach().numpy())
    assert model(x).shape == (3, 1) and isinstance(M.Adder("lstm").recurrent, bp.nn.LSTM)
    with pytest.raises(ValueError, match="cell must be 'lstm' or 'rnn' \\(tanh\\), got 'gru'"):
        M.Adder("gru")


def test_the_hand_set_carousel_adds_over_a_thousand_steps():
    x, y = M.adding_problem(50, 1000, numpy.random.default_rng(2))
    model = M.carousel_lstm()
    assert M.mse(model, x, y) < 1e-6
    # the answer's slope in each marked value is 1 however far back it lies
    profile = M.memory_profile(model, x)
    marked = ~numpy.isnan(profile)
    assert marked.sum() >= 50 and numpy.allclose(profile[marked], 1.0, atol=1e-3)


def test_memory_profile_of_a_linear_rnn_falls_as_a_power_of_the_lag():
    # hidden size 1, h_t = tanh(w v_t + a h_{t-1}), y = c h_T; with every value 0 the state stays 0 and
    # tanh'(0) = 1, so d y / d v_t = c w a^(T - 1 - t) exactly: the vanishing error signal
    a, w, c, length = 0.5, 2.0, 3.0, 8
    model = M.Adder("rnn", hidden=1)
    with bp.no_grad():
        for param in model.parameters():
            param.data[...] = 0
        model.recurrent.weight_ih_l0.data[0, 0] = w
        model.recurrent.weight_hh_l0.data[0, 0] = a
        model.head.weight.data[0, 0] = c
    x = numpy.zeros((3, length, 2), dtype=numpy.float32)
    x[0, [1, 6], 1] = x[1, [2, 5], 1] = x[2, [1, 7], 1] = 1
    profile = M.memory_profile(model, bp.tensor(x))
    for t in (1, 2, 5, 6, 7):
        assert profile[t] == pytest.approx(c * w * a ** (length - 1 - t))
    assert numpy.isnan(profile[[0, 3, 4]]).all()


def test_train_records_the_test_error_at_the_given_steps_and_leaves_no_gradient_behind():
    bp.manual_seed(0)
    model = M.Adder("lstm", hidden=4)
    test = M.adding_problem(20, 6, numpy.random.default_rng(3))
    before = M.mse(model, *test)
    history = M.train(model, 6, steps=5, rng=numpy.random.default_rng(4), test=test, every=2)
    assert history["steps"] == [0, 2, 4, 5] and len(history["test"]) == 4 and len(history["loss"]) == 5
    assert history["test"][0] == before and history["test"][-1] == M.mse(model, *test)
    M.memory_profile(model, test[0])
    assert all(param.grad is None for param in model.parameters())


def test_halves_by_hand():
    assert M._halves([1.0, float("nan"), 3.0, 0.0, 0.5, 1.0]) == [2.0, 0.5]
