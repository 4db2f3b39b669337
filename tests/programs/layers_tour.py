# A tour of layers on fixed inputs and weights, as one checks shapes and values before building a model: transposed
# and 3-d convolutions, the pooling family (with indices and unpooling), padding modes, normalisation layers,
# Fold/Unfold, PixelShuffle, ChannelShuffle, Bilinear, distances, Embedding with max_norm, interpolate modes; each
# module's repr, output summary and the gradient of its input.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


def fill_(module):
    with torch.no_grad():
        for k, p in enumerate(module.parameters()):
            p.copy_(0.3 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.77 + 0.5 * k).view_as(p))
    return module


def probe(module, x):
    x = x.clone().requires_grad_()
    y = module(x)
    out = y[0] if isinstance(y, tuple) else y
    weights = torch.cos(torch.arange(out.numel(), dtype=torch.float32)).view_as(out)
    (grad,) = torch.autograd.grad((out * weights).sum(), x)
    print(f"{module}: out {tuple(out.shape)} sum {out.sum().item():.5f} abs {out.abs().sum().item():.5f} "
          f"| grad abs {grad.abs().sum().item():.5f}")
    return y


def main():
    parser = argparse.ArgumentParser()
    parser.parse_args()
    torch.manual_seed(0)
    seq = torch.sin(torch.arange(2 * 3 * 10, dtype=torch.float32) * 0.3).view(2, 3, 10)
    img = torch.cos(torch.arange(2 * 4 * 6 * 6, dtype=torch.float32) * 0.17).view(2, 4, 6, 6)
    vol = torch.sin(torch.arange(1 * 2 * 4 * 4 * 4, dtype=torch.float32) * 0.11).view(1, 2, 4, 4, 4)

    print("-- convolutions")
    probe(fill_(nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1, output_padding=1)), seq)
    probe(fill_(nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1)), img)
    probe(fill_(nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), padding=(0, 1), dilation=(1, 2), bias=False)), img)
    probe(fill_(nn.Conv3d(2, 3, 3, padding=1, stride=(1, 2, 2))), vol)
    probe(fill_(nn.ConvTranspose3d(2, 1, 2, stride=2)), vol)
    probe(fill_(nn.Conv2d(4, 4, 3, padding="same", padding_mode="reflect")), img)
    probe(fill_(nn.Conv1d(3, 3, 3, padding=2, padding_mode="circular", groups=3)), seq)

    print("-- pooling")
    for module in [nn.MaxPool1d(3, stride=2, padding=1), nn.AvgPool1d(4, stride=2, ceil_mode=True),
                   nn.AdaptiveMaxPool1d(4), nn.AdaptiveAvgPool1d(3), nn.LPPool1d(2, 3, stride=2)]:
        probe(module, seq)
    for module in [nn.MaxPool2d(3, stride=2, padding=1, dilation=1), nn.AvgPool2d(3, stride=2, padding=1,
                                                                                    count_include_pad=False),
                   nn.AdaptiveMaxPool2d((2, 3)), nn.AdaptiveAvgPool2d(4), nn.LPPool2d(2, 2),
                   nn.MaxPool2d(2, ceil_mode=True)]:
        probe(module, img)
    probe(nn.MaxPool3d(2), vol)
    probe(nn.AvgPool3d(2, stride=1), vol)
    pooled, indices = nn.MaxPool2d(2, return_indices=True)(img)
    print("indices:", indices[0, 0].tolist())
    unpooled = nn.MaxUnpool2d(2)(pooled, indices, output_size=img.shape)
    print("unpool keeps the maxima:", bool(torch.equal(unpooled.amax(dim=(2, 3)), img.amax(dim=(2, 3)))),
          "zeros:", int((unpooled == 0).sum().item()))
    values, idx1 = F.max_pool1d(seq, 2, return_indices=True)
    print("max_unpool1d:", F.max_unpool1d(values, idx1, 2)[0, 0].tolist()[:6])

    print("-- padding")
    for module in [nn.ZeroPad2d((1, 2, 0, 1)), nn.ConstantPad2d(1, 0.5), nn.ReflectionPad2d(2),
                   nn.ReplicationPad2d((2, 0, 1, 1)), nn.CircularPad2d(1)]:
        probe(module, img)
    for module in [nn.ReflectionPad1d(3), nn.ReplicationPad1d((1, 4)), nn.ConstantPad1d((2, 1), -1.0)]:
        probe(module, seq)
    probe(nn.ReplicationPad3d(1), vol)
    print("F.pad modes:", [F.pad(torch.arange(4.0).view(1, 1, 4), (2, 1), mode=m)[0, 0].tolist()
                           for m in ("constant", "reflect", "replicate", "circular")])

    print("-- normalisation")
    for module in [nn.GroupNorm(2, 4), nn.GroupNorm(4, 4, affine=False), nn.InstanceNorm2d(4),
                   nn.InstanceNorm2d(4, affine=True, track_running_stats=True), nn.LocalResponseNorm(3),
                   nn.LayerNorm([6, 6]), nn.RMSNorm([6], eps=1e-6), nn.BatchNorm2d(4)]:
        fill_(module).train()
        probe(module, img)
    probe(fill_(nn.InstanceNorm1d(3, affine=True)), seq)
    probe(fill_(nn.BatchNorm3d(2)), vol)

    print("-- rearranging")
    unfold = nn.Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=2)
    patches = probe(unfold, img)
    fold = nn.Fold(output_size=(6, 6), kernel_size=(2, 3), padding=1, stride=2)
    print("fold(unfold) counts:", fold(unfold(torch.ones(1, 1, 6, 6)))[0, 0, :2].tolist(), tuple(patches.shape))
    probe(nn.PixelShuffle(2), img)
    probe(nn.PixelUnshuffle(2), img)
    probe(nn.ChannelShuffle(2), img)
    probe(nn.Flatten(1, 2), img)
    probe(nn.Unflatten(1, (2, 2)), img)
    for mode, kw in [("nearest", {}), ("bilinear", {"align_corners": False}), ("bilinear", {"align_corners": True}),
                     ("bicubic", {"align_corners": False}), ("nearest-exact", {}), ("area", {})]:
        up = nn.Upsample(size=(9, 8), mode=mode, **kw) if mode != "area" else nn.Upsample(size=(3, 4), mode=mode)
        probe(up, img)
    probe(nn.Upsample(scale_factor=2.5, mode="linear"), seq)
    probe(nn.Upsample(scale_factor=(1.5, 2, 2), mode="trilinear"), vol)

    print("-- pairs and embeddings")
    a, b = seq[0].T.contiguous(), seq[1].T.contiguous()
    bilinear = fill_(nn.Bilinear(3, 3, 2))
    print("Bilinear:", bilinear, round(bilinear(a, b).sum().item(), 5))
    print("CosineSimilarity:", [round(v, 5) for v in nn.CosineSimilarity(dim=1)(a, b).tolist()[:4]])
    print("PairwiseDistance:", [round(v, 5) for v in nn.PairwiseDistance(p=1.5, keepdim=False)(a, b).tolist()[:4]])
    embedding = nn.Embedding(6, 3, padding_idx=2, max_norm=1.0)
    with torch.no_grad():
        embedding.weight.copy_(torch.arange(18.0).view(6, 3) / 4)
    out = embedding(torch.tensor([[0, 2, 5], [5, 1, 1]]))
    print("Embedding max_norm:", [round(v, 5) for v in embedding.weight.norm(dim=1).tolist()], tuple(out.shape))
    print("dropouts in eval:", [bool(torch.equal(m.eval()(x), x)) for m, x in
                                ((nn.Dropout1d(0.5), seq), (nn.Dropout2d(0.5), img), (nn.Dropout3d(0.5), vol),
                                 (nn.AlphaDropout(0.5), img), (nn.FeatureAlphaDropout(0.2), img))])
    kept = nn.Dropout2d(0.5).train()(torch.ones(8, 16, 3, 3))
    print("Dropout2d zeroes whole channels:", bool(((kept == 0) | (kept == 2)).all()),
          bool((kept.amax(dim=(2, 3)) == kept.amin(dim=(2, 3))).all()))


if __name__ == "__main__":
    main()
