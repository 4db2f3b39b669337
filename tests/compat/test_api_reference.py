"""docs/api.md: its stored lists of torch's names are torch's, and the committed page is what the generator writes."""
import importlib
import pathlib
import subprocess
import sys

import pytest
import torch

from backprop.compat import api_reference, torch_names

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGENERATE = ".venv/bin/" + api_reference.COMMAND  # run in the repository root


@pytest.mark.parametrize("module, section, names", torch_names.GROUPS, ids=lambda v: v if isinstance(v, str) else "")
def test_the_stored_names_are_torchs(module, section, names):
    base = importlib.import_module(module)
    absent = []
    for name in names:
        value = base
        for part in name.split("."):
            value = getattr(value, part, None)
        if value is None:
            absent.append(name)
    assert not absent, f"{module} ({section}): torch {torch.__version__} has no {absent}"
    assert len(set(names)) == len(names), f"{module} ({section}) lists a name twice"


def test_the_stored_tensor_attributes_are_torchs():
    public = {n for n in dir(torch.Tensor) if not n.startswith("_")}
    assert set(torch_names.TENSOR_ATTRIBUTES) <= public, sorted(set(torch_names.TENSOR_ATTRIBUTES) - public)


def test_status_of_a_name(hooked):
    assert api_reference._status("torch.nn.Linear") == "provided"
    assert api_reference._status("torch.onnx.export") == "refused"
    assert api_reference._status("torch.no_such_function") == "missing"
    assert api_reference._status("torchvision.models.resnet18") == "missing"


def test_docs_api_md_is_what_the_generator_writes():
    done = subprocess.run([sys.executable, "-m", "backprop.compat.api_reference"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "docs" / "api.md").read_text()
    assert committed == done.stdout, (
        "docs/api.md is out of date (backprop's names changed since it was generated): regenerate it with "
        f"`{REGENERATE}` in the repository root and commit it")
