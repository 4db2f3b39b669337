"""Containers against torch 2.13: Sequential and ModuleList (slicing, +, +=, *, insert, extend, del, repr),
ModuleDict, ParameterList and ParameterDict (their list and dict methods, what they register, repr, state_dict)."""
import collections

import numpy as np
import pytest
import torch

import backprop as bp


def _layout(container):
    """What must match torch: the printout, the registered names, the state_dict keys."""
    return (repr(container), [n for n, _ in container.named_children()], list(container.state_dict()))


def _text(value):
    return repr(value).replace("torch.", "backprop.")


def _each(build):
    """``build(lib)`` in both libraries (torch's default init seeded alike); their layouts."""
    out = []
    for lib in (bp, torch):
        torch.manual_seed(0)
        out.append(build(lib))
    return out


def _linears(lib, n=3):
    return [lib.nn.Linear(2, 2) for _ in range(n)]


def test_sequential_operators_as_torch():
    def build(lib):
        a = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
        b = lib.nn.Sequential(lib.nn.Linear(3, 1))
        joined = a + b
        repeated = b * 2
        a += b
        left = 3 * lib.nn.Sequential(lib.nn.Tanh())
        b *= 3
        sliced = joined[1:]
        del joined[::2]
        return [_layout(c) for c in (joined, repeated, a, left, b, sliced)] + [type(sliced).__name__,
                                                                               repeated[0] is repeated[1]]
    ours, theirs = _each(build)
    assert ours == theirs


def test_sequential_from_ordered_dict_insert_and_errors_as_torch():
    def build(lib):
        named = lib.nn.Sequential(collections.OrderedDict([("fc", lib.nn.Linear(2, 2)), ("act", lib.nn.ReLU())]))
        named.append(lib.nn.Tanh())
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        net.insert(-1, lib.nn.Tanh())
        net.insert(3, lib.nn.Sigmoid())
        net.append(lib.nn.Identity())
        errors = []
        for bad in (lambda: net.insert(9, lib.nn.ReLU()), lambda: net[7], lambda: net + lib.nn.ReLU(),
                    lambda: net * 0, lambda: net * 1.5, lambda: net.insert(0, 3)):
            try:
                bad()
            except Exception as error:  # noqa: BLE001  (compared with torch's)
                errors.append((type(error).__name__, str(error).replace("torch.", "backprop.")))
        return _layout(net) + _layout(named), errors
    ours, theirs = _each(build)
    assert ours[0] == theirs[0]
    assert [e[0] for e in ours[1]] == [e[0] for e in theirs[1]]
    assert ours[1][0] == theirs[1][0] and ours[1][1] == theirs[1][1]


def test_sequential_runs_as_torch():
    x = np.random.default_rng(0).standard_normal((4, 2)).astype("float32")
    ours, theirs = _each(lambda lib: lib.nn.Sequential(*_linears(lib), lib.nn.Tanh()))
    ours.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(ours(bp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_module_list_as_torch():
    def build(lib):
        layers = lib.nn.ModuleList(_linears(lib))
        layers.append(lib.nn.ReLU()).extend([lib.nn.ReLU(), lib.nn.Tanh()])
        layers.insert(1, lib.nn.Sigmoid())
        layers += [lib.nn.Linear(2, 2)]
        combined = layers + lib.nn.ModuleList([lib.nn.ReLU()])
        popped = layers.pop(0)
        del layers[1:3]
        layers[0] = lib.nn.Tanh()
        empty = lib.nn.ModuleList()
        try:
            layers.extend(5)
        except TypeError as error:
            message = str(error)
        return [_layout(c) for c in (layers, combined, empty, layers[1:], layers[::-1])] + [
            type(popped).__name__, message, len(layers), [type(m).__name__ for m in layers]]
    ours, theirs = _each(build)
    assert ours == theirs


def test_module_list_repeated_blocks_print_as_torch():
    ours, theirs = _each(lambda lib: repr(lib.nn.ModuleList(
        [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.ReLU(), lib.nn.Sequential(lib.nn.ReLU(), lib.nn.ReLU()),
         lib.nn.Sequential(lib.nn.ReLU(), lib.nn.ReLU()), lib.nn.Linear(2, 2)])))
    assert ours == theirs


def test_module_dict_as_torch():
    def build(lib):
        heads = lib.nn.ModuleDict({"b": lib.nn.Linear(2, 1), "a": lib.nn.ReLU()})
        heads.update([("c", lib.nn.Tanh()), ("a", lib.nn.Sigmoid())])
        heads.update(lib.nn.ModuleDict({"d": lib.nn.Identity()}))
        heads["e"] = lib.nn.Linear(1, 1)
        popped = heads.pop("b")
        del heads["d"]
        facts = [list(heads), list(heads.keys()), [type(m).__name__ for m in heads.values()],
                 [(k, type(v).__name__) for k, v in heads.items()], "c" in heads, len(heads), type(popped).__name__]
        errors = []
        for bad in (lambda: heads.update(3), lambda: heads.update([("x",)]), lambda: heads.update([3])):
            try:
                bad()
            except Exception as error:  # noqa: BLE001
                errors.append((type(error).__name__, str(error)))
        layout = _layout(heads)
        heads.clear()
        return facts, errors, layout, len(heads)
    ours, theirs = _each(build)
    assert ours == theirs


def test_parameter_list_as_torch():
    def build(lib):
        params = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2, 3)), lib.ones(4)])
        params.append(lib.zeros(1, dtype=lib.float64))
        params.extend([lib.nn.Parameter(lib.ones(2))])
        params += [lib.zeros(3)]
        params[0] = lib.ones(2, 3)
        params.append("a note")  # a non-tensor is kept, not registered
        sliced = params[1:3]
        facts = [len(params), [type(p).__name__ for p in params], [n for n, _ in params.named_parameters()],
                 list(params.state_dict()), _text(params), _text(sliced), type(sliced).__name__,
                 _text(lib.nn.ParameterList([lib.ones(1)])), repr(lib.nn.ParameterList())]
        try:
            params()
        except RuntimeError as error:
            facts.append(str(error))
        try:
            params.extend(lib.ones(2))
        except TypeError as error:
            facts.append(str(error))
        return facts
    ours, theirs = _each(build)
    assert ours == theirs


def test_parameter_dict_as_torch():
    def build(lib):
        params = lib.nn.ParameterDict({"b": lib.ones(2), "a": lib.nn.Parameter(lib.zeros(3))})  # sorted, as torch
        params.update(collections.OrderedDict([("z", lib.zeros(1)), ("c", lib.ones(1))]))  # kept in order
        params["note"] = "text"
        default = params.setdefault("d", lib.ones(2, 2))
        copy = params.copy()
        merged = params | lib.nn.ParameterDict({"y": lib.ones(1)})
        popped_key, _ = params.popitem()
        facts = [list(params), list(reversed(params)), [n for n, _ in params.named_parameters()],
                 list(params.state_dict()), _text(params), params.get("missing", 7), "a" in params,
                 type(default).__name__, popped_key, list(copy), list(merged), type(params.pop("a")).__name__,
                 list(params.fromkeys(["p", "q"], lib.ones(1)))]
        params |= {"w": lib.ones(1)}
        facts.append(list(params))
        for bad in (lambda: params[3], lambda: params(1)):
            try:
                bad()
            except Exception as error:  # noqa: BLE001
                facts.append((type(error).__name__, str(error)))
        params.clear()
        facts.append(len(params))
        return facts
    ours, theirs = _each(build)
    assert ours == theirs


def test_containers_register_for_optimizers_and_state_dicts():
    class Net(bp.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = bp.nn.ModuleDict({"enc": bp.nn.Linear(2, 2)})
            self.scales = bp.nn.ParameterList([bp.ones(2)])
            self.bias = bp.nn.ParameterDict({"out": bp.zeros(2)})

        def forward(self, x):
            return self.blocks["enc"](x) * self.scales[0] + self.bias["out"]

    net = Net()
    assert list(net.state_dict()) == ["blocks.enc.weight", "blocks.enc.bias", "scales.0", "bias.out"]
    opt = bp.optim.SGD(net.parameters(), lr=0.5)
    net(bp.ones(1, 2)).sum().backward()
    opt.step()
    assert net.bias["out"].detach().numpy().tolist() == [-0.5, -0.5]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        net.scales(1)


def test_the_deprecated_container_as_torch():
    for lib in (bp, torch):
        with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
            box = lib.nn.Container(first=lib.nn.Linear(2, 2), act=lib.nn.ReLU())
        assert [n for n, _ in box.named_children()] == ["first", "act"]
        assert list(box.state_dict()) == ["first.weight", "first.bias"]
