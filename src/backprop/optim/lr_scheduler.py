"""Learning-rate schedules: change eta between epochs (or steps), as ``torch.optim.lr_scheduler``.

Call ``scheduler.step()`` after ``optimizer.step()``. Every scheduler but
ReduceLROnPlateau stores the starting rate as ``group["initial_lr"]`` and
computes the next rate from the current one, as torch does, so the values
agree with torch's to the last bit.
"""
import bisect
import math
import numbers
import types
import warnings
from collections import Counter

from backprop.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"a scheduler needs a bp.optim.Optimizer, got {type(optimizer).__name__}")


class LRScheduler:
    """Base: ``last_epoch`` counts the ``step()`` calls (-1 before the first, made at construction).

    A subclass implements ``get_lr()``: the new rate of every group, from
    ``self.last_epoch``, ``self.base_lrs`` and the groups' current ``"lr"``,
    and where it has one ``_get_closed_form_lr()``: the rates at
    ``last_epoch`` computed directly (used by ``step(epoch)`` and by
    ``SequentialLR`` at its milestones).
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{i}] has no 'initial_lr' to resume a scheduler with "
                                   f"last_epoch={last_epoch}; load the optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The step made at construction (``_is_initial`` lets ``get_lr`` keep the current rates)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        """Advance one epoch and set every group's ``"lr"``.

        ``step(epoch)`` (deprecated in torch, as here: it warns) jumps to
        ``epoch`` and uses the closed form where the scheduler has one.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn("lr_scheduler.step() was called before optimizer.step(): call them in the opposite "
                          "order, or the first value of the schedule is skipped", UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn("scheduler.step(epoch) is deprecated: call scheduler.step() once an epoch; the rate at "
                          "`epoch` comes from the closed form where there is one", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self):
        """The rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer, as plain values (so it survives ``bp.save``/``bp.load``)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state_dict).__name__}")
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """eta <- gamma eta every ``step_size`` epochs: eta_t = eta_0 gamma^(t // step_size).

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = StepLR(opt, step_size=2, gamma=0.5)
    >>> [(opt.step(), schedule.step(), schedule.get_last_lr()[0])[2] for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        # torch computes with any number (the text-classification tutorial passes 1.0): a positive real
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Real) or not step_size > 0:
            raise ValueError(f"StepLR: step_size must be a positive number, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """eta <- gamma eta at each epoch in ``milestones``.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(4)]
    [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in milestones):
            raise ValueError(f"MultiStepLR: milestones must be integers, got {milestones!r}")
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]

    def _get_closed_form_lr(self):
        passed = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]

    def state_dict(self):
        state = super().state_dict()
        state["milestones"] = sorted(self.milestones.elements())  # a list: JSON keys would turn ints to str
        return state

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        milestones = self.milestones
        if isinstance(milestones, dict):  # a Counter, or its str-keyed JSON form
            self.milestones = Counter({int(m): count for m, count in milestones.items()})
        else:
            self.milestones = Counter(int(m) for m in milestones)


class ExponentialLR(LRScheduler):
    """eta <- gamma eta every epoch: eta_t = eta_0 gamma^t.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.step(); schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts): eta_t = eta_min + (eta_0 - eta_min) (1 + cos(pi t / T_max)) / 2.

    Computed in torch's recursive form (each rate from the previous one), so
    that the values are torch's exactly; past T_max it rises again.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = CosineAnnealingLR(opt, T_max=2)
    >>> [round((schedule.step(), schedule.get_last_lr()[0])[1], 6) for _ in range(3)]
    [0.5, 0.0, 0.5]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if isinstance(T_max, bool) or not isinstance(T_max, numbers.Real) or not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive number, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:  # resumed at epoch t: the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min) + eta_min
                for lr in self._current()]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warm-up: the factor on eta_0 goes from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> [round(lr, 6) for lr in [schedule.get_last_lr()[0]] + [(schedule.step(), schedule.get_last_lr()[0])[1]
    ...                                                        for _ in range(3)]]
    [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change)
        return [lr * factor for lr in self._current()]

    def _get_closed_form_lr(self):
        change = self.end_factor - self.start_factor
        return [base * (self.start_factor + change * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


def _per_group(name, optimizer, value):
    """One value per parameter group: a list or tuple as given (of the right length), a single value repeated."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups: {name} has "
                             f"{len(value)} values, param_groups has {groups}")
        return list(value)
    return [value] * groups


def _lambdas(optimizer, lr_lambda):
    lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return lambdas


class _LambdaScheduler(LRScheduler):
    """A scheduler driven by ``lr_lambda`` (a function of the epoch, or one per group). Its state dicts leave
    the functions out (they do not save), but keep a callable object's attributes."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_LambdaScheduler):
    """eta_t = eta_0 lr_lambda(t): any schedule as a function of the epoch (one function, or one per group).

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))
    >>> [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(3)]
    [0.5, 0.3333333333333333, 0.25]
    """

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """eta_t = eta_{t-1} lr_lambda(t): the function gives the factor of each epoch.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
    >>> for _ in range(3):
    ...     schedule.step()
    >>> schedule.get_last_lr()  # halved three times
    [0.125]
    """

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current())]


class ConstantLR(LRScheduler):
    """eta_0 times ``factor`` for the first ``total_iters`` epochs, then eta_0 (a constant warm-up).

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> [schedule.get_last_lr()[0]] + [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(3)]
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor!r}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._current()
        return [lr * (1.0 / self.factor) for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """eta_t = eta_0 (1 - min(t, T) / T)^power, T = ``total_iters``: down to 0 at epoch T, then 0.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = PolynomialLR(opt, total_iters=4, power=2.0)
    >>> [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(5)]
    [0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        t, T = self.last_epoch, self.total_iters
        factor = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * factor for lr in self._current()]

    def _get_closed_form_lr(self):
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov and Hutter 2017): cosine annealing that restarts at eta_0 every cycle,
    eta = eta_min + (eta_0 - eta_min)(1 + cos(pi T_cur / T_i)) / 2, the cycles T_0, T_0 T_mult, ...

    ``step()`` advances one epoch; ``step(epoch)`` sets the (fractional) epoch,
    e.g. ``step(epoch + i / iters)`` within an epoch.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> [round((schedule.step(), schedule.get_last_lr()[0])[1], 6) for _ in range(4)]
    [0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got {T_0!r}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got {T_mult!r}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"CosineAnnealingWarmRestarts: eta_min must be a number, got {type(eta_min).__name__}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch!r}")
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:  # the cycle n where T_0 (1 + T_mult + ... + T_mult^(n-1)) <= epoch
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current()


def _set_momentum(optimizer, group, momentum):
    """The momentum CyclicLR and OneCycleLR cycle: SGD's ``momentum`` or Adam's beta1."""
    if "betas" in optimizer.defaults:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _momentum_bounds(optimizer, base_momentum, max_momentum, last_epoch):
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    bases = _per_group("base_momentum", optimizer, base_momentum)
    maxima = _per_group("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for group, base, maximum in zip(optimizer.param_groups, bases, maxima):
            _set_momentum(optimizer, group, maximum)
            group["max_momentum"], group["base_momentum"] = maximum, base
    return bases, maxima


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017), stepped after every batch: eta goes from ``base_lr`` up to
    ``max_lr`` in ``step_size_up`` steps and down in ``step_size_down`` (default the same).

    The amplitude is scaled per cycle: ``"triangular"`` keeps it,
    ``"triangular2"`` halves it every cycle, ``"exp_range"`` multiplies it by
    gamma^iteration (or ``scale_fn(x)`` of the cycle or the iteration, per
    ``scale_mode``). With ``cycle_momentum`` the momentum (SGD's momentum,
    Adam's beta1) moves the opposite way, between ``max_momentum`` and
    ``base_momentum``.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0, momentum=0.9)
    >>> schedule = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> [round((schedule.step(), schedule.get_last_lr()[0])[1], 6) for _ in range(5)]
    [0.3, 0.5, 0.3, 0.1, 0.3]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range' (or give a "
                             f"scale_fn), got {mode!r}")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom, self.scale_mode = scale_fn, scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums, self.max_momentums = _momentum_bounds(optimizer, base_momentum, max_momentum,
                                                                       last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is None and self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        elif self._scale_fn_custom is None:
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """The amplitude's factor at cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # the position in the cycle, in [0, 1)
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        amplitude = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (maximum - base) * scale * amplitude for base, maximum in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, base, maximum in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(self.optimizer, group, maximum - (maximum - base) * scale * amplitude)
        return lrs

    def state_dict(self):
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, types.FunctionType) else dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin 2019), stepped after every batch: eta rises from max_lr / div_factor
    to ``max_lr`` over the first ``pct_start`` of ``total_steps`` (or ``epochs * steps_per_epoch``), then
    anneals (``"cos"`` or ``"linear"``) to max_lr / (div_factor final_div_factor).

    ``three_phase=True`` comes back down to the start over a second equal
    phase before the final annealing. With ``cycle_momentum`` the momentum
    (SGD's momentum, Adam's beta1) moves the opposite way, between
    ``max_momentum`` and ``base_momentum``. Stepping past ``total_steps`` is
    an error.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0, momentum=0.9)
    >>> schedule = OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear",
    ...                       div_factor=4.0, final_div_factor=1.0)  # up over steps 0..4, down over 4..9
    >>> lrs = [schedule.get_last_lr()[0]] + [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(9)]
    >>> [round(lr, 4) for lr in lrs]
    [0.25, 0.4375, 0.625, 0.8125, 1.0, 0.85, 0.7, 0.55, 0.4, 0.25]
    >>> round(opt.param_groups[0]["momentum"], 4)  # the momentum went down and back up
    0.95
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: total_steps must be a positive integer, got {total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise ValueError(f"OneCycleLR: {name} must be a positive integer, got {value!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps or (epochs and steps_per_epoch)")
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self._anneal_func_type = anneal_strategy
        # (last step of the phase, its start and end rates and momenta, by group key)
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
                       "max_momentum"),
                      (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                      (self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        keys = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
        self._schedule_phases = [dict(zip(keys, phase)) for phase in phases]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, maximum in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = maximum / div_factor
                group["max_lr"] = maximum
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            _momentum_bounds(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; the specified number of total steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                if step <= phase["end_step"] or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (phase["end_step"] - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        _set_momentum(self.optimizer, group, self._anneal(group[phase["start_momentum"]],
                                                                          group[phase["end_momentum"]], pct))
                    break
                start = phase["end_step"]
        return lrs


def _check_members(container, optimizer, schedulers):
    name = type(container).__name__
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name}: the scheduler at index {i} should have `optimizer` as its attribute")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{name} does not support ReduceLROnPlateau (its step needs the metric), "
                             f"got one at index {i}")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{name} expects all schedulers to belong to the same optimizer; the "
                             f"{type(scheduler).__name__} at index {i} has another one")


class _Container:
    """State dicts of a scheduler of schedulers: its own attributes plus each scheduler's state dict."""

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, scheduler_state in zip(self._schedulers, saved):
            scheduler.load_state_dict(scheduler_state)


class SequentialLR(_Container, LRScheduler):
    """One scheduler after another: ``schedulers[i]`` runs from ``milestones[i-1]``, restarted there at its
    epoch 0 (e.g. a LinearLR warm-up, then CosineAnnealingLR).

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> warmup = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> schedule = SequentialLR(opt, [warmup, decay], milestones=[2])
    >>> [schedule.get_last_lr()[0]] + [(schedule.step(), schedule.get_last_lr()[0])[1] for _ in range(4)]
    [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, got none")
        _check_members(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo what the schedulers' construction did
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def recursive_undo(self, sched=None):
        """Take back the initial step of every scheduler (inside nested containers too)."""
        scheduler = self if sched is None else sched
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self.recursive_undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a milestone: this scheduler starts, at its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Container, LRScheduler):
    """Several schedulers at once: each ``step()`` steps them all in order (their factors multiply).

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.9)])
    >>> [round(lr, 4) for lr in [schedule.get_last_lr()[0]] + [(schedule.step(), schedule.get_last_lr()[0])[1]
    ...                                                        for _ in range(3)]]
    [0.5, 0.45, 0.81, 0.729]
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained, got none")
        optimizer = optimizer or schedulers[0].optimizer
        _check_members(self, optimizer, schedulers)
        self._schedulers, self.optimizer = schedulers, optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]


class ReduceLROnPlateau(LRScheduler):
    """Early-stopping's cousin: eta <- max(factor eta, min_lr) once the metric has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs before counting again.

    ``mode="min"`` (a loss) or ``"max"`` (an accuracy); an epoch improves on the
    best when it beats it by ``threshold`` (relative: best (1 -/+ threshold);
    absolute: best -/+ threshold). Changes smaller than ``eps`` are skipped.
    Call ``step(metric)`` once an epoch.

    >>> import backprop as bp
    >>> opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=1.0)
    >>> schedule = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for loss in [3.0, 2.0, 2.0, 2.0]:
    ...     schedule.step(loss)
    >>> schedule.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer, self.factor = optimizer, factor
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(f"ReduceLROnPlateau: expected {groups} min_lrs (one per group), got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * groups
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current()
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.threshold_mode == "rel":
            scale = 1.0 - self.threshold if self.mode == "min" else 1.0 + self.threshold
            return a < best * scale if self.mode == "min" else a > best * scale
        return a < best - self.threshold if self.mode == "min" else a > best + self.threshold

    def step(self, metrics, epoch=None):
        """Record this epoch's ``metrics`` (a number or a one-element Tensor); reduce eta on a plateau.

        ``epoch`` (deprecated in torch, as here: it warns) sets ``last_epoch``.
        """
        current = float(metrics)
        if epoch is not None:
            warnings.warn("scheduler.step(metrics, epoch) is deprecated: call scheduler.step(metrics) once an epoch",
                          UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current()

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} param groups, "
                                   f"min_lrs {len(self.min_lrs)}; set min_lrs to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new
