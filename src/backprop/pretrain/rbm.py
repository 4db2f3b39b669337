"""Placeholder: being written."""


def RBM(*args, **kwargs):
    raise NotImplementedError("RBM")
