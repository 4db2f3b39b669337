# Reductions, sorting and scans on a fixed table of scores.
# compare: exact
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    scores = torch.tensor([[3.0, 1.0, 4.0, 1.5],
                           [5.0, 9.0, 2.0, 6.0],
                           [5.5, 3.0, 5.0, 8.0]])
    print("max:", scores.max(), scores.argmax())
    values, indices = scores.max(dim=1)
    print("row max:", values, indices)
    print("col min:", scores.min(dim=0))
    print("argmax dim 0:", scores.argmax(dim=0), "argmin dim 1:", torch.argmin(scores, dim=1))
    print("sum:", scores.sum(), scores.sum(0), scores.sum(-1, keepdim=True))
    print("mean:", scores.mean(dim=1))
    print("sorted:", torch.sort(scores, dim=1))
    print("descending:", scores.sort(dim=0, descending=True).values)
    print("argsort:", scores.argsort(dim=1))
    top = scores.flatten().topk(3)
    print("top3:", top.values, top.indices)
    print("cumsum:", torch.cumsum(scores, dim=1))
    print("cumprod:", torch.arange(1, 6).cumprod(0))
    print("unique:", torch.unique(torch.tensor([3, 1, 2, 3, 1])))
    u, counts = torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_counts=True)
    print("counts:", u, counts)
    labels = torch.tensor([0, 2, 1, 2, 2])
    print("bincount:", torch.bincount(labels))
    print("eq:", (labels == 2).sum().item(), labels.eq(2).float().mean().item())
    print("median:", scores.median(), "logsumexp:", torch.logsumexp(torch.zeros(4), dim=0))
    print("norm:", torch.tensor([3.0, 4.0]).norm())
    print("all/any:", (scores > 0).all(), (scores > 8).any(dim=1))
    print("count:", torch.count_nonzero(scores > 4))


if __name__ == "__main__":
    main()
