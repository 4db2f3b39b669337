# Reshaping: view, reshape, permute, squeeze, expand, split, chunk, flip, repeat.
# compare: exact
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = torch.arange(24)
    print(x.view(4, 6).shape, x.view(-1, 8).shape, x.reshape(2, 3, 4).shape)
    y = x.view(2, 3, 4)
    print(y.permute(2, 0, 1).shape, y.transpose(0, 2).shape, y.transpose(1, 2).contiguous().view(2, 12)[0])
    print(y.flatten().shape, y.flatten(1).shape, torch.flatten(y, 0, 1).shape)
    z = torch.zeros(1, 3, 1, 2)
    print(z.squeeze().shape, z.squeeze(0).shape, z.unsqueeze(1).shape, z.unsqueeze(-1).shape)
    row = torch.tensor([[1, 2, 3]])
    print(row.expand(3, 3))
    print(row.expand(2, -1).shape, row.repeat(2, 2))
    print(torch.split(x, 10))
    print(torch.chunk(torch.arange(7), 3))
    print(x.view(4, 6).split([2, 4], dim=1)[1])
    print(torch.flip(torch.arange(6).view(2, 3), dims=[1]))
    print(torch.roll(torch.arange(5), 2))
    print(torch.tril(torch.ones(3, 3)), torch.triu(torch.ones(3, 3), diagonal=1))
    a, b = torch.arange(3), torch.arange(2)
    gx, gy = torch.meshgrid(a, b, indexing="ij")
    print(gx, gy)
    print(torch.arange(6).view(2, 3).unbind(0))
    print(torch.arange(4).view(2, 2).repeat_interleave(2, dim=0))
    print(x.view(2, 12).narrow(1, 3, 2))
    print(torch.arange(6).view(2, 3).view_as(torch.zeros(3, 2)))
    print(torch.broadcast_tensors(torch.zeros(2, 1), torch.zeros(3))[0].shape)


if __name__ == "__main__":
    main()
