# Building models from containers and reaching layers by their full module paths: torch.nn.modules.<file>.<Class>
# imports, a ModuleDict of task heads, a ParameterList of per-layer gates and a ParameterDict, buffers that are
# and are not saved, named_modules/named_children/get_submodule, state_dict keys, load_state_dict(strict=False)
# with its missing and unexpected keys, freezing with requires_grad_, and a few SGD steps on fixed weights.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
from torch.nn.modules.activation import PReLU, SiLU
from torch.nn.modules.container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from torch.nn.modules.linear import Identity, Linear
from torch.nn.modules.loss import HuberLoss, MSELoss
from torch.nn.modules.module import Module
from torch.nn.modules.normalization import LayerNorm
from torch.nn.parameter import Parameter


class MultiTaskNet(Module):
    def __init__(self, n_in=4, hidden=8, depth=2):
        super().__init__()
        self.stem = Sequential(Linear(n_in, hidden), SiLU())
        self.blocks = ModuleList([Sequential(Linear(hidden, hidden), LayerNorm(hidden), PReLU())
                                  for _ in range(depth)])
        self.gates = ParameterList([Parameter(torch.full((hidden,), 0.5)) for _ in range(depth)])
        self.heads = ModuleDict({"regress": Linear(hidden, 1), "classify": Linear(hidden, 3)})
        self.extra = ParameterDict({"bias": Parameter(torch.zeros(1)), "temperature": Parameter(torch.ones(1))})
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("scratch", torch.zeros(hidden), persistent=False)
        self.skip = Identity()

    def forward(self, x, task):
        self.calls += 1
        h = self.stem(x)
        for gate, block in zip(self.gates, self.blocks):
            h = self.skip(h) + gate * block(h)
        out = self.heads[task](h)
        if task == "regress":
            return out.squeeze(1) + self.extra["bias"]
        return out / self.extra["temperature"]


def fixed_weights(model):
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            if name.startswith(("gates", "extra")) or name.endswith("weight") and p.dim() == 1:
                continue  # gates, extras, LayerNorm weights and PReLU slopes keep their initial values
            p.copy_(0.4 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.7 + k).view_as(p))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)

    model = MultiTaskNet()
    fixed_weights(model)
    print(model)
    print("children:", [name for name, _ in model.named_children()])
    print("modules:", [name for name, _ in model.named_modules()])
    print("parameters:", [(name, tuple(p.shape)) for name, p in model.named_parameters()])
    print("buffers:", [name for name, _ in model.named_buffers()])
    print("state_dict:", list(model.state_dict().keys()))
    print("heads:", list(model.heads.keys()), "extra:", list(model.extra.keys()), "gates:", len(model.gates))
    print("submodule:", model.get_submodule("blocks.1.2"))
    print("isinstance:", isinstance(model.heads, torch.nn.ModuleDict), isinstance(model.gates[0], torch.nn.Parameter),
          isinstance(model.stem[0], torch.nn.Linear), torch.nn.modules.linear.Linear is torch.nn.Linear)

    x = torch.linspace(-1, 1, 24).view(6, 4)
    y_reg = x.sum(dim=1) * 0.5
    y_cls = torch.tensor([0, 1, 2, 2, 1, 0])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    huber, mse = HuberLoss(delta=0.5), MSELoss()
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = huber(model(x, "regress"), y_reg) + torch.nn.functional.cross_entropy(model(x, "classify"), y_cls)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.6f} mse {mse(model(x, 'regress'), y_reg).item():.6f}")
    print("calls:", model.calls.item(), "gate 0:", [round(v, 5) for v in model.gates[0].tolist()[:3]])

    # freeze the shared trunk, train only the classification head
    model.stem.requires_grad_(False)
    model.blocks.requires_grad_(False)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    print("trainable:", trainable)

    # a state_dict from a model with one head fewer and one key more
    state = model.state_dict()
    del state["heads.classify.weight"]
    state["heads.rank.weight"] = torch.zeros(1, 8)
    fresh = MultiTaskNet()
    result = fresh.load_state_dict(state, strict=False)
    print("missing:", result.missing_keys, "unexpected:", result.unexpected_keys)
    print("same regression:", torch.allclose(fresh(x, "regress"), model(x, "regress")))
    try:
        fresh.load_state_dict(state)
    except RuntimeError as error:
        print("strict load refused:", str(error).splitlines()[0])
    with torch.no_grad():
        print(f"final loss: {huber(model(x, 'regress'), y_reg).item():.6f}")


if __name__ == "__main__":
    main()
