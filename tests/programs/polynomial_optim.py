# Fit y = sin(x) with a cubic layer, trained by an optimizer chosen on the command line.
# compare: close rtol=2e-3 atol=1e-4
import argparse
import math

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--optimizer", default="rmsprop", choices=["rmsprop", "adam", "sgd"])
    args = parser.parse_args()
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.5, -0.1, 0.0]]))
        model[0].bias.fill_(0.2)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    if args.optimizer == "rmsprop":
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    elif args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    for t in range(args.steps):
        loss = loss_fn(model(xx), y)
        if t % 100 == 99:
            print(t, round(loss.item(), 2))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    layer = model[0]
    print("weights:", [round(v, 4) for v in layer.weight.view(-1).tolist()], "bias:", round(layer.bias.item(), 4))
    print(f"final loss: {loss.item():.3f}")


if __name__ == "__main__":
    main()
