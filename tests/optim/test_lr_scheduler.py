"""Every scheduler's learning rates against torch's, exactly, and their state dicts."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.optim import lr_scheduler

SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # 40 steps: down, up again, down
    ("CosineAnnealingLR", dict(T_max=7)),
    ("StepLR", dict(step_size=1.0, gamma=0.1)),  # the text-classification tutorial's float step
    ("CosineAnnealingLR", dict(T_max=4.0)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.8, total_iters=12)),
]
LRS = (0.1, 0.03)


def _optimizers(lrs=LRS):
    ours = bp.optim.SGD([{"params": [bp.nn.Parameter(bp.zeros(2))], "lr": lr} for lr in lrs], lr=1.0)
    theirs = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs], lr=1.0)
    return ours, theirs


def _case_id(case):
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[_case_id(c) for c in SCHEDULERS])
def test_learning_rates_are_torchs_for_40_steps(name, kwargs):
    opt, ref = _optimizers()
    ours = getattr(lr_scheduler, name)(opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(ref, **kwargs)
    assert [g["initial_lr"] for g in opt.param_groups] == [g["initial_lr"] for g in ref.param_groups] == list(LRS)
    seen = set()
    for epoch in range(40):
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"  # exactly: the same recursion
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref.param_groups]
        assert ours.last_epoch == theirs.last_epoch == epoch
        seen.add(ours.get_last_lr()[0])
        opt.step()
        ref.step()
        ours.step()
        theirs.step()
    assert len(seen) > 3  # the schedule moved


def test_cosine_annealing_resumed_at_an_epoch_uses_torchs_closed_form():
    opt, ref = _optimizers()
    for o in (opt, ref):
        for group in o.param_groups:
            group["initial_lr"] = group["lr"] * 2
    ours = lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=4)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(ref, T_max=10, last_epoch=4)
    for _ in range(12):
        assert ours.get_last_lr() == theirs.get_last_lr()
        ours.step()
        theirs.step()


def test_resuming_without_initial_lr_is_an_error():
    opt, _ = _optimizers()
    with pytest.raises(KeyError, match="param_groups\\[0\\] has no 'initial_lr'"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)


PLATEAUS = [
    dict(mode="min", factor=0.5, patience=2, cooldown=2),
    dict(mode="min", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.01, 0.02]),
    dict(mode="max", factor=0.5, patience=0, cooldown=1, threshold=0.1),
    dict(mode="max", patience=3, threshold_mode="abs", min_lr=0.005, eps=1e-3),
]
# falls, then plateaus (bad epochs trigger patience), small changes under the threshold, a late improvement
METRICS = [5.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.999, 2.0, 2.0, 2.5, 2.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.99, 0.98,
           1.5, 1.5, 1.5, 1.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2]


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_reduce_on_plateau_is_torchs(kwargs):
    opt, ref = _optimizers()
    ours = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **kwargs)
    metrics = METRICS if kwargs["mode"] == "min" else [-m for m in METRICS]
    lrs, cooldowns = [], []
    for epoch, metric in enumerate(metrics):
        ours.step(bp.tensor(metric, dtype=bp.float64) if epoch % 2 else metric)  # a 0-d Tensor too
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == (
            theirs.num_bad_epochs, theirs.cooldown_counter, theirs.best)
        lrs.append(ours.get_last_lr()[0])
        cooldowns.append(ours.cooldown_counter)
    assert "initial_lr" not in opt.param_groups[0]  # as torch: this one does not set it
    assert len(set(lrs)) >= 3  # patience ran out at least twice
    assert (max(cooldowns) > 0) == bool(kwargs.get("cooldown"))


def test_reduce_on_plateau_checks_its_arguments():
    opt, _ = _optimizers()
    for kwargs, message in [(dict(factor=1.0), "factor must be < 1.0"), (dict(mode="up"), "mode must be"),
                            (dict(threshold_mode="x"), "threshold_mode"), (dict(min_lr=[0.1]), "expected 2 min_lrs")]:
        with pytest.raises(ValueError, match=message):
            lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    with pytest.raises(TypeError, match="needs a bp.optim.Optimizer, got SGD"):
        lr_scheduler.ReduceLROnPlateau(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))]))


@pytest.mark.parametrize("make,message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size must be a positive number"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2.5]), "milestones must be integers"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max must be a positive number"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\]"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), r"end_factor must be in \[0, 1\]"),
])
def test_scheduler_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make(_optimizers()[0])


def _make(name, kwargs, opt):
    return getattr(lr_scheduler, name)(opt, **kwargs)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS + [("ReduceLROnPlateau", PLATEAUS[0])],
                         ids=[_case_id(c) for c in SCHEDULERS] + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_through_a_file_continues_identically(name, kwargs, tmp_path):
    plateau = name == "ReduceLROnPlateau"

    def advance(scheduler, epochs):
        lrs = []
        for epoch in epochs:
            scheduler.optimizer.step()
            scheduler.step(METRICS[epoch]) if plateau else scheduler.step()
            lrs.append(scheduler.get_last_lr())
        return lrs

    straight = _make(name, kwargs, _optimizers()[0])
    expected = advance(straight, range(30))

    first_opt = _optimizers()[0]
    first = _make(name, kwargs, first_opt)
    advance(first, range(10))
    bp.save({"optimizer": {"state": {}, "param_groups": first_opt.state_dict()["param_groups"]},
             "scheduler": first.state_dict()}, tmp_path / "checkpoint.safetensors")
    saved = bp.load(tmp_path / "checkpoint.safetensors")

    opt = _optimizers(lrs=(7.0, 9.0))[0]  # other rates: the loaded state brings back the right ones
    resumed = _make(name, kwargs, opt)
    opt.load_state_dict(saved["optimizer"])
    resumed.load_state_dict(saved["scheduler"])
    assert resumed.last_epoch == first.last_epoch and resumed.get_last_lr() == first.get_last_lr()
    assert advance(resumed, range(10, 30)) == expected[10:]


def test_multistep_state_dict_keeps_repeated_milestones():
    scheduler = lr_scheduler.MultiStepLR(_optimizers()[0], milestones=[4, 2, 4])
    state = scheduler.state_dict()
    assert state["milestones"] == [2, 4, 4]
    other = lr_scheduler.MultiStepLR(_optimizers()[0], milestones=[1])
    other.load_state_dict(state)
    assert dict(other.milestones) == {2: 1, 4: 2}
    np.testing.assert_equal(other.base_lrs, list(LRS))
