# Idioms older tutorials and examples are full of: Variable, legacy constructors (FloatTensor, torch.Tensor(2, 3)),
# .data, new_zeros/new_tensor, .type(), narrow, view_as, formatting a one-element tensor, grad_fn.next_functions,
# DataParallel on one device, torch.backends flags, and the modules that must import (onnx, jit).
# compare: exact
import argparse

import torch
import torch.nn as nn
import torch.onnx  # noqa: F401  (imported by many examples, unused here)
from torch.autograd import Variable


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = Variable(torch.ones(2, 2), requires_grad=True)
    y = x * 3
    print("Variable:", type(x).__name__, x.requires_grad, y.grad_fn is not None)
    print("FloatTensor:", torch.FloatTensor([1, 2]).dtype, torch.LongTensor([1, 2]).dtype,
          torch.Tensor(2, 3).shape, torch.Tensor([1, 2]).dtype)
    w = nn.Parameter(torch.tensor([1.0, 2.0]))
    w.data.mul_(2)
    print(".data:", w.data, w.requires_grad, w.data.requires_grad)
    t = torch.tensor([[1.5, 2.5], [3.5, 4.5]])
    print("new_*:", t.new_zeros(3), t.new_ones((1, 2)), t.new_full((2,), 7.0), t.new_tensor([1, 2]).dtype,
          t.new_empty(2, 2).shape)
    print(".type():", t.type(), t.type(torch.LongTensor), t.long().type())
    print("narrow:", t.narrow(1, 1, 1).view_as(torch.zeros(2)))
    loss = (t ** 2).mean()
    print(f"loss {loss:.4f} {loss:>10.2f} {loss.item():.3e}")
    print("scalar ops:", float(loss), round(loss.item(), 2), int(torch.tensor(7)))
    a = torch.tensor([2.0], requires_grad=True)
    out = torch.relu(a * 3 + 1).sum()
    print("grad_fn chain:", out.grad_fn.name(), [f[0].name() for f in out.grad_fn.next_functions if f[0]])
    print("next of next:", out.grad_fn.next_functions[0][0].next_functions[0][0].name())
    model = nn.DataParallel(nn.Linear(2, 1)) if torch.cuda.device_count() > 1 else nn.Linear(2, 1)
    print("model:", type(model).__name__)
    torch.backends.cudnn.benchmark = False
    print("mps available:", torch.backends.mps.is_available())
    print("jit script exists:", hasattr(torch.jit, "script"))
    print("eq/ne/gt:", t.eq(1.5), t.ne(1.5).sum().item(), t.gt(2).sum().item())
    print("item of sum:", t.sum().item(), t.max().item(), t.argmax().item())
    print("size/dim:", t.size(), t.size(0), t.dim(), t.ndim, len(t))
    print("iterate rows:", [row.tolist() for row in t])
    print("numpy:", t.numpy().tolist(), t.detach().cpu().numpy().shape)


if __name__ == "__main__":
    main()
