"""Fooling a network: adversarial examples (placeholder: being written)."""
