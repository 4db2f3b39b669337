"""Placeholder: being written."""


def Autoencoder(*args, **kwargs):
    raise NotImplementedError("Autoencoder")


def DenoisingAutoencoder(*args, **kwargs):
    raise NotImplementedError("DenoisingAutoencoder")
