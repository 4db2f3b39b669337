# Summary statistics of a table of fixed measurements: quantiles, median, mode, kthvalue, nan-aware means,
# std_mean/var_mean, running max/min, histograms, bucketing with searchsorted/bucketize, unique_consecutive.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    m = torch.tensor([[3.0, 7.0, 1.0, 4.0, 4.0],
                      [2.0, 9.0, 6.0, 6.0, 5.0],
                      [8.0, 1.0, 1.0, 3.0, 0.5]])
    print("quantile:", torch.quantile(m, 0.25), torch.quantile(m, torch.tensor([0.1, 0.5, 0.9]), dim=1))
    print("median:", m.median(dim=1).values, m.median(dim=1).indices, m.nanmedian())
    print("mode:", torch.mode(m, dim=1).values)
    print("kthvalue:", torch.kthvalue(m, 2, dim=1).values)
    print("amax/amin/aminmax:", m.amax(dim=0), m.amin(dim=(0, 1)), torch.aminmax(m).min, torch.aminmax(m).max)
    print("std_mean:", torch.std_mean(m, dim=1), "var_mean:", torch.var_mean(m, dim=0, unbiased=False))
    print("var correction=0:", m.var(dim=1, correction=0))
    with_nan = m.clone()
    with_nan[0, 1] = float("nan")
    print("nanmean/nansum:", with_nan.nanmean(dim=1), with_nan.nansum())
    print("cummax/cummin:", torch.cummax(m[0], dim=0).values, torch.cummin(m[0], dim=0).indices)
    print("logcumsumexp:", torch.logcumsumexp(torch.zeros(4), dim=0))
    print("histc:", torch.histc(m, bins=4, min=0, max=10))
    edges = torch.tensor([1.0, 3.0, 5.0, 7.0])
    print("searchsorted:", torch.searchsorted(edges, torch.tensor([0.5, 3.0, 6.0, 9.0])),
          torch.searchsorted(edges, torch.tensor([3.0]), right=True))
    print("bucketize:", torch.bucketize(m[1], edges))
    print("unique_consecutive:", torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 2, 1, 3, 3]),
                                                          return_counts=True))
    print("unique sorted inverse:", torch.unique(torch.tensor([4, 1, 4, 2]), return_inverse=True))
    print("msort/topk smallest:", torch.msort(m)[0], m.topk(2, dim=1, largest=False).values)
    print("norms:", m.norm(dim=1), m.norm(p=1), torch.linalg.vector_norm(m, ord=2, dim=0))
    print("mean dtype=float64:", m.mean(dtype=torch.float64).dtype, m.sum(dtype=torch.float64))
    print("count_nonzero dim:", torch.count_nonzero(m > 3, dim=1))
    print("standardised:", ((m - m.mean(dim=0)) / m.std(dim=0))[0])


if __name__ == "__main__":
    main()
