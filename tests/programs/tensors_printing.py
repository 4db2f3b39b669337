# How tensors print: integers, floats of every scale, booleans, empties, gradients, sizes.
# compare: exact
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)

    print(torch.tensor(3))
    print(torch.tensor(2.5))
    print(torch.tensor([1.0, 2.0, 3.0]))
    print(torch.tensor([0.1, 0.25, 1.125]))
    print(torch.tensor([1e-5, 1.0, 100.0]))
    print(torch.tensor([1e10, 1.0]))
    print(torch.tensor([123456.0, 0.5]))
    print(torch.tensor([[1, -2], [30, 4]]))
    print(torch.tensor([True, False]))
    print(torch.tensor([]))
    print(torch.zeros(0, 3))
    print(torch.tensor([1.0, 2.0], dtype=torch.float64))
    print(torch.tensor([1, 2], dtype=torch.int32))
    print(torch.tensor([float("nan"), float("inf"), -float("inf")]))
    print(torch.arange(24.0).reshape(2, 3, 4))
    print(torch.arange(2000))
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    print(w)
    y = w * 2
    print(y)
    print(y.sum())
    print(w.detach())
    print(torch.Size([2, 3]), torch.zeros(2, 3).shape, torch.zeros(2, 3).size())
    print(repr(torch.tensor([0.5])), str(torch.tensor([0.5])))
    print(torch.tensor([0.123456789]))
    print(torch.tensor([[0.5, 1.5], [2.5, -3.5]]).T)


if __name__ == "__main__":
    main()
