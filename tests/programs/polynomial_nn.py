# Fit y = sin(x) with nn.Sequential(Linear(3, 1), Flatten(0, 1)) on the powers (x, x^2, x^3), updated by hand.
# compare: close rtol=1e-3 atol=1e-4
import argparse
import math

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=1e-6)
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    print("features:", xx.shape)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    torch.nn.init.zeros_(model[0].weight)
    torch.nn.init.constant_(model[0].bias, 0.1)
    print(model)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for t in range(args.steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, round(loss.item(), 3))
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= args.lr * param.grad
    linear_layer = model[0]
    w = linear_layer.weight[:, 0].item(), linear_layer.weight[:, 1].item(), linear_layer.weight[:, 2].item()
    print(f"Result: y = {linear_layer.bias.item():.4f} + {w[0]:.4f} x + {w[1]:.4f} x^2 + {w[2]:.4f} x^3")
    print(f"final loss: {loss.item():.4f}")


if __name__ == "__main__":
    main()
