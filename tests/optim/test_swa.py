"""swa_utils against torch.optim.swa_utils: AveragedModel (SWA, EMA, avg_fn/multi_avg_fn, use_buffers),
update_bn and SWALR."""
import numpy as np
import pytest
import torch
from torch.optim import swa_utils as torch_swa

import backprop as bp
from backprop.optim import swa_utils

TOLERANCE = dict(rtol=1e-12, atol=1e-14)


def _models():
    """Linear -> BatchNorm1d -> ReLU -> Linear in float64, with torch's initial weights in ours."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    ours = bp.nn.Sequential(bp.nn.Linear(3, 4), bp.nn.BatchNorm1d(4), bp.nn.ReLU(), bp.nn.Linear(4, 2))
    ours.to(bp.float64)
    _load(ours, theirs)
    return ours, theirs


def _load(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def _train_a_little(ours, theirs, rng):
    """One step of torch's training (new weights and batch-norm statistics); ours gets the same state."""
    x = torch.tensor(rng.standard_normal((8, 3)))
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.3)
    theirs.train()
    theirs(x).pow(2).sum().backward()
    optimizer.step()
    optimizer.zero_grad()
    _load(ours, theirs)


def _assert_same(ours, theirs):
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(torchs)
    for key, value in torchs.items():
        np.testing.assert_allclose(mine[key].numpy(), value.numpy(), err_msg=key, **TOLERANCE)


AVERAGES = {
    "swa": lambda lib: {},
    "use_buffers": lambda lib: dict(use_buffers=True),
    "ema-avg_fn": lambda lib: dict(avg_fn=lib.get_ema_avg_fn(0.9)),
    "ema-multi_avg_fn": lambda lib: dict(multi_avg_fn=lib.get_ema_multi_avg_fn(0.8), use_buffers=True),
    "swa-multi_avg_fn": lambda lib: dict(multi_avg_fn=lib.get_swa_multi_avg_fn()),
    "swa-avg_fn": lambda lib: dict(avg_fn=lib.get_swa_avg_fn()),
}


@pytest.mark.parametrize("kind", list(AVERAGES))
def test_averaged_model_follows_torchs(kind):
    ours, theirs = _models()
    averaged = swa_utils.AveragedModel(ours, **AVERAGES[kind](swa_utils))
    reference = torch_swa.AveragedModel(theirs, **AVERAGES[kind](torch_swa))
    rng = np.random.default_rng(0)
    for update in range(6):
        _train_a_little(ours, theirs, rng)
        averaged.update_parameters(ours)
        reference.update_parameters(theirs)
        _assert_same(averaged, reference)  # module.* weights and buffers, and n_averaged
    assert averaged.n_averaged.item() == 6 and averaged.n_averaged.dtype == bp.int64
    x = rng.standard_normal((5, 3))
    averaged.eval()
    reference.eval()
    np.testing.assert_allclose(averaged(bp.tensor(x)).detach().numpy(), reference(torch.tensor(x)).detach().numpy(),
                               **TOLERANCE)
    # the average is its own copy: the model's weights moved on, the average's are not the model's
    assert not np.allclose(averaged.module[0].weight.detach().numpy(), ours[0].weight.detach().numpy())


def test_swa_is_the_plain_mean_of_the_weights_seen():
    model = bp.nn.Linear(2, 1).to(bp.float64)
    averaged = swa_utils.AveragedModel(model)
    seen = []
    rng = np.random.default_rng(1)
    for _ in range(5):
        weights = rng.standard_normal((1, 2))
        model.weight.data.copy_(bp.tensor(weights))
        seen.append(weights)
        averaged.update_parameters(model)
    np.testing.assert_allclose(averaged.module.weight.detach().numpy(), np.mean(seen, axis=0), rtol=1e-13)


def test_averaged_model_refuses_two_averaging_functions():
    with pytest.raises(ValueError, match="avg_fn or multi_avg_fn, not both"):
        swa_utils.AveragedModel(bp.nn.Linear(1, 1), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match=r"decay must be in \[0, 1\]"):
        swa_utils.get_ema_multi_avg_fn(1.5)


def test_update_bn_recomputes_the_statistics_as_torch():
    ours, theirs = _models()
    rng = np.random.default_rng(2)
    for _ in range(3):
        _train_a_little(ours, theirs, rng)
    batches = [rng.standard_normal((6, 3)) for _ in range(4)]
    ours.eval()
    theirs.eval()
    swa_utils.update_bn([(bp.tensor(b), 0) for b in batches], ours)  # (input, target) pairs: the input is used
    torch_swa.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    _assert_same(ours, theirs)
    assert not ours.training and ours[1].momentum == 0.1  # mode and momentum restored
    # the plain mean of the batches' statistics, not an exponential average
    hidden = [b @ ours[0].weight.detach().numpy().T + ours[0].bias.detach().numpy() for b in batches]
    np.testing.assert_allclose(ours[1].running_mean.numpy(), np.mean([h.mean(axis=0) for h in hidden], axis=0),
                               rtol=1e-12)


def test_update_bn_without_batch_norm_does_nothing():
    model = bp.nn.Linear(2, 2)
    before = model.weight.detach().numpy().copy()
    swa_utils.update_bn([bp.randn(3, 2)], model)
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)


SWALRS = [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.2], anneal_epochs=4, anneal_strategy="linear"),
          dict(swa_lr=0.02, anneal_epochs=0), dict(swa_lr=0.3, anneal_epochs=7, anneal_strategy="cos")]


@pytest.mark.parametrize("kwargs", SWALRS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_swalr_rates_are_torchs(kwargs):
    opt = bp.optim.SGD([{"params": [bp.nn.Parameter(bp.zeros(1))], "lr": lr} for lr in (0.1, 0.03)], lr=1.0)
    ref = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in (0.1, 0.03)], lr=1.0)
    ours, theirs = swa_utils.SWALR(opt, **kwargs), torch_swa.SWALR(ref, **kwargs)
    rates = []
    for epoch in range(30):
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        rates.append(ours.get_last_lr()[0])
        if epoch == 10:  # a round trip through the state dict mid-way
            state = ours.state_dict()
            ours = swa_utils.SWALR(opt, **kwargs)
            ours.load_state_dict(state)
        opt.step()
        ref.step()
        ours.step()
        theirs.step()
    swa_lr = kwargs["swa_lr"][0] if isinstance(kwargs["swa_lr"], list) else kwargs["swa_lr"]
    assert rates[-1] == pytest.approx(swa_lr) and [g["swa_lr"] for g in opt.param_groups] == \
        [g["swa_lr"] for g in ref.param_groups]


def test_swalr_checks_its_arguments():
    opt = bp.optim.SGD([bp.nn.Parameter(bp.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear'"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be an integer >= 0"):
        swa_utils.SWALR(opt, swa_lr=0.1, anneal_epochs=-1)
