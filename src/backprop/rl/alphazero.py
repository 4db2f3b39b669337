"""AlphaZero's loop (Silver et al. 2017, 2018) on a small board game: self-play with search, then backpropagation.

A policy-value network f(s) = (p, v) reads a position from the side to
move's view: p, a softmax over the moves with the illegal ones masked out,
and v = tanh(.) in [-1, 1], the expected result. Then, over and over:

1. self-play: the network plays games against itself, every move chosen by
   an MCTS guided by it (PUCT, ``backprop.rl.mcts``). Each position s of a
   game gives a training example (s, pi, z): pi = N(s, .) / sum N, the
   search's visit counts, and z the game's final result from the view of the
   side to move at s. The first moves are drawn in proportion to the visit
   counts (temperature 1), later ones are the most visited; Dirichlet noise
   at the root makes every move tried;
2. training: minimise over the examples of the last few iterations, by
   backpropagation,

       loss = -sum_a pi_a log p_a  +  (v - z)^2,

   the search's policy becoming the network's and the games' results its
   values (weight decay as L2). The search with the better network finds
   better moves, and the games better targets.

For tic-tac-toe the 8 symmetries of the board (rotations, reflections) give
8 examples per position. During one self-play iteration the network does not
change, so it is evaluated once on every reachable position in one batch
(``PolicyValueNet.table``) and the searches look its answers up.
"""
import numpy

from backprop import creation, nn, optim
from backprop.autograd import no_grad
from backprop.nn import functional as F
from backprop.rl import games as tictactoe
from backprop.rl.mcts import MCTS
from backprop.tensor import Tensor

__all__ = ["PolicyValueNet", "AlphaZero", "symmetries"]

MASKED = -1e9  # the logit of an illegal move: exp(MASKED - max) is exactly 0 in float32


class PolicyValueNet(nn.Module):
    """A shared MLP trunk on the encoded board, a policy head (9 logits, illegal moves masked) and a value head
    (tanh)."""

    def __init__(self, inputs=27, moves=9, hidden=(64, 64)):
        super().__init__()
        layers, width = [], inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.trunk = nn.Sequential(*layers)
        self.policy = nn.Linear(width, moves)
        self.value = nn.Linear(width, 1)

    def forward(self, x, legal):
        """(log p (N, moves) with log p = -1e9-ish on illegal moves, v (N,)) for features x and a bool mask ``legal``
        of the legal moves."""
        h = self.trunk(x)
        logits = self.policy(h).masked_fill(~legal, MASKED)
        return F.log_softmax(logits, dim=1), self.value(h).tanh().reshape(-1)

    def table(self, positions, game=tictactoe):
        """{board: (priors over legal_moves(board), value)} for every board of ``positions``, from one batch."""
        legal = numpy.zeros((len(positions), 9), dtype=bool)
        for row, board in enumerate(positions):
            legal[row, game.legal_moves(board)] = True
        with no_grad():
            log_p, v = self(Tensor._make(game.encode(positions)), Tensor._make(legal))
        p, v = numpy.exp(log_p.numpy().astype(numpy.float64)), v.numpy().astype(numpy.float64)
        return {board: (p[row][legal[row]].tolist(), float(v[row])) for row, board in enumerate(positions)}


def _cell_maps():
    """The 8 symmetries of the 3x3 board as permutations of the cells: new[i] = old[map[i]]."""
    grid = numpy.arange(9).reshape(3, 3)
    maps = []
    for turns in range(4):
        rotated = numpy.rot90(grid, turns)
        maps += [rotated.reshape(-1), numpy.fliplr(rotated).reshape(-1)]
    return numpy.stack(maps)


CELL_MAPS = _cell_maps()


def symmetries(board, pi):
    """The 8 (board, pi) pairs that the rotations and reflections of the board make of one example."""
    board, pi = numpy.asarray(board), numpy.asarray(pi)
    return [(tuple(int(c) for c in board[m]), pi[m]) for m in CELL_MAPS]


class AlphaZero:
    """Self-play and training of a ``PolicyValueNet`` on tic-tac-toe.

    ``simulations``: MCTS simulations per move; ``c``: PUCT's constant;
    ``noise=(alpha, eps)``: the root's Dirichlet noise; ``explore_moves``:
    the first moves of a self-play game drawn from the visit counts;
    ``window``: iterations whose examples are trained on. ``seed`` draws the
    initial weights (without moving backprop's generator) and seeds the
    NumPy generator of the games and the minibatches.
    """

    def __init__(self, *, hidden=(64, 64), simulations=50, c=1.5, noise=(1.0, 0.25), explore_moves=4, lr=3e-3,
                 weight_decay=1e-4, window=4, seed=0):
        self.simulations, self.c, self.noise, self.explore_moves = simulations, c, noise, explore_moves
        self.window = window
        with creation.fork_rng(seed):
            self.net = PolicyValueNet(hidden=hidden)
        self.optimizer = optim.Adam(self.net.parameters(), lr=lr, weight_decay=weight_decay)
        self.rng = numpy.random.default_rng(seed)
        self.buffer = []  # one list of (board, pi, z) per iteration
        self._table = None

    def evaluator(self):
        """The network as ``evaluate(board) -> (priors, value)`` for MCTS, looked up in a table made once."""
        if self._table is None:
            self._table = self.net.table(tictactoe.all_positions())
        table = self._table
        return lambda board: table[board]

    def player(self, simulations=None):
        """A greedy player: ``move(board)`` is the most visited move of an MCTS guided by the network (no noise)."""
        search = MCTS(self.evaluator(), tictactoe, simulations or self.simulations, c=self.c)
        return search.best_move

    def self_play(self, opening=None):
        """One game of the network against itself; its examples (board, pi, z). ``opening``: a first move to play
        instead of the search's choice (its example still has the search's pi)."""
        search = MCTS(self.evaluator(), tictactoe, self.simulations, c=self.c, noise=self.noise, rng=self.rng)
        board, history = tictactoe.EMPTY, []
        while not tictactoe.is_over(board):
            pi = search.search(board).policy()
            history.append((board, pi))
            if len(history) == 1 and opening is not None:
                move = opening
            else:
                move = self.rng.choice(9, p=pi) if len(history) <= self.explore_moves else int(pi.argmax())
            board = tictactoe.play(board, int(move))
        last = tictactoe.winner(board)  # 1 for X, -1 for O, 0 for a draw
        return [(b, pi, float(last * tictactoe.to_move(b))) for b, pi in history]

    def loss(self, boards, pis, zs):
        """-sum_a pi_a log p_a + (v - z)^2, averaged over the batch; (loss, policy part, value part)."""
        legal = Tensor._make(numpy.asarray(boards) == 0)
        log_p, v = self.net(Tensor._make(tictactoe.encode(boards)), legal)
        policy = -(Tensor._make(numpy.asarray(pis, dtype=numpy.float32)) * log_p).sum(dim=1).mean()
        value = F.mse_loss(v, Tensor._make(numpy.asarray(zs, dtype=numpy.float32)))
        return policy + value, policy, value

    def train(self, epochs=2, batch_size=256):
        """Minibatch Adam on the examples of the last ``window`` iterations (with their 8 symmetries); the mean
        (policy loss, value loss) of the last epoch."""
        examples = [(b, p, z) for game in self.buffer[-self.window:] for board, pi, z in game
                    for b, p in symmetries(board, pi)]
        boards = numpy.array([e[0] for e in examples])
        pis = numpy.stack([e[1] for e in examples])
        zs = numpy.array([e[2] for e in examples])
        for _ in range(epochs):
            order = self.rng.permutation(len(examples))
            parts = []
            for start in range(0, len(order), batch_size):
                index = order[start:start + batch_size]
                total, policy, value = self.loss(boards[index], pis[index], zs[index])
                self.optimizer.zero_grad()
                total.backward()
                self.optimizer.step()
                parts.append((policy.item(), value.item()))
        self._table = None
        return tuple(numpy.mean(parts, axis=0))

    def iteration(self, games, epochs=2, batch_size=256, openings=True):
        """``games`` self-play games, then training; (policy loss, value loss, examples played). With ``openings``
        game k opens on cell k mod 9, so that the games start from every opening alike."""
        played = [example for k in range(games) for example in self.self_play(k % 9 if openings else None)]
        self.buffer.append(played)
        return (*self.train(epochs, batch_size), len(played))
