# Autograd: requires_grad, backward, leaves and grad_fn, accumulation, no_grad, detach, retain_grad.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.linspace(-1, 1, 15).reshape(5, 3).requires_grad_()
    b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")
    loss.backward()
    print(w.grad)
    print(b.grad)
    print("leaf:", w.is_leaf, z.is_leaf, "requires grad:", z.requires_grad)

    with torch.no_grad():
        z = torch.matmul(x, w) + b
    print("under no_grad:", z.requires_grad)
    z_det = (torch.matmul(x, w) + b).detach()
    print("detached:", z_det.requires_grad)

    a = torch.tensor([2.0, 3.0], requires_grad=True)
    c = a * a
    c.retain_grad()
    out = (c * 3).sum()
    out.backward()
    print("dout/da:", a.grad, "dout/dc:", c.grad)
    (a * a).sum().backward()
    print("accumulated:", a.grad)
    a.grad.zero_()
    print("zeroed:", a.grad)

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"First call\n{inp.grad}")
    out.backward(torch.ones_like(out))
    print(f"Second call\n{inp.grad}")
    inp.grad.zero_()
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out))
    print(f"Call after zeroing gradients\n{inp.grad}")

    q = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(q ** 3, q)
    print("d q^3 / dq at 2:", g)
    print("enabled:", torch.is_grad_enabled())
    torch.set_grad_enabled(False)
    print("disabled:", torch.is_grad_enabled(), (q * 2).requires_grad)
    torch.set_grad_enabled(True)


if __name__ == "__main__":
    main()
