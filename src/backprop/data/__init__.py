"""Datasets and the DataLoader that draws mini-batches from them (``torch.utils.data`` and torchvision's datasets).

>>> import backprop as bp
>>> loader = bp.data.DataLoader(bp.data.digits(), batch_size=64, shuffle=True, seed=0)
>>> images, labels = next(iter(loader))
>>> tuple(images.shape), labels.dtype == bp.int64
((64, 1, 8, 8), True)
"""
from backprop.data import datasets, text, transforms
from backprop.data.collate import default_collate, default_convert
from backprop.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                                   TensorDataset, random_split)
from backprop.data.datasets import cifar10, digits, fashion_mnist, mnist, parity, sine, spirals, xor
from backprop.data.download import cache_dir
from backprop.data.loader import DataLoader, WorkerInfo, get_worker_info
from backprop.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                   WeightedRandomSampler)
from backprop.data.text import CharVocab, WordVocab, char_batches, docstrings, pad_batch, sentences

__all__ = [
    "BatchSampler", "ChainDataset", "CharVocab", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
    "TensorDataset", "WeightedRandomSampler", "WordVocab", "WorkerInfo", "cache_dir", "char_batches", "cifar10",
    "datasets", "default_collate", "default_convert", "digits", "docstrings", "fashion_mnist", "get_worker_info",
    "mnist", "pad_batch", "parity", "random_split", "sentences", "sine", "spirals", "text", "transforms", "xor",
]
