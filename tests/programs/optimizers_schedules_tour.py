# The optimisers and learning-rate schedules of a training script's --optimizer/--scheduler switches, each run on the
# same small regression from the same fixed weights: Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop, Adam(maximize) on a
# negated loss, parameter groups with their own learning rates, warm-up then cosine restarts through SequentialLR,
# ChainedScheduler, CyclicLR, LambdaLR; an optimizer and scheduler resumed from their state_dicts midway; stochastic
# weight averaging with AveragedModel, SWALR and update_bn.
# compare: close rtol=1e-4 atol=1e-6
import argparse
import copy
import io

import torch
import torch.nn as nn
from torch.optim import lr_scheduler
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn


def make_model():
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(0.5 * torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 2.1 + k).view_as(p))
    return model


X = torch.linspace(-1, 1, 48).view(16, 3)
Y = (X[:, :1] * 2 - X[:, 1:2] * X[:, 2:] + 0.3)


def loss_of(model):
    return nn.functional.mse_loss(model(X), Y)


def run(name, make_optimizer, make_scheduler=None, steps=12, negate=False):
    model = make_model()
    optimizer = make_optimizer(model)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    lrs = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_of(model)
        (-loss if negate else loss).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    print(f"{name}: loss {loss_of(model).item():.6f} lr {[round(v, 6) for v in lrs[::3]]}")
    return model, optimizer, scheduler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    torch.manual_seed(0)
    steps = args.steps
    print(f"initial loss {loss_of(make_model()).item():.6f}")

    run("Adadelta", lambda m: torch.optim.Adadelta(m.parameters(), lr=1.0, rho=0.9, weight_decay=1e-3), steps=steps)
    run("Adamax", lambda m: torch.optim.Adamax(m.parameters(), lr=0.02), steps=steps)
    run("NAdam", lambda m: torch.optim.NAdam(m.parameters(), lr=0.02, momentum_decay=4e-3), steps=steps)
    run("NAdam decoupled", lambda m: torch.optim.NAdam(m.parameters(), lr=0.02, weight_decay=0.1,
                                                       decoupled_weight_decay=True), steps=steps)
    run("RAdam", lambda m: torch.optim.RAdam(m.parameters(), lr=0.02), steps=steps)
    run("RAdam decoupled", lambda m: torch.optim.RAdam(m.parameters(), lr=0.02, weight_decay=0.1,
                                                       decoupled_weight_decay=True), steps=steps)
    run("ASGD", lambda m: torch.optim.ASGD(m.parameters(), lr=0.05, t0=4), steps=steps)
    run("Rprop", lambda m: torch.optim.Rprop(m.parameters(), lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-5, 1)),
        steps=steps)
    run("Adam maximize", lambda m: torch.optim.Adam(m.parameters(), lr=0.01, maximize=True), steps=steps,
        negate=True)
    run("Adagrad lr_decay", lambda m: torch.optim.Adagrad(m.parameters(), lr=0.1, lr_decay=0.01), steps=steps)
    run("param groups", lambda m: torch.optim.SGD([{"params": m[0].parameters(), "lr": 0.2},
                                                   {"params": list(m[1].parameters()) + list(m[3].parameters())}],
                                                  lr=0.05, momentum=0.9), steps=steps)

    def warmup_then_restarts(opt):
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
        restarts = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=1e-3)
        return lr_scheduler.SequentialLR(opt, [warmup, restarts], milestones=[3])

    run("SequentialLR", lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), warmup_then_restarts,
        steps=steps)
    run("ChainedScheduler", lambda m: torch.optim.Adam(m.parameters(), lr=0.02),
        lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4),
                                                 lr_scheduler.ExponentialLR(o, gamma=0.9)]), steps=steps)
    run("CyclicLR", lambda m: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9),
        lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2"),
        steps=steps)
    run("LambdaLR", lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        lambda o: lr_scheduler.LambdaLR(o, lr_lambda=lambda epoch: 1 / (1 + epoch)), steps=steps)
    run("MultiplicativeLR+PolynomialLR", lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
        lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.MultiplicativeLR(o, lambda e: 0.95),
                                                 lr_scheduler.PolynomialLR(o, total_iters=10, power=2.0)]),
        steps=steps)

    # resuming: train 6 steps, save optimiser and scheduler state, restore into fresh objects, train 6 more
    model, optimizer, scheduler = run("NAdam+StepLR 6 steps", lambda m: torch.optim.NAdam(m.parameters(), lr=0.03),
                                      lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.7), steps=6)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    resumed = make_model()
    resumed.load_state_dict(checkpoint["model"])
    optimizer2 = torch.optim.NAdam(resumed.parameters(), lr=0.03)
    optimizer2.load_state_dict(checkpoint["optimizer"])
    scheduler2 = lr_scheduler.StepLR(optimizer2, step_size=2, gamma=0.7)
    scheduler2.load_state_dict(checkpoint["scheduler"])
    print("optimizer state keys:", sorted(checkpoint["optimizer"]["state"][0].keys()))
    for _ in range(6):
        optimizer2.zero_grad()
        loss_of(resumed).backward()
        optimizer2.step()
        scheduler2.step()
    _, _, _ = run("NAdam+StepLR 12 steps", lambda m: torch.optim.NAdam(m.parameters(), lr=0.03),
                  lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.7), steps=12)
    print(f"resumed: loss {loss_of(resumed).item():.6f} lr {scheduler2.get_last_lr()[0]:.6f}")

    # stochastic weight averaging
    model = make_model()
    swa_model = AveragedModel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    swa_scheduler = SWALR(optimizer, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
    for epoch in range(8):
        optimizer.zero_grad()
        loss_of(model).backward()
        optimizer.step()
        if epoch >= 3:
            swa_model.update_parameters(model)
            swa_scheduler.step()
    update_bn([(X,)], swa_model)
    swa_model.eval()
    print(f"SWA: averaged {swa_model.n_averaged.item()} models, lr {optimizer.param_groups[0]['lr']:.6f}, "
          f"loss {loss_of(swa_model).item():.6f}, bn mean {swa_model.module[1].running_mean.sum().item():.6f}")
    ema = AveragedModel(copy.deepcopy(model), multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    ema.update_parameters(model)
    print(f"EMA first update copies: {torch.equal(ema.module[0].weight, model[0].weight)}")


if __name__ == "__main__":
    main()
