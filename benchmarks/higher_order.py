"""Second derivatives, backprop vs PyTorch, in one process: a WGAN-GP critic step.

The step (float32, an MLP critic 784-256-256-1 with LeakyReLU(0.2), batch 64,
synthetic data): interpolate real and fake batches, take the critic's input
gradient with ``create_graph=True``, add the penalty lambda (||grad||_2 - 1)^2
to the Wasserstein loss, backward through both (second derivatives of the
critic), one Adam step. Both frameworks start from the same weights (torch's
initialisation loaded into backprop) and get the same batches; before timing,
one step must give the same loss and weights in both.

Also timed: the same critic's plain first-order training step (no penalty),
to show what the penalty costs in each framework.

Run: ``python benchmarks/higher_order.py [--repeats N] [--target S] [--json]``.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import backprop as bp
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import backprop as bp

from workloads import check_same, time_pair  # noqa: E402

BATCH, FEATURES, PENALTY = 64, 784, 10.0
TARGET = 2.0  # the target: backprop within 2x of torch on the gradient-penalty step


def critic(fw):
    nn = fw.nn
    return nn.Sequential(nn.Linear(FEATURES, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                         nn.Linear(256, 1))


class Runner:
    def __init__(self, fw, batches, state=None, threads=2):
        self.fw = fw
        if fw.__name__ == "torch":
            fw.set_num_threads(threads)
        fw.manual_seed(0)
        self.net = critic(fw)
        if state is not None:
            self.net.load_state_dict(state)
        self.optimizer = fw.optim.Adam(self.net.parameters(), lr=1e-4, betas=(0.5, 0.9))
        self.batches = [tuple(fw.from_numpy(a) for a in batch) for batch in batches]
        self.i = 0

    def _next(self):
        self.i = (self.i + 1) % len(self.batches)
        return self.batches[self.i]

    def penalty_step(self):
        fw = self.fw
        real, fake, eps = self._next()
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (slopes,) = fw.autograd.grad(self.net(mixed).sum(), mixed, create_graph=True)
        penalty = ((slopes.pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
        loss = self.net(fake).mean() - self.net(real).mean() + PENALTY * penalty
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss

    def plain_step(self):
        real, fake, _ = self._next()
        loss = self.net(fake).mean() - self.net(real).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss

    def state(self):
        return {k: v.detach().cpu().numpy().copy() for k, v in self.net.state_dict().items()}


def make_batches(count=8, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((BATCH, FEATURES), dtype=np.float32),
             rng.standard_normal((BATCH, FEATURES), dtype=np.float32) + 0.5,
             rng.random((BATCH, 1), dtype=np.float32)) for _ in range(count)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.3, help="seconds per timed loop")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch

    batches = make_batches()
    theirs = Runner(torch, batches, threads=args.torch_threads)
    ours = Runner(bp, batches, state=theirs.state())
    check_same(ours, theirs, "penalty_step")
    rows = {}
    for name in ("penalty_step", "plain_step"):
        b, t = time_pair(getattr(ours, name), getattr(theirs, name), args.repeats, args.target)
        rows[name] = {"backprop_ms": b[0], "backprop_range": b[1:], "torch_ms": t[0], "torch_range": t[1:],
                      "ratio": b[0] / t[0]}
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"WGAN-GP critic step, MLP {FEATURES}-256-256-1, batch {BATCH}, float32; torch {torch.__version__} "
          f"({args.torch_threads} threads); median of {args.repeats} repeats [min-max]\n")
    print(f"{'step':28s} {'backprop ms':>20s} {'torch ms':>20s} {'ratio':>6s}")
    for name, label in (("penalty_step", "with gradient penalty"), ("plain_step", "first-order only")):
        r = rows[name]
        print(f"{label:28s} {r['backprop_ms']:8.3f} [{r['backprop_range'][0]:.2f}-{r['backprop_range'][1]:.2f}] "
              f"{r['torch_ms']:8.3f} [{r['torch_range'][0]:.2f}-{r['torch_range'][1]:.2f}] {r['ratio']:5.2f}x")
    r = rows["penalty_step"]
    print(f"\npenalty step: {r['ratio']:.2f}x torch (target <= {TARGET:.0f}x): {'ok' if r['ratio'] <= TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
