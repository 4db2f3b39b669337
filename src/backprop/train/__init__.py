"""The training loop: Trainer, callbacks, metrics, checkpoints, reports."""
