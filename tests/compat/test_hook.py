"""backprop.compat's import hook: every mapped torch module imports, its names are backprop's own objects, a
missing name or module raises the clear error, the shims do the harmless thing, uninstall restores."""
import importlib
import subprocess
import sys

import numpy as np
import pytest

import torch.functional as real_functional  # the real torch (the oracle); ``hooked`` sets it aside in a test
import torch.nn.utils.rnn as real_rnn

import backprop as bp
from backprop import compat


@pytest.mark.parametrize("name", sorted(compat.MODULES))
def test_every_mapped_module_imports(hooked, name):
    module = importlib.import_module(name)
    assert module.__name__ == name and sys.modules[name] is module


def test_the_names_are_backprops_own_objects(hooked):
    torch = hooked
    import torch.nn as nn
    import torch.nn.functional as F
    from torch import optim
    from torch.utils.data import DataLoader, Dataset

    assert torch.Tensor is bp.Tensor and torch.tensor is bp.tensor and torch.no_grad is bp.no_grad
    assert nn.Linear is bp.nn.Linear and nn.Module is bp.nn.Module and F.relu is bp.nn.functional.relu
    assert optim.Adam is bp.optim.Adam and torch.optim.lr_scheduler.StepLR is bp.optim.lr_scheduler.StepLR
    assert DataLoader is bp.data.DataLoader and Dataset is bp.data.Dataset
    assert torch.autograd.grad is bp.autograd.grad and torch.autograd.functional.jacobian is bp.autograd.functional.jacobian
    assert torch.nn.init.xavier_uniform_ is bp.nn.init.xavier_uniform_
    assert torch.nn.utils.clip_grad_norm_ is bp.nn.utils.clip_grad_norm_
    assert torch.cuda.is_available is bp.cuda.is_available
    assert torch.nn is nn and torch.nn.functional is F  # attribute access gives the same proxies as imports


def test_distributed_sampler_and_collate_where_torch_has_them(hooked):
    from torch.utils.data import DistributedSampler
    from torch.utils.data._utils.collate import default_collate
    from torch.utils.data.distributed import DistributedSampler as Sampler

    from backprop.distributed.sampler import DistributedSampler as ours

    assert DistributedSampler is Sampler is ours and default_collate is bp.data.default_collate


def test_a_program_written_for_torch_trains(hooked):
    torch = hooked
    import torch.nn as nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(64, 2)
    y = (x[:, :1] * x[:, 1:]).detach()
    losses = []
    for _ in range(50):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert isinstance(model(x), bp.Tensor)


def test_a_missing_name_raises_the_clear_attribute_error(hooked):
    torch = hooked
    with pytest.raises(AttributeError, match=r"^torch\.no_such_op is not provided by backprop$"):
        torch.no_such_op
    with pytest.raises(AttributeError, match=r"^torch\.nn\.NoSuchLayer is not provided by backprop$"):
        torch.nn.NoSuchLayer
    assert not hasattr(torch, "no_such_op") and hasattr(torch, "tensor")
    with pytest.raises(ImportError, match=r"cannot import name 'NoSuchLayer'"):
        from torch.nn import NoSuchLayer  # noqa: F401
    with pytest.raises(AttributeError, match="torch._C is not provided by backprop"):
        torch._C


def test_a_module_backprop_lacks_raises_module_not_found(hooked):
    with pytest.raises(ModuleNotFoundError, match=r"^torch\.fx is not provided by backprop$"):
        import torch.fx  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"^torchvision\.models is not provided by backprop$"):
        import torchvision.models  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"torchaudio"):  # not claimed: Python's own error
        import torchaudio  # noqa: F401


def test_torch_functional_shows_only_torch_functionals_names(hooked):
    torch = hooked
    if hasattr(bp, "einsum"):
        assert torch.functional.einsum is bp.einsum
    with pytest.raises(AttributeError, match="torch.functional.tensor is not provided"):
        torch.functional.tensor


def test_a_name_outside_a_complete_module_is_torchs_gap_too(hooked):
    """torch.functional and torch.nn.utils.rnn are shown with all of torch's names there: F.max_pool2d after
    ``import torch.functional as F`` (a slip an official tutorial makes) is missing from torch as well, and the
    error says so."""
    import torch.functional as F

    for module in (real_functional, real_rnn):
        assert set(module.__all__) <= compat.hook.ONLY[module.__name__]
    assert not hasattr(real_functional, "max_pool2d")
    with pytest.raises(AttributeError, match=r"^torch\.functional\.max_pool2d is not provided by backprop "
                                             r"\(torch has no torch\.functional\.max_pool2d either\)$"):
        F.max_pool2d


def test_a_source_that_does_not_exist_yet_names_itself(hooked, monkeypatch):
    monkeypatch.setitem(compat.MODULES, "torch.distributions", ("backprop.no_such_package",))
    sys.modules.pop("torch.distributions", None)
    import torch.distributions

    with pytest.raises(AttributeError, match=r"torch\.distributions\.Normal is not provided by backprop "
                                             r"\(backprop has no backprop\.no_such_package yet\)"):
        torch.distributions.Normal


def test_version_is_torchs_marked_as_backprops(hooked):
    torch = hooked
    import torchvision

    assert torch.__version__ == "2.13.0+backprop" and torchvision.__version__.endswith("+backprop")
    release = tuple(int(p) for p in torch.__version__.split("+")[0].split("."))
    assert release >= (2, 0)


def test_backends_flags_are_accepted_and_kept_on_the_proxy(hooked):
    torch = hooked
    assert torch.backends.cudnn.is_available() is False and torch.backends.mps.is_available() is False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = True
    assert torch.backends.cudnn.deterministic is True
    assert isinstance(torch.backends.cuda.is_built(), bool)
    assert torch.accelerator.is_available() == bp.cuda.is_available()
    assert (torch.accelerator.current_accelerator() is None) == (not bp.cuda.is_available())


def test_data_parallel_is_the_identity_wrapper(hooked):
    torch = hooked
    import torch.nn as nn

    inner = nn.Linear(3, 2)
    model = nn.parallel.DataParallel(inner) if hasattr(nn, "parallel") else torch.nn.parallel.DataParallel(inner)
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), inner(x).detach().numpy())
    assert model.module is inner
    assert sorted(model.state_dict()) == ["module.bias", "module.weight"]  # torch's keys
    with pytest.raises(NotImplementedError, match="torch.nn.parallel.DistributedDataParallel is not provided"):
        torch.nn.parallel.DistributedDataParallel(inner)


def test_jit_and_onnx_import_and_refuse_what_has_no_meaning(hooked):
    torch = hooked
    import torch.onnx

    model = torch.nn.Linear(2, 2)
    assert torch.jit.script(model) is model and torch.jit.trace(model, torch.randn(1, 2)) is model
    assert torch.jit.ignore(len) is len and torch.jit.is_scripting() is False
    with pytest.raises(NotImplementedError, match=r"torch\.onnx\.export is not provided by backprop"):
        torch.onnx.export(model, torch.randn(1, 2), "model.onnx")
    with pytest.raises(NotImplementedError, match=r"torch\.jit\.save is not provided by backprop"):
        torch.jit.save(model, "model.pt")


def test_profilers_import_label_regions_and_refuse_to_profile(hooked):
    import torch.autograd.profiler
    import torch.profiler
    from torch.profiler import ProfilerActivity, record_function

    with record_function("forward"):  # a label changes nothing, as torch's does when no profiler runs
        y = bp.ones(2) * 2

    @torch.autograd.profiler.record_function("double")
    def double(x):
        return x * 2

    np.testing.assert_array_equal(double(y).numpy(), [4.0, 4.0])
    assert ProfilerActivity.CPU is not ProfilerActivity.CUDA
    with pytest.raises(TypeError, match="record_function expects a str name"):
        record_function(3)
    for module in ("torch.profiler", "torch.autograd.profiler"):
        with pytest.raises(NotImplementedError, match=rf"^{module}\.profile is not provided by backprop "
                                                      r"\(backprop has no operator profiler"):
            with importlib.import_module(module).profile(activities=[ProfilerActivity.CPU]):
                pass


def test_variable_is_a_tensor_that_requires_grad(hooked):
    from torch.autograd import Variable

    x = Variable(bp.ones(2), requires_grad=True)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_assert_close_as_torchs(hooked):
    import torch

    torch.testing.assert_close(bp.tensor([1.0, 2.0]), bp.tensor([1.0, 2.0 + 1e-6]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        torch.testing.assert_close(bp.tensor([1.0, 2.0]), bp.tensor([1.0, 2.1]))
    with pytest.raises(AssertionError, match="dtype"):
        torch.testing.assert_close(bp.tensor([1.0]), bp.tensor([1.0], dtype=bp.float64))
    torch.testing.assert_close(bp.tensor([1.0]), bp.tensor([1.05]), rtol=0.0, atol=0.1)
    with pytest.raises(AssertionError, match="shape"):
        torch.testing.assert_close(bp.zeros(2), bp.zeros(3))


def test_tolerances_of_assert_close_are_torchs():
    import torch
    from backprop.compat.shims import assert_close

    for dtype, (rtol, atol) in {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}.items():
        a = np.array([1.0], dtype=dtype)
        inside, outside = a + 0.9 * (atol + rtol), a + 1.1 * (atol + rtol)
        torch.testing.assert_close(torch.from_numpy(inside), torch.from_numpy(a))
        assert_close(inside, a)
        for check in (lambda: torch.testing.assert_close(torch.from_numpy(outside), torch.from_numpy(a)),
                      lambda: assert_close(outside, a)):
            with pytest.raises(AssertionError):
                check()


def test_uninstall_restores_sys_modules_and_the_meta_path(hooked):
    import torch.nn  # noqa: F401

    assert compat.is_installed() and "torch.nn" in sys.modules
    compat.uninstall()
    assert not compat.is_installed()
    assert not any(n.partition(".")[0] in ("torch", "torchvision") for n in sys.modules)
    compat.install()  # the fixture's uninstall after this must still work


def test_install_refuses_when_the_real_torch_is_imported():
    import torch  # the real one: the oracle of the other tests

    assert not isinstance(torch, compat.hook.TorchModule)
    with pytest.raises(RuntimeError, match="the real torch is already imported"):
        compat.install()
    assert not compat.is_installed()


def test_importing_backprop_or_compat_never_imports_torch():
    code = ("import sys, backprop, backprop.compat, backprop.compat.runner, backprop.compat.missing; "
            "import backprop.compat.torchvision.transforms, backprop.compat.torchvision.utils; "
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('torch', 'torchvision')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_recurrent_sequence_helpers_are_backprops_or_name_themselves(hooked):
    import torch.nn.utils.rnn as rnn

    for name in ("pad_sequence", "pack_padded_sequence"):
        try:
            getattr(rnn, name)
        except AttributeError as error:
            assert str(error) == f"torch.nn.utils.rnn.{name} is not provided by backprop"
    with pytest.raises(AttributeError, match=r"torch\.nn\.utils\.rnn\.clip_grad_norm_ is not provided"):
        rnn.clip_grad_norm_  # a name of backprop.nn.utils, but not of torch.nn.utils.rnn


def test_torch_nn_modules_files_and_their_base_classes(hooked):
    import backprop as bp

    from torch.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.loss import _Loss, _WeightedLoss
    from torch.nn.modules.module import Module
    from torch.nn.modules.utils import _pair
    import torch.nn.modules.linear

    assert torch.nn.modules.linear.Linear is bp.nn.Linear and Module is bp.nn.Module
    assert _Loss is bp.nn.loss._Loss and issubclass(bp.nn.NLLLoss, _WeightedLoss) and _pair(2) == (2, 2)
    assert issubclass(bp.nn.BatchNorm1d, _BatchNorm) and hooked.nn.modules.Conv2d is bp.nn.Conv2d
    with pytest.raises(AttributeError, match="torch.nn.modules.loss._NoSuch is not provided by backprop"):
        hooked.nn.modules.loss._NoSuch


def test_torch_nn_utils_submodules_import(hooked):
    import torch.nn.utils.prune as prune
    from torch.nn.utils import parametrize
    from torch.nn.utils.parametrizations import weight_norm

    import backprop as bp

    layer = weight_norm(hooked.nn.Linear(3, 2))
    assert parametrize.is_parametrized(layer, "weight") and isinstance(layer, bp.nn.Linear)
    prune.l1_unstructured(layer, "bias", amount=1)
    assert list(layer.state_dict())[:2] == ["bias_orig", "bias_mask"]
    assert hooked.nn.utils.weight_norm is bp.nn.utils.weight_norm  # the function, as in torch


def test_torch_func_functional_call_runs_a_module_with_other_tensors(hooked):
    torch = hooked
    from torch.func import functional_call

    model = torch.nn.Linear(2, 1)
    x = torch.tensor([[1.0, 2.0]])
    out = functional_call(model, {"weight": torch.tensor([[1.0, 1.0]]), "bias": torch.tensor([0.5])}, (x,))
    np.testing.assert_array_equal(out.numpy(), [[3.5]])
    np.testing.assert_array_equal(model(x).detach().numpy(), (x @ model.weight.T + model.bias).detach().numpy())
    with pytest.raises(AttributeError, match=r"torch\.func\.vmap is not provided by backprop"):
        torch.func.vmap


def test_checkpoint_gives_the_same_values_and_gradients_keeping_the_activations(hooked):
    torch = hooked
    from torch.utils.checkpoint import checkpoint, checkpoint_sequential

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x = torch.randn(5, 3, requires_grad=True)
    plain = model(x).sum()
    (plain_grad,) = torch.autograd.grad(plain, x)
    for run in (lambda: checkpoint(model, x, use_reentrant=False),
                lambda: checkpoint_sequential(model, 2, x, use_reentrant=False)):
        out = run().sum()
        (grad,) = torch.autograd.grad(out, x)
        assert float(out) == float(plain)
        np.testing.assert_array_equal(grad.numpy(), plain_grad.numpy())
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(model, x)
