"""Draw the figures of docs/classic/: ``python docs/figures/classic.py`` (needs matplotlib).

hebbian.png: ||w|| per epoch under Hebb's rule (diverges) and Oja's (goes to 1).
perceptron.png: a perceptron's line and the max-margin line on the same separable points.
"""
import os

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

import backprop as bp  # noqa: E402
from backprop import classic  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def hebbian():
    rng = np.random.default_rng(0)
    x = rng.multivariate_normal([0, 0], [[3, 1.5], [1.5, 1]], size=500).astype(np.float32)
    x -= x.mean(axis=0)
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for rule in ("hebb", "oja"):
        bp.manual_seed(0)
        net = classic.HebbianNetwork(2, 1, rule=rule, lr=0.002)
        start = np.linalg.norm(net.weight.numpy())
        with np.errstate(over="ignore"):  # Hebb's ||w|| overflows float32 after ~14 epochs: the point
            norms = np.concatenate([[start], net.fit(x, epochs=15).numpy()[:, 0]])
        rule_text = "eta x y" if rule == "hebb" else "eta y (x - y w)"
        axis.semilogy(range(len(norms)), norms, marker="o", markersize=3, label=f"{rule}: w += {rule_text}")
    axis.axhline(1, color="grey", linewidth=0.8, linestyle=":")
    axis.set_xlabel("epoch")
    axis.set_ylabel("||w||")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(os.path.join(HERE, "hebbian.png"), dpi=100)


def perceptron():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (200, 2))
    score = x @ [1.0, 0.6] - 0.1
    keep = np.abs(score) > 0.25
    x, t = x[keep][:40].astype(np.float32), (score[keep][:40] > 0).astype(np.float32)
    p = classic.Perceptron(2)
    p.fit(x, t, epochs=1000)
    svm = classic.MaxMarginClassifier(2, lam=0.002)  # small enough for the hard margin on these 40 points
    svm.fit(x, 2 * t - 1, epochs=50000)
    support = svm.support_vectors(x, 2 * t - 1).numpy()
    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    axis.scatter(*x[t == 0].T, marker="o", color="#1f5fa8", edgecolor="black", label="t = 0 / -1")
    axis.scatter(*x[t == 1].T, marker="s", color="#c2491d", edgecolor="black", label="t = 1 / +1")
    axis.scatter(*x[support].T, s=250, facecolor="none", edgecolor="black", label="support vectors")
    grid = np.linspace(-1.2, 1.2, 2)
    for (w, b), style, label in (((p.weight.numpy(), p.bias.item()), "--", f"perceptron ({p.mistakes} mistakes)"),
                                 ((svm.weight.numpy(), svm.bias.item()), "-", "max margin")):
        axis.plot(grid, -(w[0] * grid + b) / w[1], style, color="black", label=label)
    w, b = svm.weight.numpy(), svm.bias.item()
    for level in (-1, 1):
        axis.plot(grid, -(w[0] * grid + b - level) / w[1], ":", color="grey")
    axis.set_xlim(-1.1, 1.1)
    axis.set_ylim(-1.1, 1.1)
    axis.set_aspect("equal")
    axis.set_title(f"max margin 1/||w|| = {svm.margin:.3f}; dotted: w^T x + b = +-1", fontsize=9)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    figure.tight_layout()
    figure.savefig(os.path.join(HERE, "perceptron.png"), dpi=100)


if __name__ == "__main__":
    hebbian()
    perceptron()
