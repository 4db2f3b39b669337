"""nn.utils.stateless.functional_call against torch 2.13 (and torch.func.functional_call, the same function):
outputs and gradients with respect to the given tensors, tied weights, buffers updated in the given tensors,
the module restored, strict key checks."""
import warnings

import numpy as np
import pytest
import torch
import torch.func

import backprop as bp

warnings.filterwarnings("ignore", category=FutureWarning)
X = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")


def _net(lib):
    class Tied(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.encode = lib.nn.Linear(3, 3)
            self.decode = lib.nn.Linear(3, 3)
            self.decode.weight = self.encode.weight  # tied
            self.norm = lib.nn.BatchNorm1d(3)

        def forward(self, x, scale=1.0):
            return self.decode(self.norm(self.encode(x).tanh())) * scale

    torch.manual_seed(0)
    return Tied()


def _run(lib, call, **options):
    net = _net(lib)
    if lib is bp:
        net.load_state_dict(_net(torch).state_dict())
    rng = np.random.default_rng(1)
    given = {"encode.weight": lib.tensor(rng.standard_normal((3, 3)).astype("float32"), requires_grad=True),
             "decode.bias": lib.tensor(rng.standard_normal(3).astype("float32"), requires_grad=True),
             "norm.running_mean": lib.zeros(3)}
    kept = ["encode.weight", "encode.bias", "decode.bias", "norm.weight", "norm.bias", "norm.running_mean"]
    before = {k: net.state_dict()[k].numpy().copy() for k in kept}  # running_var is updated in place, as torch
    out = call(net, given, (lib.tensor(X),), {"scale": 2.0}, **options)
    out.square().sum().backward()
    for key in kept:
        np.testing.assert_array_equal(net.state_dict()[key].numpy(), before[key], err_msg=key)
    assert net.decode.weight is net.encode.weight
    return (out.detach().numpy(), given["encode.weight"].grad.numpy(), given["decode.bias"].grad.numpy(),
            given["norm.running_mean"].numpy())


@pytest.mark.parametrize("tie_weights", [True, False])
def test_functional_call_as_torch(tie_weights):
    ours = _run(bp, bp.nn.utils.stateless.functional_call, tie_weights=tie_weights)
    theirs = _run(torch, torch.func.functional_call, tie_weights=tie_weights)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_single_argument_and_errors_as_torch():
    layer = bp.nn.Linear(2, 1)
    out = bp.nn.utils.stateless.functional_call(layer, {"weight": bp.ones(1, 2)}, bp.ones(1, 2))
    assert out.item() == pytest.approx(2.0 + layer.bias.item())
    messages = []
    for lib, call in ((bp, bp.nn.utils.stateless.functional_call), (torch, torch.func.functional_call)):
        with pytest.raises(RuntimeError) as error:
            call(lib.nn.Linear(2, 1), {"weight": lib.ones(1, 2), "extra": lib.ones(1)}, lib.ones(1, 2), strict=True)
        messages.append(str(error.value))
        net = _net(lib)
        with pytest.raises(ValueError) as error:
            call(net, {"encode.weight": lib.ones(3, 3), "decode.weight": lib.zeros(3, 3)}, lib.ones(2, 3))
        messages.append(str(error.value))
    assert messages[:2] == messages[2:]
