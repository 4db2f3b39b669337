"""Forward+backward time of single layers, backprop vs torch, in one process.

Workloads (float32, issue "Neural-network library"): Linear batch 128,
784->256; Conv2d batch 64, 1->32 and 32->64 channels, 3x3 pad 1, 28x28;
MaxPool2d 2x2 on (64, 32, 28, 28); LSTM batch 64, 28 steps, 28->128.
Targets: Linear <= 1.3x torch, Conv2d <= 2.5x, LSTM <= 2.5x.
Issue 20 adds a TransformerEncoderLayer + TransformerDecoderLayer (batch 32,
64 positions, d_model 128, 4 heads, feed-forward 512, causal target mask) and
scaled_dot_product_attention on (32, 4, 64, 32); target attention <= 1.3x.

Run: ``python benchmarks/layers.py [--repeats N] [--json]``.
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch

import backprop as bp

TARGETS = {"Linear": 1.3, "Conv2d": 2.5, "ConvTranspose2d": 1.5, "LSTM": 2.5, "attention": 1.3}


def _copy(torch_module, bp_module):
    bp_module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})


def _workloads():
    rng = np.random.default_rng(0)
    yield "Linear 128x784->256", "Linear", lambda m: m.nn.Linear(784, 256), (128, 784), None
    yield "Conv2d 64x1->32 3x3 28x28", "Conv2d", lambda m: m.nn.Conv2d(1, 32, 3, padding=1), (64, 1, 28, 28), None
    yield "Conv2d 64x32->64 3x3 28x28", "Conv2d", lambda m: m.nn.Conv2d(32, 64, 3, padding=1), (64, 32, 28, 28), None
    yield "MaxPool2d 2x2 64x32x28x28", "MaxPool2d", lambda m: m.nn.MaxPool2d(2), (64, 32, 28, 28), None
    yield "GroupNorm(8, 64) 32x64x28x28", "GroupNorm", lambda m: m.nn.GroupNorm(8, 64), (32, 64, 28, 28), None
    yield ("ConvTranspose2d 64x128->64 4x4 s2 16->32", "ConvTranspose2d",  # DCGAN's generator
           lambda m: m.nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), (64, 128, 16, 16), None)
    yield ("LSTM 64x28 steps 28->128", "LSTM", lambda m: m.nn.LSTM(28, 128, batch_first=True), (64, 28, 28),
           lambda out: out[0][:, -1])
    yield ("TransformerEncoderLayer+DecoderLayer 32x64 d128 h4 ff512", "Transformer", _encoder_decoder, (32, 64, 128),
           None)
    yield "scaled_dot_product_attention (32, 4, 64, 32)", "attention", _attention, (32, 4, 64, 32), None
    del rng


def _encoder_decoder(m):
    """An encoder layer and a decoder layer (causal self-attention, cross-attention on the encoder's output)."""
    class EncoderDecoder(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = m.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
            self.decoder = m.nn.TransformerDecoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
            self.mask = m.nn.Transformer.generate_square_subsequent_mask(64)

        def forward(self, x):
            return self.decoder(x, self.encoder(x), tgt_mask=self.mask, tgt_is_causal=True)
    return EncoderDecoder()


def _attention(m):
    """Self-attention softmax(x x^T / sqrt(d)) x of x (batch, heads, L, d)."""
    class Attention(m.nn.Module):
        def forward(self, x):
            return m.nn.functional.scaled_dot_product_attention(x, x, x)
    return Attention()


def _time(step, repeats, target=0.3):
    step()
    start = time.perf_counter()
    step()
    once = max(time.perf_counter() - start, 1e-6)
    loops = max(1, int(target / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            step()
        samples.append((time.perf_counter() - start) / loops * 1e3)
    return statistics.median(samples), min(samples), max(samples)


def _step(module, x, pick):
    def run():
        out = module(x)
        out = pick(out) if pick else out
        out.sum().backward()
        x.grad = None
        for p in module.parameters():
            p.grad = None
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rows = []
    for name, kind, make, shape, pick in _workloads():
        try:
            ours = make(bp)
        except AttributeError:
            rows.append({"workload": name, "missing": True})
            continue
        theirs = make(torch)
        _copy(theirs, ours)
        data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        x_bp, x_torch = bp.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out_bp, out_torch = ours(x_bp), theirs(x_torch)
        out_bp, out_torch = (pick(out_bp), pick(out_torch)) if pick else (out_bp, out_torch)
        np.testing.assert_allclose(out_bp.detach().numpy(), out_torch.detach().numpy(), rtol=1e-3, atol=1e-4)
        b = _time(_step(ours, x_bp, pick), args.repeats)
        t = _time(_step(theirs, x_torch, pick), args.repeats)
        rows.append({"workload": name, "kind": kind, "backprop_ms": b[0], "torch_ms": t[0], "ratio": b[0] / t[0],
                     "backprop_range": b[1:], "torch_range": t[1:], "target": TARGETS.get(kind)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"backprop {bp.__version__} vs torch {torch.__version__} (2 threads), forward+backward, median of "
          f"{args.repeats}")
    print(f"{'workload':32s} {'backprop ms':>12s} {'torch ms':>10s} {'ratio':>7s}  target")
    for row in rows:
        if row.get("missing"):
            print(f"{row['workload']:32s} {'(layer not available)':>31s}")
            continue
        target = row["target"]
        verdict = "" if target is None else f"<= {target}x {'MET' if row['ratio'] <= target else 'NOT MET'}"
        print(f"{row['workload']:32s} {row['backprop_ms']:12.3f} {row['torch_ms']:10.3f} {row['ratio']:6.2f}x  {verdict}")


if __name__ == "__main__":
    main()
