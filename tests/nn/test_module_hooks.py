"""Module hooks against torch's: forward pre-hooks, forward hooks (prepend, with_kwargs, always_call) and full
backward (pre-)hooks. Each scenario is one function run on both libraries (``lib`` is ``backprop`` or
``torch``) with the same weights; what the hooks record and what comes out must agree."""
import collections
import warnings

import numpy as np
import pytest
import torch

import backprop as bp

RNG = np.random.default_rng(0)
WEIGHTS = {"0.weight": RNG.standard_normal((5, 4)), "0.bias": RNG.standard_normal(5),
           "2.weight": RNG.standard_normal((3, 5)), "2.bias": RNG.standard_normal(3)}
X = RNG.standard_normal((2, 4))
RNG_WEIGHT = RNG.standard_normal((2, 3))


def mlp(lib):
    """Linear(4, 5), ReLU, Linear(5, 3) in float64 with the weights above."""
    model = lib.nn.Sequential(lib.nn.Linear(4, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3)).double()
    model.load_state_dict({k: torch.tensor(v) if lib is torch else v for k, v in WEIGHTS.items()})
    return model


def plain(value):
    """A record made comparable: Tensors of either library as NumPy arrays, containers recursively."""
    if isinstance(value, (bp.Tensor, torch.Tensor)):
        return ("tensor", np.array(value.detach().numpy(), copy=True))
    if isinstance(value, (tuple, list)):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def assert_same(ours, theirs, where="record"):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours and ours[0] == "tensor", f"{where}: {ours!r} is not a tensor"
        assert ours[1].shape == theirs[1].shape, f"{where}: shape {ours[1].shape} != torch's {theirs[1].shape}"
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12, err_msg=where)
    elif isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), f"{where}: {ours!r} != torch's {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: {ours!r} != {theirs!r}"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} != torch's {theirs!r}"


def both(scenario):
    """Run ``scenario(lib)`` with backprop and with torch and compare what each returns."""
    ours, theirs = plain(scenario(bp)), plain(scenario(torch))
    assert_same(ours, theirs)
    return ours


def tensor(lib, array, requires_grad=False):
    return lib.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------ forward pre-hooks and forward hooks
def test_forward_pre_hooks_see_the_args_and_replace_them():
    def scenario(lib):
        model, record = mlp(lib), []
        for name, layer in model.named_children():
            def hook(module, args, name=name):
                record.append((name, type(module).__name__, len(args), args[0]))
                if name == "1":
                    return args[0] * 2 - 0.5  # a single value: wrapped into (value,)
                if name == "2":
                    return (args[0] + 1,)
            layer.register_forward_pre_hook(hook)
        return record, model(tensor(lib, X))

    both(scenario)


def test_with_kwargs_hooks_see_and_replace_the_keyword_arguments():
    def scenario(lib):
        class Affine(lib.nn.Module):
            def forward(self, x, scale=1.0, shift=0.0):
                return x * scale + shift

        module, record = Affine(), []
        module.register_forward_pre_hook(
            lambda m, args, kwargs: record.append(("pre", args, dict(kwargs))) or (args, {**kwargs, "scale": 3.0}),
            with_kwargs=True)
        module.register_forward_hook(
            lambda m, args, kwargs, out: record.append(("post", args, dict(kwargs), out)) or out - 1,
            with_kwargs=True)
        module.register_forward_hook(lambda m, args, out: record.append(("plain", len(args), out)))
        return record, module(tensor(lib, [1.0, 2.0]), shift=10.0)

    both(scenario)


def test_a_with_kwargs_pre_hook_returning_something_else_than_args_and_kwargs_raises():
    for lib in (bp, torch):
        module = lib.nn.Identity()
        module.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)  # a 1-tuple
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of"):
            module(tensor(lib, [1.0]))


def test_order_and_prepend_of_every_kind_of_hook():
    def scenario(lib):
        layer, order = lib.nn.Linear(3, 2).double(), []
        kinds = {"forward_pre": (layer.register_forward_pre_hook, lambda name: lambda m, a: order.append(name)),
                 "forward": (layer.register_forward_hook, lambda name: lambda m, a, o: order.append(name)),
                 "backward_pre": (layer.register_full_backward_pre_hook, lambda name: lambda m, g: order.append(name)),
                 "backward": (layer.register_full_backward_hook, lambda name: lambda m, gi, go: order.append(name))}
        for kind, (register, make) in kinds.items():
            for label, prepend in (("a", False), ("b", True), ("c", False), ("d", True)):
                register(make(f"{kind} {label}"), prepend=prepend)
        layer(tensor(lib, np.ones((2, 3)), requires_grad=True)).sum().backward()
        return order

    order = both(scenario)
    assert order[:4] == ("forward_pre d", "forward_pre b", "forward_pre a", "forward_pre c")


def test_removal_through_the_handle_and_as_a_context_manager_for_every_kind():
    def scenario(lib):
        layer, seen = lib.nn.Linear(3, 2).double(), []
        layer.load_state_dict({k: torch.tensor(v) if lib is torch else v for k, v in
                               {"weight": RNG_WEIGHT, "bias": np.zeros(2)}.items()})
        hooks = [(layer.register_forward_pre_hook, lambda m, a: seen.append("forward_pre")),
                 (layer.register_forward_hook, lambda m, a, o: seen.append("forward")),
                 (layer.register_full_backward_pre_hook, lambda m, g: seen.append("backward_pre")),
                 (layer.register_full_backward_hook, lambda m, gi, go: seen.append("backward"))]
        x = tensor(lib, np.ones((1, 3)), requires_grad=True)
        for register, hook in hooks:
            with register(hook):
                layer(x).sum().backward()
            handle = register(hook)
            layer(x).sum().backward()
            handle.remove()
            handle.remove()  # twice is harmless
            layer(x).sum().backward()
        return seen, x.grad

    seen, _ = both(scenario)
    assert seen == ("forward_pre",) * 2 + ("forward",) * 2 + ("backward_pre",) * 2 + ("backward",) * 2


def test_once_every_hook_is_removed_the_call_takes_the_fast_path_again():
    layer = bp.nn.Linear(3, 2)
    assert not layer._has_hooks
    handles = [layer.register_forward_pre_hook(lambda m, a: None), layer.register_full_backward_hook(print)]
    assert layer._has_hooks
    for handle in handles:
        handle.remove()
    layer(bp.ones(1, 3))
    assert not layer._has_hooks and not layer._forward_pre_hooks and not layer._backward_hooks


def test_always_call_hooks_run_when_forward_raises():
    def scenario(lib):
        class Fails(lib.nn.Module):
            def forward(self, x, flag=None):
                raise ValueError("forward failed")

        module, record = Fails(), []
        module.register_forward_hook(lambda m, args, out: record.append(("plain", out)))
        module.register_forward_hook(lambda m, args, out: record.append(("always", args, out)), always_call=True)
        module.register_forward_hook(lambda m, args, kwargs, out: record.append(("kwargs", args, kwargs, out)),
                                     with_kwargs=True, always_call=True)
        with pytest.raises(ValueError, match="forward failed"):
            module(tensor(lib, [1.0]), flag=True)
        return record

    assert [r[0] for r in both(scenario)] == ["always", "kwargs"]


def test_always_call_hooks_after_a_failing_forward_hook_see_the_output_and_their_own_errors_only_warn():
    def scenario(lib):
        module, record = lib.nn.Identity(), []
        module.register_forward_hook(lambda m, args, out: record.append(("first always", out)) or out * 2,
                                     always_call=True)

        def failing(m, args, out):
            raise KeyError("hook failed")

        module.register_forward_hook(failing)
        module.register_forward_hook(lambda m, args, out: record.append(("later always", out)) or 1 / 0,
                                     always_call=True)
        with pytest.warns(UserWarning, match="always_call=True.*division by zero"):
            with pytest.raises(KeyError, match="hook failed"):
                module(tensor(lib, [1.5]))
        return record

    both(scenario)


# ------------------------------------------------------------------ full backward hooks
def recording_backward_hooks(model, record):
    for name, module in model.named_modules():
        name = name or "model"
        module.register_full_backward_pre_hook(lambda m, go, name=name: record.append((name, "pre", go)))
        module.register_full_backward_hook(lambda m, gi, go, name=name: record.append((name, "full", gi, go)))


def test_backward_hooks_on_a_sequential_of_linear_and_relu():
    def scenario(lib):
        model, record = mlp(lib), []
        recording_backward_hooks(model, record)
        x = tensor(lib, X, requires_grad=True)
        (model(x) * tensor(lib, [[1.0, -2.0, 0.5]])).sum().backward()
        return record, x.grad, [p.grad for p in model.parameters()]

    record, _, _ = both(scenario)
    assert [r[:2] for r in record] == [("model", "pre"), ("2", "pre"), ("2", "full"), ("1", "pre"), ("1", "full"),
                                       ("0", "pre"), ("0", "full"), ("model", "full")]


def test_backward_hooks_when_the_input_does_not_require_grad():
    def scenario(lib):
        model, record = mlp(lib), []
        recording_backward_hooks(model, record)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model(tensor(lib, X)).sum().backward()
        said = [str(w.message) for w in caught if "no inputs require gradients" in str(w.message)]
        return record, len(said), [p.grad for p in model.parameters()]

    record, warned, _ = both(scenario)
    assert warned == 2  # the first Linear and the Sequential: their hooks fire with grad_input (None,)
    assert [r[:2] for r in record[:2]] == [("model", "pre"), ("model", "full")]  # at once, from the output
    assert record[-1][:3] == ("0", "full", (None,))


def test_returned_gradients_replace_grad_output_and_grad_input():
    def scenario(lib):
        model = mlp(lib)
        model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] - 1,))
        model[0].register_full_backward_hook(lambda m, gi, go: None)
        seen = []
        model[0].register_full_backward_pre_hook(lambda m, go: seen.append(go))
        x = tensor(lib, X, requires_grad=True)
        model(x).sum().backward()
        return seen, x.grad, [p.grad for p in model.parameters()]

    both(scenario)


def test_a_module_with_two_inputs_one_not_requiring_grad_a_non_tensor_and_a_keyword():
    def scenario(lib):
        class Mix(lib.nn.Module):
            def forward(self, a, b, k, w=None):
                return a * b * k + w

        module, record = Mix(), []
        module.register_full_backward_pre_hook(lambda m, go: record.append(("pre", go)))
        module.register_full_backward_hook(lambda m, gi, go: record.append(("full", gi, go)))
        module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10, gi[1], gi[2]))
        a, b = tensor(lib, [1.0, 2.0], requires_grad=True), tensor(lib, [3.0, -4.0])
        w = tensor(lib, [0.5, 0.5], requires_grad=True)  # a keyword: gets its gradient, is not in grad_input
        (module(a, b, 2.0, w=w) * tensor(lib, [1.0, 3.0])).sum().backward()
        return record, a.grad, w.grad

    record, _, _ = both(scenario)
    assert record[1][1][1][1].tolist() == [0.0, 0.0] and record[1][1][2] is None  # b: zeros; 2.0: None


def test_a_module_whose_output_is_a_tuple():
    def scenario(lib):
        class Split(lib.nn.Module):
            def forward(self, x):
                return x * 2, (x + 1).detach(), "label", x ** 2  # the last is left unused

        module, record = Split(), []
        module.register_full_backward_pre_hook(lambda m, go: record.append(("pre", go)))
        module.register_full_backward_hook(lambda m, gi, go: record.append(("full", gi, go)))
        x = tensor(lib, [1.0, -1.0], requires_grad=True)
        doubled, detached, label, squared = module(x)
        (doubled * detached).sum().backward()
        return record, label, squared.requires_grad, detached.requires_grad, x.grad

    record, _, _, _, _ = both(scenario)
    assert [g is None for g in record[0][1]] == [False, True, True, True]


def test_a_hook_returning_the_wrong_number_of_gradients_raises():
    for lib in (bp, torch):
        pre = lib.nn.Linear(2, 2).double()
        pre.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of grad_output"):
            pre(tensor(lib, [[1.0, 2.0]], requires_grad=True)).sum().backward()
        full = lib.nn.Linear(2, 2).double()
        full.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of grad_input"):
            full(tensor(lib, [[1.0, 2.0]], requires_grad=True)).sum().backward()


def test_a_hook_of_a_module_whose_inputs_need_no_grad_may_only_return_none():
    for lib in (bp, torch):
        layer = lib.nn.Linear(2, 2).double()
        layer.register_full_backward_hook(lambda m, gi, go: (go[0],))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            with pytest.raises(RuntimeError, match="should always return None or None for all gradients"):
                layer(tensor(lib, [[1.0, 2.0]])).sum().backward()


def test_the_hooks_of_a_call_fire_once_even_if_removed_before_backward_not_again_in_double_backward():
    def scenario(lib):
        class Cube(lib.nn.Module):
            def forward(self, x, *, w):
                return x ** 3 * w

        module, record = Cube(), []
        handles = [module.register_full_backward_pre_hook(lambda m, go: record.append(("pre", go))),
                   module.register_full_backward_hook(lambda m, gi, go: record.append(("full", gi, go)))]
        x, w = tensor(lib, [1.0, 2.0], requires_grad=True), tensor(lib, [2.0, 1.0], requires_grad=True)
        y = module(x, w=w)
        for handle in handles:
            handle.remove()
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        first = list(record)
        g.sum().backward()
        return first, record[len(first):], g, x.grad, w.grad

    first, later, _, _, _ = both(scenario)
    assert [r[0] for r in first] == ["pre", "full"] and later == ()


def test_no_hook_fires_for_a_call_under_no_grad():
    def scenario(lib):
        model, record = mlp(lib), []
        recording_backward_hooks(model, record)
        with lib.no_grad():
            out = model(tensor(lib, X, requires_grad=True))
        return record, out.requires_grad, out

    both(scenario)


def test_an_output_that_is_not_a_tensor_or_tuple_warns_and_fires_no_hook():
    def scenario(lib):
        class Named(lib.nn.Module):
            def forward(self, x):
                return {"y": x * 2}

        module, record = Named(), []
        module.register_full_backward_hook(lambda m, gi, go: record.append(gi))
        x = tensor(lib, [1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple of Tensors"):
            out = module(x)
        out["y"].sum().backward()
        return record, x.grad

    both(scenario)


def test_a_hooked_input_changed_in_place_gets_the_right_gradient():
    """torch refuses this (the input it hands forward is a view of the caller's); backprop's is a new Tensor
    sharing memory, and the gradients are those of the same module without hooks in torch."""
    def make(lib):
        class Doubles(lib.nn.Module):
            def forward(self, x):
                x.mul_(2)
                return x * x
        return Doubles()

    reference = torch.tensor([1.0, 3.0], dtype=torch.float64, requires_grad=True)
    make(torch)(reference * 1).sum().backward()
    hooked = make(torch)
    hooked.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(RuntimeError, match="modified inplace"):
        hooked(torch.tensor([1.0, 3.0], dtype=torch.float64, requires_grad=True) * 1)

    module, seen = make(bp), []
    module.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0]))
    x = tensor(bp, [1.0, 3.0], requires_grad=True)
    module(x * 1).sum().backward()
    assert_same(plain(x.grad), plain(reference.grad))
    assert_same(plain(seen[0]), plain(reference.grad))


def test_the_legacy_backward_hook_is_not_provided_and_non_callables_are_refused():
    layer = bp.nn.Linear(2, 2)
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        layer.register_backward_hook(lambda m, gi, go: None)
    for register in (layer.register_forward_pre_hook, layer.register_forward_hook,
                     layer.register_full_backward_pre_hook, layer.register_full_backward_hook):
        with pytest.raises(TypeError, match="callable"):
            register("not a function")
    assert isinstance(layer.register_forward_hook(print), bp.hooks.RemovableHandle)


def test_backward_hooks_on_a_namedtuple_output_and_inputs_keep_their_type():
    Pair = collections.namedtuple("Pair", ["first", "second"])

    def scenario(lib):
        class Swap(lib.nn.Module):
            def forward(self, x, y):
                return Pair(y * 3, x * y)

        module, record = Swap(), []
        module.register_full_backward_hook(lambda m, gi, go: record.append((gi, go)))
        x, y = tensor(lib, [1.0, 2.0], requires_grad=True), tensor(lib, [0.5, -1.0], requires_grad=True)
        out = module(x, y)
        (out.first + out.second).sum().backward()
        return record, type(out).__name__, x.grad, y.grad

    both(scenario)
