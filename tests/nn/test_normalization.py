"""BatchNorm1d/2d and LayerNorm against torch twins; running statistics; gradcheck of the fused ops."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F
from backprop.ops import normalization as N

from .twin import assert_close, compare_module

BATCH_NORMS = {"1d-2D": (nn.BatchNorm1d, torch.nn.BatchNorm1d, (6, 3)),
               "1d-3D": (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
               "2d": (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 2, 3))}


def rng(seed=0):
    return np.random.default_rng(seed)


def sample(shape, seed=0):
    """Inputs with a per-channel offset and scale, so the statistics matter."""
    x = rng(seed).standard_normal(shape)
    channel = (1, -1) + (1,) * (len(shape) - 2)
    return x * np.arange(1, shape[1] + 1).reshape(channel) + np.arange(shape[1]).reshape(channel)


def twins(ours, theirs, *args, **kwargs):
    a, b = ours(*args, **kwargs), theirs(*args, **kwargs)
    with torch.no_grad():  # non-trivial affine parameters
        for p in b.parameters():
            p.copy_(torch.tensor(rng(7).standard_normal(tuple(p.shape))))
    return a, b


def assert_buffers(ours, theirs, dtype="float32"):
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        if value.dtype == torch.int64:
            assert ours_state[key].dtype == bp.int64, key
            assert ours_state[key].item() == value.item(), key
        else:
            assert_close(ours_state[key], value, dtype, key)


@pytest.mark.parametrize("kind", list(BATCH_NORMS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_train_matches_torch(kind, dtype):
    ours, theirs, shape = BATCH_NORMS[kind]
    a, b = twins(ours, theirs, 3)
    compare_module(a, b, [sample(shape)], dtype=dtype)
    assert_buffers(a, b, dtype)


@pytest.mark.parametrize("kind", list(BATCH_NORMS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_eval_uses_running_stats(kind, dtype):
    ours, theirs, shape = BATCH_NORMS[kind]
    a, b = twins(ours, theirs, 3)
    with torch.no_grad():
        b.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
        b.running_var.copy_(torch.tensor([0.25, 2.0, 4.0]))
    a.eval(), b.eval()
    compare_module(a, b, [sample(shape)], dtype=dtype)
    assert_buffers(a, b, dtype)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("kind", list(BATCH_NORMS))
def test_running_stats_over_several_steps(kind, momentum):
    ours, theirs, shape = BATCH_NORMS[kind]
    a, b = twins(ours, theirs, 3, momentum=momentum)
    a.double(), b.double()
    compare_module(a, b, [sample(shape)], dtype="float64")  # copies the weights, checks step 1
    for step in range(1, 4):
        x = sample(shape, seed=step)
        y_ours, y_theirs = a(bp.tensor(x)), b(torch.tensor(x))
        assert_close(y_ours, y_theirs, "float64", f"output at step {step}")
    assert_buffers(a, b, "float64")
    assert a.num_batches_tracked.item() == 4
    a.eval(), b.eval()
    x = sample(shape, seed=9)
    assert_close(a(bp.tensor(x)), b(torch.tensor(x)), "float64", "eval output after training")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_without_affine_and_without_running_stats(dtype):
    for kwargs in (dict(affine=False), dict(track_running_stats=False), dict(affine=False, track_running_stats=False)):
        a, b = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs)
        assert list(a.state_dict()) == list(b.state_dict())
        compare_module(a, b, [sample((4, 3, 2, 2))], dtype=dtype)
        a.eval(), b.eval()
        compare_module(a, b, [sample((4, 3, 2, 2), 1)], dtype=dtype)


def test_state_dict_keys_and_buffers_equal_torchs():
    for ours, theirs in ((nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)), (nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)),
                         (nn.LayerNorm((2, 4)), torch.nn.LayerNorm((2, 4)))):
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        assert_buffers(ours, theirs)
    bn = nn.BatchNorm1d(4)
    assert bn.num_batches_tracked.dtype == bp.int64 and bn.num_batches_tracked.shape == ()
    bn.to(bp.float64)
    assert bn.num_batches_tracked.dtype == bp.int64 and bn.running_mean.dtype == bp.float64


def test_torch_state_dict_loads_strictly():
    theirs = torch.nn.BatchNorm1d(3)
    theirs(torch.tensor(sample((5, 3)), dtype=torch.float32))
    ours = nn.BatchNorm1d(3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    assert ours.num_batches_tracked.item() == 1
    assert_buffers(ours, theirs)


def test_functional_batch_norm_updates_running_stats_as_torch():
    x = sample((5, 3, 4))
    rm, rv = bp.zeros(3, dtype=bp.float64), bp.ones(3, dtype=bp.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    w, b = rng(1).standard_normal(3), rng(2).standard_normal(3)
    for _ in range(2):
        y = F.batch_norm(bp.tensor(x), rm, rv, bp.tensor(w), bp.tensor(b), training=True, momentum=0.3, eps=1e-3)
        t = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b),
                                           training=True, momentum=0.3, eps=1e-3)
        assert_close(y, t, "float64", "output")
    assert_close(rm, trm, "float64", "running_mean")
    assert_close(rv, trv, "float64", "running_var")
    y = F.batch_norm(bp.tensor(x), rm, rv, training=False)
    assert_close(y, torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=False), "float64", "eval")


def test_batch_norm_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm1d.*2D or 3D.*4D"):
        nn.BatchNorm1d(3)(bp.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d.*4D.*\(2, 3\)"):
        nn.BatchNorm2d(3)(bp.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(num_features=3\).*3 channels.*\(2, 4, 2, 2\)"):
        nn.BatchNorm2d(3)(bp.zeros(2, 4, 2, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(bp.zeros(1, 3))
    nn.BatchNorm1d(3).eval()(bp.zeros(1, 3))  # one example is fine in eval


@pytest.mark.parametrize("shape, normalized", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((3, 2, 2, 3), (3,))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_norm_matches_torch(shape, normalized, dtype):
    a, b = twins(nn.LayerNorm, torch.nn.LayerNorm, normalized)
    x = rng().standard_normal(shape) * 3 + 1
    compare_module(a, b, [x], dtype=dtype)
    a.eval(), b.eval()
    compare_module(a, b, [x], dtype=dtype)


@pytest.mark.parametrize("kwargs", [dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-2)])
def test_layer_norm_options(kwargs):
    a, b = twins(nn.LayerNorm, torch.nn.LayerNorm, 4, **kwargs)
    assert list(a.state_dict()) == list(b.state_dict())
    compare_module(a, b, [rng().standard_normal((3, 4))], dtype="float64")


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"LayerNorm\(normalized_shape=\(4,\)\).*\(\*, 4\).*\(2, 3\)"):
        nn.LayerNorm(4)(bp.zeros(2, 3))
    with pytest.raises(ValueError, match=r"layer_norm\(\).*weight of shape \(3,\)"):
        F.layer_norm(bp.zeros(2, 3), (3,), bp.ones(4))


def _param(shape, seed, grad=True):
    return bp.tensor(rng(seed).standard_normal(shape), dtype=bp.float64, requires_grad=grad)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4), (2, 3, 2, 2)])
def test_gradcheck_batch_norm(shape):
    x, w, b = _param(shape, 0), _param(3, 1), _param(3, 2)
    assert bp.autograd.gradcheck(lambda x, w, b: N.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    assert bp.autograd.gradcheck(lambda x: N.batch_norm(x, None, None, training=True, eps=1e-3), (x,))
    rm, rv = bp.tensor([0.1, -0.2, 0.3], dtype=bp.float64), bp.tensor([1.5, 0.5, 2.0], dtype=bp.float64)
    assert bp.autograd.gradcheck(lambda x, w, b: N.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert bp.autograd.gradcheck(lambda x, w: N.batch_norm(x, rm, rv, w, None, training=False), (x, w))


@pytest.mark.parametrize("shape, normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_gradcheck_layer_norm(shape, normalized):
    x, w, b = _param(shape, 0), _param(normalized, 1), _param(normalized, 2)
    assert bp.autograd.gradcheck(lambda x, w, b: N.layer_norm(x, normalized, w, b), (x, w, b))
    assert bp.autograd.gradcheck(lambda x: N.layer_norm(x, normalized), (x,))
    assert bp.autograd.gradcheck(lambda x, w: N.layer_norm(x, normalized, w, None), (x, w))


def test_extra_repr_like_torch():
    for kwargs in (dict(), dict(affine=False), dict(bias=False), dict(momentum=None, track_running_stats=False)):
        assert repr(nn.BatchNorm2d(3, **kwargs)) == repr(torch.nn.BatchNorm2d(3, **kwargs))
    for kwargs in (dict(), dict(bias=False), dict(elementwise_affine=False)):
        assert repr(nn.LayerNorm(4, **kwargs)) == repr(torch.nn.LayerNorm(4, **kwargs))


def test_batch_norm_without_bias():
    a, b = twins(nn.BatchNorm1d, torch.nn.BatchNorm1d, 3, bias=False)
    assert list(a.state_dict()) == list(b.state_dict())
    compare_module(a, b, [sample((5, 3))], dtype="float64")


def test_a_batchnorm_state_dict_without_its_counter_loads_as_torchs():
    """torch's BatchNorm is at version 2 (num_batches_tracked added): a dict without metadata or from version 1
    loads with the counter at 0, while a version-2 dict missing it is a missing key, in both frameworks."""
    source = torch.nn.BatchNorm2d(3)
    plain = {k: v for k, v in source.state_dict().items() if k != "num_batches_tracked"}
    ours = bp.nn.BatchNorm2d(3)
    ours.num_batches_tracked.fill_(5)
    assert tuple(torch.nn.BatchNorm2d(3).load_state_dict(dict(plain))) == ([], [])
    assert tuple(ours.load_state_dict({k: v.numpy() for k, v in plain.items()})) == ([], [])
    assert int(ours.num_batches_tracked) == 0
    versioned = ours.state_dict()
    assert versioned._metadata[""]["version"] == source.state_dict()._metadata[""]["version"] == 2
    del versioned["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        ours.load_state_dict(versioned)
    theirs = source.state_dict()
    del theirs["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        source.load_state_dict(theirs)
