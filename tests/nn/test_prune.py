"""nn.utils.prune against torch 2.13: the same masks for the same weights (magnitude, structured, global, repeated
pruning), the same counts for the random methods, state_dict keys, outputs and gradients, remove and errors."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401  (not imported by torch.nn.utils)

import backprop as bp
from tests.nn.twin import compare_module

P, TP = bp.nn.utils.prune, torch.nn.utils.prune
X = np.random.default_rng(0).standard_normal((4, 6)).astype("float32")


def _pair(make=lambda lib: lib.nn.Linear(6, 5)):
    torch.manual_seed(0)
    theirs = make(torch)
    ours = make(bp)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _mask(module, name="weight"):
    mask = getattr(module, name + "_mask")
    return mask.detach().numpy() if isinstance(mask, bp.Tensor) else mask.numpy()


STEPS = {
    "l1": [("l1_unstructured", {"amount": 0.3})],
    "l1 count": [("l1_unstructured", {"amount": 7})],
    "l1 twice": [("l1_unstructured", {"amount": 0.3}), ("l1_unstructured", {"amount": 0.5})],
    "ln rows": [("ln_structured", {"amount": 2, "n": 2, "dim": 0})],
    "ln columns then l1": [("ln_structured", {"amount": 0.5, "n": 1, "dim": -1}),
                           ("l1_unstructured", {"amount": 0.2})],
    "l1 then ln": [("l1_unstructured", {"amount": 0.2}), ("ln_structured", {"amount": 1, "n": float("inf"),
                                                                           "dim": 0})],
    "identity": [("identity", {})],
}


@pytest.mark.parametrize("steps", STEPS.values(), ids=list(STEPS))
def test_deterministic_pruning_as_torch(steps):
    ours, theirs = _pair()
    for fn, kwargs in steps:
        getattr(P, fn)(ours, "weight", **kwargs)
        getattr(TP, fn)(theirs, "weight", **kwargs)
        np.testing.assert_array_equal(_mask(ours), _mask(theirs))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare_module(ours, theirs, [X], copy=False)
    assert P.is_pruned(ours) and TP.is_pruned(theirs)


def test_remove_makes_it_permanent_as_torch():
    ours, theirs = _pair()
    for lib_prune, module in ((P, ours), (TP, theirs)):
        lib_prune.l1_unstructured(module, "bias", amount=2)
        lib_prune.remove(module, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    assert isinstance(ours.bias, bp.nn.Parameter) and not P.is_pruned(ours)
    np.testing.assert_array_equal(ours.bias.detach().numpy(), theirs.bias.detach().numpy())
    with pytest.raises(ValueError, match="Parameter 'bias' of module Linear.* has to be pruned before pruning can be"):
        P.remove(ours, "bias")


def test_global_unstructured_and_custom_from_mask_as_torch():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3))
    ours, theirs = _pair(make)
    P.global_unstructured([(ours[0], "weight"), (ours[2], "weight")], pruning_method=P.L1Unstructured, amount=0.4)
    TP.global_unstructured([(theirs[0], "weight"), (theirs[2], "weight")], pruning_method=TP.L1Unstructured,
                           amount=0.4)
    for i in (0, 2):
        np.testing.assert_array_equal(_mask(ours[i]), _mask(theirs[i]))
    mask = (np.arange(3) % 2).astype("float32")
    P.custom_from_mask(ours[2], "bias", bp.tensor(mask))
    TP.custom_from_mask(theirs[2], "bias", torch.tensor(mask))
    np.testing.assert_array_equal(_mask(ours[2], "bias"), _mask(theirs[2], "bias"))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    compare_module(ours, theirs, [X], copy=False)


@pytest.mark.parametrize("fn, kwargs", [("random_unstructured", {"amount": 0.4}),
                                        ("random_structured", {"amount": 2, "dim": 0})])
def test_random_pruning_prunes_as_many_as_torch(fn, kwargs):
    ours, theirs = _pair()
    getattr(P, fn)(ours, "weight", **kwargs)
    getattr(TP, fn)(theirs, "weight", **kwargs)
    assert (_mask(ours) == 0).sum() == (_mask(theirs) == 0).sum()
    if fn == "random_structured":
        assert sorted(_mask(ours).sum(axis=1)) == sorted(_mask(theirs).sum(axis=1))
    np.testing.assert_array_equal(ours.weight.detach().numpy(),
                                  ours.weight_orig.detach().numpy() * _mask(ours))


@pytest.mark.parametrize("call", [lambda p, m: p.l1_unstructured(m, "weight", amount=1.5),
                                  lambda p, m: p.l1_unstructured(m, "weight", amount=-1),
                                  lambda p, m: p.l1_unstructured(m, "weight", amount="half"),
                                  lambda p, m: p.l1_unstructured(m, "weight", amount=31),
                                  lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0)])
def test_errors_as_torch(call):
    ours, theirs = _pair()
    with pytest.raises((ValueError, TypeError)) as error:
        call(P, ours)
    with pytest.raises((ValueError, TypeError)) as expected:
        call(TP, theirs)
    assert type(error.value) is type(expected.value)
    assert str(error.value).replace("backprop.", "torch.") == str(expected.value)
