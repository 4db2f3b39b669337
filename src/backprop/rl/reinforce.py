"""Placeholder: being written."""


def Reinforce(*args, **kwargs):
    raise NotImplementedError("Reinforce")
