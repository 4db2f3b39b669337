# A training loop under the one-cycle policy: OneCycleLR stepping once per batch (warm-up then annealing of the
# learning rate, momentum cycled the other way), with SGD+momentum and with AdamW (whose beta1 is cycled), cosine
# and linear annealing, three_phase; the learning rates, momenta and losses are printed each step. Fixed weights and
# data, no shuffling, so both frameworks take the same steps.
# compare: close rtol=1e-4 atol=1e-6
# expect: final loss < 0.5
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import OneCycleLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)
        with torch.no_grad():
            for k, p in enumerate(self.parameters()):
                p.copy_(0.5 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.7 + k).view_as(p))

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def two_moons(n):
    t = torch.linspace(0, 3.14159, n // 2)
    upper = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
    x = torch.cat([upper, lower]) + 0.05 * torch.sin(torch.arange(n, dtype=torch.float32)).unsqueeze(1)
    y = torch.cat([torch.zeros(n // 2, dtype=torch.long), torch.ones(n // 2, dtype=torch.long)])
    return x, y


def train(name, make_optimizer, epochs, loader, **schedule):
    model = Net()
    optimizer = make_optimizer(model.parameters())
    scheduler = OneCycleLR(optimizer, max_lr=0.5 if "SGD" in name else 0.05, epochs=epochs,
                           steps_per_epoch=len(loader), **schedule)
    print(f"{name}: initial lr {optimizer.param_groups[0]['lr']:.6f}, total steps {scheduler.total_steps}")
    for epoch in range(epochs):
        total = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
        group = optimizer.param_groups[0]
        momentum = group["momentum"] if "momentum" in group else group["betas"][0]
        print(f"  epoch {epoch}: lr {scheduler.get_last_lr()[0]:.6f} momentum {momentum:.5f} "
              f"loss {total / len(loader):.5f}")
    return total / len(loader), scheduler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = two_moons(96)
    loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=False)

    train("SGD cos", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), args.epochs, loader)
    train("SGD linear three-phase", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
          args.epochs, loader, anneal_strategy="linear", three_phase=True, pct_start=0.25)
    loss, scheduler = train("AdamW", lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=1e-2), args.epochs,
                            loader, div_factor=10.0, final_div_factor=100.0)
    state = scheduler.state_dict()
    print("scheduler state:", sorted(k for k in state if not k.startswith("_")))
    print("last step:", state["last_epoch"], "lr:", f"{scheduler.get_last_lr()[0]:.8f}")
    print(f"final loss: {loss:.5f}")


if __name__ == "__main__":
    main()
