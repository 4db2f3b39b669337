# Parametrizations as the parametrizations tutorial teaches them: torch.nn.utils.parametrize.register_parametrization
# with a Symmetric parametrization (triu + its transpose) and a SkewSymmetric one turned orthogonal by matrix_exp,
# chained parametrizations, right_inverse so that assigning a weight works, parametrize.cached(), the
# parametrizations.original tensors in the state_dict, remove_parametrizations (leaving the value or the original),
# and nn.utils.parametrizations.orthogonal on a Linear trained to rotate vectors. Fixed weights and data.
# compare: close rtol=1e-4 atol=1e-6
import argparse

import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils import parametrizations


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


class SkewSymmetric(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


class MatrixExponential(nn.Module):
    def forward(self, X):
        return torch.matrix_exp(X)


def fixed_linear(n_in, n_out, k=0):
    layer = nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.copy_(torch.sin(torch.arange(n_in * n_out, dtype=torch.float32) * 0.9 + k).view(n_out, n_in))
        layer.bias.copy_(torch.cos(torch.arange(n_out, dtype=torch.float32) + k))
    return layer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    torch.manual_seed(0)

    layer = fixed_linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    A = layer.weight
    print("symmetric:", torch.allclose(A, A.T), "| parametrized:", parametrize.is_parametrized(layer),
          parametrize.is_parametrized(layer, "bias"))
    print(layer)
    print("original:", [round(v, 5) for v in layer.parametrizations.weight.original.flatten().tolist()])
    print("state_dict:", list(layer.state_dict()))

    X = torch.linspace(-1, 1, 9).view(3, 3)
    layer.weight = X + X.T   # goes through right_inverse
    print("assigned:", [round(v, 5) for v in layer.weight.flatten().tolist()])

    out = layer(torch.ones(2, 3))
    out.sum().backward()
    print("grad of original:", [round(v, 5) for v in layer.parametrizations.weight.original.grad.flatten().tolist()])

    with parametrize.cached():
        first, second = layer.weight, layer.weight
        print("cached is the same tensor:", first is second)

    orthogonal = fixed_linear(3, 3, k=1)
    parametrize.register_parametrization(orthogonal, "weight", SkewSymmetric())
    parametrize.register_parametrization(orthogonal, "weight", MatrixExponential())
    Q = orthogonal.weight
    print("orthogonal:", torch.allclose(Q.T @ Q, torch.eye(3), atol=1e-5), "| chain:",
          [type(p).__name__ for p in orthogonal.parametrizations.weight])

    parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    print("removed, kept value:", [round(v, 5) for v in layer.weight.flatten().tolist()],
          type(layer.weight).__name__, parametrize.is_parametrized(layer))
    parametrize.remove_parametrizations(orthogonal, "weight", leave_parametrized=False)
    print("removed, original back:", [round(v, 5) for v in orthogonal.weight.flatten().tolist()])

    # learn a rotation with an orthogonal Linear
    rotate = parametrizations.orthogonal(fixed_linear(2, 2, k=3))
    angle = torch.tensor(0.7)
    R = torch.stack([torch.stack([angle.cos(), -angle.sin()]), torch.stack([angle.sin(), angle.cos()])])
    points = torch.linspace(-1, 1, 20).view(10, 2)
    target = points @ R.T
    optimizer = torch.optim.SGD(rotate.parameters(), lr=0.2)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = ((rotate(points) - rotate.bias - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.6f}")
    W = rotate.weight.detach()
    print("still orthogonal:", torch.allclose(W @ W.T, torch.eye(2), atol=1e-5),
          "| determinant:", round(torch.linalg.det(W).item(), 5))
    print(f"final loss: {loss.item():.6f}")


if __name__ == "__main__":
    main()
