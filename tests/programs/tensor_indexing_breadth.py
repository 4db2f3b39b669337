# Scatter and gather in the forms models use: counting labels with index_add_ and scatter_add_, one-hot with scatter_,
# segment sums and means with scatter_reduce, index_put_ with accumulate, take_along_dim for per-row choices,
# masked_select/masked_scatter, and assignments mixing boolean and integer indices.
# compare: exact
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    labels = torch.tensor([2, 0, 1, 2, 2, 0])
    counts = torch.zeros(3, dtype=torch.long).index_add_(0, labels, torch.ones(6, dtype=torch.long))
    print("counts by index_add_:", counts)
    print("counts by scatter_add_:", torch.zeros(3).scatter_add_(0, labels, torch.ones(6)))
    print("one-hot:", torch.zeros(6, 3).scatter_(1, labels.unsqueeze(1), 1.0))
    values = torch.arange(6, dtype=torch.float32)
    print("segment sums:", torch.zeros(3).scatter_reduce(0, labels, values, reduce="sum"))
    print("segment means:", torch.zeros(3).scatter_reduce(0, labels, values, reduce="mean", include_self=False))
    print("segment max:", torch.full((3,), -1.0).scatter_reduce(0, labels, values, reduce="amax"))
    grid = torch.zeros(3, 3)
    grid.index_put_((torch.tensor([0, 0, 2]), torch.tensor([1, 1, 2])), torch.tensor([1.0, 2.0, 5.0]),
                    accumulate=True)
    print("index_put_ accumulate:", grid)
    scores = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    choice = torch.tensor([[1], [0]])
    print("take_along_dim:", torch.take_along_dim(scores, choice, dim=1), torch.gather(scores, 1, choice))
    print("take:", torch.take(scores, torch.tensor([0, 5])))
    mask = scores > 0.25
    print("masked_select:", torch.masked_select(scores, mask))
    print("masked_scatter:", torch.zeros(2, 3).masked_scatter(mask, torch.tensor([9.0, 8.0, 7.0])))
    print("index_fill/index_copy:", torch.zeros(2, 3).index_fill(1, torch.tensor([0, 2]), -1.0),
          torch.zeros(3, 2).index_copy(0, torch.tensor([2, 0]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    x = torch.arange(12).reshape(3, 4)
    x[x > 8] = 0
    x[[0, 2], 1] = torch.tensor([-1, -2])
    x[1, torch.tensor([True, False, True, False])] = 100
    x[:, -1] *= 10
    print("assignments:", x)
    print("argwhere:", torch.argwhere(x < 0), torch.nonzero(x == 100, as_tuple=True))
    rows = torch.tensor([0, 2])
    print("rows then columns:", x[rows][:, [0, 3]], x[rows.unsqueeze(1), torch.tensor([0, 3])])
    print("ellipsis and None:", x[..., 1:3].shape, x[None, :, None, 0].shape)
    print("where:", torch.where(x > 5), torch.where(x > 5, 1.0, 0.0))
    b = torch.zeros(2, 2, 3)
    b[torch.tensor([[True, False], [False, True]])] = torch.tensor([1.0, 2.0, 3.0])
    print("boolean mask on leading dims:", b)


if __name__ == "__main__":
    main()
