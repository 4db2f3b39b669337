# Random tensors as programs draw them; the values differ between libraries, so only their properties are printed:
# shapes, dtypes, ranges, the determinism of manual_seed and of a torch.Generator, and statistics to 1 decimal.
# compare: exact
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    a = torch.rand(1000)
    print("rand:", a.shape, a.dtype, bool(a.min() >= 0), bool(a.max() < 1), round(a.mean().item(), 1))
    b = torch.randn(2000, dtype=torch.float64)
    print("randn:", b.dtype, round(b.mean().item(), 0) == 0, round(b.std().item(), 1))
    c = torch.randint(3, 7, (500,))
    print("randint:", c.dtype, c.min().item(), c.max().item())
    p = torch.randperm(8)
    print("randperm:", p.dtype, sorted(p.tolist()))
    print("like:", torch.rand_like(b).dtype, torch.randn_like(a).shape, torch.randint_like(c, 10).dtype)
    torch.manual_seed(42)
    first = torch.randn(3)
    torch.manual_seed(42)
    print("manual_seed repeats:", torch.equal(first, torch.randn(3)))
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, generator=g)
    g.manual_seed(5)
    print("generator repeats:", torch.equal(x, torch.rand(4, generator=g)))
    state = torch.get_rng_state()
    y = torch.rand(2)
    torch.set_rng_state(state)
    print("rng state restores:", torch.equal(y, torch.rand(2)))
    m = torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 4, replacement=True)
    print("multinomial:", m.tolist())
    bern = torch.bernoulli(torch.full((1000,), 0.3))
    print("bernoulli:", sorted(set(bern.tolist())), round(bern.mean().item(), 1))
    n = torch.normal(2.0, 0.5, size=(2000,))
    print("normal:", round(n.mean().item(), 1))
    e = torch.empty(3, 3).uniform_(-2, 2)
    print("uniform_:", bool(e.abs().max() <= 2))
    w = torch.empty(100, 50)
    torch.nn.init.xavier_uniform_(w)
    bound = (6 / 150) ** 0.5
    print("xavier bound:", bool(w.abs().max() <= bound))
    torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    print("kaiming std:", round(w.std().item(), 1))
    print("dropout keeps about half:", round((torch.nn.functional.dropout(torch.ones(4000), 0.5) > 0).float().mean()
                                              .item(), 1))


if __name__ == "__main__":
    main()
