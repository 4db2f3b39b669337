"""Placeholder: being written."""


def QLearning(*args, **kwargs):
    raise NotImplementedError("QLearning")


def Sarsa(*args, **kwargs):
    raise NotImplementedError("Sarsa")
