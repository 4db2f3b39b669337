# Higher-order gradients: grad of grad, Hessian-vector products, a gradient penalty, jacobian/hessian.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
from torch.autograd.functional import hessian, jacobian


def f(x):
    return (x ** 3).sum() + (x[0] * x[1]) ** 2


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)

    x = torch.tensor([1.0, 2.0, -1.0], requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    print("gradient:", g)
    v = torch.tensor([1.0, 0.0, 1.0])
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    print("Hessian-vector product:", hv)
    print("Hessian:", hessian(f, x.detach()))
    print("Jacobian of x*x:", jacobian(lambda t: t * t, x.detach()))

    t = torch.tensor(0.5, requires_grad=True)
    y = torch.sin(t)
    derivatives = []
    for _ in range(4):
        (y,) = torch.autograd.grad(y, t, create_graph=True)
        derivatives.append(round(y.item(), 6))
    print("derivatives of sin at 0.5:", derivatives)

    # a gradient penalty, as WGAN-GP computes it
    critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32)).reshape(p.shape) * 0.5)
    points = torch.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], requires_grad=True)
    scores = critic(points)
    (grad_points,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    penalty = ((grad_points.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    print("penalty:", penalty.item())
    print("d penalty / d first weight:", critic[0].weight.grad)

    w = torch.tensor([0.5, -0.25], requires_grad=True)
    loss = (w ** 4).sum()
    (gw,) = torch.autograd.grad(loss, w, create_graph=True)
    gw.norm().backward()
    print("grad of grad norm:", w.grad)


if __name__ == "__main__":
    main()
