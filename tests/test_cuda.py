"""The backend seam: the same ops on a CUDA device (CuPy) give the CPU's results.

Skipped where CuPy or a GPU is missing (CI has neither); run on a GPU machine
with ``pytest tests/test_cuda.py``.
"""
import numpy as np
import pytest

import backprop as bp

cupy = pytest.importorskip("cupy")
try:
    has_gpu = cupy.cuda.runtime.getDeviceCount() > 0
except Exception:  # noqa: BLE001  (no driver, no device)
    has_gpu = False
pytestmark = pytest.mark.skipif(not has_gpu, reason="no CUDA device")


def _mlp_loss(w1, b1, w2, x, target):
    h = (x @ w1 + b1).tanh()
    logits = (h @ w2).relu() + h.sum(1, keepdim=True).sigmoid()
    picked = logits.log_softmax(1).gather(1, target)
    return -picked.mean() + logits.var() * 0.1 + bp.pad(h, (1, 1)).max() * 0.01


def test_mlp_forward_and_backward_agree_between_cpu_and_cuda():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(6, 5), (5,), (5, 4), (3, 6)]]
    target = bp.tensor([[0], [3], [1]])
    results = {}
    for device in ["cpu", "cuda"]:
        w1, b1, w2, x = (bp.tensor(a, device=device) for a in arrays)
        for p in (w1, b1, w2):
            p.requires_grad_()
        loss = _mlp_loss(w1, b1, w2, x, target.to(device))
        loss.backward()
        assert str(loss.device) == ("cpu" if device == "cpu" else "cuda:0")
        assert str(w1.grad.device) == str(loss.device)
        results[device] = [loss.item()] + [p.grad.cpu().numpy() for p in (w1, b1, w2)]
    cpu, gpu = results["cpu"], results["cuda"]
    np.testing.assert_allclose(cpu[0], gpu[0], rtol=1e-5)
    for a, b in zip(cpu[1:], gpu[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_moving_between_devices_is_differentiable():
    w = bp.ones(3, requires_grad=True)
    y = (w.to("cuda") * 2).cpu().sum()
    y.backward()
    assert w.grad.device == "cpu" and w.grad.tolist() == [2.0, 2.0, 2.0]


def test_factories_on_cuda():
    assert bp.zeros(2, 3, device="cuda").device == "cuda:0"
    assert bp.randn(4, device="cuda").device == "cuda:0"
    assert isinstance(bp.ones(2, device="cuda").array, cupy.ndarray)


def test_nn_layers_agree_between_cpu_and_cuda():
    from backprop import nn

    def build():
        bp.manual_seed(0)
        return nn.ModuleList([
            nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.MaxPool2d(2), nn.LSTM(4, 5, batch_first=True),
            nn.Linear(5, 3), nn.LayerNorm(3), nn.Embedding(6, 4), nn.AvgPool2d(2),
        ])

    def run(layers, x, tokens, target):
        conv, bn, pool, lstm, fc, ln, emb, avg = layers
        h = pool(bn(conv(x)).relu()) + avg(conv(x))             # (2, 4, 4, 4)
        seq = h.flatten(2).transpose(1, 2) + emb(tokens)  # (2, 16, 4)
        out, _ = lstm(seq)
        logits = ln(fc(out[:, -1]))
        return nn.functional.cross_entropy(logits, target)

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 2, 8, 8)).astype(np.float32)
    tokens = rng.integers(0, 6, (2, 16))
    results = []
    for device in ["cpu", "cuda"]:
        layers = build().to(device)
        loss = run(layers, bp.tensor(x, device=device), bp.tensor(tokens, device=device),
                   bp.tensor([0, 2], device=device))
        loss.backward()
        results.append([loss.item()] + [p.grad.cpu().numpy() for p in layers.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_cuda_module_sees_the_gpu():
    assert bp.cuda.is_available() and bp.cuda.device_count() >= 1
    assert bp.cuda.current_device() == 0
    assert isinstance(bp.cuda.get_device_name(), str) and bp.cuda.get_device_name()
    y = bp.ones(1000, device="cuda") * 2
    bp.cuda.synchronize()
    assert y.sum().item() == 2000.0


def test_mixing_devices_names_both():
    a, b = bp.ones(3), bp.ones(3, device="cuda")
    for op in (lambda: a + b, lambda: b * a, lambda: bp.matmul(a, b), lambda: bp.nn.functional.linear(
            bp.ones(2, 3, device="cuda"), bp.ones(4, 3))):
        with pytest.raises(RuntimeError, match=r"expected all tensors to be on the same device.*cpu.*cuda:0|"
                                               r"expected all tensors to be on the same device.*cuda:0.*cpu"):
            op()
