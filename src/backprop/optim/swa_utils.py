"""Weight averaging, as ``torch.optim.swa_utils``: stochastic weight averaging (SWA) and exponential moving
averages (EMA) of a model's weights, the SWA learning-rate schedule, and recomputing batch-norm statistics.

SWA (Izmailov et al. 2018): late in training, with a constant or cyclical
rate, average the weights visited, w_swa <- w_swa + (w - w_swa) / (n + 1);
the average lies in a flatter region of the loss and often generalises
better. An EMA keeps w_ema <- decay w_ema + (1 - decay) w instead.
"""
import copy
import itertools
import math

from backprop import autograd, creation, dtypes
from backprop.nn.module import Module
from backprop.nn.normalization import _BatchNorm
from backprop.optim.lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay!r}")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA over lists of Tensors: w_ema <- w_ema + (1 - decay)(w - w_ema) (torch's lerp)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with autograd.no_grad():
            for ema, current in zip(ema_param_list, current_param_list):
                if ema.is_floating_point():
                    ema.lerp_(current, 1 - decay)
                else:
                    ema.copy_(ema * decay + current * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean over lists of Tensors: w_swa <- w_swa + (w - w_swa) / (n + 1)."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with autograd.no_grad():
            weight = float(1 / (num_averaged + 1))  # n a Tensor: the weight in the default dtype, as torch
            for averaged, current in zip(averaged_param_list, current_param_list):
                if averaged.is_floating_point():
                    averaged.lerp_(current, weight)
                else:
                    averaged.add_(current - averaged, alpha=weight)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``avg_fn(w_ema, w, n)`` returning decay w_ema + (1 - decay) w."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with autograd.no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """``avg_fn(w_swa, w, n)`` returning w_swa + (w - w_swa) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with autograd.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (its ``module``) whose weights are the running average of the model's, updated by
    ``update_parameters(model)``; calling it runs the copy.

    The average is SWA's equal-weight mean unless ``avg_fn(averaged, current,
    n)`` (returning the new average of one Tensor) or ``multi_avg_fn``
    (updating lists of Tensors in place, e.g. ``get_ema_multi_avg_fn(0.999)``)
    says otherwise. The first update copies the weights. ``use_buffers=True``
    averages the buffers too (batch-norm statistics); otherwise they are copied
    from the model at each update, and ``update_bn`` recomputes them for the
    averaged weights. ``n_averaged`` (a buffer) counts the updates.

    >>> import backprop as bp
    >>> model = bp.nn.Linear(1, 1, bias=False)
    >>> swa = AveragedModel(model)
    >>> for w in [1.0, 2.0, 6.0]:
    ...     _ = model.weight.data.fill_(w)
    ...     swa.update_parameters(model)
    >>> swa.module.weight.item(), swa.n_averaged.item()  # (1 + 2 + 6) / 3
    (3.0, 3)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", creation.tensor(0, dtype=dtypes.int64, device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current weights (and with ``use_buffers`` its buffers) into the average."""
        if self.use_buffers:
            averaged = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            current = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            averaged, current = list(self.parameters()), list(model.parameters())
        averaged = [p.detach() for p in averaged]
        current = [p.detach().to(a.device) for p, a in zip(current, averaged)]
        n = self.n_averaged
        with autograd.no_grad():
            if n.item() == 0:
                for a, c in zip(averaged, current):
                    a.copy_(c)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, n)
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for a, c in zip(averaged, current):
                    a.copy_(avg_fn(a, c, n))
            if not self.use_buffers:
                for mine, theirs in zip(self.module.buffers(), model.buffers()):
                    mine.copy_(theirs.detach().to(mine.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """Recompute every batch-norm layer's running statistics with one pass over ``loader`` (the plain average
    over its batches, momentum=None), e.g. for an ``AveragedModel``, whose averaged weights the statistics
    collected during training do not fit. A batch that is a list or tuple contributes its first element."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with autograd.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """The SWA schedule: anneal every group's rate to ``swa_lr`` over ``anneal_epochs`` epochs (``"cos"`` or
    ``"linear"``), then hold it.

    At step t, alpha = a(min(1, t / anneal_epochs)) with a(t) = (1 - cos(pi t)) / 2
    or a(t) = t, and eta = alpha swa_lr + (1 - alpha) eta_start, computed as
    torch does from the current rate.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = SWALR(opt, swa_lr=0.2, anneal_epochs=4, anneal_strategy="linear")
    >>> [round((opt.step(), schedule.step(), schedule.get_last_lr()[0])[2], 6) for _ in range(5)]
    [0.8, 0.6, 0.4, 0.2, 0.2]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self._anneal_strategy = anneal_strategy
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an integer >= 0, got {anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        if self._anneal_strategy == "cos":
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The starting rate that the rate ``lr`` at annealing fraction alpha came from."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        starts = [self._get_initial_lr(group["lr"], group["swa_lr"], previous) for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, starts)]
