"""docs/api.md, generated: every torch name backprop provides, grouped as torch's reference groups them.

    python -m backprop.compat.api_reference > docs/api.md

A torch name counts as provided when it resolves through the import hook
(``hook.resolve``: backprop's modules, its ops manifest, the shims) to
something other than a stand-in that refuses when called. torch's names and
their groups come from ``torch_names`` (a stored list: backprop never imports
torch; a test checks the list against the installed torch). Names the ops
manifest declares that torch's lists lack are listed at the end.
"""
import sys

from backprop.compat import hook, torch_names
from backprop.ops import manifest

__all__ = ["render", "main", "DIFFERENCES"]

COMMAND = "python -m backprop.compat.api_reference > docs/api.md"

# API.md's "Deliberate differences from PyTorch", and what the hook does differently, one line each
DIFFERENCES = [
    "Arrays underneath are NumPy arrays on the CPU and CuPy arrays on a GPU (`device=\"cuda\"`); `t.numpy()` "
    "reaches the array without a copy.",
    "`torch.save`/`torch.load` write and read one safetensors file, never pickle: tensors, NumPy arrays, "
    "numbers, strings, lists, dicts and None round-trip; a whole Module or an arbitrary object is refused "
    "(save its `state_dict()`).",
    "`torch.__version__` is `\"2.13.0+backprop\"` (the torch release backprop follows, marked as backprop's).",
    "`torch.jit.script`/`trace` return what they are given (the program runs eagerly); `torch.jit.save`, "
    "`torch.onnx.export` and `torch.nn.parallel.DistributedDataParallel` raise NotImplementedError; the "
    "`torch.backends` flags are accepted and change nothing; `DataParallel` wraps the module on its one device.",
    "torchvision's `Resize` on a tensor is bilinear with antialiasing whatever `interpolation` says (on a PIL "
    "image it is Pillow's resize, as torchvision's).",
    "Beyond torch: `nn.LocallyConnected2d`, `nn.Maxout`, `nn.Step`, `nn.Arctan`, `nn.utils.max_norm_`, "
    "`Dropout(scale_at_test=True)` and backprop's own packages (models, train, rl, ...).",
]

TORCHVISION = [
    ("torchvision.datasets", "MNIST FashionMNIST CIFAR10".split()),
    ("torchvision.transforms", "Compose ToTensor PILToTensor ToPILImage ConvertImageDtype Normalize Resize CenterCrop "
                               "RandomCrop RandomHorizontalFlip RandomVerticalFlip Lambda Grayscale".split()),
    ("torchvision.utils", "make_grid save_image".split()),
]


def _status(dotted):
    """'provided', 'refused' (imports, raises when called) or 'missing'."""
    try:
        value = hook.resolve(dotted)
    except (AttributeError, ImportError):
        return "missing"
    return "refused" if hook.is_refusal(value) else "provided"


def _names(names):
    return ", ".join(f"`{n}`" for n in names)


def _group_lines(title, names, module):
    by = {"provided": [], "refused": [], "missing": []}
    for name in names:
        by[_status(f"{module}.{name}")].append(name)
    lines = [f"### {title} ({len(by['provided'])} of {len(names)})", ""]
    if by["provided"]:
        lines.append(f"Provided: {_names(by['provided'])}.")
    if by["refused"]:
        lines.append(f"Import, raise NotImplementedError when called: {_names(by['refused'])}.")
    if by["missing"]:
        lines.append(f"Not provided: {_names(by['missing'])}.")
    return lines + [""], len(by["provided"])


def _tensor_lines():
    from backprop.tensor import Tensor

    example = Tensor([[1.0, 2.0], [3.0, 4.0]])
    have = set(dir(example))
    provided = [n for n in torch_names.TENSOR_ATTRIBUTES if n in have]
    missing = [n for n in torch_names.TENSOR_ATTRIBUTES if n not in have]
    lines = [f"## `torch.Tensor` ({len(provided)} of {len(torch_names.TENSOR_ATTRIBUTES)} methods and attributes)",
             "", f"Provided: {_names(provided)}.", "", f"Not provided: {_names(missing)}.", ""]
    return lines, len(provided)


def _manifest_extras():
    """Manifest declarations that torch's stored lists lack (functions and Tensor methods)."""
    listed = {name for module, _, names in torch_names.GROUPS if module == "torch" for name in names}
    methods = set(torch_names.TENSOR_ATTRIBUTES)
    functions = sorted(e.name for e in manifest.entries() if e.function_export and e.name not in listed)
    only_methods = sorted(e.name for e in manifest.entries() if e.method and not e.function_export
                          and e.name not in methods)
    return functions, only_methods


def render():
    """The text of docs/api.md (installs the hook for the look-ups, and takes it away if it was not there)."""
    had_hook = hook.is_installed()
    hook.install()
    try:
        return _render()
    finally:
        if not had_hook:
            hook.uninstall()


def _render():
    sections, counts = [], {}
    module = None
    for name, title, names in torch_names.GROUPS:
        if name != module:
            module = name
            sections += [f"## `{module}`", ""]
        lines, provided = _group_lines(title, names, module)
        sections += lines
        total = counts.setdefault(module, [0, 0])
        total[0] += provided
        total[1] += len(names)
    tensor_lines, tensor_provided = _tensor_lines()
    sections += tensor_lines
    counts["torch.Tensor"] = [tensor_provided, len(torch_names.TENSOR_ATTRIBUTES)]
    sections += ["## torchvision (the subset backprop provides)", ""]
    for name, names in TORCHVISION:
        lines, provided = _group_lines(f"`{name}`", names, name)
        sections += lines
    functions, only_methods = _manifest_extras()
    if functions or only_methods:
        sections += ["## Other names declared in backprop's ops manifest", "",
                     "Not in torch's reference lists above (backprop's own, or torch names the stored lists lack).",
                     ""]
        if functions:
            sections += [f"Functions: {_names(functions)}.", ""]
        if only_methods:
            sections += [f"Tensor methods: {_names(only_methods)}.", ""]
    provided, total = counts["torch"]
    head = [
        "# API reference: the torch names backprop provides",
        "",
        f"Generated by `{COMMAND}` from backprop's modules and its ops manifest (do not edit by hand). "
        "A name is provided when `import torch` under `backprop run` (or after `backprop.compat.install()`) "
        "resolves it to backprop; any other torch name raises `AttributeError: torch.xyz is not provided by "
        "backprop` (a module: `ModuleNotFoundError`). Groups and names are those of torch 2.13's reference. "
        "See docs/run.md for running a PyTorch program.",
        "",
        f"backprop provides **{provided} of torch's {total} top-level names** listed below, and "
        f"{tensor_provided} of the {len(torch_names.TENSOR_ATTRIBUTES)} methods and attributes of `torch.Tensor`.",
        "",
        "| module | provided | of torch's |",
        "|---|---|---|",
        *[f"| `{m}` | {p} | {t} |" for m, (p, t) in counts.items()],
        "",
        "## Deliberate differences from torch",
        "",
        *[f"- {line}" for line in DIFFERENCES],
        "",
    ]
    return "\n".join(head + sections).rstrip() + "\n"


def main():
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
