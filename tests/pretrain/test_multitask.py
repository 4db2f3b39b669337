"""MultiTask: a dict of the heads' outputs from one pass of the trunk; the trunk's gradient is the sum of the
gradients the heads send back (against a torch twin with the same weights)."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.pretrain import MultiTask
from nn.twin import assert_close, copy_weights


def layers(module):
    """trunk, {task: head} built from ``module`` (backprop's nn or torch.nn): the same architecture in both."""
    trunk = module.Sequential(module.Linear(5, 8), module.Tanh(), module.Linear(8, 6), module.ReLU())
    heads = {"digit": module.Linear(6, 4), "size": module.Sequential(module.Linear(6, 3), module.Tanh(),
                                                                     module.Linear(3, 1))}
    return trunk, heads


class TorchMultiTask(torch.nn.Module):
    def __init__(self, trunk, heads):
        super().__init__()
        self.trunk, self.heads = trunk, torch.nn.ModuleDict(heads)

    def forward(self, x):
        features = self.trunk(x)
        return {name: head(features) for name, head in self.heads.items()}


def twins():
    torch.manual_seed(0)
    theirs = TorchMultiTask(*layers(torch.nn))
    ours = MultiTask(*layers(nn))
    copy_weights(theirs, ours)      # strict: the state-dict keys are torch's, "heads.digit.weight", ...
    return ours, theirs


def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((7, 5)).astype(np.float32), rng.integers(0, 4, 7),
            rng.standard_normal((7, 1)).astype(np.float32))


def joint_loss(outputs, labels, sizes, F):
    """J = J_digit + J_size: cross-entropy on one head, squared error on the other."""
    return F.cross_entropy(outputs["digit"], labels) + F.mse_loss(outputs["size"], sizes)


def test_forward_returns_a_dict_of_the_heads_outputs_from_one_trunk_pass():
    model, theirs = twins()
    calls = []
    model.trunk.register_forward_hook(lambda module, args, output: calls.append(1))
    x, _, _ = data()
    outputs = model(bp.tensor(x))
    assert isinstance(outputs, dict) and list(outputs) == ["digit", "size"]
    assert outputs["digit"].shape == (7, 4) and outputs["size"].shape == (7, 1)
    assert len(calls) == 1
    expected = theirs(torch.tensor(x))
    for name in outputs:
        assert_close(outputs[name], expected[name], what=name)


def test_the_trunk_gets_the_sum_of_the_heads_gradients_as_torch_computes_them():
    model, theirs = twins()
    x, labels, sizes = data()
    joint_loss(model(bp.tensor(x)), bp.tensor(labels), bp.tensor(sizes), bp.nn.functional).backward()
    joint_loss(theirs(torch.tensor(x)), torch.tensor(labels), torch.tensor(sizes), torch.nn.functional).backward()
    reference = dict(theirs.named_parameters())
    for name, parameter in model.named_parameters():
        assert_close(parameter.grad, reference[name].grad, what=f"grad of {name}")


def test_the_trunks_gradient_is_the_sum_of_each_heads_alone():
    model, _ = twins()
    x, labels, sizes = data()
    losses = {"digit": lambda out: nn.functional.cross_entropy(out["digit"], bp.tensor(labels)),
              "size": lambda out: nn.functional.mse_loss(out["size"], bp.tensor(sizes))}
    alone = {}
    for task, loss in losses.items():
        model.zero_grad()
        loss(model(bp.tensor(x))).backward()
        alone[task] = {name: p.grad.numpy().copy() for name, p in model.trunk.named_parameters()}
        # a head gets no gradient from the other task's loss
        other = next(t for t in losses if t != task)
        assert all(p.grad is None for p in model.heads[other].parameters())
    model.zero_grad()
    outputs = model(bp.tensor(x))
    (losses["digit"](outputs) + losses["size"](outputs)).backward()
    for name, p in model.trunk.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), alone["digit"][name] + alone["size"][name], rtol=1e-5, atol=1e-7)
        assert np.abs(alone["digit"][name]).max() > 0 and np.abs(alone["size"][name]).max() > 0


def test_heads_are_reachable_by_name():
    model, _ = twins()
    assert len(model.heads) == 2 and list(model.heads) == ["digit", "size"]
    assert model.heads["digit"].out_features == 4


@pytest.mark.parametrize("trunk, heads, error, match", [
    (nn.Linear(2, 2), [nn.Linear(2, 1)], ValueError, "heads must be a non-empty dict"),
    (nn.Linear(2, 2), {}, ValueError, "heads must be a non-empty dict"),
    (nn.Linear(2, 2), {"a.b": nn.Linear(2, 1)}, ValueError, "without '.'"),
    (nn.Linear(2, 2), {1: nn.Linear(2, 1)}, ValueError, "non-empty str"),
    (nn.Linear(2, 2), {"a": "linear"}, TypeError, "head of task 'a' must be an nn.Module, got str"),
    (lambda x: x, {"a": nn.Linear(2, 1)}, TypeError, "trunk must be an nn.Module, got function"),
])
def test_bad_arguments_are_refused(trunk, heads, error, match):
    with pytest.raises(error, match=match):
        MultiTask(trunk, heads)
