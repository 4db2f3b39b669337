"""Placeholder: being written."""


def ReplayBuffer(*args, **kwargs):
    raise NotImplementedError("ReplayBuffer")
