# The fast gradient sign method: train a small classifier, then perturb each test input by epsilon * sign of the
# input gradient of the loss (requires_grad on the data, .grad.data.sign(), clamp) and watch accuracy fall.
# compare: none
# expect: clean accuracy >= 0.9
# expect: attacked accuracy <= 0.5
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def blobs(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centers = np.array([[0.3, 0.3, 0.3, 0.3], [0.7, 0.7, 0.7, 0.7]])
    x = centers[labels] + rng.normal(0, 0.08, size=(n, 4))
    return torch.tensor(np.clip(x, 0, 1), dtype=torch.float32), torch.tensor(labels)


def fgsm_attack(image, epsilon, data_grad):
    perturbed_image = image + epsilon * data_grad.sign()
    return torch.clamp(perturbed_image, 0, 1)


def test(model, data, target, epsilon):
    correct = 0
    for x, y in zip(data, target):
        x = x.unsqueeze(0).clone().requires_grad_(True)
        output = model(x)
        loss = F.nll_loss(output, y.unsqueeze(0))
        model.zero_grad()
        loss.backward()
        perturbed = fgsm_attack(x, epsilon, x.grad.data)
        correct += int(model(perturbed).argmax(1).item() == y.item())
    accuracy = correct / len(data)
    print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / {len(data)} = {accuracy}")
    return accuracy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    torch.manual_seed(0)
    x, y = blobs(200, 0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2), nn.LogSoftmax(dim=1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(args.epochs):
        optimizer.zero_grad()
        F.nll_loss(model(x), y).backward()
        optimizer.step()
    model.eval()
    tx, ty = blobs(60, 1)
    accuracies = [test(model, tx, ty, eps) for eps in (0.0, 0.1, 0.3)]
    print(f"clean accuracy: {accuracies[0]:.3f}")
    print(f"attacked accuracy: {accuracies[-1]:.3f}")


if __name__ == "__main__":
    main()
