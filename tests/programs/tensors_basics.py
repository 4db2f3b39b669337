# Tensors from scratch: creation, attributes, the NumPy bridge and printing.
# compare: exact
import argparse

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser(description="tensor basics")
    parser.add_argument("--n", type=int, default=4)
    args = parser.parse_args()
    torch.manual_seed(0)

    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    print(x_data)
    print("shape:", x_data.shape, "dtype:", x_data.dtype, "device:", x_data.device)

    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    print(x_np)
    np.multiply(np_array, 2, out=np_array)
    print("after changing the array:", x_np)

    x_ones = torch.ones_like(x_data)
    print(f"Ones Tensor:\n {x_ones}\n")
    x_float = torch.zeros_like(x_data, dtype=torch.float)
    print(f"Zeros Tensor:\n {x_float}\n")

    shape = (2, 3)
    print(torch.ones(shape))
    print(torch.zeros(shape))
    print(torch.full(shape, 7.5))
    print(torch.eye(3))
    print(torch.arange(args.n))
    print(torch.arange(1, 2.5, 0.5))
    print(torch.linspace(0, 1, steps=5))
    print(torch.empty(2, 2).shape)

    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    print(f"Shape of tensor: {tensor.shape}")
    print(f"Datatype of tensor: {tensor.dtype}")
    print(f"Device tensor is stored on: {tensor.device}")
    print("numel:", tensor.numel(), "dim:", tensor.dim(), "size(1):", tensor.size(1))
    print("first row:", tensor[0])
    print("first column:", tensor[:, 0])
    print("last column:", tensor[..., -1])
    tensor[:, 1] = 0
    print(tensor)

    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    print(f"t: {t}")
    print(f"n: {n}")
    print("tolist:", tensor.tolist())
    print("item:", tensor.sum().item())


if __name__ == "__main__":
    main()
