# Fitting with optim.LBFGS and a closure, in double precision: a damped sine's four parameters fitted to noisy
# samples (strong-Wolfe line search, then the same fit with a fixed step), and a small network regressing a curve
# as the time_sequence_prediction example trains its LSTM. Data and starting weights are fixed formulas, so both
# frameworks take the same path.
# compare: close rtol=1e-5 atol=1e-7
# expect: final loss < 0.01
import argparse

import torch
import torch.nn as nn
import torch.optim as optim


def damped_sine(x, params):
    a, b, c, d = params
    return a * torch.exp(-b * x) * torch.sin(c * x + d)


def fit_curve(x, y, line_search_fn, lr, steps):
    params = torch.tensor([1.0, 0.1, 2.5, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = optim.LBFGS([params], lr=lr, max_iter=20, history_size=10, line_search_fn=line_search_fn)
    evaluations = 0

    def closure():
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        loss = ((damped_sine(x, params) - y) ** 2).mean()
        loss.backward()
        return loss

    for step in range(steps):
        loss = optimizer.step(closure)
        print(f"  step {step}: loss {loss.item():.8f}")
    state = optimizer.state[optimizer.param_groups[0]['params'][0]]
    print(f"  fitted a={params[0].item():.5f} b={params[1].item():.5f} c={params[2].item():.5f} "
          f"d={params[3].item():.5f}; {evaluations} closure calls, n_iter {state['n_iter']}")
    return params.detach()


class Regressor(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.hidden = nn.Linear(1, hidden)
        self.out = nn.Linear(hidden, 1)
        with torch.no_grad():
            for k, p in enumerate(self.parameters()):
                p.copy_(0.8 * torch.cos(torch.arange(p.numel(), dtype=p.dtype) * 0.9 + k).view_as(p))

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_default_dtype(torch.float64)

    x = torch.linspace(0, 6, 60)
    noise = 0.05 * torch.sin(37.0 * x) * torch.cos(11.0 * x)
    y = damped_sine(x, torch.tensor([2.0, 0.3, 3.0, 0.5])) + noise
    print("damped sine, strong Wolfe line search:")
    fit_curve(x, y, "strong_wolfe", lr=1, steps=args.steps)
    print("damped sine, fixed step:")
    fit_curve(x, y, None, lr=0.3, steps=args.steps)

    print("network regression:")
    model = Regressor()
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(model.parameters(), lr=0.8, line_search_fn="strong_wolfe")
    inputs = torch.linspace(-2, 2, 40).unsqueeze(1)
    targets = torch.sin(2 * inputs) + 0.3 * inputs
    for i in range(args.steps + 2):
        def closure():
            optimizer.zero_grad()
            out = model(inputs)
            loss = criterion(out, targets)
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            loss = criterion(model(inputs), targets)
        print(f"  STEP {i} loss: {loss.item():.8f}")
    print(f"final loss: {loss.item():.8f}")


if __name__ == "__main__":
    main()
