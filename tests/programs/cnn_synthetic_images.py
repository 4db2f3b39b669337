# A LeNet-style CNN that tells horizontal from vertical from diagonal strokes in small synthetic images,
# trained with SGD and momentum on a DataLoader, evaluated with model.eval() and torch.no_grad().
# compare: loss rel=0.5 floor=0.3
# expect: accuracy >= 0.9
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def make_images(n, seed, size=16):
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 0.3, size=(n, 1, size, size)).astype(np.float32)
    labels = rng.integers(0, 3, size=n)
    for img, label in zip(images, labels):
        pos = rng.integers(3, size - 3)
        if label == 0:
            img[0, pos, 2:-2] += 1.5
        elif label == 1:
            img[0, 2:-2, pos] += 1.5
        else:
            idx = np.arange(2, size - 2)
            img[0, idx, idx] += 1.5
    return torch.from_numpy(images), torch.from_numpy(labels)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 12, 3)
        self.fc1 = nn.Linear(12 * 3 * 3, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    train = TensorDataset(*make_images(256, 0))
    test = TensorDataset(*make_images(96, 1))
    trainloader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    testloader = DataLoader(test, batch_size=32, shuffle=False)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
    for epoch in range(args.epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        print(f"[{epoch + 1}] loss: {running_loss / len(trainloader):.3f}")
    net.eval()
    correct = total = 0
    test_loss = 0.0
    with torch.no_grad():
        for images, labels in testloader:
            outputs = net(images)
            test_loss += criterion(outputs, labels).item() * labels.size(0)
            _, predicted = torch.max(outputs, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print(f"accuracy: {correct / total:.3f}")
    print(f"final loss: {test_loss / total:.4f}")


if __name__ == "__main__":
    main()
