"""``hooked``: torch resolved to backprop inside this test process, which has the real torch imported (it is
the tests' oracle): the real modules are set aside for the test and put back after it."""
import importlib
import sys

import pytest

from backprop import compat


def _set_aside():
    return {n: sys.modules.pop(n) for n in list(sys.modules) if n.partition(".")[0] in ("torch", "torchvision")}


@pytest.fixture
def hooked():
    saved = _set_aside()
    compat.install()
    try:
        yield importlib.import_module("torch")
    finally:
        compat.uninstall()
        _set_aside()
        sys.modules.update(saved)
