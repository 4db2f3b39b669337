# Device-agnostic code: torch.device, cuda and accelerator checks, .to(device) of tensors and modules,
# device= arguments, default dtypes, seeds and thread settings that programs set at the top.
# compare: exact
import argparse

import torch
import torch.backends.cudnn as cudnn
from torch import nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-cuda", action="store_true", default=False)
    args = parser.parse_args()
    torch.manual_seed(0)
    use_cuda = not args.no_cuda and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    print("device:", device, device.type, str(device), device == torch.device("cpu"))
    print("cuda available:", torch.cuda.is_available(), "devices:", torch.cuda.device_count())
    accelerator = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    print("accelerator:", accelerator)
    cudnn.benchmark = True
    torch.backends.cudnn.deterministic = True
    print("cudnn flags set:", torch.backends.cudnn.deterministic)
    torch.cuda.manual_seed(1)
    torch.set_num_threads(1)
    print("threads:", torch.get_num_threads())
    x = torch.ones(2, 3, device=device)
    print("tensor device:", x.device, x.to(device).device, x.cpu().device, x.to("cpu", torch.float64).dtype)
    model = nn.Linear(3, 1).to(device)
    print("module device:", next(model.parameters()).device)
    print("is_cuda:", x.is_cuda)
    print("default dtype:", torch.get_default_dtype())
    torch.set_default_dtype(torch.float64)
    print("after set_default_dtype:", torch.tensor([1.0]).dtype, torch.zeros(1).dtype, nn.Linear(1, 1).weight.dtype)
    torch.set_default_dtype(torch.float32)
    print("restored:", torch.tensor([1.0]).dtype)
    print("version is a string:", isinstance(torch.__version__, str))
    print("is_tensor:", torch.is_tensor(x), torch.is_tensor([1]), isinstance(x, torch.Tensor))
    print("numel:", torch.numel(x))
    with torch.inference_mode():
        y = model(x)
    print("inference mode:", y.requires_grad)


if __name__ == "__main__":
    main()
