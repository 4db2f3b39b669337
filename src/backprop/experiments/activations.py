"""Sigmoid, tanh and ReLU in a 10-layer net: vanishing gradients at initialisation, and how fast each trains.

Backpropagation (LECTURES.md, "Learning"): dE/dz = dE/dy * f'(z), and dE/dy
of a hidden unit is the weighted sum of dE/dz of the layer above. With
delta_l = dE/dz_l and a_l = g(z_l), going down one layer is

    delta_l = g'(z_l) * (W_{l+1}^T delta_{l+1}),    dE/dW_l = delta_l a_{l-1}^T,

so the error signal is multiplied by g'(z) once per layer. The sigmoid's
g'(z) = s(z) (1 - s(z)) is at most 1/4: nine layers down the first layer
gets 4^-9 (about 4e-6) or less of what the last layer gets, unless the
weights make up for it. tanh'(0) = 1, and ReLU'(z) = 1 wherever a unit is
active. The lecture: "plateaus and vanishing gradients (sigmoid) — ReLU,
momentum and batch norm help".

Two initialisations: torch's default (weights and biases U(-1/sqrt(fan_in),
1/sqrt(fan_in)), a weight variance of 1/(3 fan_in)), and He et al.'s
N(0, 2/fan_in) with zero biases, which keeps a ReLU net's signal from
shrinking from layer to layer (the default shrinks it by sqrt(6) per ReLU
layer).
"""
import numpy

from backprop import creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment

__all__ = ["ACTIVATIONS", "INITS", "deep_net", "run"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("default", "he")
INIT_NAMES = {"default": "torch's default", "he": "He"}
DEPTH, WIDTH = 10, 64  # ten weight layers: nine hidden layers of 64 units and the output layer
COLOURS = {"sigmoid": "tab:red", "tanh": "tab:orange", "relu": "tab:blue"}


def deep_net(activation, init="default", depth=DEPTH, width=WIDTH):
    """An MLP on flattened 8x8 digits with ``depth`` weight layers (``depth - 1`` hidden layers of ``width``).

    ``init="default"`` keeps torch's initialisation; ``"he"`` draws every
    weight from N(0, 2 / fan_in) and zeroes the biases.
    """
    if init not in INITS:
        raise ValueError(f"deep_net: init must be one of {INITS}, got {init!r}")
    if depth < 2:
        raise ValueError(f"deep_net: depth counts weight layers and must be >= 2, got {depth}")
    model = models.mlp((1, 8, 8), 10, hidden=(width,) * (depth - 1), activation=activation)
    return common.he_init_(model) if init == "he" else model


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _curves(activation, init, seed, data, epochs, lr):
    """Training loss and test accuracy after each epoch of mini-batch SGD."""
    x, y, x_test, y_test = data
    creation.manual_seed(seed)
    model = deep_net(activation, init)
    accuracies = []
    losses = common.fit(model, optim.SGD(model.parameters(), lr=lr), nn.CrossEntropyLoss(), x, y, epochs=epochs,
                        batch_size=32, seed=seed,
                        after_epoch=lambda epoch, loss: accuracies.append(common.accuracy(model, x_test, y_test)))
    return losses, accuracies


def _geometric_mean(rows):
    return numpy.exp(numpy.mean(numpy.log(rows), axis=0))


@experiment("activations", title="Vanishing gradients: sigmoid, tanh and ReLU in a 10-layer net",
            claim="Optimisation meets plateaus and vanishing gradients with the sigmoid; ReLU (with momentum and "
                  "batch normalisation) helps: in a deep sigmoid net the first layers get far smaller gradients "
                  "than the last, and it trains slowest.")
def run(report, quick, seed):
    seeds = 1 if quick else 3
    epochs = 3 if quick else 15
    inits = ("he",) if quick else INITS
    lr = 0.1
    data = (*common.digits(), *common.digits(train=False))
    report.setup(
        f"Scikit-learn's 8x8 digits flattened to 64 inputs ({data[0].shape[0]} train, {data[2].shape[0]} test). "
        f"An MLP of {DEPTH} weight layers ({DEPTH - 1} hidden layers of {WIDTH} units and the output layer), "
        f"the same for all three activations. Initialisation: torch's default (U(-1/sqrt(fan_in), "
        f"1/sqrt(fan_in)) weights and biases) and He (N(0, 2/fan_in) weights, zero biases).\n\n"
        f"- Gradients at initialisation: ||dL/dW_l|| for l = 1..{DEPTH}, one backward pass of the cross-entropy "
        f"on the whole training set; geometric mean over {seeds} seed(s).\n"
        f"- Training: plain mini-batch SGD (no momentum), lr {lr}, batch 32, {epochs} epochs, the same for all "
        f"three; init{'s' if len(inits) > 1 else ''} {', '.join(inits)}; mean over {seeds} seed(s).")

    norms = {}
    for init in INITS:
        for activation in ACTIVATIONS:
            per_seed = []
            for s in range(seeds):
                creation.manual_seed(s)
                per_seed.append(common.gradient_norms(deep_net(activation, init), data[0], data[1]))
            norms[init, activation] = _geometric_mean(per_seed)
            report.result(f"gradient_norms_{init}_{activation}", norms[init, activation])
    ratio = {key: value[0] / value[-1] for key, value in norms.items()}
    report.table(["init", "activation", *[f"l={l}" for l in range(1, DEPTH + 1)], "first / last"],
                 [[init, activation, *norms[init, activation], ratio[init, activation]]
                  for init in INITS for activation in ACTIVATIONS],
                 caption="||dL/dW_l|| at initialisation, layer 1 (input) to 10 (output)")
    with report.figure("activations.png", "Gradient norm per layer at initialisation (log scale): the sigmoid's "
                       "first layers get orders of magnitude less than its last", ncols=2) as axes:
        if axes is not None:
            for axis, init in zip(axes, INITS):
                for activation in ACTIVATIONS:
                    axis.semilogy(range(1, DEPTH + 1), norms[init, activation], marker="o",
                                  color=COLOURS[activation], label=activation)
                axis.set_xlabel("layer l (1 = input side)")
                axis.set_ylabel("||dL/dW_l||")
                axis.set_title(f"{INIT_NAMES[init]} initialisation")
                axis.legend(fontsize=8)

    curves = {}
    for init in inits:
        for activation in ACTIVATIONS:
            runs = [_curves(activation, init, s, data, epochs, lr) for s in range(seeds)]
            curves[init, activation] = tuple(numpy.mean([r[i] for r in runs], axis=0) for i in (0, 1))
            report.result(f"training_{init}_{activation}", {"loss": curves[init, activation][0],
                                                             "test_accuracy": curves[init, activation][1]})
    report.table(["init", "activation", "loss after epoch 1", f"loss after epoch {epochs}",
                  f"test accuracy after epoch {epochs}"],
                 [[init, activation, loss[0], loss[-1], accuracy[-1]]
                  for (init, activation), (loss, accuracy) in curves.items()])
    with report.figure("activations_training.png", f"Training with SGD (lr {lr}, batch 32): training loss and "
                       f"test accuracy per epoch (solid: He init, dashed: default init)", ncols=2) as axes:
        if axes is not None:
            for (init, activation), (loss, accuracy) in curves.items():
                style = dict(color=COLOURS[activation], linestyle="-" if init == "he" else "--",
                             label=f"{activation}, {INIT_NAMES[init]} init", marker=".")
                axes[0].plot(range(1, epochs + 1), loss, **style)
                axes[1].plot(range(1, epochs + 1), accuracy, **style)
            axes[0].set_ylabel("training loss")
            axes[1].set_ylabel("test accuracy")
            for axis in axes:
                axis.set_xlabel("epoch")
            axes[1].legend(fontsize=7)

    sigmoid_vanishes = all(ratio[init, "sigmoid"] < 1e-2 for init in INITS)
    relu_flows = 0.1 <= ratio["he", "relu"] <= 10
    relu_accuracy, sigmoid_accuracy = curves["he", "relu"][1][-1], curves["he", "sigmoid"][1][-1]
    relu_trains = relu_accuracy > sigmoid_accuracy + 0.2
    default_relu = (f" With that initialisation the ReLU net reaches a test accuracy of "
                    f"{curves['default', 'relu'][1][-1]:.3f} after {epochs} epochs." if ("default", "relu") in curves
                    else "")
    report.text(
        f"tanh, whose slope is 1 at 0, has a first-to-last gradient ratio of {ratio['he', 'tanh']:.2g} (He init) "
        f"and trains like ReLU here (test accuracy {curves['he', 'tanh'][1][-1]:.3f} against {relu_accuracy:.3f} "
        f"after {epochs} epochs): the vanishing is the sigmoid's, whose slope is at most 1/4. With torch's default "
        f"initialisation ReLU's first layer gets {ratio['default', 'relu']:.2g} of its last layer's gradient: a "
        f"weight variance of 1/(3 fan_in) shrinks the error signal by about sqrt(6) per ReLU layer (half the "
        f"units pass it, each with a third of the variance that would keep it)." + default_relu)
    report.verdict(sigmoid_vanishes and relu_flows and relu_trains, (
        f"the sigmoid net's first layer gets {ratio['default', 'sigmoid']:.2g} (default init) and "
        f"{ratio['he', 'sigmoid']:.2g} (He init) of its last layer's gradient (threshold < 1e-2), ReLU's "
        f"{ratio['he', 'relu']:.2g} with He init (threshold within 0.1..10); after {epochs} epochs of SGD the "
        f"ReLU net's test accuracy is {relu_accuracy:.3f} against the sigmoid net's {sigmoid_accuracy:.3f} "
        f"(threshold: ReLU ahead by more than 0.2)."))
