# Saving and loading models as the recipes do: a state_dict to a file, into a fresh model; a checkpoint dict with
# the optimizer state and epoch to resume training (identical to training without a break); BytesIO; map_location.
# compare: exact
import argparse
import io
import os

import torch
import torch.nn as nn
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def build(seed):
    torch.manual_seed(seed)
    model = TheModelClass()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, optimizer


def train(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 16 * 4).reshape(16, 4)
    y = (x.sum(1) > 0).long()

    model, optimizer = build(1)
    print("Model's state_dict:")
    for param_tensor in model.state_dict():
        print(param_tensor, "\t", model.state_dict()[param_tensor].size())
    print("Optimizer's state_dict keys:", list(optimizer.state_dict().keys()))
    print("param_groups:", [sorted(k for k in g if k in ("lr", "momentum", "params")) for g in
                            optimizer.state_dict()["param_groups"]])

    torch.save(model.state_dict(), "model_weights.pth")
    restored = TheModelClass()
    result = restored.load_state_dict(torch.load("model_weights.pth", weights_only=True))
    print("load_state_dict:", result)
    restored.eval()
    model.eval()
    print("same outputs:", torch.equal(model(x), restored(x)))
    print("file exists:", os.path.exists("model_weights.pth"))

    # train 2*steps without a break...
    straight, opt_straight = build(2)
    straight.train()
    train(straight, opt_straight, x, y, 2 * args.steps)
    # ...and steps, checkpoint, a fresh process state, resume for steps more
    first, opt_first = build(2)
    first.train()
    loss = train(first, opt_first, x, y, args.steps)
    torch.save({"epoch": args.steps, "model_state_dict": first.state_dict(),
                "optimizer_state_dict": opt_first.state_dict(), "loss": loss}, "checkpoint.tar")
    resumed, opt_resumed = build(3)
    checkpoint = torch.load("checkpoint.tar", weights_only=True)
    resumed.load_state_dict(checkpoint["model_state_dict"])
    opt_resumed.load_state_dict(checkpoint["optimizer_state_dict"])
    print("checkpoint epoch:", checkpoint["epoch"], "loss is a float:", isinstance(checkpoint["loss"], float))
    resumed.train()
    train(resumed, opt_resumed, x, y, args.steps)
    same = all(torch.allclose(a, b) for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()))
    print("resumed training equals straight training:", same)

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, map_location=torch.device("cpu"))
    print("from BytesIO:", sorted(state.keys()) == sorted(model.state_dict().keys()),
          torch.equal(state["fc1.weight"], model.fc1.weight))
    state = torch.load("model_weights.pth", map_location="cpu")
    print("map_location='cpu':", state["bn.running_mean"].device)
    missing = TheModelClass().load_state_dict({k: v for k, v in state.items() if not k.startswith("fc2")},
                                              strict=False)
    print("missing keys:", missing.missing_keys)
    try:
        TheModelClass().load_state_dict({"fc1.weight": torch.zeros(3, 3)})
    except RuntimeError:
        print("a wrong state_dict raises RuntimeError")


if __name__ == "__main__":
    main()
