"""LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
SequentialLR and ChainedScheduler against torch's (rates and momenta, exactly), their state dicts, and
step(epoch)'s closed forms."""
import warnings

import pytest
import torch

import backprop as bp
from backprop.optim import lr_scheduler

LRS = (0.1, 0.03)


def _decay(epoch):
    return 0.95 ** epoch


def _wobble(epoch):
    return 1.1 if epoch % 3 == 0 else 0.9


class Halving:
    """A callable object: its attributes go into the state dict (a function's do not)."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor ** (epoch // 4)


# name -> (optimizer class, its options, a function making the scheduler from (module, optimizer))
CASES = {
    "LambdaLR": ("SGD", {}, lambda m, o: m.LambdaLR(o, lr_lambda=_decay)),
    "LambdaLR-per-group": ("SGD", {}, lambda m, o: m.LambdaLR(o, lr_lambda=[_decay, lambda e: 1 / (1 + e)])),
    "MultiplicativeLR": ("SGD", {}, lambda m, o: m.MultiplicativeLR(o, lr_lambda=_wobble)),
    "ConstantLR": ("SGD", {}, lambda m, o: m.ConstantLR(o)),
    "ConstantLR-factor": ("SGD", {}, lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=7)),
    "PolynomialLR": ("SGD", {}, lambda m, o: m.PolynomialLR(o)),
    "PolynomialLR-power": ("SGD", {}, lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0)),
    "WarmRestarts": ("SGD", {}, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5)),
    "WarmRestarts-Tmult": ("SGD", {}, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3)),
    "CyclicLR": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    "CyclicLR-triangular2": ("SGD", dict(momentum=0.9), lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=6, mode="triangular2",
        base_momentum=[0.7, 0.8], max_momentum=0.95)),
    "CyclicLR-exp_range": ("SGD", {}, lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97, cycle_momentum=False)),
    "CyclicLR-Adam": ("Adam", {}, lambda m, o: m.CyclicLR(o, base_lr=1e-3, max_lr=1e-2, step_size_up=6)),
    "CyclicLR-scale_fn": ("SGD", dict(momentum=0.5), lambda m, o: m.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations")),
    "OneCycleLR": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=41)),
    "OneCycleLR-linear": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=9, anneal_strategy="linear", pct_start=0.25)),
    "OneCycleLR-three_phase": ("SGD", dict(momentum=0.9), lambda m, o: m.OneCycleLR(
        o, max_lr=0.5, total_steps=50, three_phase=True, div_factor=10.0, final_div_factor=100.0)),
    "OneCycleLR-Adam": ("Adam", {}, lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=45, pct_start=0.4)),
    "OneCycleLR-no-momentum": ("Adagrad", {}, lambda m, o: m.OneCycleLR(o, max_lr=0.01, total_steps=41,
                                                                        cycle_momentum=False)),
    "SequentialLR": ("SGD", {}, lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9)], milestones=[5])),
    "SequentialLR-three": ("SGD", {}, lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.2, total_iters=4), m.CosineAnnealingLR(o, T_max=8),
            m.StepLR(o, step_size=3, gamma=0.5)], milestones=[4, 15])),
    "ChainedScheduler": ("SGD", {}, lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.3, total_iters=6), m.ExponentialLR(o, gamma=0.95)])),
    "ChainedScheduler-with-optimizer": ("SGD", {}, lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=10), m.MultiStepLR(o, milestones=[7, 20])], optimizer=o)),
}


def _optimizers(name, options, lrs=LRS):
    ours = getattr(bp.optim, name)([{"params": [bp.nn.Parameter(bp.zeros(2))], "lr": lr} for lr in lrs],
                                   lr=1.0, **options)
    theirs = getattr(torch.optim, name)([{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs],
                                        lr=1.0, **options)
    return ours, theirs


def _momenta(optimizer):
    return [(group.get("momentum"), group.get("betas")) for group in optimizer.param_groups]


def _make(case, lrs=LRS):
    name, options, make = CASES[case]
    opt, ref = _optimizers(name, options, lrs)
    return opt, ref, make(lr_scheduler, opt), make(torch.optim.lr_scheduler, ref)


@pytest.mark.parametrize("case", list(CASES))
def test_rates_and_momenta_are_torchs_for_40_steps(case):
    opt, ref, ours, theirs = _make(case)
    seen = set()
    for epoch in range(40):
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"  # exactly: the same arithmetic
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref.param_groups]
        assert _momenta(opt) == _momenta(ref), f"epoch {epoch}"
        assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
        seen.add(ours.get_last_lr()[0])
        opt.step()
        ref.step()
        ours.step()
        theirs.step()
    assert len(seen) >= 2  # the schedule moved
    for group, expected in zip(opt.param_groups, ref.param_groups):
        assert group.keys() == expected.keys()  # initial_lr, max_lr, base_momentum ... as torch adds them


@pytest.mark.parametrize("through_file", [False, True], ids=["in-memory", "bp.save"])
@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip_mid_way_continues_identically(case, through_file, tmp_path):
    opt, _, ours, _ = _make(case)
    straight = []
    for _ in range(35):
        ours.step()
        straight.append((ours.get_last_lr(), _momenta(opt)))

    first_opt, _, first, _ = _make(case)
    for _ in range(15):
        first.step()
    optimizer_state, scheduler_state = first_opt.state_dict(), first.state_dict()
    # the state is plain values (no optimizer, no function), so it can go into a checkpoint
    assert "optimizer" not in scheduler_state and not any(callable(v) for v in scheduler_state.values())
    if through_file:
        bp.save({"param_groups": optimizer_state["param_groups"], "scheduler": scheduler_state},
                tmp_path / "checkpoint.safetensors")
        saved = bp.load(tmp_path / "checkpoint.safetensors")
        optimizer_state = {"state": {}, "param_groups": saved["param_groups"]}
        scheduler_state = saved["scheduler"]
    opt, _, resumed, _ = _make(case, lrs=(7.0, 9.0))
    opt.load_state_dict(optimizer_state)
    resumed.load_state_dict(scheduler_state)
    assert resumed.get_last_lr() == first.get_last_lr()
    for expected in straight[15:]:
        resumed.step()
        assert (resumed.get_last_lr(), _momenta(opt)) == expected


@pytest.mark.parametrize("case", ["LambdaLR", "ConstantLR-factor", "PolynomialLR-power", "WarmRestarts-Tmult",
                                  "CyclicLR-triangular2", "OneCycleLR-three_phase", "SequentialLR-three",
                                  "ChainedScheduler"])
def test_torchs_scheduler_state_dict_continues_in_backprop(case):
    """A checkpoint from torch (its optimizer's param_groups and its scheduler's state dict) resumes here."""
    _, ref, _, theirs = _make(case)
    for _ in range(12):
        ref.step()
        theirs.step()
    opt, _, ours, _ = _make(case, lrs=(7.0, 9.0))
    opt.load_state_dict({"state": {}, "param_groups": ref.state_dict()["param_groups"]})
    ours.load_state_dict(theirs.state_dict())
    for epoch in range(20):
        ref.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        assert _momenta(opt) == _momenta(ref)


def test_lambda_state_dict_keeps_a_callable_objects_attributes():
    opt, _ = _optimizers("SGD", {})
    halving = Halving()
    scheduler = lr_scheduler.LambdaLR(opt, lr_lambda=[halving, _decay])
    halving.factor = 0.25
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.25}, None]
    other = Halving()
    lr_scheduler.LambdaLR(_optimizers("SGD", {})[0], lr_lambda=[other, _decay]).load_state_dict(state)
    assert other.factor == 0.25


CLOSED_FORMS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5], gamma=0.5)),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("LinearLR", dict(start_factor=0.2, total_iters=6)),
    ("ExponentialLR", dict(gamma=0.8)),
    ("PolynomialLR", dict(total_iters=6, power=1.5)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01)),
]


@pytest.mark.parametrize("name,kwargs", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_step_with_an_epoch_uses_torchs_closed_form_and_warns(name, kwargs):
    opt, ref = _optimizers("SGD", {})
    ours = getattr(lr_scheduler, name)(opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(ref, **kwargs)
    for epoch in [3, 7, 1, 4, 4, 10, 0]:
        with pytest.warns(UserWarning, match="deprecated"):
            ours.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.step(epoch)
        assert ours.get_last_lr() == theirs.get_last_lr() and ours.last_epoch == theirs.last_epoch == epoch


@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_with_fractional_epochs_are_torchs(T_mult):
    opt, ref = _optimizers("SGD", {})
    ours = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=T_mult, eta_min=0.001)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(ref, T_0=2, T_mult=T_mult, eta_min=0.001)
    iterations = 4
    for epoch in range(8):
        for i in range(iterations):
            ours.step(epoch + i / iterations)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs.step(epoch + i / iterations)
            assert ours.get_last_lr() == theirs.get_last_lr()
            assert (ours.T_cur, ours.T_i, ours.last_epoch) == (theirs.T_cur, theirs.T_i, theirs.last_epoch)


def test_one_cycle_refuses_to_step_past_its_total():
    opt, _ = _optimizers("SGD", dict(momentum=0.9))
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match="tried to step 4 times; the specified number of total steps is 3"):
        scheduler.step()


@pytest.mark.parametrize("make,error,message", [
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, r"factor must be in \[0, 1\]"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=0.5), TypeError, "lr_lambda should be a function"),
    (lambda o: lr_scheduler.LambdaLR(o, lr_lambda=[_decay]), ValueError, "same length as optimizer.param_groups"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0 must be a positive integer"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult must be"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode must be 'triangular'"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0), ValueError, "optimizer must support momentum or beta1"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), ValueError, "either total_steps or"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1), ValueError, "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, anneal_strategy="exp", cycle_momentum=False), ValueError,
     "anneal_strategy must be 'cos' or 'linear'"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(o, 0.9)], milestones=[3]), ValueError,
     "one milestone fewer than schedulers"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "does not support ReduceLROnPlateau"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(_optimizers("SGD", {})[0], 0.9)],
                                             optimizer=o), ValueError, "belong to the same optimizer"),
])
def test_new_scheduler_arguments_are_checked(make, error, message):
    with pytest.raises(error, match=message):
        make(_optimizers("Adagrad", {})[0])


def test_reduce_on_plateau_takes_torchs_deprecated_epoch():
    opt, ref = _optimizers("SGD", {})
    ours = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, patience=0)
    for epoch, metric in [(3, 1.0), (4, 2.0), (9, 3.0)]:
        with pytest.warns(UserWarning, match="deprecated"):
            ours.step(metric, epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.step(metric, epoch)
        assert (ours.last_epoch, ours.get_last_lr()) == (theirs.last_epoch, theirs.get_last_lr())
    assert ours.get_last_lr() == [0.1 * 0.1 * 0.1, 0.03 * 0.1 * 0.1]  # worse twice: reduced twice


def test_stepping_the_scheduler_before_the_optimizer_warns_as_torch():
    opt, ref = _optimizers("SGD", {})
    ours, theirs = lr_scheduler.StepLR(opt, step_size=2), torch.optim.lr_scheduler.StepLR(ref, step_size=2)
    with pytest.warns(UserWarning, match=r"before optimizer.step\(\)"):
        ours.step()
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        theirs.step()
    opt, _ = _optimizers("SGD", {})
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()  # the right order: no warning
        scheduler.step()
