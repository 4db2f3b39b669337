"""Optimisers: move the weights against the gradient, one mini-batch at a time.

``Optimizer`` (the base), ``SGD``, ``Adagrad``, ``RMSprop``, ``Adam``,
``AdamW``, ``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``, ``ASGD``,
``Rprop``, ``LBFGS``, ``Adafactor``, ``Muon`` (``SparseAdam`` refuses: no
sparse gradients), the ``lr_scheduler`` and ``swa_utils`` submodules and the
``MaxNorm`` constraint, with PyTorch's names, arguments and update rules.
"""
from backprop.optim import lr_scheduler, swa_utils
from backprop.optim.adadelta import Adadelta
from backprop.optim.adafactor import Adafactor
from backprop.optim.adagrad import Adagrad
from backprop.optim.adam import Adam, AdamW
from backprop.optim.adamax import Adamax
from backprop.optim.asgd import ASGD
from backprop.optim.constraints import MaxNorm
from backprop.optim.lbfgs import LBFGS
from backprop.optim.muon import Muon
from backprop.optim.nadam import NAdam
from backprop.optim.optimizer import Optimizer
from backprop.optim.radam import RAdam
from backprop.optim.rmsprop import RMSprop
from backprop.optim.rprop import Rprop
from backprop.optim.sgd import SGD
from backprop.optim.sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax", "NAdam", "RAdam",
           "ASGD", "Rprop", "LBFGS", "Adafactor", "Muon", "SparseAdam", "MaxNorm", "lr_scheduler",
           "swa_utils"]
