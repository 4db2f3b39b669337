"""Representation learning and pretraining: what came before end-to-end training, and reusing what was learnt.

- ``Autoencoder`` (and its denoising form) learns a code h = f(W x + b)
  from which x is reconstructed; ``stacked_pretrain`` trains one layer at a
  time on the codes of the layer below and returns the encoder stack, to
  initialise a classifier (the lectures' "initialisation by a stacked
  autoencoder").
- ``RBM`` (Bernoulli units, contrastive divergence CD-k and persistent CD)
  and ``DBN``, the greedy layer-wise stack of RBMs of Hinton, Osindero and
  Teh (2006), fine-tuned as a feed-forward classifier.
- Transfer and multitask learning: ``freeze``/``unfreeze``,
  ``replace_last_layer`` ("only the last layer is adapted, the rest is
  inherited") and ``MultiTask``, one shared trunk with a head per task.
"""
from backprop.pretrain.autoencoder import Autoencoder, DenoisingAutoencoder
from backprop.pretrain.dbn import DBN
from backprop.pretrain.multitask import MultiTask
from backprop.pretrain.rbm import RBM
from backprop.pretrain.stacked import stacked_pretrain
from backprop.pretrain.transfer import freeze, replace_last_layer, unfreeze

__all__ = ["Autoencoder", "DenoisingAutoencoder", "stacked_pretrain", "RBM", "DBN", "freeze", "unfreeze",
           "replace_last_layer", "MultiTask"]
