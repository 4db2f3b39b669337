"""nn.Module's API against torch 2.13: every public method, the registries and their errors, state_dict and
load_state_dict (keys, metadata, messages, assign), the state-dict hooks, casts and moves, train/eval, copies."""
import copy
import importlib
import inspect

import numpy as np
import pytest
import torch

import backprop as bp

# torch.nn.Module's public names that backprop's Module deliberately lacks: other accelerators' moves
MISSING = {"ipu", "xpu", "mtia"}


def test_every_public_method_of_torch_module_is_there():
    names = {n for n in dir(torch.nn.Module) if not n.startswith("_")}
    missing = sorted(n for n in names - MISSING if not hasattr(bp.nn.Module, n))
    assert not missing, f"backprop.nn.Module lacks {missing}"
    for name in sorted(names - MISSING):
        theirs = getattr(torch.nn.Module, name)
        if inspect.isfunction(theirs) and name not in ("to", "state_dict"):  # those two take *args in both
            ours = list(inspect.signature(getattr(bp.nn.Module, name)).parameters)
            assert ours == list(inspect.signature(theirs).parameters), name


class Block(object):
    """The same small network in either library: a shared layer used twice, a non-persistent buffer."""

    @staticmethod
    def make(lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                shared = nn.Linear(3, 3)
                self.first = nn.Sequential(shared, nn.ReLU())
                self.second = shared
                self.norm = nn.LayerNorm(3)
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("scratch", lib.ones(2), persistent=False)

            def forward(self, x):
                return self.norm(self.second(self.first(x)))

        torch.manual_seed(0)
        return Net()


def _both():
    theirs = Block.make(torch)
    ours = Block.make(bp)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _text(value):
    return str(value).replace("torch.", "backprop.")


def test_iterators_with_duplicates_prefix_and_recursion_as_torch():
    ours, theirs = _both()
    for args in [{}, {"remove_duplicate": False}, {"prefix": "net"}]:
        assert [n for n, _ in ours.named_modules(**args)] == [n for n, _ in theirs.named_modules(**args)], args
    for method in ("named_parameters", "named_buffers"):
        for args in [{}, {"remove_duplicate": False}, {"prefix": "m"}, {"recurse": False}]:
            assert ([n for n, _ in getattr(ours, method)(**args)]
                    == [n for n, _ in getattr(theirs, method)(**args)]), (method, args)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))


def test_state_dict_keys_metadata_prefix_and_keep_vars_as_torch():
    ours, theirs = _both()
    assert list(ours.state_dict()) == list(theirs.state_dict())  # the shared layer under both names
    assert "scratch" not in ours.state_dict()
    assert ours.state_dict()._metadata == theirs.state_dict()._metadata
    assert list(ours.state_dict(prefix="model.")) == list(theirs.state_dict(prefix="model."))
    kept = ours.state_dict(keep_vars=True)
    assert kept["second.weight"] is ours.second.weight and kept["second.weight"].requires_grad
    assert not ours.state_dict()["second.weight"].requires_grad
    destination = {}
    assert ours.state_dict(destination=destination) is destination and list(destination) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(ours(bp.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def _load_error(lib, model, state, **kwargs):
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state, **kwargs)
    return _text(error.value)


def test_load_state_dict_messages_and_result_as_torch():
    ours, theirs = _both()
    state = {k: v for k, v in theirs.state_dict().items() if k != "norm.bias"}
    state["extra.weight"] = torch.zeros(1)
    state["norm.weight"] = torch.zeros(5)
    ours_state = {k: v.numpy() for k, v in state.items()}
    assert _load_error(bp, ours, ours_state) == _load_error(torch, theirs, state)
    assert _load_error(bp, ours, ours_state, strict=False) == _load_error(torch, theirs, state, strict=False)
    del state["norm.weight"], ours_state["norm.weight"]
    result, expected = ours.load_state_dict(ours_state, strict=False), theirs.load_state_dict(state, strict=False)
    assert result == expected and repr(result) == repr(expected)
    assert result.missing_keys == ["norm.weight", "norm.bias"] and result.unexpected_keys == ["extra.weight"]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>."):
        ours.load_state_dict([])


def test_load_state_dict_takes_torch_tensors_numpy_arrays_and_backprop_tensors():
    ours, theirs = _both()
    for state in ({k: bp.tensor(v.numpy()) for k, v in theirs.state_dict().items()},
                  {k: v.numpy().astype("float64") for k, v in theirs.state_dict().items()}):
        assert repr(ours.load_state_dict(state)) == "<All keys matched successfully>"
    assert ours.second.weight.dtype == bp.float32  # copied into the parameter's dtype
    with pytest.raises(RuntimeError, match='While copying the parameter named "steps", expected torch.Tensor'):
        ours.load_state_dict({**{k: v.numpy() for k, v in theirs.state_dict().items()}, "steps": "one"})


def test_assign_replaces_the_parameters_keeping_requires_grad():
    for lib in (bp, torch):
        layer = lib.nn.Linear(2, 2)
        layer.bias.requires_grad_(False)
        weight, bias = lib.ones(2, 2), lib.zeros(2)
        layer.load_state_dict({"weight": weight, "bias": bias}, assign=True)
        assert isinstance(layer.weight, lib.nn.Parameter) and layer.weight.requires_grad
        assert not layer.bias.requires_grad
        weight.add_(1)  # the parameter is the given tensor's memory, not a copy
        assert float(layer.weight.sum()) == 8.0
        copied = lib.nn.Linear(2, 2)
        before = copied.weight
        copied.load_state_dict({"weight": weight, "bias": bias})
        assert copied.weight is before


def test_state_dict_hooks_run_as_torch():
    seen = {}
    for lib in (bp, torch):
        log = seen[lib.__name__] = []
        layer = lib.nn.Linear(2, 2)
        layer.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))

        def post(module, state, prefix, metadata):
            state[prefix + "note"] = lib.zeros(1)
        handle = layer.register_state_dict_post_hook(post)
        log.append(sorted(layer.state_dict(prefix="p.")))
        handle.remove()
        log.append(sorted(layer.state_dict()))

        def rename(module, state, prefix, metadata, strict, missing, unexpected, errors):
            if prefix + "w" in state:
                state[prefix + "weight"] = state.pop(prefix + "w")
        layer.register_load_state_dict_pre_hook(rename)
        layer.register_load_state_dict_post_hook(lambda m, keys: log.append(("post", list(keys.missing_keys))))
        log.append(repr(layer.load_state_dict({"w": lib.ones(2, 2)}, strict=False)))
    assert seen["backprop"] == seen["torch"]


def test_extra_state_round_trips_as_torch():
    class Counter(bp.nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 3

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    net = bp.nn.Sequential(Counter())
    state = net.state_dict()
    assert list(state) == ["0._extra_state"]
    fresh = bp.nn.Sequential(Counter())
    fresh[0].count = 0
    fresh.load_state_dict(state)
    assert fresh[0].count == 3
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        fresh.load_state_dict({})


def _error(make):
    """(type, text) of what ``make`` raises."""
    try:
        make()
    except Exception as error:  # noqa: BLE001  (compared with torch's)
        return type(error).__name__, _text(error.args[0] if error.args else "")
    return None


def _registry_errors(lib):
    def module():
        return lib.nn.Linear(2, 2)
    return [
        _error(lambda: module().register_parameter("a.b", None)),
        _error(lambda: module().register_parameter("", None)),
        _error(lambda: module().register_parameter("training", None)),
        _error(lambda: module().register_parameter("p", lib.zeros(2))),
        _error(lambda: module().register_buffer("a.b", None)),
        _error(lambda: module().register_buffer("b", [1.0])),
        _error(lambda: module().register_buffer("weight", lib.zeros(2))),
        _error(lambda: module().add_module("a.b", None)),
        _error(lambda: module().add_module("m", 3)),
        _error(lambda: module().add_module(1, None)),
        _error(lambda: setattr(module(), "weight", lib.zeros(2, 2))),
        _error(lambda: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", 5)),
        _error(lambda: module().train("yes")),
        _error(lambda: module().to(lib.int64)),
        _error(lambda: module().get_submodule("nothing")),
        _error(lambda: module().get_parameter("bias.x")),
        _error(lambda: lib.nn.Sequential(module()).get_parameter("0.nothing")),
        _error(lambda: lib.nn.Sequential(module()).get_buffer("0.weight")),
        _error(lambda: lib.nn.Sequential(module()).set_submodule("0.weight", lib.nn.ReLU())),
        _error(lambda: lib.nn.Sequential(module()).set_submodule("0.new", lib.nn.ReLU(), strict=True)),
        _error(lambda: lib.nn.Sequential(module()).set_submodule("", lib.nn.ReLU())),
    ]


def test_registry_and_lookup_errors_as_torch():
    assert _registry_errors(bp) == _registry_errors(torch)


def test_lookups_and_set_submodule_as_torch():
    for lib in (bp, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        assert net.get_submodule("") is net and net.get_submodule("1") is net[1]
        assert net.get_parameter("0.bias") is net[0].bias
        assert net.get_buffer("1.running_mean") is net[1].running_mean
        net.set_submodule("0", lib.nn.Tanh())
        net.set_submodule("1.extra", lib.nn.ReLU())
        assert type(net[0]).__name__ == "Tanh" and type(net[1].extra).__name__ == "ReLU"


def test_casts_moves_and_type_as_torch():
    for lib in (bp, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        weight = net[0].weight
        net[0].weight.grad = lib.ones(2, 2)
        net.double()
        assert net[0].weight is weight and weight.dtype == lib.float64 and weight.grad.dtype == lib.float64
        assert net[1].num_batches_tracked.dtype == lib.int64  # integers are left alone
        net.half()
        assert weight.dtype == lib.float16
        net.to(lib.zeros(1, dtype=lib.float32))
        assert weight.dtype == lib.float32
        net.to("cpu", lib.float64, non_blocking=True)
        assert weight.dtype == lib.float64
        net.to(device="cpu", dtype=lib.float32).float()
        assert weight.dtype == lib.float32
        net.type(lib.float64)
        assert net[1].num_batches_tracked.dtype == lib.float64  # type() casts every tensor
        assert net.cpu() is net and net.share_memory() is net
    assert bp.nn.Linear(2, 2).compile() is None  # torch's compiles in place and returns None too (slow to call)
    with pytest.raises(NotImplementedError, match="no bfloat16"):
        bp.nn.Linear(2, 2).bfloat16()


def test_to_empty_keeps_shapes_and_dtypes():
    layer = bp.nn.Linear(3, 2).to_empty(device="cpu")
    assert tuple(layer.weight.shape) == (2, 3) and layer.weight.dtype == bp.float32


def test_train_goes_through_the_childrens_own_train_and_eval():
    calls = []

    class Frozen(bp.nn.BatchNorm1d):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)  # keeps its statistics frozen, as programs do

    net = bp.nn.Sequential(bp.nn.Linear(2, 2), Frozen(2))
    net.train()
    assert calls == [True] and net.training and not net[1].training
    net.eval()
    assert calls == [True, False]


def test_zero_grad_as_torch():
    for lib in (bp, torch):
        layer = lib.nn.Linear(2, 2)
        layer(lib.ones(1, 2)).sum().backward()
        grad = layer.weight.grad
        layer.zero_grad(set_to_none=False)
        assert layer.weight.grad is grad and float(grad.abs().sum()) == 0.0
        layer.zero_grad()
        assert layer.weight.grad is None


def test_apply_requires_grad_and_dir():
    net = bp.nn.Sequential(bp.nn.Linear(2, 2), bp.nn.Linear(2, 1))
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Linear", "Sequential"]
    assert net.requires_grad_(False) is net and not any(p.requires_grad for p in net.parameters())
    names = dir(net[0])
    assert "weight" in names and "bias" in names and "forward" in names
    assert not any(name[0].isdigit() for name in dir(net))


def test_deepcopy_gives_an_independent_module_with_the_same_outputs():
    ours, _ = _both()
    ours.register_forward_hook(lambda module, args, output: output * 2)
    twin = copy.deepcopy(ours)
    x = bp.ones(2, 3)
    np.testing.assert_array_equal(twin(x).detach().numpy(), ours(x).detach().numpy())
    assert twin.second is twin.first[0] and twin.second is not ours.second  # sharing kept, memory not shared
    with bp.no_grad():
        twin.second.weight.add_(1)
    assert not np.array_equal(twin.second.weight.detach().numpy(), ours.second.weight.detach().numpy())


def test_buffer_class_registers_as_torch():
    for lib in (bp, torch):
        m = lib.nn.Module()
        m.kept = lib.nn.Buffer(lib.zeros(2))
        m.dropped = lib.nn.Buffer(lib.ones(1), persistent=False)
        assert [n for n, _ in m.named_buffers()] == ["kept", "dropped"] and list(m.state_dict()) == ["kept"]
        m.kept = lib.ones(2)  # a plain tensor assigned to a buffer's name replaces the buffer
        assert float(m.state_dict()["kept"].sum()) == 2.0


def test_repr_as_torch():
    def make(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh()]))
        net.add_module("empty", lib.nn.Module())
        return repr(net)
    assert make(bp) == make(torch)


def test_deepcopy_of_a_parameter_as_torch():
    for lib in (bp, torch):
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.ones(2)
        frozen = lib.nn.Parameter(lib.ones(2), requires_grad=False)
        net = lib.nn.Linear(2, 2)
        net.weight.grad = lib.ones(2, 2)
        copies = copy.deepcopy([p, frozen, p, net])
        assert type(copies[0]).__name__ == "Parameter" and copies[0].grad is None and copies[0] is copies[2]
        assert copies[0].requires_grad and not copies[1].requires_grad and copies[3].weight.grad is None


def _global_hooks_run(lib):
    """The global module hooks of torch.nn.modules.module in either library: what they see, in which order."""
    hooks = importlib.import_module(f"{lib.__name__}.nn.modules.module")
    seen = []
    handles = [
        hooks.register_module_forward_pre_hook(lambda m, args: seen.append(("pre", type(m).__name__))),
        hooks.register_module_forward_hook(lambda m, args, out: seen.append(("post", type(m).__name__))),
        hooks.register_module_full_backward_hook(
            lambda m, gin, gout: seen.append(("backward", type(m).__name__, tuple(gout[0].shape)))),
    ]
    torch.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh())
    net.register_forward_hook(lambda m, args, out: seen.append(("own post", type(m).__name__)))
    net(lib.ones(4, 2, requires_grad=True)).sum().backward()
    for handle in handles:
        handle.remove()
    net(lib.ones(1, 2))
    renamed = []
    with hooks.register_module_parameter_registration_hook(lambda m, name, p: renamed.append(name)):
        with hooks.register_module_buffer_registration_hook(lambda m, name, b: lib.zeros(1) if name == "x" else None):
            module = lib.nn.Module()
            module.register_buffer("x", lib.ones(1))
            lib.nn.Linear(1, 1)
    return seen, renamed, float(module.x.sum())


def test_global_module_hooks_as_torch():
    assert _global_hooks_run(bp) == _global_hooks_run(torch)
    net = bp.nn.Linear(2, 2)
    assert net._has_hooks is False and net(bp.ones(1, 2)).shape == (1, 2)  # the fast path once all are removed
