# Learning-rate schedulers: the learning rate each epoch under StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
# LinearLR and ReduceLROnPlateau, and the state_dict of a scheduler.
# compare: close rtol=1e-6 atol=1e-9
import argparse

import torch
from torch import nn, optim
from torch.optim import lr_scheduler


def make_optimizer():
    model = nn.Linear(2, 1)
    return optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def trace(name, build, epochs, metric=None):
    optimizer = make_optimizer()
    scheduler = build(optimizer)
    lrs = []
    for epoch in range(epochs):
        optimizer.step()
        lrs.append(round(optimizer.param_groups[0]["lr"], 8))
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric[epoch])
    print(f"{name}: {lrs}")
    return scheduler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    torch.manual_seed(0)
    trace("StepLR", lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5), args.epochs)
    trace("MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.1), args.epochs)
    trace("ExponentialLR", lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), args.epochs)
    trace("CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=args.epochs, eta_min=0.001),
          args.epochs)
    trace("LinearLR", lambda o: lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4), args.epochs)
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    trace("ReduceLROnPlateau", lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1),
          args.epochs, metric=losses)
    s = trace("StepLR again", lambda o: lr_scheduler.StepLR(o, step_size=2), 4)
    print("last lr:", s.get_last_lr())
    state = s.state_dict()
    print("state keys:", sorted(k for k in state if not k.startswith("_")))
    print("last_epoch:", state["last_epoch"])


if __name__ == "__main__":
    main()
