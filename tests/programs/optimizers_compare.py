# The same small regression trained by each optimizer from the same starting weights: the loss curve of each.
# compare: close rtol=2e-3 atol=1e-5
import argparse

import torch
from torch import nn


def make_model():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(0.3 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) + i).reshape(p.shape))
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 32 * 4).reshape(32, 4)
    y = (x[:, :1] * 2 - x[:, 1:2] + torch.cos(3 * x[:, 2:3])) / 2
    optimizers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=0.1),
        "SGD momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
        "SGD nesterov wd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        "Adam": lambda p: torch.optim.Adam(p, lr=0.01),
        "Adam amsgrad": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), amsgrad=True),
        "AdamW": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.9),
        "RMSprop centered momentum": lambda p: torch.optim.RMSprop(p, lr=0.002, momentum=0.5, centered=True),
        "Adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
    }
    for name, build in optimizers.items():
        model = make_model()
        optimizer = build(model.parameters())
        curve = []
        for step in range(args.steps):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            if step % 10 == 9:
                curve.append(round(loss.item(), 6))
        print(f"{name}: {curve}")
    print("param groups:", len(optimizer.param_groups), optimizer.param_groups[0]["lr"])


if __name__ == "__main__":
    main()
