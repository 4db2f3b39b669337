"""backprop.nn.modules.<file>.<Class> as torch.nn.modules.<file>.<Class>: every class of torch's files that
backprop has resolves to backprop's class, a missing one raises AttributeError naming it; under the import hook
``torch.nn.modules.<file>`` imports, private base classes included."""
import importlib
import inspect
import pkgutil

import pytest
import torch

import backprop as bp
from backprop.nn import modules

TORCH_FILES = sorted(m.name for m in pkgutil.iter_modules(torch.nn.modules.__path__)
                     if not m.name.startswith("_") and not m.name.startswith("linear_cross_entropy"))


def _torch_classes(file):
    module = importlib.import_module(f"torch.nn.modules.{file}")
    return sorted(n for n, v in vars(module).items() if inspect.isclass(v) and v.__module__ == module.__name__
                  and n not in ("_WrappedHook", "_LazyProtocol", "_ASMoutput", "_ConvTransposeMixin",
                                "_LazyConvXdMixin", "_LazyNormBase"))


def test_every_torch_file_has_its_backprop_module():
    assert sorted(set(TORCH_FILES) - {"utils"}) == sorted(modules.FILES)


@pytest.mark.parametrize("file", sorted(modules.FILES))
def test_the_table_lists_torchs_classes_and_each_resolves_or_names_itself(file):
    assert sorted(modules.FILES[file]) == _torch_classes(file)
    ours = importlib.import_module(f"backprop.nn.modules.{file}")
    for name in modules.FILES[file]:
        public = getattr(bp.nn, name, None)
        if public is not None:
            assert getattr(ours, name) is public, f"{file}.{name}"
            assert name in dir(ours)
        else:
            try:
                value = getattr(ours, name)
            except AttributeError as error:
                assert f"torch.nn.modules.{file}.{name} is not provided by backprop" in str(error)
            else:
                assert inspect.isclass(value) and value.__module__.startswith("backprop.nn"), name
    with pytest.raises(AttributeError, match="NoSuchLayer is not one of them"):
        getattr(ours, "NoSuchLayer")


def test_base_classes_that_programs_subclass():
    from backprop.nn.modules.batchnorm import _BatchNorm, _NormBase
    from backprop.nn.modules.conv import _ConvNd
    from backprop.nn.modules.loss import _Loss, _WeightedLoss
    from backprop.nn.modules.module import Module, _IncompatibleKeys
    from backprop.nn.modules.pooling import _MaxPoolNd

    assert issubclass(bp.nn.MSELoss, _Loss) and issubclass(bp.nn.CrossEntropyLoss, _WeightedLoss)
    assert issubclass(bp.nn.Conv2d, _ConvNd) and issubclass(bp.nn.MaxPool2d, _MaxPoolNd)
    assert issubclass(bp.nn.BatchNorm2d, _BatchNorm) and _NormBase is _BatchNorm
    assert Module is bp.nn.Module and _IncompatibleKeys is type(bp.nn.Linear(1, 1).load_state_dict(
        bp.nn.Linear(1, 1).state_dict()))

    class MyLoss(_Loss):  # as torch programs write their losses
        def forward(self, input, target):
            return (input - target).abs().mean() if self.reduction == "mean" else (input - target).abs().sum()

    assert MyLoss(reduction="sum")(bp.ones(3), bp.zeros(3)).item() == 3.0


def test_tuple_helpers_as_torch():
    from torch.nn.modules import utils as theirs

    from backprop.nn.modules import utils as ours

    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for value in (3, (1, 2), [4]):
            assert getattr(ours, name)(value) == getattr(theirs, name)(value)
    assert ours._reverse_repeat_tuple((1, 2, 3), 2) == theirs._reverse_repeat_tuple((1, 2, 3), 2)
    assert ours._list_with_default([None, 4], (8, 3, 5, 6)) == theirs._list_with_default([None, 4], (8, 3, 5, 6))


def test_the_package_lends_backprop_nn_names():
    assert bp.nn.modules.Linear is bp.nn.Linear and modules.Sequential is bp.nn.Sequential


def test_addindent_as_torch():
    from torch.nn.modules.module import _addindent as theirs

    from backprop.nn.modules.module import _addindent as ours

    for text in ("one line", "first\nsecond\n  third", ""):
        assert ours(text, 4) == theirs(text, 4)
