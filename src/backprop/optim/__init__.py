"""Optimisers: move the weights against the gradient, one mini-batch at a time.

``Optimizer`` (the base), ``SGD``, ``Adagrad``, ``RMSprop``, ``Adam``,
``AdamW``, the ``lr_scheduler`` submodule and the ``MaxNorm`` constraint,
with PyTorch's names, arguments and update rules.
"""
from backprop.optim import lr_scheduler
from backprop.optim.adagrad import Adagrad
from backprop.optim.adam import Adam, AdamW
from backprop.optim.constraints import MaxNorm
from backprop.optim.optimizer import Optimizer
from backprop.optim.rmsprop import RMSprop
from backprop.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "MaxNorm", "lr_scheduler"]
