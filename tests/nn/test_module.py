"""Module, Parameter, containers, state_dict and Linear against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 8))
        self.heads = nn.ModuleList([nn.Linear(8, 2), nn.Linear(8, 3)])
        self.scale = nn.Parameter(bp.ones(1))
        self.register_buffer("count", bp.zeros(1))
        self.register_buffer("scratch", bp.zeros(1), persistent=False)

    def forward(self, x):
        h = self.features(x)
        return self.heads[0](h) * self.scale, self.heads[1](h)


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 8))
        self.heads = torch.nn.ModuleList([torch.nn.Linear(8, 2), torch.nn.Linear(8, 3)])
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.register_buffer("count", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)

    def forward(self, x):
        h = self.features(x)
        return self.heads[0](h) * self.scale, self.heads[1](h)


def test_names_and_state_dict_keys_match_torch():
    ours, theirs = Net(), TorchNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(list(ours.children())) == len(list(theirs.children()))


def test_torch_weights_give_torchs_outputs_and_gradients():
    x = np.random.default_rng(0).standard_normal((5, 4))
    compare_module(Net(), TorchNet(), [x])
    compare_module(Net(), TorchNet(), [x], dtype="float64")


@pytest.mark.parametrize("shape", [(3,), (2, 5, 3), (0, 3)])
def test_linear_on_any_leading_shape(shape):
    compare_module(nn.Linear(3, 4), torch.nn.Linear(3, 4), [np.random.default_rng(1).standard_normal(shape)])


def test_linear_without_bias():
    layer = nn.Linear(3, 4, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == ["weight"]
    compare_module(layer, torch.nn.Linear(3, 4, bias=False), [np.ones((2, 3))])


def test_linear_gradcheck():
    layer = nn.Linear(3, 2).double()
    x = bp.randn(4, 3, dtype=bp.float64, requires_grad=True)
    assert bp.autograd.gradcheck(lambda x, w, b: bp.nn.functional.linear(x, w, b), (x, layer.weight, layer.bias))


def test_linear_default_initialisation_has_torchs_bounds():
    bp.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and w.max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.01 * bound  # U(-b, b) has std b / sqrt(3)
    assert b.min() >= -bound and b.max() <= bound


def test_linear_wrong_input_shape_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784\) got input of shape \(32, 28, 28\)"):
        nn.Linear(784, 10)(bp.zeros(32, 28, 28))


def test_strict_load_names_every_problem_and_skips_the_mismatched_entry():
    net = Net()
    before = net.features[0].weight.detach().numpy().copy()
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    state["features.0.weight"] = np.zeros((3, 3), dtype=np.float32)
    del state["heads.1.bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert message.startswith('Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: '
                              '"heads.1.bias". \n\tUnexpected key(s) in state_dict: "extra". \n\tsize mismatch')
    assert "size mismatch for features.0.weight: copying a param with shape" in message
    np.testing.assert_array_equal(net.features[0].weight.detach().numpy(), before)


def test_non_strict_load_reports_keys():
    net = Net()
    result = net.load_state_dict({"scale": np.array([2.0], dtype=np.float32), "bogus": np.ones(1)}, strict=False)
    assert "bogus" in result.unexpected_keys and "features.0.weight" in result.missing_keys
    assert net.scale.item() == 2.0


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    pytest.importorskip("safetensors")
    net, other = Net(), Net()
    bp.save(net.state_dict(), tmp_path / "net.safetensors")
    other.load_state_dict(bp.load(tmp_path / "net.safetensors"))
    for (name, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_train_eval_zero_grad_apply_requires_grad():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    out = net(bp.ones(2, 4))
    (out[0].sum() + out[1].sum()).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and visited.count("Linear") == 4
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_moves_parameters_and_buffers_in_place():
    net = Net()
    weight = net.features[0].weight
    net.double()
    assert weight.dtype == bp.float64 and net.count.dtype == bp.float64
    assert net.features[0].weight is weight


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    net = nn.Sequential(layer, layer)
    assert len(list(net.parameters())) == 2


def test_repr_is_torchs():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Identity(), nn.Linear(3, 1, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(), torch.nn.Linear(3, 1, bias=False))
    assert repr(ours) == repr(theirs)


def test_assigning_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_sequential_indexing_and_module_list():
    seq = nn.Sequential(nn.Linear(1, 2), nn.Linear(2, 3), nn.Linear(3, 4))
    assert seq[1].out_features == 3 and seq[-1].out_features == 4 and len(seq) == 3
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    lst = nn.ModuleList([nn.Linear(1, 1)]).append(nn.Linear(1, 2))
    assert len(lst) == 2 and [n for n, _ in lst.named_parameters()][-1] == "1.bias"


def test_to_dtype_casts_existing_gradients_too():
    layer = nn.Linear(2, 1)
    layer(bp.ones(3, 2)).sum().backward()
    layer.double()
    assert layer.weight.grad.dtype == bp.float64
    layer(bp.ones(3, 2, dtype=bp.float64)).sum().backward()
    np.testing.assert_allclose(layer.bias.grad.numpy(), [6.0])
