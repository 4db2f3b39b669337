"""Placeholder: being written."""


def plot(*args, **kwargs):
    raise NotImplementedError("plot")
