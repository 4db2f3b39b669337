"""The training loop: Trainer, callbacks, metrics, checkpoints, reports."""
from backprop.train import metrics
from backprop.train.callbacks import Callback, EarlyStopping, PrintLogger, ProgressBar
from backprop.train.checkpoint import load_checkpoint, save_checkpoint
from backprop.train.trainer import NonFiniteError, Trainer

__all__ = ["Trainer", "NonFiniteError", "Callback", "EarlyStopping", "ProgressBar", "PrintLogger", "metrics",
           "save_checkpoint", "load_checkpoint"]
