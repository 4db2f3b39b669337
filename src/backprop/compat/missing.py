"""``backprop run --list-missing PROGRAM.py``: the torch names a program uses that backprop lacks, found without
running it.

Static and simple: the names bound by ``import torch``, ``import torch.nn as nn``,
``from torch import nn, optim``, ``from torch.utils.data import DataLoader``,
``import torchvision.transforms as T`` ... are followed through attribute chains
(``torch.nn.functional.relu``, ``nn.Linear``, ``F.gelu``, ``T.Resize``), and each
chain is resolved through the import hook (``hook.resolve``): the first part that
does not resolve is reported. Methods of tensors (``x.foo()``) are out of reach:
which names are tensors is known only when the program runs.
"""
import ast

from backprop.compat import hook

__all__ = ["missing_names", "used_names"]


def _chain(node):
    """['a', 'b', 'c'] for the expression a.b.c, or None when it is not a plain attribute chain on a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


class _Uses(ast.NodeVisitor):
    """Collects (line, dotted torch name) for each import and each maximal attribute chain on a bound name."""

    def __init__(self):
        self.bound = {}  # local name -> the torch name it stands for
        self.uses = []

    def _use(self, line, name):
        self.uses.append((line, name))

    def visit_Import(self, node):
        for alias in node.names:
            root = alias.name.partition(".")[0]
            if root not in hook._ROOTS:
                continue
            self._use(node.lineno, alias.name)
            if alias.asname:
                self.bound[alias.asname] = alias.name
            else:
                self.bound[root] = root

    def visit_ImportFrom(self, node):
        if node.level or not node.module or node.module.partition(".")[0] not in hook._ROOTS:
            return
        for alias in node.names:
            if alias.name == "*":
                self._use(node.lineno, node.module)
                continue
            name = f"{node.module}.{alias.name}"
            self._use(node.lineno, name)
            self.bound[alias.asname or alias.name] = name

    def visit_Attribute(self, node):
        parts = _chain(node)
        if parts is None or parts[0] not in self.bound:
            self.generic_visit(node)
            return
        if isinstance(node.ctx, (ast.Store, ast.Del)):  # torch.backends.cudnn.benchmark = True sets a name
            parts = parts[:-1]
        self._use(node.lineno, ".".join([self.bound[parts[0]], *parts[1:]]))


def used_names(source, filename="<program>"):
    """(line, dotted name) of every torch name ``source`` uses, in order of appearance."""
    visitor = _Uses()
    visitor.visit(ast.parse(source, filename))
    return visitor.uses


def missing_names(source, filename="<program>"):
    """(line, name, why) for each torch name the program uses that backprop lacks, first use of each only.

    ``why`` is the error the program would meet (``is not provided by backprop``, or what a stand-in raises
    when called). Installs the hook for the look-ups and takes it away afterwards if it was not there.
    """
    had_hook = hook.is_installed()
    hook.install()
    try:
        found, seen = [], set()
        for line, name in used_names(source, filename):
            missing = _first_missing(name)
            if missing is not None and missing[0] not in seen:
                seen.add(missing[0])
                found.append((line, *missing))
        return found
    finally:
        if not had_hook:
            hook.uninstall()


def _first_missing(dotted):
    """(name, why) of the first part of ``dotted`` backprop lacks, or None when all of it resolves."""
    try:
        value = hook.resolve(dotted)
    except (AttributeError, ImportError) as error:
        name, found, rest = str(error).partition(" is not provided by backprop")
        return (name, found.strip() + rest) if found else (dotted, str(error))
    if hook.is_refusal(value):
        return dotted, f"raises NotImplementedError when called: {value.backprop_refusal}"
    return None
