"""Transformer, TransformerEncoder/Decoder(Layer) against torch twins: outputs, input and parameter gradients after
loading torch's state_dict, in train mode with dropout=0 and in eval mode, with each kind of mask."""
import math
import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module, copy_weights

E, H, FF, S, T, N = 8, 2, 16, 5, 4, 3


def rng(seed=0):
    return np.random.default_rng(seed)


def perturbed(module, seed=4):
    """Non-trivial norms and biases (torch starts them at 1 / 0), so that they are tested."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name or "bias" in name:
                p.copy_(torch.tensor(rng(seed).standard_normal(tuple(p.shape))))
    return module


def twins(make, train):
    """The same module built in both libraries (torch's weights copied in by compare_module)."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = perturbed(make(torch.nn)), make(nn)
    return (ours.train(), theirs.train()) if train else (ours.eval(), theirs.eval())


def padding_mask(length, kind="bool"):
    mask = np.zeros((N, length), bool)
    mask[0, -2:] = mask[2, -1] = True
    return mask if kind == "bool" else np.where(mask, -np.inf, 0.0)


def causal(length, kind):
    future = np.triu(np.ones((length, length), bool), 1)
    return future if kind == "bool" else np.where(future, -np.inf, 0.0)


def seq(length, batch_first=False, seed=0):
    return rng(seed).standard_normal((N, length, E) if batch_first else (length, N, E))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True), dict(batch_first=True, activation="gelu")])
def test_decoder_layer_matches_torch(train, kwargs):
    ours, theirs = twins(lambda m: m.TransformerDecoderLayer(E, H, FF, dropout=0.0, **kwargs), train)
    bf = kwargs.get("batch_first", False)
    compare_module(ours, theirs, [seq(T, bf), seq(S, bf, seed=1)], dtype="float64")


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_decoder_layer_with_every_mask(kind):
    ours, theirs = twins(lambda m: m.TransformerDecoderLayer(E, H, FF, dropout=0.0), train=True)
    memory_mask = rng(5).random((T, S)) < 0.3
    memory_mask[:, 0] = False
    if kind == "float":
        memory_mask = np.where(memory_mask, -1e9, 0.5 * rng(6).standard_normal((T, S)))

    def call(m, tgt, memory, tgt_mask, memory_mask, tgt_pad, memory_pad):
        return m(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_pad,
                 memory_key_padding_mask=memory_pad, tgt_is_causal=True)
    compare_module(ours, theirs, [seq(T), seq(S, seed=1), causal(T, kind), memory_mask, padding_mask(T, kind),
                                  padding_mask(S, kind)], dtype="float64", forward=call)


def stack_twins(kind, train=True, norm=True, **kwargs):
    def make(m):
        if kind == "encoder":
            layer = m.TransformerEncoderLayer(E, H, FF, dropout=0.0, **kwargs)
            return m.TransformerEncoder(layer, 2, m.LayerNorm(E) if norm else None, enable_nested_tensor=False)
        layer = m.TransformerDecoderLayer(E, H, FF, dropout=0.0, **kwargs)
        return m.TransformerDecoder(layer, 2, m.LayerNorm(E) if norm else None)
    return twins(make, train)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, batch_first=True)])
def test_encoder_stack_matches_torch(train, kwargs):
    ours, theirs = stack_twins("encoder", train, **kwargs)
    bf = kwargs.get("batch_first", False)
    mask = causal(S, "float")
    pad = padding_mask(S)
    compare_module(ours, theirs, [seq(S, bf), mask, pad], dtype="float64",
                   forward=lambda m, x, a, p: m(x, mask=a, src_key_padding_mask=p))
    compare_module(*stack_twins("encoder", train, norm=False, **kwargs), [seq(S, bf)], dtype="float32")


def test_decoder_stack_matches_torch():
    ours, theirs = stack_twins("decoder", norm_first=True)
    compare_module(ours, theirs, [seq(T), seq(S, seed=1), causal(T, "float")], dtype="float64",
                   forward=lambda m, tgt, memory, mask: m(tgt, memory, tgt_mask=mask))


def test_stacks_are_deep_copies_with_torch_keys():
    layer = nn.TransformerEncoderLayer(E, H, FF)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert encoder.layers[0] is not layer and encoder.layers[0].linear1 is not encoder.layers[1].linear1
    np.testing.assert_array_equal(encoder.layers[2].linear1.weight.detach().numpy(),
                                  layer.linear1.weight.detach().numpy())
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, FF), 3, enable_nested_tensor=False)
    assert list(encoder.state_dict()) == list(theirs.state_dict())
    assert repr(encoder) == repr(theirs)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF), 2, nn.LayerNorm(E))
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, H, FF), 2, torch.nn.LayerNorm(E))
    assert list(decoder.state_dict()) == list(theirs.state_dict())
    assert repr(decoder) == repr(theirs)


def transformer_twins(train=True, **kwargs):
    return twins(lambda m: m.Transformer(E, H, 2, 1, FF, dropout=0.0, **kwargs), train)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kwargs", [dict(), dict(norm_first=True, batch_first=True)])
def test_transformer_matches_torch(train, kwargs):
    ours, theirs = transformer_twins(train, **kwargs)
    bf = kwargs.get("batch_first", False)

    def call(m, src, tgt, tgt_mask, src_pad, tgt_pad):
        return m(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad,
                 memory_key_padding_mask=src_pad)
    inputs = [seq(S, bf), seq(T, bf, seed=1), causal(T, "float"), padding_mask(S), padding_mask(T)]
    compare_module(ours, theirs, inputs, dtype="float64", forward=call)


def test_transformer_unbatched_and_bool_masks():
    ours, theirs = transformer_twins()
    compare_module(ours, theirs, [seq(S)[:, 0], seq(T, seed=1)[:, 0], causal(T, "bool")], dtype="float64",
                   forward=lambda m, src, tgt, mask: m(src, tgt, tgt_mask=mask))


def test_transformer_structure_init_and_repr():
    bp.manual_seed(0)
    kwargs = dict(d_model=32, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = nn.Transformer(**kwargs), torch.nn.Transformer(**kwargs)
        assert repr(nn.Transformer()) == repr(torch.nn.Transformer())  # torch's defaults: 512, 8 heads, 6 + 6
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    w = ours.encoder.layers[0].linear1.weight.detach().numpy()  # xavier_uniform_, wider than Linear's default
    bound = math.sqrt(6 / (32 + 64))
    assert w.max() <= bound and w.max() > 0.95 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    in_proj = ours.decoder.layers[1].multihead_attn.in_proj_weight.detach().numpy()
    assert abs(in_proj.std() - math.sqrt(2 / (32 + 96))) < 0.05 * math.sqrt(2 / (32 + 96))
    for name, p in ours.named_parameters():  # 1-d parameters keep their defaults
        if "in_proj_bias" in name or "out_proj.bias" in name or "norm" in name:
            expected = 1.0 if "norm" in name and name.endswith("weight") else 0.0
            assert np.all(p.detach().numpy() == expected), name
    assert (ours.d_model, ours.nhead, ours.batch_first) == (32, 4, False)


def test_generate_square_subsequent_mask():
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == bp.float32
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=bp.float64).dtype == bp.float64


def test_transformer_errors_and_nested_tensor_warning():
    model = nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(bp.zeros(S, 2, E), bp.zeros(T, 3, E))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(bp.zeros(S, 3, E), bp.zeros(T, 3, 4))
    with pytest.warns(UserWarning, match="use_nested_tensor is False because encoder_layer.norm_first was True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, norm_first=True, batch_first=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, batch_first=True), 1)
    assert encoder.use_nested_tensor and encoder.enable_nested_tensor and encoder.mask_check


def test_transformer_trains_with_dropout():
    bp.manual_seed(0)
    model = nn.Transformer(E, H, 1, 1, FF, dropout=0.1)
    src, tgt = bp.randn(S, N, E), bp.randn(T, N, E)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    optimiser = bp.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = ((model(src, tgt, tgt_mask=mask) - tgt) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    a = model(src, tgt, tgt_mask=mask).detach().numpy()
    np.testing.assert_array_equal(a, model(src, tgt, tgt_mask=mask).detach().numpy())


def test_encoder_inference_zeroes_padding_like_torchs_nested_tensors():
    """torch's nested-tensor path (eval, no grad, padding at the ends): zeros at padded positions, the rest as
    usual; with a gradient to record, or padding inside a sequence, the plain path (no zeros)."""
    def make(m):
        layer = m.TransformerEncoderLayer(E, H, FF, batch_first=True)
        return m.TransformerEncoder(layer, 2, m.LayerNorm(E))
    ours, theirs = twins(make, train=False)
    copy_weights(theirs, ours)
    x = seq(S, batch_first=True).astype(np.float32)
    results = []
    for pad in (padding_mask(S), np.eye(N, S, 1, dtype=bool)):  # padding at the ends; padding inside
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).numpy()
        with bp.no_grad():
            got = ours(bp.tensor(x), src_key_padding_mask=bp.tensor(pad)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
        results.append(got)
    bias = ours.norm.bias.detach().numpy()  # the final norm maps the zeros to its bias
    np.testing.assert_allclose(results[0][0, -2:], np.stack([bias, bias]), atol=1e-6)
    assert np.abs(results[1][0, 1] - bias).max() > 1e-3
    plain = ours(bp.tensor(x), src_key_padding_mask=bp.tensor(padding_mask(S))).detach().numpy()  # records a graph
    assert np.abs(plain[0, -2:]).min() > 0
    np.testing.assert_allclose(plain[:, :3], results[0][:, :3], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(bias=False, layer_norm_eps=1e-3), dict(activation="gelu", norm_first=True)])
def test_transformer_options_match_torch(kwargs):
    ours, theirs = transformer_twins(**kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    compare_module(ours, theirs, [seq(S), seq(T, seed=1), causal(T, "bool")], dtype="float64",
                   forward=lambda m, src, tgt, mask: m(src, tgt, tgt_mask=mask))


def test_custom_encoder_and_decoder_with_callable_activations():
    # a Module activation on the encoder layer, a function on the decoder layer: torch's decoder layer loses a
    # Module activation when TransformerDecoder deep-copies it (its __setstate__ puts relu in its place)
    def make(m):
        tanh = torch.tanh if m is torch.nn else bp.tanh
        layer = m.TransformerDecoderLayer(E, H, FF, dropout=0.0, activation=tanh)
        encoder = m.TransformerEncoder(m.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation=m.Tanh()), 1,
                                       enable_nested_tensor=False)
        return m.Transformer(E, H, custom_encoder=encoder, custom_decoder=m.TransformerDecoder(layer, 2))
    ours, theirs = twins(make, train=True)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    assert ours.encoder.norm is None and len(ours.decoder.layers) == 2
    compare_module(ours, theirs, [seq(S), seq(T, seed=1)], dtype="float64")
