"""Placeholder: being written."""


def DBN(*args, **kwargs):
    raise NotImplementedError("DBN")
