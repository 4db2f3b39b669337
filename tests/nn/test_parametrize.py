"""nn.utils weight_norm / spectral_norm (legacy hooks and parametrizations) and nn.utils.parametrize, against
torch 2.13: state_dict keys, outputs and gradients after loading torch's state_dict, power-iteration buffers."""
import copy
import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from tests.nn.twin import assert_close, compare_module

warnings.filterwarnings("ignore", category=FutureWarning)  # the legacy weight_norm warns in both libraries

X = np.random.default_rng(0).standard_normal((4, 3, 6, 6)).astype("float32")
V = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")


def _pair(lib, kind):
    torch.manual_seed(0)
    return lib.nn.Linear(3, 4) if kind == "linear" else lib.nn.Conv2d(3, 2, 3)


def _input(kind):
    return V if kind == "linear" else X


LEGACY = [("weight_norm", {}), ("weight_norm", {"dim": None}), ("weight_norm", {"dim": 1}), ("spectral_norm", {})]


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("fn, kwargs", LEGACY)
def test_legacy_hooks_match_torch(kind, fn, kwargs):
    ours = getattr(bp.nn.utils, fn)(_pair(bp, kind), **kwargs)
    theirs = getattr(torch.nn.utils, fn)(_pair(torch, kind), **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare_module(ours, theirs, [_input(kind)])
    if fn == "spectral_norm":  # the power iteration changed the buffers alike
        for key in ("weight_u", "weight_v"):
            assert_close(ours.state_dict()[key], theirs.state_dict()[key], what=key)


@pytest.mark.parametrize("fn", ["weight_norm", "spectral_norm"])
def test_legacy_remove_restores_a_parameter(fn):
    ours = getattr(bp.nn.utils, fn)(_pair(bp, "linear"))
    theirs = getattr(torch.nn.utils, fn)(_pair(torch, "linear"))
    compare_module(ours.eval(), theirs.eval(), [V])
    getattr(bp.nn.utils, "remove_" + fn)(ours)
    getattr(torch.nn.utils, "remove_" + fn)(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, bp.nn.Parameter)
    assert_close(ours.weight, theirs.weight, what="weight after remove")
    with pytest.raises(ValueError, match=f"{fn} of 'weight' not found in Linear"):
        getattr(bp.nn.utils, "remove_" + fn)(ours)


def test_legacy_hooks_refuse_a_second_registration():
    layer = bp.nn.utils.weight_norm(bp.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        bp.nn.utils.weight_norm(layer)


P = bp.nn.utils.parametrizations
TP = torch.nn.utils.parametrizations


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("fn, kwargs", [("weight_norm", {}), ("weight_norm", {"dim": None}), ("spectral_norm", {})])
def test_parametrizations_match_torch(kind, fn, kwargs):
    ours = getattr(P, fn)(_pair(bp, kind), **kwargs)
    theirs = getattr(TP, fn)(_pair(torch, kind), **kwargs)
    assert type(ours).__name__ == type(theirs).__name__
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [_input(kind)])
    assert_close(ours.weight, theirs.weight, what="parametrized weight")


def test_parametrized_weight_norm_loads_a_legacy_state_dict():
    legacy = torch.nn.utils.weight_norm(_pair(torch, "linear"))
    ours = P.weight_norm(bp.nn.Linear(3, 4))
    result = ours.load_state_dict({k: v.numpy() for k, v in legacy.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert_close(ours(bp.tensor(V)), legacy(torch.tensor(V)), what="output")


class _Symmetric:
    """The same parametrization in both libraries: X -> triu(X) + triu(X, 1)^T, right inverse triu."""

    @staticmethod
    def make(lib):
        class Symmetric(lib.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(0, 1)

            def right_inverse(self, A):
                return A.triu()
        return Symmetric()


def test_register_and_remove_parametrization_as_torch():
    made = {}
    for lib in (torch, bp):
        torch.manual_seed(0)
        layer = lib.nn.Linear(3, 3)
        if lib is bp:
            layer.load_state_dict({k: v.detach().numpy() for k, v in made["torch_init"].items()})
        else:
            made["torch_init"] = layer.state_dict()
        original = layer.weight
        P_ = lib.nn.utils.parametrize
        P_.register_parametrization(layer, "weight", _Symmetric.make(lib))
        assert P_.is_parametrized(layer) and P_.is_parametrized(layer, "weight")
        assert not P_.is_parametrized(layer, "bias")
        assert layer.parametrizations.weight.original is original  # the same Parameter object, now triu'd
        assert P_.type_before_parametrizations(layer) is lib.nn.Linear
        layer.weight = layer.weight * 2  # assigning goes through right_inverse
        with P_.cached():
            assert layer.weight is layer.weight
        made[lib.__name__] = (repr(layer), list(layer.state_dict()), layer.weight.detach().numpy().copy(),
                              type(layer).__name__)
        P_.remove_parametrizations(layer, "weight")
        assert type(layer) is lib.nn.Linear and not hasattr(layer, "parametrizations")
        assert layer.weight is original
        made[lib.__name__] += (layer.weight.detach().numpy().copy(),)
    ours, theirs = made["backprop"], made["torch"]
    assert ours[0] == theirs[0] and ours[1] == theirs[1] and ours[3] == theirs[3]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6)


def test_parametrization_checks_and_errors_as_torch():
    class Shrink(bp.nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        bp.nn.utils.parametrize.register_parametrization(bp.nn.Linear(2, 2), "weight", Shrink())
    layer = bp.nn.utils.parametrize.register_parametrization(bp.nn.Linear(2, 2), "weight", Shrink(), unsafe=True)
    assert tuple(layer.weight.shape) == (1, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        bp.nn.utils.parametrize.register_parametrization(bp.nn.Linear(2, 2), "nothing", Shrink())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        bp.nn.utils.parametrize.remove_parametrizations(layer, "bias")


def test_parametrized_module_deepcopies_but_refuses_pickling():
    layer = P.weight_norm(bp.nn.Linear(3, 2))
    twin = copy.deepcopy(layer)
    assert type(twin).__name__ == "ParametrizedLinear"
    assert twin.parametrizations.weight.original1 is not layer.parametrizations.weight.original1
    assert_close(twin(bp.tensor(V)), layer(bp.tensor(V)).detach().numpy(), what="copy's output")
    import pickle

    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)


def test_gradients_reach_the_originals_and_an_optimizer_trains_them():
    layer = P.spectral_norm(bp.nn.Linear(3, 4))
    opt = bp.optim.SGD(layer.parameters(), lr=0.1)
    before = layer.parametrizations.weight.original.detach().numpy().copy()
    layer(bp.tensor(V)).square().sum().backward()
    assert layer.parametrizations.weight.original.grad is not None
    opt.step()
    assert not np.allclose(before, layer.parametrizations.weight.original.detach().numpy())


ORTHOGONAL = [((4, 4), None, True), ((4, 4), "cayley", True), ((4, 4), "householder", True), ((6, 3), None, True),
              ((3, 6), None, True), ((6, 3), "matrix_exp", True), ((3, 6), "cayley", True), ((6, 3), None, False),
              ((3, 6), "householder", False), ((4, 4), "householder", False)]


@pytest.mark.parametrize("shape, orthogonal_map, trivial", ORTHOGONAL)
def test_orthogonal_as_torch(shape, orthogonal_map, trivial):
    def make(lib):
        torch.manual_seed(0)
        return lib.nn.Linear(shape[1], shape[0])

    ours, theirs = make(bp), make(torch)
    ours.load_state_dict(theirs.state_dict())
    P.orthogonal(ours, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    TP.orthogonal(theirs, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if shape[0] == shape[1] or not trivial:  # no random completion: the same starting point as torch
        for key, value in theirs.state_dict().items():
            assert_close(ours.state_dict()[key], value, what=key)
    step = 0.3 * np.random.default_rng(2).standard_normal(shape).astype("float32")
    np.fill_diagonal(step, 0)  # the diagonal holds the Householder signs (+-1), which are not learned
    with torch.no_grad():  # move away from the starting point, so that the map itself is exercised
        theirs.parametrizations.weight.original.add_(torch.tensor(step))
    compare_module(ours, theirs, [np.random.default_rng(3).standard_normal((2, shape[1])).astype("float32")])
    w = ours.weight.detach().numpy()
    small = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(small, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_assignment_and_errors_as_torch():
    layer = P.orthogonal(bp.nn.Linear(3, 3))
    q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0].astype("float32")
    layer.weight = bp.tensor(q)
    np.testing.assert_allclose(layer.weight.detach().numpy(), q, atol=1e-6)
    for lib_p, lib in ((P, bp), (TP, torch)):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
            lib_p.orthogonal(lib.nn.Linear(2, 2), "bias")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
            lib_p.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="qr")
        fixed = lib_p.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="cayley", use_trivialization=False)
        with pytest.raises(NotImplementedError, match="use_trivialization=False"):
            fixed.weight = lib.eye(2)
