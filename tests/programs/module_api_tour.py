# The Module API a training framework leans on: forward pre-hooks and hooks (with kwargs), full backward hooks,
# state_dict(prefix, keep_vars), load_state_dict(assign=True), register_module/add_module/get_parameter/get_buffer,
# named_modules(remove_duplicate=False) with a shared layer, apply, to(dtype), zero_grad(set_to_none=False),
# parameters_to_vector/vector_to_parameters, clip_grad_value_, clip_grad_norm_(error_if_nonfinite), train/eval flags,
# requires_grad_, extra_repr of a custom module, and the deprecated-but-common nn.utils.weight_norm.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
import torch.nn as nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(float(factor)))
        self.register_buffer("calls", torch.tensor(0))

    def forward(self, x, shift=0.0):
        self.calls += 1
        return x * self.factor + shift

    def extra_repr(self):
        return f"factor={self.factor.item():.2f}"


def fixed(model):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(0.5 * torch.sin(torch.arange(p.numel(), dtype=p.dtype) * 1.1 + k).view_as(p))
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.parse_args()
    torch.manual_seed(0)
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.Tanh(), shared, Scale(2.0))
    model.register_module("head", nn.Linear(4, 2))
    model.add_module("act", nn.Softplus())
    fixed(model)
    print(model)
    print("modules (dedup):", [n for n, _ in model.named_modules()])
    print("modules (all):", [n for n, _ in model.named_modules(remove_duplicate=False)])
    print("parameters:", [n for n, _ in model.named_parameters()])
    print("get_parameter:", tuple(model.get_parameter("head.weight").shape), "get_buffer:",
          model.get_buffer("3.calls").item())

    events = []
    pre = model[3].register_forward_pre_hook(lambda m, args, kwargs: (args, {**kwargs, "shift": 0.5}),
                                             with_kwargs=True)
    post = model[1].register_forward_hook(lambda m, inp, out: events.append(("tanh out", round(out.sum().item(),
                                                                                               5))))
    back = model.head.register_full_backward_hook(
        lambda m, grad_in, grad_out: events.append(("head grad_out", round(grad_out[0].abs().sum().item(), 5))))
    x = torch.linspace(-1, 1, 12).view(3, 4).requires_grad_()
    y = model.act(model.head(model[3](model[2](model[1](model[0](x))))))
    y.sum().backward()
    print("events:", events, "| x grad:", round(x.grad.abs().sum().item(), 5))
    pre.remove(), post.remove(), back.remove()
    print("grads:", [(n, round(p.grad.abs().sum().item(), 5)) for n, p in model.named_parameters()])

    model.zero_grad(set_to_none=False)
    print("zeroed, kept:", all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in model.parameters()))
    model.zero_grad()
    print("set to None:", all(p.grad is None for p in model.parameters()))

    state = model.state_dict(prefix="net.")
    print("state keys:", list(state)[:3], "...", len(state), "| calls:", state["net.3.calls"].item())
    kept = model.state_dict(keep_vars=True)
    print("keep_vars gives Parameters:", isinstance(kept["head.weight"], nn.Parameter),
          "plain:", isinstance(model.state_dict()["head.weight"], nn.Parameter))

    clone = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4), Scale(1.0))
    clone.register_module("head", nn.Linear(4, 2))
    clone.add_module("act", nn.Softplus())
    replacement = {k: v.clone() for k, v in model.state_dict().items()}
    result = clone.load_state_dict(replacement, assign=True)
    print("assign load:", result, "| same tensor:", clone.head.weight.data_ptr() == replacement["head.weight"].data_ptr(),
          "| still a Parameter:", isinstance(clone.head.weight, nn.Parameter))

    vec = parameters_to_vector(model.parameters())
    print("vector:", tuple(vec.shape), round(vec.sum().item(), 5))
    vector_to_parameters(vec * 2, model.parameters())
    print("doubled factor:", model[3].factor.item(), "| repr:", model[3])

    model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    print("biases zero:", all(m.bias.abs().sum().item() == 0 for m in model.modules() if isinstance(m, nn.Linear)))

    out = model[0](x.detach())
    out.pow(2).sum().backward()
    nn.utils.clip_grad_value_(model.parameters(), 0.3)
    print("clipped:", round(max(p.grad.abs().max().item() for p in model.parameters() if p.grad is not None), 5))
    total = nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], 0.5, norm_type=2.0)
    print("total norm:", round(total.item(), 5))
    model[0].weight.grad[0, 0] = float("inf")
    try:
        nn.utils.clip_grad_norm_(model[0].parameters(), 1.0, error_if_nonfinite=True)
    except RuntimeError as error:
        print("non-finite refused:", type(error).__name__)

    double = model.to(torch.float64)
    print("to(float64):", {str(p.dtype) for p in double.parameters()}, "calls buffer:", double[3].calls.dtype)
    model.float()
    model.eval()
    print("training flags:", [m.training for m in model.children()])
    model.train()
    model.head.requires_grad_(False)
    print("trainable:", [n for n, p in model.named_parameters() if p.requires_grad])

    wn = nn.utils.weight_norm(fixed(nn.Linear(3, 2)), name="weight")
    print("weight_norm params:", sorted(n for n, _ in wn.named_parameters()),
          "g:", [round(v, 5) for v in wn.weight_g.flatten().tolist()])
    out = wn(torch.ones(1, 3))
    out.sum().backward()
    print("weight_norm grads:", round(wn.weight_g.grad.abs().sum().item(), 5), round(wn.weight_v.grad.abs().sum().item(), 5))
    nn.utils.remove_weight_norm(wn)
    print("removed:", sorted(n for n, _ in wn.named_parameters()), round(wn.weight.sum().item(), 5))


if __name__ == "__main__":
    main()
