"""AlphaZero on tic-tac-toe: self-play with a search guided by a network, learnt by backpropagation.

The lecture lists AlphaGo and AlphaZero among what deep learning does: a
policy-value network guides a Monte-Carlo tree search, the search plays
games against itself, and the network learns from those games the search's
move choices and the games' results (Silver et al. 2017, 2018). The loop
is ``backprop.rl.alphazero``, the search ``backprop.rl.mcts``, the game and
the perfect player ``backprop.rl.games``.

Two things are measured after training, with the same fixed number of
simulations per move for every search:

1. against the perfect player (minimax over the whole game tree): the agent
   plays greedily (most visited move, no noise), so it is deterministic, and
   every game the perfect player can make of it is enumerated: as X, the
   perfect player answers each position with every one of its optimal moves
   (each a line of its own); as O, the perfect player opens with each of its
   optimal first moves (all nine: every first move draws) and again answers
   with every optimal move. The claim: no line is lost. Also counted, and
   reported without entering the verdict: every line against an opponent who
   may play any legal move (the agent then never loses to anyone);
2. against pure MCTS (UCT with random rollouts) of the same budget, over a
   fixed set of games (the agent X in half of them, O in the other half, the
   rollouts seeded per game): the agent scores more (a win 1, a draw 1/2).

Full run: 16 iterations of 100 self-play games. Quick mode is the same run
stopped after its first 5 iterations (the same games and learning rates), and
checks the same two statements.
"""
import functools
import math

import numpy

from backprop.experiments.registry import experiment
from backprop.rl import games
from backprop.rl.alphazero import AlphaZero
from backprop.rl.mcts import MCTS, rollout_evaluator

UCT_C = math.sqrt(2)  # pure MCTS's exploration constant (UCB1's)
ITERATIONS, QUICK_ITERATIONS = 16, 5


def tally(outcome):
    """(wins, draws, losses) of one game as an int array: (1, 0, 0), (0, 1, 0) or (0, 0, 1) for outcome 1, 0, -1."""
    return numpy.array([outcome == 1, outcome == 0, outcome == -1], dtype=int)


def lines(move, side, opponent):
    """(wins, draws, losses) of the deterministic player ``move(board)`` playing ``side`` (1 = X, -1 = O) over every
    game in which the other side plays, at each of its turns, each move of ``opponent(board)``."""
    move = functools.lru_cache(maxsize=None)(move)

    def walk(board):
        if games.is_over(board):
            return tally(games.winner(board) * side)
        if games.to_move(board) == side:
            return walk(games.play(board, move(board)))
        return sum(walk(games.play(board, reply)) for reply in opponent(board))

    return walk(games.EMPTY)


def against_minimax(move, opponent=games.optimal_moves):
    """{"X": (wins, draws, losses), "O": (...)}: ``move`` against every line of the perfect player (or of any
    ``opponent``), as first and as second player."""
    return {"X": tuple(int(n) for n in lines(move, 1, opponent)),
            "O": tuple(int(n) for n in lines(move, -1, opponent))}


def pure_mcts(simulations, seed):
    """Pure MCTS (UCT, random rollouts from a generator seeded with ``seed``) as ``move(board)``."""
    return MCTS(rollout_evaluator(games, seed=seed), games, simulations, c=UCT_C, rule="uct").best_move


def play_game(x_move, o_move):
    """The winner (1 X, -1 O, 0 draw) of one game between two players ``move(board)``."""
    board = games.EMPTY
    while not games.is_over(board):
        board = games.play(board, (x_move if games.to_move(board) == 1 else o_move)(board))
    return games.winner(board)


def match(move, simulations, n_games, seed):
    """(wins, draws, losses) of ``move`` against pure MCTS of ``simulations`` over ``n_games`` games: game k has the
    agent as X when k is even, and pure MCTS's rollouts seeded with seed + k."""
    counts = numpy.zeros(3, dtype=int)
    for k in range(n_games):
        opponent = pure_mcts(simulations, seed + k)
        side = 1 if k % 2 == 0 else -1
        outcome = side * (play_game(move, opponent) if side == 1 else play_game(opponent, move))
        counts += tally(outcome)
    return tuple(int(n) for n in counts)


def score(counts):
    wins, draws, losses = counts
    return (wins + draws / 2) / max(wins + draws + losses, 1)


def _draw(report, history, simulations):
    steps = [row["iteration"] for row in history]
    with report.figure("alphazero.png", f"Left: lines lost against the perfect minimax player (every line of its "
                       f"optimal moves), as X and as O, after each self-play iteration (0: the untrained network). "
                       f"Middle: score against pure MCTS (random rollouts), both searches with {simulations} "
                       f"simulations a move: the score and the share of games lost. Right: the training losses.",
                       ncols=3, figsize=(14, 3.8)) as axes:
        if axes is None:
            return
        axes[0].plot(steps, [row["minimax"]["X"][2] for row in history], marker="o", label="agent X")
        axes[0].plot(steps, [row["minimax"]["O"][2] for row in history], marker="s", label="agent O")
        axes[0].set(xlabel="iteration", ylabel="lines lost", title="against minimax (0 = never loses)")
        axes[1].plot(steps, [score(row["pure"]) for row in history], marker="o", color="C2",
                     label="score (win 1, draw 1/2)")
        axes[1].plot(steps, [row["pure"][2] / sum(row["pure"]) for row in history], marker="s", color="C3",
                     label="share of games lost")
        axes[1].axhline(0.5, color="grey", linestyle=":")
        axes[1].set(xlabel="iteration", ylim=(0, 1), title="against pure MCTS, same budget")
        trained = [row for row in history if row["policy_loss"] is not None]
        axes[2].plot([row["iteration"] for row in trained], [row["policy_loss"] for row in trained],
                     marker="o", label="policy: -sum pi log p")
        axes[2].plot([row["iteration"] for row in trained], [row["value_loss"] for row in trained],
                     marker="s", label="value: (v - z)^2")
        axes[2].set(xlabel="iteration", ylabel="loss", title="training")
        for axis in axes:
            axis.grid(alpha=0.3)
            axis.legend(fontsize=8)


@experiment("alphazero", title="AlphaZero: self-play with search learns tic-tac-toe",
            claim="""Self-play with a Monte-Carlo tree search guided by a policy-value network, trained by
            backpropagation on the search's move choices and the games' results (AlphaZero's loop), learns
            tic-tac-toe: after training it never loses to a perfect minimax player over all openings, and it beats
            a pure MCTS of the same simulation budget.""")
def run(report, quick, seed):
    # quick mode is the full run's first iterations (the same games and learning-rate schedule), stopped early
    iterations, n_games, simulations, budget, window, match_games, final_games = (
        (QUICK_ITERATIONS, 100, 50, 50, 6, 6, 20) if quick else (ITERATIONS, 100, 50, 50, 6, 20, 100))
    az = AlphaZero(simulations=simulations, window=window, seed=seed)
    lr = az.optimizer.param_groups[0]["lr"]
    stopped = f" (quick mode stops after the first {iterations})" if quick else ""
    report.setup(f"""Tic-tac-toe (`backprop.rl.games`): the perfect player is minimax over the whole game tree
(5478 positions, each value remembered). The network (`backprop.rl.alphazero.PolicyValueNet`) reads the board from
the side to move's view (its marks, the opponent's, the empty cells: 27 inputs), two ReLU layers of 64, a policy
head of 9 logits with the illegal moves masked to -1e9 before the softmax, and a value head tanh(.). The search
(`backprop.rl.mcts`, PUCT with c = {az.c}) runs {simulations} simulations a move in self-play. Each of {iterations}
iterations plays {n_games} self-play games (game k opens on cell k mod 9, so every opening is played alike;
Dirichlet noise alpha = {az.noise[0]}, eps = {az.noise[1]} at the root; the first {az.explore_moves} moves drawn in
proportion to the visit counts, the first one excepted, then the most visited), and trains on the
examples of the last {window} iterations with their 8 board symmetries: {2} epochs of Adam (batches of 256,
weight decay 1e-4) on -sum pi log p + (v - z)^2, the learning rate falling linearly from {lr:g} to {lr / 10:g} over
{ITERATIONS} iterations{stopped}. After every iteration the greedy agent ({budget} simulations, no noise) is
measured against minimax (every line of its optimal moves, as X and as O) and against pure MCTS (UCT, c = sqrt 2,
random rollouts, the same {budget} simulations) over {match_games} fixed games; the final agent over {final_games}
games. Seed {seed}.""")

    history = []

    def measure(iteration, losses=(None, None, None)):
        move = az.player(budget)
        history.append({"iteration": iteration, "minimax": against_minimax(move),
                        "pure": match(move, budget, match_games, seed=1000 * seed),
                        "policy_loss": losses[0], "value_loss": losses[1], "examples": losses[2]})

    measure(0)
    for iteration in range(1, iterations + 1):
        az.optimizer.param_groups[0]["lr"] = lr * (1 - 0.9 * (iteration - 1) / (ITERATIONS - 1))
        measure(iteration, az.iteration(n_games))

    final = az.player(budget)
    versus_minimax = history[-1]["minimax"]
    versus_anyone = against_minimax(final, opponent=games.legal_moves)
    versus_pure = match(final, budget, final_games, seed=1000 * seed + 500)
    untrained = history[0]
    report.result("history", history)
    report.result("final", {"minimax": versus_minimax, "any_opponent": versus_anyone, "pure_mcts": versus_pure})

    report.table(["iteration", "self-play examples", "policy loss", "value loss", "minimax lines lost as X",
                  "as O", f"vs pure MCTS ({match_games} games) W/D/L", "score"],
                 [[row["iteration"], row["examples"] or "-",
                   "-" if row["policy_loss"] is None else row["policy_loss"],
                   "-" if row["value_loss"] is None else row["value_loss"],
                   f"{row['minimax']['X'][2]} of {sum(row['minimax']['X'])}",
                   f"{row['minimax']['O'][2]} of {sum(row['minimax']['O'])}",
                   "/".join(map(str, row["pure"])), score(row["pure"])] for row in history],
                 "Iteration 0 is the untrained network. Lines: every game minimax's optimal moves make against the "
                 "deterministic greedy agent.")
    report.table(["final agent against", "as X: W/D/L", "as O: W/D/L"],
                 [["perfect minimax, every optimal line", "/".join(map(str, versus_minimax["X"])),
                   "/".join(map(str, versus_minimax["O"]))],
                  ["any opponent, every legal line", "/".join(map(str, versus_anyone["X"])),
                   "/".join(map(str, versus_anyone["O"]))]],
                 "W/D/L counted over lines (each a distinct game), from the agent's view.")
    _draw(report, history, budget)

    never_loses = versus_minimax["X"][2] == 0 and versus_minimax["O"][2] == 0
    wins, draws, losses = versus_pure
    beats_pure = wins > losses and score(versus_pure) > 0.5
    lost_before = untrained["minimax"]["X"][2] + untrained["minimax"]["O"][2]
    report.text(f"""Against the perfect player the untrained network's search lost {lost_before} lines
({untrained['minimax']['X'][2]} as X, {untrained['minimax']['O'][2]} as O); after {iterations} iterations the agent
loses {versus_minimax['X'][2]} of {sum(versus_minimax['X'])} lines as X and {versus_minimax['O'][2]} of
{sum(versus_minimax['O'])} as O. Against every opponent, optimal or not, it loses {versus_anyone['X'][2]} of
{sum(versus_anyone['X'])} lines as X and {versus_anyone['O'][2]} of {sum(versus_anyone['O'])} as O, winning
{versus_anyone['X'][0] + versus_anyone['O'][0]} of them. Against pure MCTS with the same {budget} simulations
it wins {wins}, draws {draws} and loses {losses} of {final_games} games (score {score(versus_pure):.2f}); the
untrained network's search, with the terminal positions' exact values only, went
{"/".join(map(str, untrained["pure"]))} (W/D/L) in its {match_games} games (iteration 0 of the table).

Rules of the verdict: the final greedy agent loses no line against the perfect minimax player, as X or as O, and
against pure MCTS of the same budget it wins more games than it loses (score above 1/2).""")
    report.verdict(never_loses and beats_pure,
                   f"after {iterations} iterations of {n_games} self-play games, with {budget} simulations a move "
                   f"the agent {'never loses' if never_loses else 'still loses'} to perfect minimax (lost "
                   f"{versus_minimax['X'][2]} of {sum(versus_minimax['X'])} lines as X, {versus_minimax['O'][2]} of "
                   f"{sum(versus_minimax['O'])} as O; untrained: {lost_before} lines) and "
                   f"{'beats' if beats_pure else 'does not beat'} pure MCTS of the same budget "
                   f"({wins}/{draws}/{losses} W/D/L in {final_games} games, score {score(versus_pure):.2f}).")
