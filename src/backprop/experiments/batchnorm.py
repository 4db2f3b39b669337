"""Batch normalisation: a deep net trained by plain SGD reaches a target accuracy in far fewer epochs with it.

The lecture (Learning; Theory): batch normalisation
    z~ = (z - mu) / sqrt(sigma^2 + eps),  mu, sigma^2 over the mini-batch, per unit,
(then gamma z~ + beta, both learned), placed before or after the ReLU; and
"plateaus and vanishing gradients (sigmoid) -- ReLU, momentum and batch norm
help". Here the same deep net (8 hidden layers of 64 units) is trained on the
digits with plain SGD at a fixed learning rate eta, w <- w - eta dJ/dw,
without batch norm, with it before the nonlinearity (Linear -> BatchNorm1d ->
g) and after it (Linear -> g -> BatchNorm1d), and the epochs it takes to reach
90% test accuracy are counted.

Why the plain net stalls: with the default initialisation each Linear
layer scales the variance of its input by about 1/3 and the nonlinearity
shrinks it further, so after 8 layers the signal reaching the output, and
the gradient reaching the first layer, are tiny. Batch norm re-standardises
every layer's pre-activations, whatever the weights' scale.
"""
import numpy

from backprop import creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.models.common import activation as make_activation

TARGET = 0.90  # test accuracy whose first epoch is counted
PLACEMENTS = {"none": "no batch norm", "he": "no batch norm, He init", "before": "BN before g", "after": "BN after g"}
COLOURS = {"none": "C0", "he": "C4", "before": "C1", "after": "C2"}


def network(depth=8, width=64, activation="sigmoid", batchnorm="none", inputs=64, classes=10):
    """``depth`` hidden layers Linear -> g, with BatchNorm1d before g, after g, or none; a Linear output layer.

    ``batchnorm="he"`` is the net without batch norm, its weights drawn by He's
    rule (variance 2 / fan_in, biases 0), which keeps a ReLU net's signal from
    shrinking layer by layer: a stronger plain baseline.
    """
    if batchnorm not in PLACEMENTS:
        raise ValueError(f"network: batchnorm must be one of {list(PLACEMENTS)}, got {batchnorm!r}")
    layers, size = [nn.Flatten()], inputs
    for _ in range(depth):
        layers.append(nn.Linear(size, width))
        if batchnorm == "before":
            layers.append(nn.BatchNorm1d(width))
        layers.append(make_activation(activation, "batchnorm"))
        if batchnorm == "after":
            layers.append(nn.BatchNorm1d(width))
        size = width
    layers.append(nn.Linear(size, classes))
    model = nn.Sequential(*layers)
    return common.he_init_(model) if batchnorm == "he" else model


def epochs_to(accuracies, target=TARGET):
    """The first epoch (counting from 1) whose accuracy is >= ``target``; None if none is."""
    return next((epoch for epoch, value in enumerate(accuracies, 1) if value >= target), None)


def gradient_ratio(model, x, y):
    """||dJ/dW^1|| / ||dJ/dW^L||: how much of the output layer's gradient reaches the first layer."""
    norms = common.gradient_norms(model, x, y)
    return float(norms[0] / norms[-1])


def train(activation, batchnorm, seed, epochs, data, lr=0.1, batch_size=32):
    """Test accuracy after each epoch and the initial gradient ratio of one run."""
    x, y, x_test, y_test = data
    creation.manual_seed(seed)
    model = network(activation=activation, batchnorm=batchnorm)
    ratio = gradient_ratio(model, x[:batch_size], y[:batch_size])  # the first mini-batch
    accuracies = []

    def after_epoch(epoch, loss):
        accuracies.append(common.accuracy(model, x_test, y_test))

    common.fit(model, optim.SGD(model.parameters(), lr=lr), nn.CrossEntropyLoss(), x, y, epochs,
               batch_size=batch_size, seed=seed, after_epoch=after_epoch)
    return accuracies, ratio


def _median(values, epochs):
    """Median epochs to target as text, a run that never got there counted as epochs + 1."""
    middle = numpy.median([epochs + 1 if v is None else v for v in values])
    return f"> {epochs}" if middle > epochs else f"{middle:g}"


@experiment("batchnorm", title="Batch normalisation speeds up training of a deep net",
            claim="Batch normalisation, z~ = (z - mu) / sqrt(sigma^2 + eps) over a mini-batch, before or after the "
                  "ReLU, helps against plateaus and vanishing gradients (sigmoid), together with ReLU and momentum.")
def run(report, quick, seed):
    activations = ["sigmoid", "relu"]
    if quick:
        configurations = [(g, placement) for g in activations for placement in ("none", "before")]
    else:
        configurations = [("sigmoid", "none"), ("sigmoid", "before"), ("sigmoid", "after"), ("relu", "none"),
                          ("relu", "he"), ("relu", "before"), ("relu", "after")]
    seeds = [seed] if quick else [seed + i for i in range(5)]
    epochs = 10 if quick else 25
    data = (*common.digits(), *common.digits(train=False))
    he = "" if quick else ("; and, as a stronger plain baseline, the ReLU net without batch norm initialised by "
                           "He's rule (weights N(0, 2 / fan_in), biases 0)")
    report.setup(f"""
Data: UCI's 8x8 digits, all {data[0].shape[0]} training images; accuracy on the {data[2].shape[0]}
test images after every epoch. Model: 8 hidden layers of 64 units (sigmoid or ReLU, the default initialisation),
a linear output layer, cross-entropy; without batch norm, with `BatchNorm1d` before the nonlinearity
(Linear -> BN -> g) and after it (Linear -> g -> BN){he}. Training: plain SGD, fixed learning rate 0.1,
mini-batches of 32, {epochs} epochs; seeds {seeds} (initialisation and batch order). Measured: the first epoch with
test accuracy >= {TARGET:.0%} ("never" if none within {epochs}), and ||dJ/dW^1|| / ||dJ/dW^L|| at
initialisation on one mini-batch (how much gradient reaches the first layer).""")
    reached, curves, ratios = {}, {}, {}
    for key in configurations:
        runs = [train(*key, s, epochs, data) for s in seeds]
        curves[key] = numpy.array([accuracies for accuracies, _ in runs])
        reached[key] = [epochs_to(accuracies) for accuracies, _ in runs]
        ratios[key] = float(numpy.median([ratio for _, ratio in runs]))
        report.result("_".join(key), {"epochs_to_target": reached[key], "final_accuracy": curves[key][:, -1].tolist(),
                                      "gradient_ratio": ratios[key]})
    rows = []
    for key, runs in reached.items():
        rows.append([key[0], PLACEMENTS[key[1]], ", ".join("never" if e is None else str(e) for e in runs),
                     _median(runs, epochs), 100 * curves[key][:, -1].mean(), f"{ratios[key]:.2g}"])
    report.table(["g", "batch norm", f"epochs to {TARGET:.0%} (per seed)", "median", "final test acc. %",
                  "norm(dJ/dW^1) / norm(dJ/dW^L) at init"], rows)
    with report.figure("batchnorm.png", f"Test accuracy per epoch (mean over {len(seeds)} seeds; band: min-max), "
                       f"8 hidden layers, plain SGD", ncols=len(activations)) as axes:
        for axis, activation in zip(axes or (), activations):  # axes is None without matplotlib
            for placement in [p for g, p in configurations if g == activation]:
                curve, steps = curves[(activation, placement)], numpy.arange(1, epochs + 1)
                colour = COLOURS[placement]
                axis.plot(steps, curve.mean(axis=0), color=colour, label=PLACEMENTS[placement])
                axis.fill_between(steps, curve.min(axis=0), curve.max(axis=0), color=colour, alpha=0.2)
            axis.axhline(TARGET, color="grey", linestyle=":", label=f"target {TARGET:.0%}")
            axis.set(title=f"g = {activation}", xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
            axis.legend(loc="center right")
    # BN before g must get there in at most half the plain net's epochs, for every seed and nonlinearity
    faster = all(bn is not None and bn <= (epochs + 1 if plain is None else plain) / 2
                 for activation in activations
                 for bn, plain in zip(reached[(activation, "before")], reached[(activation, "none")]))
    summary = "; ".join(f"{a}: median {_median(reached[(a, 'before')], epochs)} epochs to {TARGET:.0%} with BN "
                        f"before g vs {_median(reached[(a, 'none')], epochs)} without" for a in activations)
    if ("relu", "he") in reached:
        summary += f"; ReLU, He's initialisation, no BN: median {_median(reached[('relu', 'he')], epochs)}"
    report.verdict(faster, f"{summary} (criterion: with BN every seed reaches {TARGET:.0%} in at most half the "
                           f"epochs of the same net without it, a run that never does counting as {epochs + 1})")
