"""Placeholder: being written."""


def freeze(*args, **kwargs):
    raise NotImplementedError("freeze")


def replace_last_layer(*args, **kwargs):
    raise NotImplementedError("replace_last_layer")


def unfreeze(*args, **kwargs):
    raise NotImplementedError("unfreeze")
