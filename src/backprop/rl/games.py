"""Tic-tac-toe for game-tree search: the board, its legal moves, its result, and the perfect minimax player.

A board is a tuple of 9 cells read row by row (cell 3 r + c), each 1 for the
first player's mark (X), -1 for the second's (O), 0 when empty. X moves when
the marks are equal in number, O otherwise, so a board alone is a position.

``minimax(board)`` is the value of a position with perfect play from the side
to move's view (+1 win, 0 draw, -1 loss); it searches the whole game tree
below the position once and remembers every value (5478 positions can be
reached from the empty board), so a perfect player costs nothing after the
first call. The other functions remember their answers too: a search asks
them about the same few thousand positions again and again.

>>> minimax(EMPTY)      # tic-tac-toe is a draw
0
>>> board = (1, 1, 0,
...          -1, -1, 0,
...          0, 0, 0)   # X to move wins at cell 2
>>> minimax(board), optimal_moves(board)
(1, (2,))
"""
import functools

import numpy

__all__ = ["EMPTY", "LINES", "to_move", "legal_moves", "play", "winner", "is_over", "result", "minimax",
           "optimal_moves", "encode", "all_positions", "show"]

EMPTY = (0,) * 9
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def to_move(board):
    """1 when X is to move (as many X as O), -1 when O is."""
    return 1 if sum(board) == 0 else -1


@functools.lru_cache(maxsize=None)
def legal_moves(board):
    """The empty cells, in increasing order, as a tuple (none once the game is over)."""
    return () if winner(board) else tuple(cell for cell in range(9) if board[cell] == 0)


@functools.lru_cache(maxsize=None)
def play(board, move):
    """The board after the side to move puts its mark on ``move``."""
    if not 0 <= move < 9 or board[move] != 0:
        raise ValueError(f"tic-tac-toe: cell {move} is not an empty cell of the board {board}")
    return board[:move] + (to_move(board),) + board[move + 1:]


@functools.lru_cache(maxsize=None)
def winner(board):
    """1 when X has three in a line, -1 when O has, 0 otherwise."""
    for a, b, c in LINES:
        if board[a] != 0 and board[a] == board[b] == board[c]:
            return board[a]
    return 0


@functools.lru_cache(maxsize=None)
def is_over(board):
    return winner(board) != 0 or 0 not in board


def result(board):
    """The result of a finished game from the view of the side that would move next: -1 when the last mover won, 0
    for a draw (the side to move can never have won)."""
    return -1 if winner(board) else 0


@functools.lru_cache(maxsize=None)
def minimax(board):
    """The value of ``board`` under perfect play by both sides, from the side to move's view: 1, 0 or -1."""
    if is_over(board):
        return result(board)
    return max(-minimax(play(board, move)) for move in legal_moves(board))


def optimal_moves(board):
    """Every move that keeps the minimax value of ``board`` (a perfect player may choose any of them)."""
    value = minimax(board)
    return tuple(move for move in legal_moves(board) if -minimax(play(board, move)) == value)


def encode(boards):
    """Boards from the side to move's view as float32 features (N, 27): its own marks, the opponent's, the empty
    cells (three planes of 9), so that X and O positions look alike to a network."""
    array = numpy.asarray(boards, dtype=numpy.float32).reshape(-1, 9)
    mine = array * numpy.where(array.sum(axis=1, keepdims=True) == 0, 1.0, -1.0).astype(numpy.float32)
    return numpy.concatenate([mine == 1, mine == -1, mine == 0], axis=1).astype(numpy.float32)


@functools.lru_cache(maxsize=1)
def all_positions():
    """Every position reachable from the empty board in play (finished ones included), in a fixed order."""
    seen, order, frontier = {EMPTY}, [EMPTY], [EMPTY]
    while frontier:
        following = []
        for board in frontier:
            for move in legal_moves(board):
                child = play(board, move)
                if child not in seen:
                    seen.add(child)
                    order.append(child)
                    following.append(child)
        frontier = following
    return tuple(order)


def show(board):
    """The board as three lines of X, O and '.'."""
    marks = {1: "X", -1: "O", 0: "."}
    return "\n".join("".join(marks[board[3 * r + c]] for c in range(3)) for r in range(3))
