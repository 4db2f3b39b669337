"""Generative models (placeholder: being written)."""
