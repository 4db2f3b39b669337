# Fit y = sin(x) with a cubic, gradients computed by hand on tensors (no autograd).
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
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, dtype=dtype)
    b = torch.tensor(0.2, dtype=dtype)
    c = torch.tensor(-0.1, dtype=dtype)
    d = torch.tensor(0.05, dtype=dtype)
    for t in range(args.steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        if t % 100 == 99:
            print(t, round(loss, 3))
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= args.lr * grad_a
        b -= args.lr * grad_b
        c -= args.lr * grad_c
        d -= args.lr * grad_d
    print(f"Result: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
    print(f"final loss: {loss:.4f}")


if __name__ == "__main__":
    main()
