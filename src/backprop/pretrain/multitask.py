"""Placeholder: being written."""


def MultiTask(*args, **kwargs):
    raise NotImplementedError("MultiTask")
