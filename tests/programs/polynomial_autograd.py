# Fit y = sin(x) with a cubic: autograd computes the gradients, the update is written by hand.
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
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, requires_grad=True) for v in (0.1, 0.2, -0.1, 0.05))
    for t in range(args.steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            print(t, round(loss.item(), 3))
        loss.backward()
        with torch.no_grad():
            a -= args.lr * a.grad
            b -= args.lr * b.grad
            c -= args.lr * c.grad
            d -= args.lr * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    print(f"Result: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
    print(f"final loss: {loss.item():.4f}")


if __name__ == "__main__":
    main()
