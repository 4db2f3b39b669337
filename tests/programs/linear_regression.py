# Linear regression with nn.Linear, MSELoss and SGD on fixed data, weights started at constants.
# compare: close rtol=1e-4 atol=1e-5
import argparse

import numpy as np
import torch
import torch.nn as nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train = rng.uniform(-1, 1, size=(64, 3)).astype(np.float32)
    true_w = np.array([[2.0], [-3.0], [0.5]], dtype=np.float32)
    y_train = (x_train @ true_w + 1.0 + 0.05 * rng.standard_normal((64, 1))).astype(np.float32)
    inputs, targets = torch.from_numpy(x_train), torch.from_numpy(y_train)

    model = nn.Linear(3, 1)
    nn.init.constant_(model.weight, 0.1)
    nn.init.constant_(model.bias, 0.0)
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 10 == 0:
            print(f"Epoch [{epoch + 1}/{args.epochs}], Loss: {loss.item():.4f}")
    print("weight:", model.weight.data, "bias:", model.bias.data)
    predicted = model(inputs).detach().numpy()
    print("first predictions:", np.round(predicted[:3, 0], 4).tolist())
    print(f"final loss: {loss.item():.5f}")


if __name__ == "__main__":
    main()
