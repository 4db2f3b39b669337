# A custom autograd Function (a Legendre polynomial P3) fitted to sin(x) with hand-written updates.
# compare: close rtol=2e-3 atol=1e-5
import argparse
import math

import torch


class LegendreP3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative written by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


class ScaledSquare(torch.autograd.Function):
    """scale * x^2 with a non-tensor argument, whose gradient is None."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * ctx.scale * x, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--lr", type=float, default=5e-6)
    args = parser.parse_args()
    torch.manual_seed(0)

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)
    P3 = LegendreP3.apply
    for t in range(args.steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            print(t, f"{loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            for param in (a, b, c, d):
                param -= args.lr * param.grad
                param.grad = None
    print(f"Result: y = {a.item():.5f} + {b.item():.5f} * P3({c.item():.5f} + {d.item():.5f} x)")
    print(f"final loss: {loss.item():.4f}")

    v = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    out = ScaledSquare.apply(v, 0.5).sum()
    out.backward()
    print("custom grad:", v.grad)
    print("gradcheck:", torch.autograd.gradcheck(LegendreP3.apply, (torch.tensor([0.3, -0.7], dtype=torch.float64,
                                                                                  requires_grad=True),)))


if __name__ == "__main__":
    main()
