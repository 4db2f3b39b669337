"""Tests of backprop.explain. ``cnn_twins`` builds the same small CNN in backprop and torch (float64, torch's
weights and non-trivial batch-norm statistics copied), the reference for the explanation methods."""
import numpy as np
import torch

import backprop as bp
from nn.twin import copy_weights

IMAGE_SHAPE = (2, 8, 8)  # (C, H, W) of the inputs cnn_twins takes
CLASSES = 5


def _layers(nn):
    """conv - batch norm - ReLU - max pool - conv - ReLU - flatten - linear, named "0" to "7"."""
    return [nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, CLASSES)]


def cnn_twins(seed=0):
    """(ours, theirs): the same CNN in eval-ready float64, the batch norm with random running statistics."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(*_layers(torch.nn)).double()
    norm = theirs[1]
    with torch.no_grad():
        norm.running_mean.uniform_(-0.5, 0.5)
        norm.running_var.uniform_(0.5, 2.0)
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.2, 0.2)
    ours = bp.nn.Sequential(*_layers(bp.nn)).double()
    copy_weights(theirs, ours)
    return ours, theirs


def images(n=3, seed=0):
    """A batch of random float64 images (n, C, H, W)."""
    return np.random.default_rng(seed).standard_normal((n, *IMAGE_SHAPE))
