# dtypes: aliases, conversions, type promotion, integer division, the NumPy round trip.
# compare: exact
import argparse

import numpy as np
import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)

    print(torch.float, torch.double, torch.long, torch.int, torch.half, torch.bool)
    print(torch.float == torch.float32, torch.long == torch.int64)
    print(torch.get_default_dtype())

    i = torch.tensor([1, 2, 3])
    f = torch.tensor([1.5, 2.5, 3.5])
    d = torch.tensor([1.0], dtype=torch.float64)
    b = torch.tensor([True, False, True])
    print(i.dtype, f.dtype, d.dtype, b.dtype)
    print((i + f).dtype, (i + d).dtype, (f + d).dtype, (i * 2.0).dtype, (i + True).dtype)
    print((i / 2).dtype, i / 2)
    print(i // 2, i % 2, -i // 2)
    print(f.long(), f.int(), f.to(torch.int32), i.float(), i.double().dtype)
    print(b.sum(), b.long(), b.float())
    print(f.to(torch.float64))
    print(i.type(torch.float32), i.type())
    print(f.type_as(d).dtype)
    print(torch.tensor(3).dtype, torch.tensor(3.0).dtype, torch.tensor(np.float64(2.0)).dtype)
    arr = np.arange(4, dtype=np.float64)
    print(torch.from_numpy(arr).dtype, torch.tensor(arr).dtype, torch.as_tensor(arr).dtype)
    print(torch.from_numpy(arr.astype(np.int32)).dtype)
    print(f.numpy().dtype, i.numpy().dtype, b.numpy().dtype)
    print(torch.zeros(2, dtype=torch.uint8) + 255)
    print(torch.tensor([1, 2], dtype=torch.int8).dtype)
    print(f.is_floating_point(), i.is_floating_point())
    print(f.element_size(), d.element_size(), i.element_size())
    print(torch.finfo(torch.float32).eps, torch.iinfo(torch.int32).max)
    x = torch.tensor(2.5)
    print(float(x), int(x), x.item(), f"{x:.2f}", bool(torch.tensor(1)))


if __name__ == "__main__":
    main()
