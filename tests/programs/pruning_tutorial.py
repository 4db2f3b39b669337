# Pruning as the pruning tutorial does it, on LeNet-style layers with fixed weights: prune.l1_unstructured on a
# convolution's weight (weight_orig parameter, weight_mask buffer, a forward pre-hook), ln_structured along output
# channels, iterative pruning that composes masks (PruningContainer), prune.global_unstructured over several layers,
# prune.remove to make it permanent, the sparsity of each layer, and fine-tuning with the masks in place.
# compare: close rtol=1e-4 atol=1e-6
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        x = x.view(-1, int(x.nelement() / x.shape[0]))
        return self.fc2(F.relu(self.fc1(x)))


def fixed(model):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(0.4 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 2.3 + k).view_as(p))
    return model


def sparsity(t):
    return round(100.0 * float(torch.sum(t == 0)) / float(t.nelement()), 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = fixed(LeNet())
    module = model.conv1
    print("before:", list(n for n, _ in module.named_parameters()), list(n for n, _ in module.named_buffers()))

    prune.l1_unstructured(module, name="weight", amount=0.3)
    print("after l1:", list(n for n, _ in module.named_parameters()), list(n for n, _ in module.named_buffers()))
    print("mask:", module.weight_mask[0, 0].tolist(), "| hooks:",
          [type(h).__name__ for h in module._forward_pre_hooks.values()])
    prune.l1_unstructured(module, name="bias", amount=2)
    print("bias:", [round(v, 5) for v in module.bias.tolist()])

    prune.ln_structured(model.conv2, name="weight", amount=0.5, n=2, dim=0)
    print("conv2 channels kept:", [int(m.abs().sum() > 0) for m in model.conv2.weight_mask])
    prune.ln_structured(model.conv2, name="weight", amount=0.25, n=1, dim=1)   # composes with the first mask
    hook = next(h for h in model.conv2._forward_pre_hooks.values() if getattr(h, "_tensor_name", "") == "weight")
    print("container:", type(hook).__name__, [type(m).__name__ for m in hook],
          "conv2 sparsity:", sparsity(model.conv2.weight))

    parameters_to_prune = ((model.fc1, "weight"), (model.fc2, "weight"))
    prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.4)
    for name, m in [("conv1", model.conv1), ("conv2", model.conv2), ("fc1", model.fc1), ("fc2", model.fc2)]:
        print(f"sparsity in {name}.weight: {sparsity(m.weight)}%")
    total_zero = sum(float(torch.sum(m.weight == 0)) for m in (model.fc1, model.fc2))
    print("global sparsity:", round(100.0 * total_zero / (model.fc1.weight.nelement() + model.fc2.weight.nelement()),
                                    2))
    print("state_dict:", list(model.state_dict().keys()))

    x = torch.linspace(-1, 1, 6 * 100).view(6, 1, 10, 10)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"fine-tuned loss: {loss.item():.6f}", "| pruned stay zero:", bool((model.fc1.weight[model.fc1.weight_mask == 0] == 0).all()),
          "| weight_orig grad zero where pruned:",
          bool((model.fc1.weight_orig.grad[model.fc1.weight_mask == 0] == 0).all()))

    for m, name in [(model.conv1, "weight"), (model.conv1, "bias"), (model.conv2, "weight"), (model.fc1, "weight"),
                    (model.fc2, "weight")]:
        prune.remove(m, name)
    print("after remove:", list(n for n, _ in model.conv1.named_parameters()), list(model.conv1.named_buffers()),
          "hooks:", len(model.conv1._forward_pre_hooks))
    print("is_pruned:", prune.is_pruned(model))
    print(f"final loss: {F.cross_entropy(model(x), y).item():.6f}")


if __name__ == "__main__":
    main()
