# Hooks: on tensors (inspect and change a gradient), on modules (forward, forward pre, full backward).
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def fill_(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape))


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)

    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda grad: seen.append(grad.clone()))
    y = x * x
    y.register_hook(lambda grad: grad * 10)
    y.sum().backward()
    print("seen by hook:", seen[0], "x.grad:", x.grad)
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    print("after remove:", len(seen), x.grad)

    net = Net()
    fill_(net)
    activations = {}

    def save_output(name):
        def hook(module, inputs, output):
            activations[name] = output.detach()
        return hook

    def scale_input(module, inputs):
        return (inputs[0] * 2,)

    grads = {}

    def save_grad(module, grad_input, grad_output):
        grads["fc2_out"] = grad_output[0].detach()

    h1 = net.fc1.register_forward_hook(save_output("fc1"))
    h2 = net.fc1.register_forward_pre_hook(scale_input)
    h3 = net.fc2.register_full_backward_hook(save_grad)
    inp = torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    out = net(inp)
    out.pow(2).sum().backward()
    print("fc1 output:", activations["fc1"])
    print("output:", out.detach())
    print("grad at fc2 output:", grads["fc2_out"])
    print("fc1.weight.grad:", net.fc1.weight.grad)
    for h in (h1, h2, h3):
        h.remove()
    print("without hooks:", net(inp).detach())


if __name__ == "__main__":
    main()
