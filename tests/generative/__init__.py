"""Tests of backprop.generative. ``torch_mlp`` builds the torch twin of one of its MLPs (Flatten, then Linear and
activation per hidden width, then Linear: the same state-dict keys), float64, to copy the weights one-to-one."""
import torch

from nn.twin import copy_weights


def torch_mlp(n_in, n_out, hidden, activation=torch.nn.ReLU, last=None):
    layers, width = [torch.nn.Flatten()], n_in
    for size in hidden:
        layers += [torch.nn.Linear(width, size), activation()]
        width = size
    layers.append(torch.nn.Linear(width, n_out))
    if last is not None:
        layers.append(last())
    return torch.nn.Sequential(*layers).double()


def twin(ours, n_in, n_out, hidden, seed, **kwargs):
    """A torch MLP with fresh weights (torch's seed ``seed``), copied into ``ours``; ``ours`` made float64."""
    torch.manual_seed(seed)
    theirs = torch_mlp(n_in, n_out, hidden, **kwargs)
    copy_weights(theirs, ours.double())
    return theirs
