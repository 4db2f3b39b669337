"""Neocognitron: S-cells' response and competitive learning by hand, C-cells' tolerance to shifts, shapes."""
import numpy as np
import pytest

import backprop as bp
from backprop.classic import CCells, Neocognitron, SCells
from backprop.classic.neocognitron import window_weights


def s_cell_by_hand(a, b, c, r, patch):
    """Fukushima's S-cell on one patch (C, k, k), written element by element."""
    e = sum(a[ch, i, j] * patch[ch, i, j] for ch in range(patch.shape[0]) for i in range(3) for j in range(3))
    v = np.sqrt(sum(c[i, j] * patch[ch, i, j] ** 2 for ch in range(patch.shape[0]) for i in range(3) for j in range(3)))
    return r * max((1 + e) / (1 + r / (1 + r) * b * v) - 1, 0.0)


def test_window_weights_sum_to_one_and_fall_off_from_the_centre():
    c = window_weights(3)
    assert np.isclose(c.sum(), 1.0) and c[1, 1] > c[0, 1] > c[0, 0] and np.allclose(c, c.T)


def test_s_cells_response_matches_the_formula_at_every_position():
    rng = np.random.default_rng(0)
    s = SCells(2, 3, kernel_size=3, selectivity=2.0)
    s.weight.copy_(bp.tensor(rng.random((3, 2, 3, 3)), dtype=bp.float32))
    s.inhibition.copy_(bp.tensor([0.5, 2.0, 0.0], dtype=bp.float32))
    x = rng.random((2, 5, 6)).astype(np.float32)
    u = s(x).numpy()
    assert u.shape == (3, 5, 6)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    a, b, c = s.weight.numpy(), s.inhibition.numpy(), s.c.numpy()
    for k in range(3):
        for row in range(5):
            for col in range(6):
                patch = padded[:, row:row + 3, col:col + 3]
                assert np.isclose(u[k, row, col], s_cell_by_hand(a[k], b[k], c, 2.0, patch), rtol=1e-5, atol=1e-6)


def test_competitive_learning_reinforces_only_the_winner_towards_its_input():
    # a vertical bar; plane 0 (a vertical bar on a weaker ground) answers any ink more strongly than plane 1 (a weak
    # horizontal bar); plane 2 is blank
    x = np.zeros((1, 7, 7), dtype=np.float32)
    x[0, 2:5, 3] = 1.0
    vertical, horizontal = np.zeros((3, 3)), np.zeros((3, 3))
    vertical[:, 1], horizontal[1, :] = 1.0, 1.0
    s = SCells(1, 3, kernel_size=3, selectivity=4.0, lr=2.0, init=0.0)
    s.weight.copy_(bp.tensor(np.stack([0.5 + 0.5 * vertical, 0.25 * horizontal, np.zeros((3, 3))])[:, None],
                             dtype=bp.float32))
    before_a, before_b = s.weight.numpy().copy(), s.inhibition.numpy().copy()
    u = s(x).numpy()
    assert s.representatives(u)[0] == tuple(int(i) for i in np.unravel_index(np.argmax(u[0]), u[0].shape)) == (3, 3)
    learnt = s.reinforce(x).tolist()
    assert learnt == [True, False, False]
    patch = x[:, 2:5, 2:5]    # the 3x3 input of the cell at (3, 3)
    c = s.c.numpy()
    assert np.allclose(s.weight.numpy()[0], before_a[0] + 2.0 * c * patch, atol=1e-6)
    assert np.isclose(s.inhibition.numpy()[0], before_b[0] + 2.0 * np.sqrt((c * patch[0] ** 2).sum()), rtol=1e-6)
    assert np.array_equal(s.weight.numpy()[1:], before_a[1:]) and np.array_equal(s.inhibition.numpy()[1:], before_b[1:])


def test_each_plane_learns_the_patch_where_it_wins():
    # a vertical bar on the left, a horizontal bar on the right: each plane wins (only) its own bar
    x = np.zeros((1, 7, 11), dtype=np.float32)
    x[0, 2:5, 2] = 1.0
    x[0, 3, 7:10] = 1.0
    vertical, horizontal = np.zeros((3, 3)), np.zeros((3, 3))
    vertical[:, 1], horizontal[1, :] = 1.0, 1.0
    s = SCells(1, 2, kernel_size=3, selectivity=4.0, lr=1.0, init=0.0)
    start = np.stack([vertical, horizontal])[:, None]
    s.weight.copy_(bp.tensor(start, dtype=bp.float32))
    assert s.representatives(s(x).numpy()) == [(3, 2), (3, 8)]
    assert s.reinforce(x).tolist() == [True, True]
    c = s.c.numpy()
    assert np.allclose(s.weight.numpy()[0], start[0] + c * x[:, 2:5, 1:4], atol=1e-6)     # around (3, 2)
    assert np.allclose(s.weight.numpy()[1], start[1] + c * x[:, 2:5, 7:10], atol=1e-6)    # around (3, 8)


def test_representatives_pick_the_column_winners_largest_output():
    u = np.zeros((2, 2, 3), dtype=np.float32)
    u[0] = [[1.0, 5.0, 0.0], [2.0, 0.0, 0.0]]
    u[1] = [[3.0, 6.0, 0.0], [1.0, 0.0, 0.0]]
    s = SCells(1, 2)
    # plane 1 wins (0, 0) and (0, 1), largest at (0, 1); plane 0 wins only (1, 0); nobody wins where all are 0
    assert s.representatives(u) == [(1, 0), (0, 1)]
    assert s.representatives(np.zeros((2, 2, 2), dtype=np.float32)) == [None, None]


def test_planes_trained_on_a_vertical_bar_become_selective_to_it():
    bp.manual_seed(0)
    bars = np.zeros((2, 1, 6, 6), dtype=np.float32)
    bars[0, 0, 1:5, 2] = 1.0      # vertical
    bars[1, 0, 3, 1:5] = 1.0      # horizontal
    s = SCells(1, 4, kernel_size=3, selectivity=4.0)
    untrained_on_horizontal = s(bars[1]).numpy().max(axis=(1, 2))
    counts = s.fit(bars[:1], epochs=3).tolist()
    assert counts == [3, 3, 3, 3]      # at first every plane wins some column of the bar; then each keeps its own
    # before: every plane answered the horizontal bar a little; after learning vertical pieces none answers it
    assert (untrained_on_horizontal > 0).all()
    assert (s(bars[1]).numpy() == 0).all() and (s(bars[0]).numpy().max(axis=(1, 2)) > 0.5).all()


def test_c_cell_is_invariant_to_a_shift_within_its_pooling_field():
    for mode in ("mean", "max"):
        c = CCells(kernel_size=3, stride=3, alpha=0.5, mode=mode)
        u = np.zeros((1, 6, 6), dtype=np.float32)
        u[0, 0, 0] = 4.0                     # one active S-cell in the first 3x3 field (rows/cols -1..1)
        shifted = np.roll(u, 1, axis=2)      # moved one to the right: still inside the field
        out, moved = c(u).numpy(), c(shifted).numpy()
        assert out.shape == (1, 2, 2) and np.array_equal(out, moved)
        pooled = 4.0 / 9 if mode == "mean" else 4.0
        assert np.isclose(out[0, 0, 0], pooled / (0.5 + pooled)) and out[0, 1:, :].sum() == 0 == out[0, :, 1:].sum()
        # one more step leaves the field: the first C-cell goes quiet, the next one answers
        out2 = c(np.roll(shifted, 1, axis=2)).numpy()
        assert out2[0, 0, 0] == 0 and out2[0, 0, 1] > 0


def test_whole_plane_pooling_and_shapes():
    bp.manual_seed(0)
    net = Neocognitron([(SCells(1, 4), CCells(5, 1)), (SCells(4, 6), CCells(3, 2)), (SCells(6, 5), CCells(None))])
    x = np.zeros((3, 1, 20, 20), dtype=np.float32)
    x[:, :, 8:12, 9] = 1.0
    shapes = [tuple(o.shape) for o in net.layers(x)]
    assert shapes == [(3, 4, 20, 20), (3, 4, 20, 20), (3, 6, 20, 20), (3, 6, 10, 10), (3, 5, 10, 10), (3, 5, 1, 1)]
    counts = net.fit(x[:1])
    assert [len(c) for c in counts] == [4, 6, 5]
    # away from the borders, a shift by the product of the strides (2) moves every plane and leaves the last C-layer
    assert np.allclose(net(x).numpy(), net(np.roll(x, (2, -2), axis=(2, 3))).numpy(), atol=1e-6)
    assert tuple(net(x[0]).shape) == (5, 1, 1)


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match=r"SCells expects images of shape \(2, H, W\) or \(N, 2, H, W\), got shape \(3, 4, 4\)"):
        SCells(2, 3)(np.zeros((3, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="stage 1 takes 3 planes, stage 0 gives 4"):
        Neocognitron([(SCells(1, 4), CCells()), (SCells(3, 2), CCells())])
    with pytest.raises(ValueError, match="one image at a time"):
        SCells(1, 2).reinforce(np.zeros((2, 1, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="mode must be 'mean' or 'max'"):
        CCells(mode="sum")
    with pytest.raises(ValueError, match="SCells planes must be a positive int, got 0"):
        SCells(1, 0)
    with pytest.raises(TypeError, match="SCells kernel_size must be a positive int, got 2.5"):
        SCells(1, 2, kernel_size=2.5)
    with pytest.raises(ValueError, match="SCells selectivity must be a positive number, got 0"):
        SCells(1, 2, selectivity=0)
    with pytest.raises(ValueError, match="CCells stride must be a positive int, got 0"):
        CCells(3, stride=0)
    with pytest.raises(ValueError, match="CCells alpha must be a positive number, got -1"):
        CCells(alpha=-1)


def test_state_dict_keeps_the_learnt_weights():
    s = SCells(1, 2)
    assert set(s.state_dict()) == {"weight", "inhibition", "c"}
