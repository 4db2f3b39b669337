# Lazy modules, as newer model code writes them to skip computing input sizes: nn.LazyConv2d, nn.LazyBatchNorm2d and
# nn.LazyLinear infer in_channels/num_features/in_features on a dry run, become ordinary Conv2d/BatchNorm2d/Linear,
# and then train as usual; the parameters are uninitialised (UninitializedParameter) until the dry run, and an
# optimizer is created only afterwards. Weights are then set from NumPy's generator so both frameworks agree.
# compare: close rtol=1e-3 atol=1e-5
# expect: final loss < 0.5
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.nn.parameter import UninitializedParameter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.LazyConv2d(6, 3, padding=1, bias=False), nn.LazyBatchNorm2d(), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.LazyLinear(16), nn.ReLU(), nn.LazyLinear(3))
    print(model)
    print("uninitialised:", [isinstance(p, UninitializedParameter) for p in model.parameters()])
    print("has_uninitialized_params:", model[0].has_uninitialized_params())

    x = torch.from_numpy(rng.normal(size=(24, 2, 8, 8)).astype(np.float32))
    y = torch.from_numpy((x[:, 0, :4].mean((1, 2)) > 0).long().numpy() + (x[:, 1, 4:].mean((1, 2)) > 0).long().numpy())
    model(x[:2])   # the dry run
    print(model)
    print("shapes:", [tuple(p.shape) for p in model.parameters()])
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.copy_(torch.from_numpy(rng.normal(0, (1.0 / p[0].numel()) ** 0.5, size=tuple(p.shape))
                                         .astype(np.float32)))
            elif p is not model[1].weight:
                p.zero_()
    model[1].reset_running_stats()   # the dry run's statistics came from the random weights
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step}: loss {loss.item():.5f}")
    model.eval()
    with torch.no_grad():
        print(f"final loss: {criterion(model(x), y).item():.5f}")


if __name__ == "__main__":
    main()
