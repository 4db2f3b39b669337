# torch.distributions as a Bayesian-modelling notebook uses them: log densities, entropies, moments, cdf/icdf,
# kl_divergence between pairs, a TransformedDistribution (log-normal from a Normal and ExpTransform), Independent,
# MultivariateNormal from a covariance and from a scale_tril, and a maximum-likelihood fit of a Gamma's parameters
# by gradient descent on -log_prob (deterministic data). Sample statistics are checked with tolerances.
# compare: close rtol=1e-4 atol=1e-6
# expect: sample checks == 1
import argparse

import torch
from torch.distributions import (Bernoulli, Beta, Binomial, Categorical, Dirichlet, Exponential, Gamma, Independent,
                                 Laplace, MultivariateNormal, Normal, OneHotCategorical, Poisson,
                                 TransformedDistribution, Uniform, kl_divergence)
from torch.distributions.transforms import AffineTransform, ExpTransform


def show(name, dist, value):
    parts = [f"log_prob {dist.log_prob(value).sum().item():.6f}"]
    for attr in ("mean", "variance", "entropy"):
        try:
            v = getattr(dist, attr)
            v = v() if callable(v) else v
            parts.append(f"{attr} {v.sum().item():.6f}")
        except NotImplementedError:
            parts.append(f"{attr} n/a")
    print(f"{name}: " + ", ".join(parts))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit-steps", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)

    x = torch.tensor([0.2, 0.5, 0.9])
    show("Normal", Normal(torch.tensor([0.0, 1.0, -1.0]), torch.tensor([1.0, 0.5, 2.0])), x)
    show("Uniform", Uniform(torch.tensor(0.0), torch.tensor(2.0)), x)
    show("Beta", Beta(torch.tensor([2.0, 0.5, 1.5]), torch.tensor([3.0, 0.5, 1.0])), x)
    show("Gamma", Gamma(torch.tensor([2.0, 0.7, 5.0]), torch.tensor([1.0, 2.0, 0.5])), x)
    show("Exponential", Exponential(torch.tensor([0.5, 1.0, 3.0])), x)
    show("Laplace", Laplace(torch.tensor(0.1), torch.tensor(0.8)), x)
    show("Bernoulli", Bernoulli(probs=torch.tensor([0.1, 0.5, 0.8])), torch.tensor([0.0, 1.0, 1.0]))
    show("Binomial", Binomial(10, probs=torch.tensor([0.2, 0.5, 0.7])), torch.tensor([1.0, 5.0, 9.0]))
    show("Poisson", Poisson(torch.tensor([0.5, 2.0, 7.0])), torch.tensor([0.0, 3.0, 6.0]))
    show("Categorical", Categorical(logits=torch.tensor([0.5, -1.0, 2.0])), torch.tensor([0, 1, 2]))
    show("OneHotCategorical", OneHotCategorical(probs=torch.tensor([0.2, 0.3, 0.5])), torch.eye(3))
    show("Dirichlet", Dirichlet(torch.tensor([1.0, 2.0, 3.0])), torch.tensor([0.2, 0.3, 0.5]))

    normal = Normal(torch.tensor(1.0), torch.tensor(2.0))
    print("cdf:", [round(v, 6) for v in normal.cdf(torch.tensor([-1.0, 1.0, 3.0])).tolist()],
          "icdf:", [round(v, 6) for v in normal.icdf(torch.tensor([0.1, 0.5, 0.9])).tolist()])

    lognormal = TransformedDistribution(Normal(torch.tensor(0.0), torch.tensor(0.5)),
                                        [ExpTransform(), AffineTransform(loc=1.0, scale=2.0)])
    print("transformed log_prob:", round(lognormal.log_prob(torch.tensor(3.5)).item(), 6),
          "support check:", bool(lognormal.support.check(torch.tensor(3.5))))

    loc = torch.tensor([1.0, -1.0])
    cov = torch.tensor([[2.0, 0.6], [0.6, 1.0]])
    mvn = MultivariateNormal(loc, covariance_matrix=cov)
    mvn_tril = MultivariateNormal(loc, scale_tril=torch.linalg.cholesky(cov))
    point = torch.tensor([[0.5, 0.0], [2.0, -2.0]])
    print("mvn log_prob:", [round(v, 6) for v in mvn.log_prob(point).tolist()],
          "same from scale_tril:", bool(torch.allclose(mvn.log_prob(point), mvn_tril.log_prob(point))),
          "entropy:", round(mvn.entropy().item(), 6))
    diag = Independent(Normal(loc, torch.tensor([1.5, 0.5])), 1)
    print("independent:", tuple(diag.batch_shape), tuple(diag.event_shape), round(diag.log_prob(point[0]).item(), 6))

    pairs = [(Normal(0.0, 1.0), Normal(1.0, 2.0)), (Gamma(2.0, 1.0), Gamma(3.0, 2.0)),
             (Beta(2.0, 3.0), Beta(1.0, 1.0)), (Bernoulli(0.3), Bernoulli(0.6)),
             (Categorical(probs=torch.tensor([0.2, 0.8])), Categorical(probs=torch.tensor([0.5, 0.5]))),
             (Exponential(2.0), Exponential(0.5)), (Dirichlet(torch.tensor([1.0, 2.0])),
                                                   Dirichlet(torch.tensor([2.0, 2.0]))),
             (Poisson(3.0), Poisson(1.0)), (Laplace(0.0, 1.0), Laplace(0.5, 2.0)),
             (mvn, MultivariateNormal(torch.zeros(2), torch.eye(2))), (Uniform(0.0, 1.0), Uniform(-1.0, 2.0))]
    for p, q in pairs:
        print(f"KL({type(p).__name__} || {type(q).__name__}) = {kl_divergence(p, q).item():.6f}")

    # samples: statistics within a tolerance a wrong sampler would break
    n = 20000
    checks = [
        abs(Normal(2.0, 3.0).sample((n,)).mean().item() - 2.0) < 0.15,
        abs(Gamma(3.0, 2.0).sample((n,)).mean().item() - 1.5) < 0.05,
        abs(Beta(2.0, 5.0).sample((n,)).mean().item() - 2 / 7) < 0.01,
        abs(Poisson(4.0).sample((n,)).var().item() - 4.0) < 0.3,
        abs(Categorical(probs=torch.tensor([0.1, 0.6, 0.3])).sample((n,)).float().mean().item() - 1.2) < 0.03,
        abs(Dirichlet(torch.tensor([1.0, 3.0])).sample((n,))[:, 1].mean().item() - 0.75) < 0.01,
        abs(torch.cov(mvn.sample((n,)).T)[0, 1].item() - 0.6) < 0.08,
    ]
    print("sample checks:", int(all(checks)), [int(c) for c in checks])

    # fit a Gamma's concentration and rate to fixed data by gradient descent on the negative log-likelihood
    data = 0.5 + 2.5 * (torch.sin(torch.arange(200.0) * 0.37) + 1) / 2
    log_concentration = torch.zeros((), requires_grad=True)
    log_rate = torch.zeros((), requires_grad=True)
    optimizer = torch.optim.Adam([log_concentration, log_rate], lr=0.1)
    for step in range(args.fit_steps):
        optimizer.zero_grad()
        nll = -Gamma(log_concentration.exp(), log_rate.exp()).log_prob(data).mean()
        nll.backward()
        optimizer.step()
        if step % 20 == 0:
            print(f"step {step}: nll {nll.item():.6f}")
    print(f"fitted concentration {log_concentration.exp().item():.5f} rate {log_rate.exp().item():.5f}")
    print(f"final loss: {nll.item():.6f}")


if __name__ == "__main__":
    main()
