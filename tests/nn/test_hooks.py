"""Module.register_forward_hook against torch's: the same model, the same hooks, the same records and outputs."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import assert_close, copy_weights


def twins():
    """The same small MLP in both frameworks (float64, torch's weights copied)."""
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)).double()
    copy_weights(theirs, ours)
    return ours, theirs


def run_both(hook_factory, x):
    """Register hook_factory(record) on every layer of both twins, run x; (records, outputs) of each."""
    results = []
    for model, tensor in zip(twins(), (bp.tensor, torch.tensor)):
        record = []
        for name, layer in model.named_children():
            layer.register_forward_hook(hook_factory(name, record))
        results.append((record, model(tensor(x))))
    return results


def test_hooks_see_the_module_its_inputs_and_its_output_in_call_order_as_torch():
    x = np.random.default_rng(0).standard_normal((2, 4))

    def factory(name, record):
        def hook(module, args, output):
            record.append((name, type(module).__name__, len(args), args[0].detach().numpy().copy(),
                           output.detach().numpy().copy()))
        return hook

    (ours, out), (theirs, expected) = run_both(factory, x)
    assert [r[:3] for r in ours] == [r[:3] for r in theirs] == [("0", "Linear", 1), ("1", "ReLU", 1),
                                                                  ("2", "Linear", 1)]
    for a, b in zip(ours, theirs):
        assert_close(a[3], b[3], "float64", f"input seen by {a[0]}")
        assert_close(a[4], b[4], "float64", f"output seen by {a[0]}")
    assert_close(out, expected, "float64")


def test_a_returned_value_replaces_the_output_downstream_as_in_torch():
    x = np.random.default_rng(1).standard_normal((3, 4))

    def factory(name, record):
        def hook(module, args, output):
            if name == "1":
                return output * 2 - 1  # the next Linear sees this instead of the ReLU's output
        return hook

    (_, out), (_, expected) = run_both(factory, x)
    assert_close(out, expected, "float64")
    ours, _ = twins()
    assert not np.allclose(out.detach().numpy(), ours(bp.tensor(x)).detach().numpy())


def test_hooks_run_in_registration_order_each_seeing_the_previous_replacement():
    layer, seen = nn.Identity(), []
    layer.register_forward_hook(lambda m, args, out: seen.append(("first", out.item())) or out + 1)
    layer.register_forward_hook(lambda m, args, out: seen.append(("second", out.item())))
    layer.register_forward_hook(lambda m, args, out: out * 10)
    assert layer(bp.tensor(2.0)).item() == 30.0
    assert seen == [("first", 2.0), ("second", 3.0)]


def test_remove_unregisters_only_its_hook_and_twice_is_harmless():
    layer, seen = nn.Identity(), []
    first = layer.register_forward_hook(lambda m, args, out: seen.append("first"))
    layer.register_forward_hook(lambda m, args, out: seen.append("second"))
    layer(bp.zeros(1))
    first.remove()
    first.remove()
    layer(bp.zeros(1))
    assert seen == ["first", "second", "second"]


def test_a_handle_used_as_a_context_manager_removes_its_hook_on_exit():
    layer, seen = nn.ReLU(), []
    with layer.register_forward_hook(lambda m, args, out: seen.append(out.shape)):
        layer(bp.zeros(2))
    layer(bp.zeros(3))
    assert seen == [(2,)] and not layer._forward_hooks


def test_gradients_flow_through_a_replaced_output():
    layer = nn.Linear(3, 1)
    layer.register_forward_hook(lambda m, args, out: out * 3)
    x = bp.ones(2, 3, requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.repeat(layer.weight.detach().numpy(), 2, axis=0), rtol=1e-6)


def test_a_hook_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="callable"):
        nn.ReLU().register_forward_hook("not a function")
