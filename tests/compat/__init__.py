"""Tests of backprop.compat: the torch import hook, `backprop run`, the torchvision subset, docs/api.md."""
