# torch.save / torch.load of what programs store besides models: tensors, lists and dicts of tensors, NumPy
# arrays, numbers and strings, views; to a path, to an open file and to BytesIO.
# compare: exact
import argparse
import io

import numpy as np
import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    x = torch.arange(10.0)
    torch.save(x, "tensor.pt")
    print(torch.load("tensor.pt"))
    torch.save([x, x * 2], "list.pt")
    print(torch.load("list.pt"))
    obj = {"weights": torch.eye(2), "step": 7, "name": "run-1", "history": [0.5, 0.25], "ids": torch.tensor([1, 2]),
           "nested": {"bias": torch.zeros(3, dtype=torch.float64)}, "flag": True, "nothing": None}
    with open("dict.pt", "wb") as f:
        torch.save(obj, f)
    with open("dict.pt", "rb") as f:
        loaded = torch.load(f)
    for key in sorted(loaded):
        print(key, "->", loaded[key])
    array = np.linspace(0, 1, 5)
    buffer = io.BytesIO()
    torch.save({"array": array, "tensor": torch.from_numpy(array)}, buffer)
    buffer.seek(0)
    back = torch.load(buffer, weights_only=False)
    print(type(back["array"]).__name__, back["array"].dtype, back["tensor"].dtype)
    view = x[2:5]
    torch.save(view, "view.pt")
    print("a view saves its values:", torch.load("view.pt"))
    big = torch.arange(6, dtype=torch.int64).reshape(2, 3)
    torch.save({"a": big, "b": big.t()}, "shared.pt")
    shared = torch.load("shared.pt")
    print(shared["a"], shared["b"], shared["b"].shape)
    h = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.save(h, "grad.pt")
    print("requires_grad survives:", torch.load("grad.pt").requires_grad)


if __name__ == "__main__":
    main()
