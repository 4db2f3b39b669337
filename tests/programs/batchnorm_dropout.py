# train() and eval(): BatchNorm's running statistics and Dropout's scaling, with fixed data and weights.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
from torch import nn


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    bn = nn.BatchNorm1d(3, momentum=0.1)
    x = torch.arange(12.0).reshape(4, 3) ** 1.5
    for _ in range(3):
        out = bn(x)
    print("training output:", out.detach())
    print("running mean:", bn.running_mean)
    print("running var:", bn.running_var)
    print("batches tracked:", bn.num_batches_tracked)
    bn.eval()
    print("eval output:", bn(x).detach())
    print("buffers:", [name for name, _ in bn.named_buffers()])

    bn2 = nn.BatchNorm2d(2)
    images = torch.linspace(0, 1, 2 * 2 * 3 * 3).reshape(2, 2, 3, 3)
    y = bn2(images)
    print("2d mean per channel is zero:", bool(y.mean(dim=(0, 2, 3)).abs().max() < 1e-5), "running var:", bn2.running_var)

    drop = nn.Dropout(p=0.5)
    drop.eval()
    print("dropout in eval:", drop(torch.ones(5)))
    drop.train()
    kept = drop(torch.ones(1000))
    print("dropout in train keeps zeros and twos:", sorted(set(kept.tolist())))
    print("no dropout at p=0:", nn.Dropout(0.0)(torch.ones(3)))

    ln = nn.LayerNorm(3)
    print("layer norm:", ln(x).detach())
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.3), nn.Linear(4, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape))
    model.eval()
    with torch.no_grad():
        print("eval model:", model(x).squeeze(1))


if __name__ == "__main__":
    main()
