"""Monte-Carlo tree search for two-player games: PUCT guided by a policy-value function, or UCT with random rollouts.

One simulation walks down the tree from the root, at each node taking the
move a that maximises a score, until it reaches a position not yet in the
tree; it evaluates that leaf (a value v from the view of the side to move
there), adds it to the tree and walks back up, adding v to the total W(s, a)
of every edge on the way with the sign of the side that chose it, and 1 to
its visit count N(s, a). Q(s, a) = W(s, a) / N(s, a) is the mean value of a
move. A finished game is its own exact value.

- AlphaZero's PUCT (Silver et al. 2017): ``evaluate(board)`` is a network,
  giving prior probabilities P(s, .) over the legal moves and a value v, and

      score(s, a) = Q(s, a) + c P(s, a) sqrt(sum_b N(s, b) + 1) / (1 + N(s, a));

  unvisited moves have Q = 0. At the root of a self-play search the priors
  are mixed with Dirichlet noise, (1 - eps) P + eps Dir(alpha), so that every
  move gets tried.
- Pure MCTS (UCT, Kocsis & Szepesvari 2006): every move is tried once, then
  score(s, a) = Q(s, a) + c sqrt(ln sum_b N(s, b) / N(s, a)); a leaf's value
  is the result of one game played on from it by uniformly random moves.

After the simulations, the visit counts N(root, .) are the search's policy:
the most visited move is played, or one drawn in proportion to the counts.
Games come from a module with the interface of ``backprop.rl.games``
(``legal_moves``, ``play``, ``is_over``, ``result``).

>>> from backprop.rl import games
>>> board = (1, 1, 0, -1, -1, 0, 0, 0, 0)  # X to move: 2 wins at once
>>> MCTS(rollout_evaluator(games, seed=0), games, simulations=100, rule="uct").best_move(board)
2
"""
import math

import numpy

from backprop.checks import check_int

__all__ = ["MCTS", "Node", "rollout_evaluator", "uniform_evaluator"]


class Node:
    """A position in the search tree: its legal moves, their priors P, visit counts N, total values W, children."""

    __slots__ = ("board", "moves", "priors", "visits", "totals", "children", "terminal")

    def __init__(self, board, game):
        self.board = board
        self.terminal = game.result(board) if game.is_over(board) else None
        self.moves = None  # set when the node is expanded

    def expand(self, moves, priors):
        self.moves, self.priors = list(moves), list(priors)
        self.visits, self.totals = [0] * len(moves), [0.0] * len(moves)
        self.children = [None] * len(moves)

    def policy(self):
        """N(s, .) / sum N over the 9 cells (zero on illegal ones)."""
        counts = numpy.zeros(9)
        counts[self.moves] = self.visits
        return counts / max(counts.sum(), 1)


def uniform_evaluator(game):
    """Equal priors and value 0 for every position: search guided by nothing but the game's end."""
    def evaluate(board):
        moves = game.legal_moves(board)
        return [1.0 / len(moves)] * len(moves), 0.0
    return evaluate


def rollout_evaluator(game, seed=0):
    """Equal priors, and as value the result of one game played on from the position by random moves (from the view
    of the side to move there); the moves come from a NumPy generator seeded with ``seed``."""
    rng = numpy.random.default_rng(seed)

    def evaluate(board):
        moves = game.legal_moves(board)
        position, sign = board, 1
        while not game.is_over(position):
            options = game.legal_moves(position)
            position = game.play(position, options[rng.integers(len(options))])
            sign = -sign
        return [1.0 / len(moves)] * len(moves), sign * game.result(position)
    return evaluate


class MCTS:
    """Search ``simulations`` times from a position; ``evaluate(board) -> (priors over legal_moves(board), value)``.

    ``rule``: "puct" (AlphaZero: priors and values from ``evaluate``, constant
    ``c``) or "uct" (pure MCTS: every move once, then UCB1 with constant ``c``;
    the priors are not used). ``noise=(alpha, eps)`` mixes Dirichlet(alpha)
    noise into the root's priors, drawn from ``rng``.
    """

    def __init__(self, evaluate, game, simulations=50, c=1.5, rule="puct", noise=None, rng=None):
        if rule not in ("puct", "uct"):
            raise ValueError(f"MCTS: rule must be 'puct' or 'uct', got {rule!r}")
        self.simulations = check_int("MCTS: simulations", simulations, at_least=1)
        self.evaluate, self.game, self.c, self.rule = evaluate, game, c, rule
        self.noise, self.rng = noise, rng

    def _expand(self, node):
        priors, value = self.evaluate(node.board)
        node.expand(self.game.legal_moves(node.board), priors)
        return value

    def _select(self, node):
        """The index of the move with the highest score (the first one on ties)."""
        total, c = sum(node.visits), self.c
        best, best_score = 0, -math.inf
        if self.rule == "uct":
            log_total = math.log(max(total, 1))
            for i, (n, w) in enumerate(zip(node.visits, node.totals)):
                if n == 0:
                    return i
                score = w / n + c * math.sqrt(log_total / n)
                if score > best_score:
                    best, best_score = i, score
            return best
        scale = c * math.sqrt(total + 1)
        for i, (n, w, p) in enumerate(zip(node.visits, node.totals, node.priors)):
            score = (w / n if n else 0.0) + scale * p / (1 + n)
            if score > best_score:
                best, best_score = i, score
        return best

    def simulate(self, root):
        """One simulation from ``root``: down to a leaf, evaluate it, back up the value."""
        node, path = root, []
        while True:
            if node.terminal is not None:
                value = node.terminal
                break
            if node.moves is None:
                value = self._expand(node)
                break
            i = self._select(node)
            path.append((node, i))
            if node.children[i] is None:
                node.children[i] = Node(self.game.play(node.board, node.moves[i]), self.game)
            node = node.children[i]
        for parent, i in reversed(path):
            value = -value  # the side that chose move i sees the opposite of the side to move after it
            parent.visits[i] += 1
            parent.totals[i] += value

    def search(self, board):
        """The root after ``simulations`` simulations from ``board`` (a game not yet over)."""
        if self.game.is_over(board):
            raise ValueError(f"MCTS: the game is over on the board {board}, there is no move to search")
        root = Node(board, self.game)
        self._expand(root)
        if self.noise is not None:
            alpha, eps = self.noise
            dirichlet = self.rng.dirichlet([alpha] * len(root.moves))
            root.priors = [(1 - eps) * p + eps * d for p, d in zip(root.priors, dirichlet)]
        for _ in range(self.simulations):
            self.simulate(root)
        return root

    def best_move(self, board):
        """The most visited move after the search (the first of them on ties)."""
        root = self.search(board)
        return root.moves[int(numpy.argmax(root.visits))]
