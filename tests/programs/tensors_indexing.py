# Indexing and joining: slices, masks, integer arrays, cat/stack, gather and scatter, in-place writes.
# compare: exact
import argparse

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=4)
    args = parser.parse_args()
    torch.manual_seed(0)

    x = torch.arange(args.rows * 5).reshape(args.rows, 5)
    print(x)
    print(x[1], x[1, 2], x[-1, -1])
    print(x[1:3, ::2])
    print(x[:, [0, 4]])
    print(x[[0, 2], [1, 3]])
    print(x[x % 3 == 0])
    print(x[torch.tensor([True, False, True, False])])
    print(x[None, 0].shape, x[..., None].shape)

    mask = x > 10
    print(mask)
    print(mask.sum(), mask.any(), mask.all())
    y = x.clone()
    y[mask] = -1
    print(y)
    y[0] = torch.tensor([9, 8, 7, 6, 5])
    y[:, 1] += 100
    print(y)

    a = torch.ones(2, 3)
    b = torch.zeros(2, 3)
    print(torch.cat([a, b], dim=0))
    print(torch.cat([a, b], dim=1).shape)
    print(torch.stack([a, b]).shape, torch.stack([a, b], dim=2).shape)

    idx = torch.tensor([[0, 2], [1, 0]])
    src = torch.arange(6).reshape(2, 3)
    print(torch.gather(src, 1, idx))
    target = torch.zeros(2, 3, dtype=torch.long)
    print(target.scatter(1, idx, torch.tensor([[10, 20], [30, 40]])))
    print(torch.where(src > 2, src, -src))
    print(torch.nonzero(src > 2))
    print(src.masked_fill(src == 4, 99))
    print(torch.index_select(src, 1, torch.tensor([2, 0])))
    print(src.T, src.t().shape)


if __name__ == "__main__":
    main()
