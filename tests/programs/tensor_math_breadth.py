# Elementwise maths beyond the basics, on a fixed grid: rounding, powers and logs, special functions, inverse
# trigonometry, two-argument functions, integer and bitwise operators, comparisons and predicates.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = torch.tensor([-2.5, -1.5, -0.4, 0.0, 0.4, 1.5, 2.5])
    print("floor/ceil/round/trunc/frac:", x.floor(), x.ceil(), x.round(), x.trunc(), x.frac())
    print("round decimals:", torch.round(torch.tensor([1.2345, -2.3456]), decimals=2))
    print("sign/sgn/abs:", x.sign(), torch.sgn(x), torch.abs(x))
    p = torch.tensor([0.1, 0.5, 1.0, 2.0, 10.0])
    print("reciprocal/rsqrt/square:", p.reciprocal(), p.rsqrt(), p.square())
    print("log1p/log2/log10/expm1/exp2:", torch.log1p(p), torch.log2(p), torch.log10(p), torch.expm1(p[:3]),
          torch.exp2(p[:3]))
    u = torch.tensor([-0.9, -0.5, 0.0, 0.5, 0.9])
    print("erf/erfc/erfinv:", torch.erf(u), torch.erfc(u), torch.erfinv(u))
    print("asin/acos/atan:", torch.asin(u), torch.acos(u), torch.atan(u))
    print("sinh/cosh/asinh/atanh:", torch.sinh(u), torch.cosh(u), torch.asinh(u), torch.atanh(u))
    print("acosh:", torch.acosh(p[2:] + 0.5))
    print("atan2/hypot:", torch.atan2(u, u.flip(0) + 1), torch.hypot(u, torch.ones(5)))
    print("lerp:", torch.lerp(torch.zeros(3), torch.tensor([10.0, 20.0, 30.0]), 0.25))
    print("fmod/remainder:", torch.fmod(x, 1.0), torch.remainder(x, 1.0))
    print("logit/xlogy:", torch.logit(torch.tensor([0.25, 0.5, 0.75])), torch.xlogy(torch.tensor([0.0, 1.0, 2.0]),
                                                                                    torch.tensor([0.0, 2.0, 3.0])))
    print("sigmoid/softplus:", torch.sigmoid(x), torch.nn.functional.softplus(x))
    print("clamp_min/clamp_max:", torch.clamp_min(x, 0.0), torch.clamp_max(x, 1.0))
    bad = torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0])
    print("nan_to_num:", torch.nan_to_num(bad), torch.nan_to_num(bad, nan=0.0, posinf=9.0, neginf=-9.0))
    print("isnan/isinf/isfinite:", bad.isnan(), bad.isinf(), bad.isfinite(), torch.isposinf(bad), torch.isneginf(bad))
    i = torch.tensor([5, -7, 12, 3])
    j = torch.tensor([2, 3, 5, -2])
    print("// and %:", i // j, i % j, torch.floor_divide(i, j), torch.div(i, j, rounding_mode="trunc"))
    print("bitwise:", i & j, i | j, i ^ j, ~i, i << 1, i >> 1)
    print("bool logic:", torch.logical_and(i > 0, j > 0), torch.logical_or(i > 5, j < 0), torch.logical_not(i > 0),
          torch.logical_xor(i > 0, j > 0))
    print("comparisons:", torch.eq(i, 5), torch.ne(i, 5), torch.lt(i, j), torch.le(i, 3), torch.gt(i, j),
          torch.ge(i, 3))
    print("isclose:", torch.isclose(torch.tensor([1.0, 1.0001, 2.0]), torch.tensor([1.0, 1.0, 2.1])),
          torch.allclose(torch.ones(3), torch.ones(3) + 1e-9), torch.equal(i, i.clone()))
    print("max/min of pairs:", torch.maximum(i, j), torch.minimum(i, j), torch.fmax(bad, torch.zeros(4)))
    print("pow forms:", torch.pow(2, torch.arange(5)), torch.arange(4) ** 2, 2.0 ** torch.tensor([0.5]))


if __name__ == "__main__":
    main()
