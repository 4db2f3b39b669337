"""The torch API points PyTorch's official beginner tutorials lean on (tensors, autograd, nn, optim, saving), each
as a small scenario run on torch and on backprop and compared (issue 19: `backprop run` runs those tutorials).
The tutorials themselves are not copied here: these are our own few lines per point."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.compat import shims
from same_as_torch import assert_same, plain

RNG = np.random.default_rng(19)
X = RNG.standard_normal((3, 4)).astype(np.float32)


def test_legacy_constructors_and_fill():
    assert_same(lambda m: [m.Tensor([1.0, 2.0, 3.0]), m.Tensor([[1.0, 2.0], [3.0, 4.0]]),
                           m.Tensor(1, 5).fill_(-10000.0), m.LongTensor([3, 1]), m.Tensor(2, 3).shape[1]])


def test_factories_keep_or_override_the_dtype():
    assert_same(lambda m: [m.tensor([5.5, 3.0]).new_ones(5, 3, dtype=m.double),
                           m.randn_like(m.zeros(5, 3, dtype=m.double), dtype=m.float).dtype == m.float32,
                           m.rand_like(m.tensor([[1, 2], [3, 4]]), dtype=m.float).dtype == m.float32,
                           m.ones_like(m.tensor([[1, 2], [3, 4]])), m.zeros(2, 3, dtype=m.long),
                           list(m.empty(5, 3).shape), list(m.empty_like(m.zeros(2, 2, 3)).shape)])


def test_numpy_bridge_shares_memory_both_ways():
    def scenario(m):
        t = m.ones(5)
        n = t.numpy()
        t.add_(1)
        a = np.ones(5)
        b = m.from_numpy(a)
        np.add(a, 1, out=a)
        return [n.copy(), b, b.dtype == m.float64]
    assert_same(scenario)


def test_out_arguments_fill_the_given_tensor():
    def scenario(m):
        x, y = m.tensor(X), m.tensor(X * 2)
        result = m.empty(3, 4)
        returned = m.add(x, y, out=result)
        z = m.zeros(3, 4)
        m.mul(x, y, out=z)
        return [result, returned is result, z]
    assert_same(scenario)


def test_indexing_and_in_place_edits_of_a_tutorial_tensor():
    def scenario(m):
        t = m.ones(4, 4)
        first, column, last = t[0].clone(), t[:, 0].clone(), t[..., -1].clone()
        t[:, 1] = 0
        joined = m.cat([t, t, t], dim=1)
        a = m.ones(2, 2)
        a[0][1] = 561  # a row of a is a view: the write reaches a
        batch = m.rand(3, 5, 5)
        batch.unsqueeze_(0)
        return [first, column, last, t @ t.T, t.matmul(t.T), joined, a, list(batch.shape), t.add_(5),
                t.sum().item()]
    assert_same(scenario)


def test_graph_of_grad_fns_and_gradients_of_a_sine():
    def scenario(m):
        a = m.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
        d = 2 * m.sin(a) + 1
        chain, fn = [], d.grad_fn
        while fn is not None:
            chain.append(fn.name())
            fn = fn.next_functions[0][0] if fn.next_functions else None
        d.sum().backward()
        return [chain, [f is None for f, _ in d.grad_fn.next_functions], a.grad, a.is_leaf, d.is_leaf]
    assert_same(scenario)


def test_backward_with_a_gradient_vector_accumulates_until_zeroed():
    def scenario(m):
        inp = m.eye(4, 5, requires_grad=True)
        out = (inp + 1).pow(2).t()
        out.backward(m.ones_like(out), retain_graph=True)
        first = inp.grad.clone()
        out.backward(m.ones_like(out), retain_graph=True)
        second = inp.grad.clone()
        inp.grad.zero_()
        out.backward(m.ones_like(out), retain_graph=True)
        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        y.backward(m.tensor([0.1, 1.0, 0.0001], dtype=m.float))
        return [first, second, inp.grad, y, x.grad]
    assert_same(scenario)


def test_no_grad_as_a_block_and_as_a_decorator():
    def scenario(m):
        x = m.ones(2, 3, requires_grad=True) * 2

        @m.no_grad()
        def doubled(t):
            return t * 2

        with m.no_grad():
            inside = x + 1
        return [doubled(x).requires_grad, inside.requires_grad, (x + 1).requires_grad, x.detach().requires_grad]
    assert_same(scenario)


def test_variable_wraps_a_tensor_as_a_leaf():
    """torch.autograd.Variable (the shim under backprop run): a leaf with the requested flag, no history."""
    def scenario(m):
        variable = torch.autograd.Variable if m is torch else shims.autograd.Variable
        x = variable(m.Tensor([1.0, 2.0, 3.0]), requires_grad=True)
        y = variable(m.Tensor([4.0, 5.0, 6.0]), requires_grad=True)
        s = (x + y).sum()
        s.backward()
        rewrapped = variable((x + y).data)
        return [x.grad, rewrapped.grad_fn is None, rewrapped.requires_grad, s]
    assert_same(scenario)


def _scaled_cube(m):
    """k x^3 with d/dx = 3 k x^2: a custom autograd Function with a non-tensor argument, in either library."""
    class ScaledCube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            ctx.save_for_backward(x)
            return k * x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * ctx.k * x * x * grad, None
    return ScaledCube


def test_a_custom_function_trains_its_coefficients():
    def scenario(m):
        cube = _scaled_cube(m).apply
        x = m.linspace(-math.pi, math.pi, 200)
        y = m.sin(x)
        a, b = m.full((), 0.0, requires_grad=True), m.full((), 0.8, requires_grad=True)
        c = m.full((), 0.1, requires_grad=True)
        losses = []
        for _ in range(20):
            loss = (a + b * x + cube(c * x, 0.5) - y).pow(2).sum()
            loss.backward()
            with m.no_grad():
                for w in (a, b, c):
                    w -= 2e-5 * w.grad
                    w.grad = None
            losses.append(loss.item())
        return [np.array(losses, dtype=np.float32), a, b, c]
    assert_same(scenario, rtol=1e-4, atol=1e-5)


def test_polynomial_features_through_linear_and_flatten():
    def scenario(m):
        m.manual_seed(0)
        x = m.linspace(-math.pi, math.pi, 50)
        xx = x.unsqueeze(-1).pow(m.tensor([1, 2, 3]))
        linear = m.nn.Linear(3, 1)
        with m.no_grad():
            linear.weight.copy_(m.tensor([[0.5, -0.1, 0.02]]))
            linear.bias.fill_(0.1)
        model = m.nn.Sequential(linear, m.nn.Flatten(0, 1))
        loss = m.nn.MSELoss(reduction="sum")(model(xx), m.sin(x))
        model.zero_grad()
        loss.backward()
        with m.no_grad():
            for param in model.parameters():
                param -= 1e-6 * param.grad
        return [xx.dtype == m.float32, model(xx).shape[0], loss, model[0].weight[:, 2].item(), model[0].bias]
    assert_same(scenario, rtol=1e-5, atol=1e-5)


def test_mse_loss_with_an_integer_target_and_implicit_softmax_dims():
    def scenario(m):
        output = m.tensor(X[:1, :3])
        target = m.arange(1, 4).view(1, -1)
        return [m.nn.MSELoss()(output, target), m.nn.Softmax()(m.tensor(X)), m.nn.Softmax()(m.tensor(X[0])),
                m.nn.functional.binary_cross_entropy_with_logits(m.tensor(X[0]), m.zeros(4))]
    with pytest.warns(UserWarning):  # torch warns of the implicit dim; backprop chooses it the same way
        assert_same(scenario)


def test_max_along_a_dim_and_a_python_index_out_of_a_view():
    assert_same(lambda m: [*m.max(m.tensor(X), 1), m.tensor([[7]]).view(-1).data.tolist()[0],
                           m.max(m.tensor(X)).item(), m.unique(m.tensor([1, 2, 1, 2, 1, 2]))])


def _copy_weights(theirs, ours):
    ours.load_state_dict({k: bp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_with_a_given_hidden_state_steps_as_torchs(bidirectional):
    torch.manual_seed(1)
    theirs = torch.nn.LSTM(3, 2, bidirectional=bidirectional)
    ours = bp.nn.LSTM(3, 2, bidirectional=bidirectional)
    _copy_weights(theirs, ours)
    directions = 2 if bidirectional else 1
    seq = RNG.standard_normal((5, 1, 3)).astype(np.float32)
    h0, c0 = (RNG.standard_normal((directions, 1, 2)).astype(np.float32) for _ in range(2))
    expected = theirs(torch.tensor(seq), (torch.tensor(h0), torch.tensor(c0)))
    got = ours(bp.tensor(seq), (bp.tensor(h0), bp.tensor(c0)))
    for e, g in zip((expected[0], *expected[1]), (got[0], *got[1])):
        np.testing.assert_allclose(plain(g), plain(e), rtol=1e-5, atol=1e-6)


def test_embedding_lookup_by_long_tensor_and_batch_norm_over_n_and_l():
    torch.manual_seed(2)
    theirs = torch.nn.Embedding(2, 5)
    ours = bp.nn.Embedding(2, 5)
    _copy_weights(theirs, ours)
    np.testing.assert_array_equal(plain(ours(bp.LongTensor([0]))), plain(theirs(torch.LongTensor([0]))))
    x = RNG.random((1, 4, 4)).astype(np.float32) * 20 + 5
    np.testing.assert_allclose(plain(bp.nn.BatchNorm1d(4)(bp.tensor(x))),
                               plain(torch.nn.BatchNorm1d(4)(torch.tensor(x))), rtol=1e-4, atol=1e-5)


def test_jacobian_of_two_inputs_and_a_vector_jacobian_product():
    def scenario(m):
        def exp_adder(x, y):
            return 2 * x.exp() + 3 * y

        def doubling(x):
            y = x * 2
            while y.data.norm() < 1000:
                y = y * 2
            return y
        inputs = (m.tensor(X[0, :3]), m.tensor(X[1, :3]))
        return [list(m.autograd.functional.jacobian(exp_adder, inputs)),
                list(m.autograd.functional.vjp(doubling, m.tensor(X[2, :3]), v=m.tensor([0.1, 1.0, 0.0001])))]
    assert_same(scenario)


def _conv_net(m):
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = m.nn.Conv2d(3, 6, 5)
            self.pool = m.nn.MaxPool2d(2, 2)
            self.fc1 = m.nn.Linear(6 * 14 * 14, 10)

        def forward(self, x):
            return self.fc1(self.pool(m.nn.functional.relu(self.conv1(x))).flatten(start_dim=1))
    return Net()


def test_checkpoint_of_model_and_optimizer_round_trips_through_a_file(tmp_path):
    def scenario(m):
        net = _conv_net(m)
        optimizer = m.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        path = tmp_path / f"{m.__name__}.pt"
        m.save({"epoch": 5, "model_state_dict": net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "loss": 0.4}, path)
        checkpoint = m.load(path)
        other = _conv_net(m)
        other.load_state_dict(checkpoint["model_state_dict"])
        optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
        result = other.load_state_dict(m.load(path)["model_state_dict"], strict=False)
        group = optimizer.state_dict()["param_groups"][0]
        return [list(net.state_dict()), [list(v.shape) for v in net.state_dict().values()],
                [other.state_dict()[k] for k in net.state_dict()], [net.state_dict()[k] for k in net.state_dict()],
                checkpoint["epoch"], checkpoint["loss"], list(result.missing_keys), list(result.unexpected_keys),
                optimizer.state_dict()["state"], group["params"], group["lr"], group["momentum"], group["nesterov"]]

    expected, got = (scenario(m) for m in (torch, bp))
    assert expected[:2] == got[:2] and expected[4:] == got[4:]
    for theirs, ours in zip(got[2], got[3]):  # the loaded net has the saved weights
        np.testing.assert_array_equal(plain(theirs), plain(ours))


def test_a_whole_module_is_refused_with_the_state_dict_advice(tmp_path):
    """torch >= 2.6 refuses to load a pickled module by default (weights_only=True); backprop refuses to save it."""
    with pytest.raises(TypeError, match=r"state_dict\(\)"):
        bp.save(_conv_net(bp), tmp_path / "entire_model.pt")


def test_seeding_repeats_the_same_draws():
    def scenario(m):
        m.manual_seed(1729)
        first = [m.rand(2, 3), m.rand(2, 3)]
        m.manual_seed(1729)
        again = [m.rand(2, 3), m.rand(2, 3)]
        return [all(m.equal(a, b) for a, b in zip(first, again)), m.equal(first[0], first[1])]
    assert_same(scenario)


@pytest.mark.parametrize("optimizer, options", [("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
                                                ("RMSprop", {"momentum": 0.5})])
def test_momentum_on_zero_dimensional_parameters(optimizer, options):
    def scenario(m):
        p = m.nn.Parameter(m.tensor(1.0))
        opt = getattr(m.optim, optimizer)([p], lr=0.1, **options)
        for _ in range(3):
            opt.zero_grad()
            (2 * p * p).backward()
            opt.step()
        return [p]
    assert_same(scenario)
