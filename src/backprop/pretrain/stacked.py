"""Placeholder: being written."""


def stacked_pretrain(*args, **kwargs):
    raise NotImplementedError("stacked_pretrain")
