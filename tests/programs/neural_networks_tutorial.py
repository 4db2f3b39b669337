# The neural-networks part of a first tutorial: a LeNet for 32x32 inputs, its parameters, a backward pass with
# a given gradient, following loss.grad_fn backwards, a manual SGD update, then torch.optim. Weights and input fixed.
# compare: close rtol=1e-4 atol=1e-6
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        return self.fc3(f6)


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(0.1 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.5 + i).reshape(p.shape))
    print(net)
    params = list(net.parameters())
    print(len(params))
    print(params[0].size())
    input = torch.cos(torch.arange(32 * 32, dtype=torch.float32) * 0.1).reshape(1, 1, 32, 32)
    out = net(input)
    print(out)
    net.zero_grad()
    out.backward(torch.linspace(-1, 1, 10).reshape(1, 10))
    print("conv1.bias.grad after backward:", net.conv1.bias.grad)

    output = net(input)
    target = torch.arange(10, dtype=torch.float32).view(1, -1) / 10
    criterion = nn.MSELoss()
    loss = criterion(output, target)
    print(loss)
    print(loss.grad_fn)  # the loss node
    print(loss.grad_fn.next_functions[0][0])  # the last layer
    print(loss.grad_fn.next_functions[0][0].next_functions[0][0])  # its bias

    net.zero_grad()
    print("conv1.bias.grad before backward")
    print(net.conv1.bias.grad)
    loss.backward()
    print("conv1.bias.grad after backward")
    print(net.conv1.bias.grad)

    learning_rate = 0.01
    for f in net.parameters():
        f.data.sub_(f.grad.data * learning_rate)
    print("after a manual step:", criterion(net(input), target).item())

    optimizer = optim.SGD(net.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        print("loss:", loss.item())


if __name__ == "__main__":
    main()
