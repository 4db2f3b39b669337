"""Placeholder: being written."""


def saliency(*args, **kwargs):
    raise NotImplementedError("saliency")


def gradient_x_input(*args, **kwargs):
    raise NotImplementedError("gradient_x_input")


def integrated_gradients(*args, **kwargs):
    raise NotImplementedError("integrated_gradients")
