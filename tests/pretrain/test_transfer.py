"""freeze / unfreeze / replace_last_layer: frozen weights do not move under an optimiser step, the new last
layer has the right size and is the only trainable part, on a Sequential and on the zoo's cnn and mlp."""
import numpy as np
import pytest

import backprop as bp
from backprop import models, nn
from backprop.pretrain import freeze, replace_last_layer, unfreeze


def snapshot(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def step(model, optimizer, x):
    optimizer.zero_grad()
    (model(x) ** 2).sum().backward()
    optimizer.step()


def trainable(model):
    return [name for name, p in model.named_parameters() if p.requires_grad]


@pytest.mark.parametrize("make_optimizer", [
    lambda ps: bp.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: bp.optim.Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["sgd", "adam"])
def test_frozen_parameters_do_not_move_under_a_step_of_an_optimiser_that_holds_them(make_optimizer):
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    optimizer = make_optimizer(model.parameters())        # built before freezing: it holds every parameter
    assert freeze(model[0]) is model[0]
    before = snapshot(model)
    x = bp.randn(6, 4)
    for _ in range(2):
        step(model, optimizer, x)
    after = snapshot(model)
    for name in ("0.weight", "0.bias"):
        np.testing.assert_array_equal(after[name], before[name])
    for name in ("2.weight", "2.bias"):
        assert np.abs(after[name] - before[name]).max() > 1e-3
    assert model[0].weight.grad is None and model[2].weight.grad is not None


def test_unfreeze_restores_training():
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    freeze(model)
    assert trainable(model) == []
    assert unfreeze(model) is model
    assert trainable(model) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    before = snapshot(model)
    step(model, bp.optim.SGD(model.parameters(), lr=0.1), bp.randn(6, 4))
    after = snapshot(model)
    assert all(np.abs(after[name] - before[name]).max() > 0 for name in before)


def test_freeze_clears_a_stale_gradient():
    layer = nn.Linear(3, 2)
    optimizer = bp.optim.SGD(layer.parameters(), lr=0.1)
    (layer(bp.randn(4, 3)) ** 2).sum().backward()
    before = snapshot(layer)
    freeze(layer)
    optimizer.step()    # the gradient computed before freezing must not be applied
    after = snapshot(layer)
    assert all(np.array_equal(after[name], before[name]) for name in before)


def test_replace_last_layer_of_a_sequential():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 10))
    first = model[0]
    kept = snapshot(first)
    assert replace_last_layer(model, 3) is model
    assert model[0] is first and isinstance(model[2], nn.Linear)
    assert (model[2].in_features, model[2].out_features) == (8, 3)
    assert model(bp.zeros(5, 4)).shape == (5, 3)
    assert trainable(model) == ["2.weight", "2.bias"]
    assert all(np.array_equal(snapshot(first)[name], kept[name]) for name in kept)


@pytest.mark.parametrize("model, where", [
    (lambda: nn.Sequential(nn.Sequential(nn.Linear(4, 8)), nn.ReLU(), nn.Linear(8, 6)), "2"),
    (lambda: nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 6), nn.ReLU())), "1.0"),
], ids=["outer-last", "nested-last"])
def test_the_last_linear_is_found_at_any_depth(model, where):
    model = replace_last_layer(model(), 2)
    assert trainable(model) == [f"{where}.weight", f"{where}.bias"]
    assert model(bp.zeros(3, 4)).shape == (3, 2)


@pytest.mark.parametrize("name, input_shape, head", [
    ("cnn", (1, 8, 8), "classifier.3"), ("mlp", (1, 8, 8), "5"), ("mlp", (1, 28, 28), "5"),
])
def test_replace_last_layer_of_the_zoos_networks(name, input_shape, head):
    model = models.get(name, input_shape=input_shape, num_classes=10)
    old = dict(model.named_modules())[head]
    model = replace_last_layer(model, 4)
    new = dict(model.named_modules())[head]
    assert new is not old and (new.in_features, new.out_features) == (old.in_features, 4)
    assert trainable(model) == [f"{head}.weight", f"{head}.bias"]
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == old.in_features * 4 + 4
    assert model.eval()(bp.zeros(2, *input_shape)).shape == (2, 4)


def test_retraining_only_the_new_head_leaves_the_rest_as_it_was():
    model = models.get("cnn", num_classes=10, channels=(4, 8), hidden=16)
    replace_last_layer(model, 2).eval()   # eval: batch norm keeps its running statistics (not a gradient)
    before = snapshot(model)
    optimizer = bp.optim.Adam(model.parameters(), lr=0.1)
    step(model, optimizer, bp.rand(8, 1, 8, 8))
    after = snapshot(model)
    moved = [name for name in before if not np.array_equal(after[name], before[name])]
    assert moved == ["classifier.3.weight", "classifier.3.bias"]


def test_freeze_rest_false_keeps_everything_trainable_and_dtype_is_kept():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 10, bias=False)).double()
    replace_last_layer(model, 3, freeze_rest=False)
    assert trainable(model) == ["0.weight", "0.bias", "2.weight"]
    assert model[2].weight.dtype == bp.float64 and model[2].bias is None


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="expected an nn.Module, got list"):
        freeze([nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="expected an nn.Module"):
        unfreeze(None)
    with pytest.raises(ValueError, match="has no nn.Linear"):
        replace_last_layer(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), 3)
    with pytest.raises(ValueError, match="is itself a Linear"):
        replace_last_layer(nn.Linear(3, 2), 3)
    for bad, error in ((0, ValueError), (True, TypeError), (2.0, TypeError)):
        with pytest.raises(error, match="num_classes must be a positive int"):
            replace_last_layer(nn.Sequential(nn.Linear(3, 2)), bad)
