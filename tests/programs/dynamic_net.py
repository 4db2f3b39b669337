# A network whose depth is drawn at every forward pass, reusing one layer several times (weight sharing).
# compare: close rtol=2e-3 atol=1e-4
import argparse
import math
import random

import torch


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.0))
        self.b = torch.nn.Parameter(torch.tensor(0.5))
        self.c = torch.nn.Parameter(torch.tensor(0.0))
        self.d = torch.nn.Parameter(torch.tensor(-0.05))
        self.e = torch.nn.Parameter(torch.tensor(0.0))

    def forward(self, x, rng):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, rng.randint(4, 6)):
            y = y + self.e * x ** exp
        return y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    x = torch.linspace(-math.pi, math.pi, 1000)
    y = torch.sin(x)
    model = DynamicNet()
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    for t in range(args.steps):
        loss = criterion(model(x, rng), y)
        if t % 300 == 299:
            print(t, round(loss.item(), 2))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("coefficients:", [round(p.item(), 4) for p in model.parameters()])
    print(f"final loss: {loss.item():.3f}")


if __name__ == "__main__":
    main()
