"""Optimisers: move the weights against the gradient, one mini-batch at a time."""
