# A mixture density network: for an input x the network outputs the weights, means and scales of a Gaussian
# mixture over y, built with torch.distributions.MixtureSameFamily(Categorical(logits), Normal(loc, scale)), and is
# trained by maximising log_prob on data whose y is multi-valued in x (an inverted sine). Weights and data come from
# NumPy's generator, so both frameworks take the same steps; samples from the fitted mixture are checked loosely.
# compare: close rtol=2e-3 atol=1e-4
# expect: final loss < 0.0
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical, MixtureSameFamily, Normal


class MDN(nn.Module):
    def __init__(self, hidden=24, components=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.logits = nn.Linear(hidden, components)
        self.loc = nn.Linear(hidden, components)
        self.log_scale = nn.Linear(hidden, components)

    def forward(self, x):
        h = self.body(x)
        scale = F.softplus(self.log_scale(h)) + 1e-3
        return MixtureSameFamily(Categorical(logits=self.logits(h)), Normal(self.loc(h), scale))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=90)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    y = rng.uniform(-1, 1, size=(256, 1))
    x = np.sin(3 * y) * 0.8 + 0.3 * y + rng.normal(0, 0.05, size=y.shape)   # x as a function of y: y is multi-valued
    x, y = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
    model = MDN()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.5, size=tuple(p.shape)).astype(np.float32)))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    for epoch in range(1, args.epochs + 1):
        optimizer.zero_grad()
        mixture = model(x)
        loss = -mixture.log_prob(y.squeeze(1)).mean()
        loss.backward()
        optimizer.step()
        if epoch % 15 == 0:
            print(f"epoch {epoch}: nll {loss.item():.5f}")

    with torch.no_grad():
        probe = torch.tensor([[-0.6], [0.0], [0.6]])
        mixture = model(probe)
        print("batch shape:", tuple(mixture.batch_shape), "event shape:", tuple(mixture.event_shape))
        print("mixture weights:", [[round(v, 4) for v in row] for row in mixture.mixture_distribution.probs.tolist()])
        print("means:", [round(v, 4) for v in mixture.mean.tolist()],
              "variances:", [round(v, 4) for v in mixture.variance.tolist()])
        print("cdf at 0:", [round(v, 4) for v in mixture.cdf(torch.zeros(3)).tolist()])
        samples = mixture.sample((4000,))
        close = (samples.mean(0) - mixture.mean).abs().max().item() < 0.05
        print("sample means close:", int(close), tuple(samples.shape))
        final = -model(x).log_prob(y.squeeze(1)).mean().item()
    print(f"final loss: {final:.5f}")


if __name__ == "__main__":
    main()
