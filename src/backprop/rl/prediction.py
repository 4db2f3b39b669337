"""Placeholder: being written."""


def td0(*args, **kwargs):
    raise NotImplementedError("td0")
