# Not part of the corpus (its name starts with _): test_programs runs it through `python` and `backprop run` to check
# that a program sees its arguments and its working directory, and that sys.exit's code is the command's exit code.
import sys

import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    with open("input.txt") as f:
        numbers = [float(v) for v in f.read().split()]
    print("argv:", sys.argv[1:], "name:", __name__)
    print("sum:", torch.tensor(numbers).sum().item())
    sys.exit(int(sys.argv[1]))
