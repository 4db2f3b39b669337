# Gradient clipping: clip_grad_norm_ (its returned total norm) and clip_grad_value_, inside a training step.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
from torch import nn


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.linspace(-2, 2, p.numel()).reshape(p.shape))
    x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    target = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    loss = nn.functional.mse_loss(model(x), target) * 100
    loss.backward()
    norms = [p.grad.norm().item() for p in model.parameters()]
    print("grad norms:", [round(n, 4) for n in norms])
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    print("total norm before clipping:", round(float(total), 4))
    print("after clip_grad_norm_:", round(sum(p.grad.norm() ** 2 for p in model.parameters()).sqrt().item(), 4))
    nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
    print("max after clip_grad_value_:", max(p.grad.abs().max().item() for p in model.parameters()))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    optimizer.step()
    print("weights after the step:", model[2].weight)
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e6, norm_type=float("inf"))
    print("inf norm:", round(float(total), 6))
    vec = nn.utils.parameters_to_vector(model.parameters())
    print("as a vector:", vec.shape, round(vec.sum().item(), 4))


if __name__ == "__main__":
    main()
