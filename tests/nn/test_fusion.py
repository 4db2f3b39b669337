"""nn.utils fusion (batch norm folded into the layer before it), skip_init and the memory-format converters,
against torch 2.13."""
import numpy as np
import pytest
import torch

import backprop as bp

RNG = np.random.default_rng(0)


def _trained_bn(lib, bn, seed):
    """A batch norm with non-trivial running statistics and affine parameters (same values in both libraries)."""
    rng = np.random.default_rng(seed)
    n = bn.num_features
    state = {"weight": rng.uniform(0.5, 2, n), "bias": rng.standard_normal(n), "running_mean": rng.standard_normal(n),
             "running_var": rng.uniform(0.5, 2, n), "num_batches_tracked": np.array(3)}
    bn.load_state_dict({k: lib.tensor(v.astype("int64" if k == "num_batches_tracked" else "float32"))
                        for k, v in state.items()})
    return bn.eval()


@pytest.mark.parametrize("kind", ["conv", "conv_transpose", "linear"])
def test_fused_layer_equals_layer_then_batch_norm_and_torchs(kind):
    made = {}
    shape = {"linear": (3, 5), "conv": (2, 3, 6, 6), "conv_transpose": (2, 3, 5, 5)}[kind]
    data = RNG.standard_normal(shape)
    for lib in (torch, bp):
        torch.manual_seed(0)
        if kind == "linear":
            layer, bn = lib.nn.Linear(5, 4), lib.nn.BatchNorm1d(4)
        elif kind == "conv":
            layer, bn = lib.nn.Conv2d(3, 4, 3, bias=False), lib.nn.BatchNorm2d(4)
        else:
            layer, bn = lib.nn.ConvTranspose2d(3, 4, 3), lib.nn.BatchNorm2d(4)
        if lib is bp:
            layer.load_state_dict({k: v.numpy() for k, v in made["torch"][0].state_dict().items()})
        layer.eval()
        bn = _trained_bn(lib, bn, 1)
        if kind == "linear":
            fused = lib.nn.utils.fuse_linear_bn_eval(layer, bn)
        else:
            fused = lib.nn.utils.fuse_conv_bn_eval(layer, bn, transpose=kind == "conv_transpose")
        x = lib.tensor(data.astype("float32"))
        made[lib.__name__] = (layer, fused(x).detach().numpy(), bn(layer(x)).detach().numpy(),
                              fused.weight.detach().numpy(), fused.bias.detach().numpy())
    ours, theirs = made["backprop"], made["torch"]
    np.testing.assert_allclose(ours[1], ours[2], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert isinstance(made["backprop"][0].weight, bp.nn.Parameter)


def test_fusion_refuses_training_mode_as_torch():
    for lib in (bp, torch):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(1, 1, 1), lib.nn.BatchNorm2d(1))


def test_skip_init_and_memory_format_converters():
    layer = bp.nn.utils.skip_init(bp.nn.Linear, 3, 2)
    assert tuple(layer.weight.shape) == (2, 3) and isinstance(layer.weight, bp.nn.Parameter)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        bp.nn.utils.skip_init(int)
    net = bp.nn.Sequential(bp.nn.Conv2d(1, 1, 1))
    assert bp.nn.utils.convert_conv2d_weight_memory_format(net, bp.channels_last) is net
    assert bp.nn.utils.convert_conv3d_weight_memory_format(net, bp.channels_last) is net
