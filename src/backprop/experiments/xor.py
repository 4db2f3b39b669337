"""XOR: the perceptron cannot learn it (Minsky and Papert 1969), a 2-2-1 net trained by backprop can.

XOR is f([0,1]) = f([1,0]) = 1, f([0,0]) = f([1,1]) = 0. A perceptron
y = step(w^T x + b) draws one line, and no line puts (0, 1) and (1, 0) on one
side and (0, 0), (1, 1) on the other: adding w^T x + b > 0 at the first two
gives w1 + w2 + 2b > 0, adding w^T x + b <= 0 at the last two gives
w1 + w2 + 2b <= 0. So Rosenblatt's rule w <- w + eta (t - y) x can never
finish an epoch without a mistake, however long it runs.

One hidden layer removes the obstacle: a1 = sigma(W1 x + b1) maps the four
points to where a line separates them, y = sigma(W2 a1 + b2), and
backpropagation finds W1, b1, W2, b2 by descending L = mean (y - t)^2.
Gradient descent has no guarantee of the global minimum: some initial
weights end in a local minimum or a plateau with a point wrong, so the net
is trained from many seeds and the successes counted.

Measured: the perceptron's errors after 1, 10, 100, 1000, 10000 epochs;
the share of seeds whose 2-2-1 sigmoid net reaches 0 errors, with plain
gradient descent and with momentum; the Mark I's random threshold units
(``classic.MarkI``), which also make XOR separable, given enough of them.
(``backprop.demos.xor`` trains the same 2-2-1 net on the engine alone.)
"""
import numpy

from backprop import classic, creation, nn, optim
from backprop.data import datasets
from backprop.experiments import common
from backprop.experiments.registry import experiment

__all__ = ["perceptron_errors", "train_mlp", "mark_i_success", "run"]

CAPS = (1, 10, 100, 1000, 10000)
OPTIMIZERS = {"gradient descent": dict(lr=2.0, momentum=0.0), "momentum 0.9": dict(lr=1.0, momentum=0.9)}
ASSOCIATORS = (1, 2, 4, 8, 16, 64, 512)
GRID = numpy.linspace(-0.5, 1.5, 101, dtype=numpy.float32)


def _xor():
    return datasets.xor().tensors


def _errors(outputs, t):
    """How many of the four points a 0.5 threshold on ``outputs`` gets wrong."""
    return int(((numpy.asarray(outputs).reshape(-1) > 0.5) != (t.numpy().reshape(-1) > 0.5)).sum())


def perceptron_errors(epochs):
    """Train a perceptron on XOR for at most ``epochs`` epochs: (its trained unit, mistakes per epoch, final errors)."""
    x, t = _xor()
    unit = classic.Perceptron(2)
    mistakes = unit.fit(x, t, epochs=epochs)
    return unit, mistakes, _errors(unit(x).numpy(), t)


def train_mlp(seed, epochs, lr, momentum):
    """A 2-2-1 sigmoid net trained on XOR by full-batch SGD on mean (y - t)^2: (net, final errors, epochs run).

    Training stops once the loss is below 1/16: then (y_i - t_i)^2 < 1/4 for
    every point, so every output is on the right side of 0.5.
    """
    x, t = _xor()
    creation.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    losses = common.fit(net, optimizer, nn.MSELoss(), x, t, epochs, after_epoch=lambda epoch, loss: loss < 1 / 16)
    return net, _errors(common.predict(net, x), t), len(losses)


def mark_i_success(n_associators, seeds, epochs):
    """The Mark I with ``n_associators`` random threshold units on XOR: how many ``seeds`` separate it, a last net."""
    x, t = _xor()
    separated, machine = 0, None
    for seed in seeds:
        creation.manual_seed(seed)
        machine = classic.MarkI(2, n_associators)
        machine.fit(x, t, epochs=epochs)
        separated += machine.converged
    return separated, machine


def _regions(axis, model, title):
    """``model``'s decision regions over [-0.5, 1.5]^2 (output > 0.5 is class 1), the four points, wrong ones ringed."""
    x, t = _xor()
    grid = numpy.stack(numpy.meshgrid(GRID, GRID), axis=-1).reshape(-1, 2)
    outputs = common.predict(model, creation.as_tensor(grid)).reshape(len(GRID), len(GRID))
    axis.contourf(GRID, GRID, outputs > 0.5, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f3", "#f6d5c8"])
    points, labels = x.numpy(), t.numpy().reshape(-1)
    for label, marker, color in ((0, "o", "#1f5fa8"), (1, "s", "#c2491d")):
        chosen = points[labels == label]
        axis.scatter(chosen[:, 0], chosen[:, 1], marker=marker, s=80, color=color, edgecolor="black",
                     label=f"t = {label}", zorder=3)
    wrong = points[(common.predict(model, x).reshape(-1) > 0.5) != (labels > 0.5)]
    axis.scatter(wrong[:, 0], wrong[:, 1], s=400, facecolor="none", edgecolor="black", linewidth=1.5, zorder=4)
    axis.set_xlim(-0.5, 1.5)
    axis.set_ylim(-0.5, 1.5)
    axis.set_aspect("equal")
    axis.set_xlabel("x1")
    axis.set_ylabel("x2")
    axis.set_title(f"{title}: {len(wrong)} wrong", fontsize=9)
    axis.legend(loc="upper center", fontsize=7, ncol=2)


@experiment("xor", title="XOR: the perceptron cannot learn it, a 2-2-1 net trained by backprop can",
            claim="Rosenblatt's perceptron cannot learn XOR (Minsky & Papert 1969): f([0,1]) = f([1,0]) = 1, "
                  "f([1,1]) = f([0,0]) = 0. A network with a hidden layer, trained by backpropagation, can.")
def run(report, quick, seed):
    seeds = range(seed, seed + (10 if quick else 100))
    epochs = 1000 if quick else 2000
    mark_i_seeds = range(seed, seed + (10 if quick else 50))
    report.setup(
        "The four XOR points (`bp.data.xor()`). **Perceptron** (`classic.Perceptron`): a step unit "
        "y = step(w^T x + b) from w = 0, b = 0, trained by Rosenblatt's rule w <- w + (t - y) x on the points in a "
        f"fixed order for at most {', '.join(map(str, CAPS))} epochs (it stops early only after an epoch without a "
        "mistake). **2-2-1 net**: Linear(2, 2), sigmoid, Linear(2, 1), sigmoid, torch's default initialisation, "
        f"full-batch SGD on mean (y - t)^2 for at most {epochs} epochs (stopping once the loss < 1/16, which proves "
        f"all four right), from {len(seeds)} seeds ({seeds.start}..{seeds.stop - 1}), with plain gradient descent "
        "(lr 2) and with momentum (lr 1, momentum 0.9); a point counts as right when the output is on its side of "
        "0.5. **Mark I** (`classic.MarkI`): k fixed random threshold units a_k = step(r_k^T (x - u_k)), "
        "r_k ~ N(0, I), u_k ~ U[0, 1]^2, in front of a perceptron trained by the same rule for at most 100 epochs, "
        f"{len(mark_i_seeds)} seeds per k.")

    rows, perceptron_final = [], []
    for cap in CAPS:
        _, mistakes, errors = perceptron_errors(cap)
        rows.append([cap, len(mistakes), mistakes[-1], min(mistakes), errors, "> 0"])
        perceptron_final.append(errors)
    report.table(["epoch cap", "epochs run", "mistakes in the last epoch", "fewest mistakes in an epoch",
                  "errors of the final unit (of 4)", "lecture"], rows,
                 caption="The perceptron on XOR: it never has an epoch without a mistake.")
    report.result("perceptron_errors", dict(zip(CAPS, perceptron_final)))
    report.result("perceptron_fewest_mistakes", min(row[3] for row in rows))
    perceptron_never = all(row[3] > 0 and row[4] > 0 for row in rows)

    rows, success, shown = [], {}, None
    for name, options in OPTIMIZERS.items():
        results = [train_mlp(s, epochs, **options) for s in seeds]
        solved = [r for r in results if r[1] == 0]
        success[name] = len(solved) / len(results)
        median = float(numpy.median([r[2] for r in solved])) if solved else float("nan")
        rows.append([name, f"{len(solved)}/{len(results)}", f"{success[name]:.0%}", median])
        if solved:
            shown = solved[0][0]  # the last optimiser's (momentum) first solving net, for the figure
    report.table(["2-2-1 net, optimiser", "seeds reaching 0 errors", "share", "median epochs to 0 errors"], rows,
                 caption="Backpropagation in a 2-2-1 sigmoid net: most seeds solve XOR; the others are in a local "
                         "minimum or on a plateau at the epoch cap.")
    report.result("mlp_success", success)

    rows, mark_i = [], {}
    for k in ASSOCIATORS:
        separated, machine = mark_i_success(k, mark_i_seeds, epochs=100)
        mark_i[k] = separated / len(mark_i_seeds)
        rows.append([k, f"{separated}/{len(mark_i_seeds)}"])
    report.table(["random threshold units k", "seeds separating XOR"], rows,
                 caption="The Mark I: a fixed random layer makes XOR linearly separable, given enough units.")
    report.result("mark_i_success", mark_i)

    unit, _, _ = perceptron_errors(1000)
    with report.figure("xor.png", "Decision regions on XOR (blue: y = 0, red: y = 1; wrong points ringed): the "
                       "perceptron's one line after 1000 epochs, the 2-2-1 net trained by backprop (momentum), and "
                       f"the Mark I with {ASSOCIATORS[-1]} random threshold units.", ncols=3, figsize=(12, 4)) as axes:
        if axes is not None:
            _regions(axes[0], unit, "perceptron, 1000 epochs")
            if shown is not None:
                _regions(axes[1], shown, "2-2-1 sigmoid net, backprop")
            _regions(axes[2], machine, f"Mark I, {ASSOCIATORS[-1]} random units")

    mlp_share = success["momentum 0.9"]
    caps = ", ".join(f"{e} after {c}" for c, e in zip(CAPS, perceptron_final))
    report.verdict(perceptron_never and mlp_share > 0.5,
                   f"the perceptron never had an error-free epoch (errors of 4: {caps} epochs); the 2-2-1 net "
                   f"reached 0 errors in {success['gradient descent']:.0%} of seeds with gradient descent and "
                   f"{mlp_share:.0%} with momentum (claim: the perceptron never, the net in > 50% of seeds with "
                   "momentum)")
