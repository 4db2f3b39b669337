"""Reinforcement learning: from the table of Q-values to a network that approximates it.

- ``QLearning`` and ``Sarsa``: one row per state, one entry per action,
  Q(s, a) <- Q(s, a) + alpha (target - Q(s, a)), acting epsilon-greedily
  with a decaying epsilon.
- ``td0``: TD(0) prediction of V^pi with a table, a linear function or a
  network.
- ``DQN``: when the states no longer fit in a table, a network maps a state
  to the Q-value of each action; experience replay, a target network, the
  Huber loss, gradient clipping, double DQN.
- ``Reinforce``: the policy-gradient counterpart, with a baseline.
- ``AlphaZero``: self-play with a Monte-Carlo tree search (``MCTS``) guided by
  a policy-value network, on tic-tac-toe (``games``, with its perfect minimax
  player).

Every agent has ``act(observation, greedy=False)``, ``train(env, ...)``
returning the return of each episode, ``state_dict``/``load_state_dict``;
``evaluate(agent, env, episodes)`` plays greedy episodes. Environments come
from gymnasium (``make``), an optional extra.
"""
from backprop.rl import games
from backprop.rl.alphazero import AlphaZero
from backprop.rl.dqn import DQN
from backprop.rl.env import evaluate, make, run_episode, space_sizes
from backprop.rl.mcts import MCTS
from backprop.rl.prediction import td0
from backprop.rl.reinforce import Reinforce
from backprop.rl.replay import ReplayBuffer
from backprop.rl.tabular import QLearning, Sarsa

__all__ = ["make", "evaluate", "run_episode", "space_sizes", "QLearning", "Sarsa", "td0", "ReplayBuffer", "DQN",
           "Reinforce", "AlphaZero", "MCTS", "games"]
