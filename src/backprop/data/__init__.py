"""Datasets and the DataLoader that draws mini-batches from them."""
