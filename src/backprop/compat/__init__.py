"""``backprop.compat``: PyTorch's module names resolved to backprop, so that a PyTorch program runs unchanged.

``install()`` puts an import hook in front of ``sys.meta_path``: from then on
``import torch`` (and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``,
``torch.utils.data``, ``torchvision`` ...) gives a *proxy module* whose
attributes are backprop's own objects (``torch.nn.Linear is backprop.nn.Linear``,
``torch.Tensor is backprop.Tensor``). ``MODULES`` lists every torch module the
hook knows and where its names come from. A name backprop lacks raises
``AttributeError("torch.xyz is not provided by backprop")`` (so ``hasattr``
works), a module it lacks ``ModuleNotFoundError`` with the same words: never a
silently different result. ``uninstall()`` takes the hook and the proxies away.

``backprop run PROGRAM.py`` (``backprop.compat.runner``) installs the hook and
runs a program as ``python PROGRAM.py`` would. See docs/run.md.

In a notebook: ``compat.install()``, then a program's ``import torch`` gives
the proxy (``torch.nn.Linear is backprop.nn.Linear`` is True,
``hasattr(torch, "no_such_function")`` False), and ``compat.uninstall()``
ends it. (No doctest: the tests' process imports the real torch, which
``install`` refuses to shadow.)
"""
from backprop.compat.hook import MODULES, TORCH_VERSION, TORCHVISION_VERSION, install, is_installed, uninstall

__all__ = ["install", "uninstall", "is_installed", "MODULES", "TORCH_VERSION", "TORCHVISION_VERSION"]
