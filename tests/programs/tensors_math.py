# Arithmetic on tensors: elementwise maths, broadcasting, matrix products, in-place operations.
# compare: close rtol=1e-6 atol=1e-6
import argparse

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)

    x = torch.linspace(-1, 1, args.n * 2).reshape(2, args.n)
    y = torch.arange(1.0, args.n + 1)
    print("x =", x)
    print("x + y =", x + y)
    print("x * y =", x.mul(y))
    print("x / y =", x / y)
    print("x ** 2 =", x ** 2)
    print("y ** x =", torch.pow(y, x))
    print("exp:", torch.exp(x))
    print("log:", torch.log(y))
    print("sqrt:", y.sqrt())
    print("abs:", x.abs(), "neg:", -x)
    print("sin/cos:", torch.sin(x), torch.cos(x))
    print("tanh/sigmoid:", torch.tanh(x), torch.sigmoid(x))
    print("clamp:", x.clamp(-0.5, 0.5), x.clamp(min=0))
    print("max of two:", torch.maximum(x, torch.zeros_like(x)))

    m = torch.arange(6.0).reshape(2, 3)
    n = torch.arange(6.0).reshape(3, 2)
    print("m @ n =", m @ n)
    print("matmul:", torch.matmul(m, n))
    print("m.T @ m =", m.T @ m)
    print("elementwise:", m * m)
    v = torch.tensor([1.0, 0.0, -1.0])
    print("m @ v =", m @ v)
    print("dot:", torch.dot(v, v))

    z = torch.ones(2, 3)
    z.add_(5)
    z.mul_(2)
    z.sub_(1).div_(11)
    print("in-place:", z)
    z += torch.arange(3.0)
    print("+=:", z)

    agg = m.sum()
    print("sum:", agg, agg.item(), type(agg.item()).__name__)
    print("mean/std/var:", m.mean(), m.std(), m.var())
    print("sum dims:", m.sum(dim=0), m.sum(dim=1, keepdim=True))
    print("prod:", (m + 1).prod(), "min/max:", m.min(), m.max())
    print(f"formatted: {m.mean().item():.3f}")


if __name__ == "__main__":
    main()
