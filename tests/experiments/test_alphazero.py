"""AlphaZero experiment's pieces: tic-tac-toe and its minimax, MCTS on known positions, the masked policy-value net
(against torch), the symmetries, self-play's targets, the enumeration of minimax's lines."""
import numpy
import pytest
import torch

from backprop.experiments import alphazero as experiment
from backprop.rl import games
from backprop.rl.alphazero import AlphaZero, PolicyValueNet, symmetries
from backprop.rl.mcts import MCTS, rollout_evaluator, uniform_evaluator
from backprop.tensor import Tensor

X, O = 1, -1


def board(text):
    """A board from 9 characters X, O and '.' read row by row."""
    return tuple({"X": X, "O": O, ".": 0}[c] for c in text.replace(" ", ""))


def negamax(position):
    """Minimax without memory, written independently: 1 win, 0 draw, -1 loss for the side to move."""
    marks = [position[a] for a, b, c in games.LINES if position[a] != 0 and position[a] == position[b] == position[c]]
    if marks:
        return -1  # the last mover made the line
    empty = [i for i in range(9) if position[i] == 0]
    if not empty:
        return 0
    mover = X if position.count(X) == position.count(O) else O
    return max(-negamax(position[:i] + (mover,) + position[i + 1:]) for i in empty)


def test_the_game_tree_has_the_known_numbers_of_positions():
    positions = games.all_positions()
    assert len(positions) == 5478 and len(set(positions)) == 5478
    assert sum(games.is_over(p) for p in positions) == 958  # finished games, a known count


def test_minimax_values_of_known_positions():
    assert games.minimax(games.EMPTY) == 0                 # tic-tac-toe is a draw
    assert games.optimal_moves(games.EMPTY) == tuple(range(9))  # every opening draws
    fork = board("XO. .X. ..O")   # X to move: 3 (threats at 5 and 6) or 6 (threats at 2 and 3) wins by force
    assert games.minimax(fork) == 1 and {3, 6} <= set(games.optimal_moves(fork))
    assert games.minimax(games.play(fork, 6)) == -1        # O to move cannot stop both threats
    lost = board("X.. .O. ..X")   # O to move must take an edge: a corner lets X fork
    assert games.minimax(lost) == 0 and set(games.optimal_moves(lost)) == {1, 3, 5, 7}
    assert games.minimax(board("XX. OO. ...")) == 1 and games.optimal_moves(board("XX. OO. ...")) == (2,)


def test_minimax_agrees_with_an_independent_search_on_midgame_positions():
    rng = numpy.random.default_rng(0)
    positions = [p for p in games.all_positions() if sum(c != 0 for c in p) >= 3]
    for index in rng.choice(len(positions), 60, replace=False):
        assert games.minimax(positions[index]) == negamax(positions[index])


def test_rules_of_the_game():
    assert games.to_move(games.EMPTY) == X and games.to_move(board("X.. ... ...")) == O
    assert games.winner(board("XXX OO. ...")) == X and games.winner(board("X.X OOO X..")) == O
    assert games.legal_moves(board("XXX OO. ...")) == ()      # a finished game has no moves
    assert games.result(board("XXX OO. ...")) == -1 and games.result(board("XOX XOO OXX")) == 0
    with pytest.raises(ValueError, match="cell 0 is not an empty cell"):
        games.play(board("X.. ... ..."), 0)


def test_encoding_is_from_the_side_to_move_view():
    x_to_move = board("XO. ... ...")
    o_to_move = board("OX. X.. ...")  # O to move; colours swapped, one X more
    a, b = games.encode([x_to_move, o_to_move])
    assert a[:9].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0] and a[9:18].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert b[:9].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0] and b[9:18].tolist() == [0, 1, 0, 1, 0, 0, 0, 0, 0]
    assert (a[18:] == (numpy.array(x_to_move) == 0)).all()


@pytest.mark.parametrize("rule, evaluate", [("puct", uniform_evaluator(games)), ("uct", rollout_evaluator(games))])
def test_mcts_takes_the_win_and_blocks_the_loss(rule, evaluate):
    search = MCTS(evaluate, games, simulations=200, c=1.5 if rule == "puct" else 2 ** 0.5, rule=rule)
    assert search.best_move(board("XX. OO. ...")) == 2          # X wins at once (O would win at 5)
    assert search.best_move(board("OO. XX. ...")) == 5          # X: its own win at 5, not the block at 2
    assert search.best_move(board("XX. OO. X..")) == 5          # O: its own win at 5
    assert search.best_move(board("XX. .O. ...")) == 2          # O must block at 2
    assert search.best_move(board("XO. .X. ..O")) in (3, 6)     # X makes a fork


def test_mcts_visit_counts_and_values_back_up_with_the_right_sign():
    root = MCTS(uniform_evaluator(games), games, simulations=100).search(board("XX. OO. ..."))  # X wins at 2
    i = root.moves.index(2)
    assert root.totals[i] == root.visits[i] > 0                 # every visit of the winning move is worth +1
    assert root.policy().sum() == pytest.approx(1) and root.policy()[[0, 1, 3, 4]].sum() == 0
    with pytest.raises(ValueError, match="the game is over"):
        MCTS(uniform_evaluator(games), games).search(board("XXX OO. ..."))
    with pytest.raises(ValueError, match="MCTS: simulations must be a positive int, got 0"):
        MCTS(uniform_evaluator(games), games, simulations=0)


def test_net_masks_illegal_moves_and_matches_torch():
    net = PolicyValueNet(hidden=(16,))
    boards = [board("XO. .X. ..O"), board("... ... ..."), board("XOX OXO ...")]
    legal = numpy.array(boards) == 0
    features = games.encode(boards)
    pis = numpy.where(legal, numpy.random.default_rng(0).random((3, 9)), 0).astype(numpy.float32)
    pis /= pis.sum(axis=1, keepdims=True)
    zs = numpy.array([1.0, 0.0, -1.0], dtype=numpy.float32)

    az = AlphaZero(hidden=(16,))
    az.net = net
    total, _, _ = az.loss(boards, pis, zs)
    total.backward()
    log_p, v = net(Tensor._make(features), Tensor._make(legal))
    p = numpy.exp(log_p.detach().numpy())
    assert (p[~legal] == 0).all() and p.sum(axis=1) == pytest.approx(numpy.ones(3), abs=1e-6)

    weights = {k: torch.tensor(t.detach().numpy()) for k, t in net.state_dict().items()}
    for t in weights.values():
        t.requires_grad_(True)
    h = torch.relu(torch.tensor(features) @ weights["trunk.0.weight"].T + weights["trunk.0.bias"])
    logits = (h @ weights["policy.weight"].T + weights["policy.bias"]).masked_fill(~torch.tensor(legal), -1e9)
    log_p_torch = torch.log_softmax(logits, dim=1)
    v_torch = torch.tanh(h @ weights["value.weight"].T + weights["value.bias"]).reshape(-1)
    loss = -(torch.tensor(pis) * log_p_torch).sum(dim=1).mean() + ((v_torch - torch.tensor(zs)) ** 2).mean()
    loss.backward()
    assert total.item() == pytest.approx(loss.item(), rel=1e-5)
    assert numpy.allclose(v.detach().numpy(), v_torch.detach().numpy(), atol=1e-6)
    for name, parameter in net.named_parameters():
        assert numpy.allclose(parameter.grad.numpy(), weights[name].grad.numpy(), atol=1e-6), name


def test_the_eight_symmetries_move_the_policy_with_the_board():
    position, pi = board("XO. ... ..."), numpy.eye(9)[5]
    images = symmetries(position, pi)
    assert len({b for b, _ in images}) == 8
    for image, p in images:
        assert games.minimax(image) == games.minimax(position)
        assert image[int(p.argmax())] == 0 and sorted(image) == sorted(position)
    assert any(b == board(".OX ... ...") and p.argmax() == 3 for b, p in images)  # the left-right mirror


def test_self_play_targets_are_visit_counts_and_results_from_the_mover_view():
    az = AlphaZero(simulations=10, seed=0)
    examples = az.self_play()
    finished = examples[-1][0]
    for position, pi, z in examples:
        assert pi.sum() == pytest.approx(1) and (pi[numpy.array(position) != 0] == 0).all()
    last_board = games.play(finished, int(examples[-1][1].argmax()))  # past explore_moves: the most visited move
    assert games.is_over(last_board)
    zs = [z for _, _, z in examples]
    assert all(a == -b for a, b in zip(zs, zs[1:]))  # the sides alternate, so does the result's sign
    assert zs[-1] == abs(games.winner(last_board))  # 1: the last mover won, 0: a draw


def test_lines_of_perfect_play_are_all_draws_and_a_naive_player_loses_some():
    perfect = lambda position: games.optimal_moves(position)[0]
    result = experiment.against_minimax(perfect)
    assert result["X"][0] == result["X"][2] == 0 and result["O"][0] == result["O"][2] == 0
    assert sum(result["O"]) > 9  # nine openings, each branching into several lines
    first_empty = lambda position: games.legal_moves(position)[0]
    assert experiment.against_minimax(first_empty)["O"][2] > 0


def test_a_match_is_fixed_by_its_seed_and_perfect_play_never_loses_it():
    perfect = lambda position: games.optimal_moves(position)[0]
    first = experiment.match(perfect, simulations=20, n_games=4, seed=3)
    assert first == experiment.match(perfect, simulations=20, n_games=4, seed=3)
    assert first[2] == 0 and sum(first) == 4


def test_self_play_opens_on_the_given_cell_and_keeps_the_search_policy_for_it():
    az = AlphaZero(simulations=10, seed=1)
    examples = az.self_play(opening=7)
    assert examples[0][0] == games.EMPTY and examples[1][0] == board("... ... .X.")
    assert examples[0][1].sum() == pytest.approx(1) and (examples[0][1] > 0).sum() > 1  # the search's visits
