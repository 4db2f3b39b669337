"""Every name of API.md's first section ("Tensors and autograd") exists, with torch's meaning."""
import numpy as np
import pytest

import backprop as bp
from backprop.ops import manifest

FACTORIES = "zeros ones full zeros_like ones_like rand randn randint arange linspace eye from_numpy".split()
ATTRIBUTES = "data grad requires_grad shape ndim dtype device T is_leaf grad_fn".split()
METHODS = "backward detach numpy item tolist to float requires_grad_ zero_ size numel".split()
# the ops' names come from their one manifest (each op's @export): bp.NAME, Tensor.NAME, Tensor.NAME_
FUNCTIONS = [entry.name for entry in manifest.entries() if entry.function_export]
OP_METHODS = [entry.name for entry in manifest.entries() if entry.method] + [
    entry.name + "_" for entry in manifest.entries() if entry.inplace]


@pytest.mark.parametrize("name", ["Tensor", "tensor", "no_grad", "enable_grad", "manual_seed", "save", "load",
                                  "device", *FACTORIES, *FUNCTIONS])
def test_module_level_names(name):
    assert callable(getattr(bp, name))


def test_dtypes_are_numpy_dtypes():
    for name in ["float16", "float32", "float64", "int32", "int64", "bool"]:
        assert getattr(bp, name) == np.dtype(name)


@pytest.mark.parametrize("name", ATTRIBUTES)
def test_tensor_attributes(name):
    t = bp.ones(2, 2, requires_grad=True)
    getattr(t, name)  # exists (a property that may be None, as grad and grad_fn are here)


@pytest.mark.parametrize("name", METHODS + OP_METHODS + ["where"])
def test_tensor_methods(name):
    assert callable(getattr(bp.Tensor, name))


def test_the_manifest_holds_the_ops_of_the_api():
    """API.md's first section, as torch names them: each is a declared op (so a function and a method)."""
    names = {entry.name for entry in manifest.entries()}
    api = ("exp log sqrt abs sin cos tanh sigmoid relu clamp clip maximum minimum where sum mean var std max min "
           "argmax argmin prod matmul reshape view flatten transpose permute squeeze unsqueeze expand cat stack split "
           "chunk gather pad softmax log_softmax logsumexp add sub mul div neg pow clone").split()
    assert not [name for name in api if name not in names]


def test_a_declared_op_is_a_function_a_method_and_an_in_place_method():
    x = bp.tensor([-1.0, 0.5])
    assert bp.exp is bp.ops.exp and bp.Tensor.exp is bp.ops.exp
    y = x.clone()
    assert y.exp_() is y and np.allclose(y.numpy(), np.exp(x.numpy()))
    assert not hasattr(bp.Tensor, "cat") and callable(bp.cat)  # method=False: torch has no Tensor.cat
    with pytest.raises(ValueError, match="declared twice"):
        manifest.export(name="exp")(lambda input: input)  # another function under a taken name


def test_gradcheck_and_its_error():
    assert callable(bp.autograd.gradcheck)
    assert issubclass(bp.autograd.GradcheckError, RuntimeError)


def test_operators_exist_and_are_differentiable():
    a = bp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = ((a + 1) - 2) * 3 / 4
    y = y ** 2 @ a
    y = -y
    y.sum().backward()
    assert a.grad is not None and a.grad.shape == (2, 2)
    assert (a < 2).dtype == bp.bool and (a <= 2).sum().item() == 2 and (a > 2).sum().item() == 2
    assert (a >= 2).sum().item() == 3 and (a == 2).sum().item() == 1 and (a != 2).sum().item() == 3


NN_LAYERS = (
    "Module Parameter Sequential ModuleList Identity Linear Conv1d Conv2d MaxPool2d AvgPool2d AdaptiveAvgPool2d "
    "Flatten Dropout BatchNorm1d BatchNorm2d LayerNorm Embedding RNN LSTM GRU MultiheadAttention "
    "TransformerEncoderLayer LocallyConnected2d Maxout ReLU LeakyReLU GELU Sigmoid Tanh Softmax LogSoftmax Softplus "
    "ELU Step Arctan MSELoss L1Loss CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss HingeEmbeddingLoss "
    "MultiMarginLoss KLDivLoss"
).split()
NN_FUNCTIONAL = (
    "linear conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d dropout batch_norm layer_norm embedding relu "
    "leaky_relu gelu sigmoid tanh softmax log_softmax softplus elu step arctan mse_loss l1_loss cross_entropy "
    "nll_loss binary_cross_entropy binary_cross_entropy_with_logits hinge_embedding_loss multi_margin_loss kl_div pad"
).split()


@pytest.mark.parametrize("name", NN_LAYERS)
def test_nn_names(name):
    assert isinstance(getattr(bp.nn, name), type)


@pytest.mark.parametrize("name", NN_FUNCTIONAL)
def test_nn_functional_names(name):
    assert callable(getattr(bp.nn.functional, name))


@pytest.mark.parametrize("name", "xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_ normal_ uniform_ "
                                 "zeros_ ones_".split())
def test_nn_init_names(name):
    assert callable(getattr(bp.nn.init, name))


@pytest.mark.parametrize("name", "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters "
                                 "max_norm_".split())
def test_nn_utils_names(name):
    assert callable(getattr(bp.nn.utils, name))


def test_top_level_in_place_functions_are_torchs():
    """torch.sin_(t) and the like: exactly the in-place ops torch also offers as top-level functions."""
    import torch

    in_place = [entry.name + "_" for entry in manifest.entries() if entry.inplace and entry.function_export]
    assert {n for n in in_place if hasattr(bp, n)} == {n for n in in_place if hasattr(torch, n)}
    ours, theirs = bp.tensor([0.5, 2.0]), torch.tensor([0.5, 2.0])
    assert bp.sin_(ours) is ours and torch.sin_(theirs) is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_matmul_writes_into_out_as_torch():
    import torch

    results = []
    for lib in (bp, torch):
        a = lib.arange(6.0).reshape(2, 3)
        out = lib.zeros(1)
        returned = lib.matmul(a, a.T, out=out)
        results.append((returned is out, out.tolist()))
    assert results[0] == results[1]
