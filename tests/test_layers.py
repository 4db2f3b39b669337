"""DESIGN.md's layers: a module of backprop imports from its own layer or below, never above, and within the
nn/optim/data/distributions layer the packages stay apart. Imports inside functions count too."""
import ast
import pathlib

import pytest

# bottom to top, as DESIGN.md draws them (top-level modules and packages of src/backprop)
LAYERS = [
    {"backend", "dtypes", "files", "checks", "threads"},
    {"tensor", "autograd", "ops", "creation", "serialization", "hooks", "linalg", "sparse", "random", "accelerator", "cuda",
     "utilities"},
    {"nn", "optim", "data", "distributions"},
    {"models"},
    {"train"},
    {"classic", "explain", "attacks", "pretrain", "generative", "rl", "distributed", "viz", "demos"},
    {"cli", "experiments", "serve", "compat", "__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
# the runs of the commands: each assembles one command's work from a config (zoo model, data, attack, Trainer,
# report), so it sits in the top layer, beside cli, whatever package it lives in; nothing below imports it
RUNS = {"train/run", "distributed/run", "attacks/checkpoint", "explain/checkpoint"}
RANK.update({run: len(LAYERS) - 1 for run in RUNS})
SEPARATE = LAYERS[2]  # nn, optim, data and distributions do not import each other
# known edges against the layers, each with its reason (remove an entry when the code moves)
EXCEPTIONS = {
    ("optim/constraints.py", "nn"): "MaxNorm (bp.optim.MaxNorm) constrains a Module's weights after each step",
    ("optim/swa_utils.py", "nn"): "AveragedModel (torch.optim.swa_utils) is a Module; update_bn finds the BatchNorms",
}
ROOT = pathlib.Path(__file__).resolve().parent.parent / "src" / "backprop"


def _imported_packages(tree, relative=""):
    """(line, name) of every backprop top-level module or package a file imports: ``import backprop.x``,
    ``from backprop.x import ...``, ``from backprop import x``, relative imports (``relative``: the file's path
    under src/backprop), ``importlib.import_module("backprop.x...")`` (an f-string too, by its constant start) and
    ``bp.x`` after ``import backprop as bp`` (an attribute of the package that is one of its modules)."""
    aliases = set()  # names under which the file holds the package itself
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            package = ["backprop"] + relative.split("/")[:-1]
            base = package[:len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            if len(base) > 1:
                yield node.lineno, base[1]
            else:
                yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "backprop":
                names = parts[1:2] or [alias.name for alias in node.names]
                yield from ((node.lineno, name) for name in names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "backprop" and len(parts) > 1:
                    yield node.lineno, parts[1]
                elif alias.name == "backprop":
                    aliases.add(alias.asname or "backprop")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.JoinedStr) and argument.values:
                argument = argument.values[0]
            text = argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else ""
            parts = text.split(".")
            if parts[0] == "backprop" and len(parts) > 1 and parts[1]:
                yield node.lineno, parts[1]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr in RANK):
            yield node.lineno, node.attr


def _imported_units(tree, relative=""):
    """``_imported_packages``, and a run module (RUNS) as a unit of its own: ``from backprop.train import run`` and
    ``from backprop.train.run import X`` import the package train and "train/run"."""
    runs = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "backprop" and len(parts) == 2:
                runs[node.lineno] = [f"{parts[1]}/{alias.name}" for alias in node.names]
            elif parts[0] == "backprop" and len(parts) > 2:
                runs[node.lineno] = [f"{parts[1]}/{parts[2]}"]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "backprop" and len(parts) > 2:
                    runs.setdefault(node.lineno, []).append(f"{parts[1]}/{parts[2]}")
    for line, name in _imported_packages(tree, relative):
        yield line, name
        yield from ((line, run) for run in runs.get(line, []) if run in RUNS and run.split("/")[0] == name)


FILES = sorted(p for p in ROOT.rglob("*.py") if p != ROOT / "__init__.py")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_layers(path):
    relative = path.relative_to(ROOT).as_posix()
    own = relative.split("/")[0].removesuffix(".py")
    assert own in RANK, f"{own} is in no layer of DESIGN.md: add it to LAYERS in {__file__}"
    own = relative.removesuffix(".py") if relative.removesuffix(".py") in RUNS else own
    wrong = []
    for line, name in _imported_units(ast.parse(path.read_text()), relative):
        if name == own or (relative, name) in EXCEPTIONS:
            continue
        assert name in RANK, f"{relative}:{line} imports backprop.{name}, which is in no layer"
        if RANK[name] > RANK[own] or (own in SEPARATE and name in SEPARATE):
            wrong.append(f"{relative}:{line} imports backprop.{name}")
    assert not wrong, "imports against DESIGN.md's layers: " + "; ".join(wrong)


def test_the_exceptions_are_still_needed():
    for (relative, name), reason in EXCEPTIONS.items():
        used = {n for _, n in _imported_packages(ast.parse((ROOT / relative).read_text()), relative)}
        assert name in used, f"{relative} no longer imports backprop.{name}: remove its exception ({reason})"


def test_every_form_of_import_is_seen():
    """The parser misses no way a module reaches another: a missed form would let an upward arrow through."""
    source = """
import backprop.nn.functional
from backprop.optim import SGD
from backprop import data, models as zoo
import backprop as bp
def later():
    from backprop.train import run
    import importlib
    importlib.import_module("backprop.attacks")
    importlib.import_module(f"backprop.explain.{'lrp'}")
    return bp.rl.make, bp.Size
from ..cli import main
from . import hooks
"""
    seen = sorted(name for _, name in _imported_packages(ast.parse(source), "ops/some.py"))
    assert seen == sorted(["nn", "optim", "data", "models", "train", "attacks", "explain", "rl", "cli", "ops"])
    wrong = [name for name in seen if RANK[name] > RANK["ops"]]
    assert wrong == sorted(["nn", "optim", "data", "models", "train", "attacks", "explain", "rl", "cli"])  # all flagged


TEST_ONLY = ("torch", "torchvision")  # the oracle: a dependency of the tests and benchmarks, never of backprop


def _imports_of_test_only_packages(source):
    """(line, module) of each import of torch/torchvision in ``source``: statements anywhere (inside functions too)
    and importlib.import_module/__import__ with a constant name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)):
            names = [str(node.args[0].value)]
        else:
            continue
        yield from ((node.lineno, name) for name in names if name.split(".")[0] in TEST_ONLY)


def test_backprop_never_imports_torch():
    found = [f"{path.relative_to(ROOT)}:{line} imports {name}" for path in FILES + [ROOT / "__init__.py"]
             for line, name in _imports_of_test_only_packages(path.read_text())]
    assert not found, "; ".join(found)


def test_the_torch_import_check_sees_every_form():
    source = ("import torch\nimport numpy, torchvision.transforms as T\nfrom torch.nn import functional\n"
              "def f():\n    import importlib\n    return importlib.import_module('torch.optim'), __import__('torch')\n"
              "from backprop.compat import torch_names\nimport torchaudio_like_name\n")
    assert [name for _, name in _imports_of_test_only_packages(source)] == [
        "torch", "torchvision.transforms", "torch.nn", "torch.optim", "torch"]
