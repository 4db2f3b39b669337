"""Datasets and the DataLoader that draws mini-batches from them (``torch.utils.data`` and torchvision's datasets).

>>> import backprop as bp
>>> loader = bp.data.DataLoader(bp.data.digits(), batch_size=64, shuffle=True, seed=0)
>>> images, labels = next(iter(loader))
>>> images.shape, labels.dtype
((64, 1, 8, 8), dtype('int64'))
"""
from backprop.data import datasets, text, transforms
from backprop.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from backprop.data.datasets import cifar10, digits, fashion_mnist, mnist, parity, sine, spirals, xor
from backprop.data.download import cache_dir
from backprop.data.loader import DataLoader, default_collate
from backprop.data.text import CharVocab, WordVocab, char_batches, docstrings, pad_batch, sentences

__all__ = [
    "CharVocab", "ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "WordVocab", "cache_dir",
    "char_batches", "cifar10", "datasets", "default_collate", "digits", "docstrings", "fashion_mnist", "mnist",
    "pad_batch", "parity", "random_split", "sentences", "sine", "spirals", "text", "transforms", "xor",
]
