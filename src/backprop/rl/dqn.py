"""Placeholder: being written."""


def DQN(*args, **kwargs):
    raise NotImplementedError("DQN")
