"""SGD, momentum, AdaGrad, RMSprop and Adam on an ill-conditioned surface and on the digits; mini-batch
against full-batch gradient descent.

The lecture's updates (LECTURES.md, "Learning"), g = dJ/dw from backprop:

- gradient descent: w <- w - eta g, with g averaged over a random
  mini-batch (mini-batch SGD; one epoch = all mini-batches once);
- momentum, an exponential average: g~ <- beta g~ + (1 - beta) g,
  w <- w - eta g~. ``optim.SGD(lr=eta, momentum=beta)`` (torch's form)
  keeps v <- beta v + g, so v = g~ / (1 - beta): the same path as the
  lecture's with eta_lecture = eta / (1 - beta);
- AdaGrad: w_j <- w_j - eta / sqrt(G_jj) g_j, G_jj the sum of g_j^2 so far;
- RMSprop: the same with G_jj an exponential average of g_j^2;
- Adam: momentum's average of g divided by RMSprop's root of g^2 (both
  corrected for starting at zero), "very popular".

The 2-D surfaces: the elongated quadratic f(x, y) = 0.5 (x^2 / 10 + 10 y^2)
(curvatures lambda = 0.1 and 10: condition number 100) and Rosenbrock's
curved valley f(x, y) = (1 - x)^2 + 100 (y - x^2)^2. On the quadratic,
gradient descent multiplies coordinate i by (1 - eta lambda_i) each step: it
must keep eta < 2 / lambda_max = 0.2, and then the flat direction shrinks by
only 1 - eta lambda_min per step.
"""
import time

import numpy

from backprop import creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment

__all__ = ["CURVATURES", "quadratic", "rosenbrock", "make_optimizer", "descend", "gradient_descent_steps", "run"]

CURVATURES = (0.1, 10.0)  # the quadratic's lambda_i
OPTIMISERS = ("SGD", "momentum", "AdaGrad", "RMSprop", "Adam")
BETA = 0.9  # momentum's beta
# learning rates, chosen by hand: SGD on the quadratic at its best constant rate 2 / (lambda_min + lambda_max)
LEARNING_RATES = {
    "quadratic": {"SGD": 2 / sum(CURVATURES), "momentum": 2 / sum(CURVATURES), "AdaGrad": 1.0, "RMSprop": 0.1,
                  "Adam": 0.3},
    "rosenbrock": {"SGD": 1e-3, "momentum": 1e-3, "AdaGrad": 1.0, "RMSprop": 1e-3, "Adam": 0.1},
    "digits": {"SGD": 0.05, "momentum": 0.05, "AdaGrad": 0.05, "RMSprop": 1e-3, "Adam": 1e-3},
}
SURFACES = {  # start, tolerance on f - f_min, plotting window
    "quadratic": dict(start=(-8.0, 1.0), tolerance=1e-6, window=((-9, 4), (-1.6, 1.6))),
    "rosenbrock": dict(start=(-1.5, 2.0), tolerance=1e-4, window=((-2, 2), (-1, 3))),
}
FULL_BATCH_LR = 0.5  # the best of 0.1, 0.5, 1 and 2 for full-batch descent on the digits, tried by hand


def quadratic(w):
    """f(w) = 0.5 (w_1^2 / 10 + 10 w_2^2) = 0.5 sum_i lambda_i w_i^2, from bp ops on the 2-vector ``w``."""
    return 0.5 * (creation.tensor(CURVATURES) * w * w).sum()


def rosenbrock(w):
    """f(w) = (1 - w_1)^2 + 100 (w_2 - w_1^2)^2, minimum 0 at (1, 1)."""
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def make_optimizer(name, params, lr):
    """One of OPTIMISERS from ``backprop.optim``; "momentum" is SGD with momentum beta = 0.9."""
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=BETA)
    adaptive = {"AdaGrad": optim.Adagrad, "RMSprop": optim.RMSprop, "Adam": optim.Adam}
    if name not in adaptive:
        raise ValueError(f"make_optimizer: name must be one of {OPTIMISERS}, got {name!r}")
    return adaptive[name](params, lr=lr)


def descend(surface, name, lr, start, steps, tolerance):
    """Minimise ``surface`` from ``start`` with the optimiser ``name`` for at most ``steps`` steps.

    The point is a 2-vector ``nn.Parameter``; each step computes f with bp
    ops, backpropagates and steps. Returns the path (an array of the points,
    start first) and the number of steps after which f < ``tolerance``
    (None if it never got there).
    """
    if len(start) != 2:
        raise ValueError(f"descend: start must be a 2-D point, got {start!r}")
    w = nn.Parameter(creation.tensor(start, dtype=numpy.float32))
    optimizer = make_optimizer(name, [w], lr)
    path = [w.detach().numpy().copy()]
    for step in range(steps + 1):
        value = surface(w)
        if value.item() < tolerance:
            return numpy.array(path), step
        if step == steps:
            break
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        path.append(w.detach().numpy().copy())
    return numpy.array(path), None


def gradient_descent_steps(lr, start, tolerance, curvatures=CURVATURES, limit=100_000):
    """Plain gradient descent on 0.5 sum_i lambda_i w_i^2 by hand: w_i(t) = (1 - eta lambda_i)^t w_i(0), so
    f(t) = 0.5 sum_i lambda_i (1 - eta lambda_i)^(2t) w_i(0)^2; the first t with f(t) < tolerance (None if none)."""
    t = numpy.arange(limit + 1)[:, None]
    f = 0.5 * (numpy.array(curvatures) * (1 - lr * numpy.array(curvatures)) ** (2 * t)
               * numpy.array(start) ** 2).sum(axis=1)
    below = numpy.flatnonzero(f < tolerance)
    return int(below[0]) if below.size else None


def _digits_curves(name, lr, seed, data, epochs, batch_size):
    """Training loss per epoch, seconds since the start after each epoch, and the final test accuracy."""
    x, y, x_test, y_test = data
    creation.manual_seed(seed)
    model = models.mlp((1, 8, 8), 10, hidden=(128, 64))
    optimizer = make_optimizer(name, model.parameters(), lr)
    start, seconds = time.perf_counter(), []
    losses = common.fit(model, optimizer, nn.CrossEntropyLoss(), x, y, epochs=epochs, batch_size=batch_size,
                        seed=seed, after_epoch=lambda epoch, loss: seconds.append(time.perf_counter() - start))
    return numpy.array(losses), numpy.array(seconds), common.accuracy(model, x_test, y_test)


def _mean_runs(name, lr, seeds, data, epochs, batch_size):
    runs = [_digits_curves(name, lr, s, data, epochs, batch_size) for s in range(seeds)]
    return tuple(numpy.mean([r[i] for r in runs], axis=0) for i in range(3))


def _surfaces(report, quick):
    steps = 1000 if quick else 5000
    functions = {"quadratic": quadratic, "rosenbrock": rosenbrock}
    paths, reached = {}, {}
    for surface, settings in SURFACES.items():
        for name in OPTIMISERS:
            lr = LEARNING_RATES[surface][name]
            paths[surface, name], reached[surface, name] = descend(functions[surface], name, lr, settings["start"],
                                                                   steps, settings["tolerance"])
    report.result("steps_to_tolerance", {f"{s}/{n}": v for (s, n), v in reached.items()})
    predicted = gradient_descent_steps(LEARNING_RATES["quadratic"]["SGD"], SURFACES["quadratic"]["start"],
                                       SURFACES["quadratic"]["tolerance"])
    report.result("sgd_steps_by_hand", predicted)

    def shown(value):
        return f"> {steps}" if value is None else value
    report.table(["optimiser", "lr (quadratic)", "steps: quadratic", "lr (Rosenbrock)", "steps: Rosenbrock"],
                 [[name, LEARNING_RATES["quadratic"][name], shown(reached["quadratic", name]),
                   LEARNING_RATES["rosenbrock"][name], shown(reached["rosenbrock", name])] for name in OPTIMISERS],
                 caption=f"steps until f < {SURFACES['quadratic']['tolerance']:g} (quadratic, from "
                         f"{SURFACES['quadratic']['start']}) and f < {SURFACES['rosenbrock']['tolerance']:g} "
                         f"(Rosenbrock, from {SURFACES['rosenbrock']['start']}); plain gradient descent on the "
                         f"quadratic by hand, (1 - eta lambda_i)^t: {predicted} steps")
    with report.figure("optimizers.png", "Paths of the five optimisers on the elongated quadratic (top) and "
                       "Rosenbrock's valley (bottom; contours on a log scale); the title gives the steps to the "
                       "tolerance", nrows=2, ncols=len(OPTIMISERS), figsize=(14, 5.2)) as axes:
        if axes is not None:
            for row, (surface, settings) in enumerate(SURFACES.items()):
                for column, name in enumerate(OPTIMISERS):
                    axis = axes[row * len(OPTIMISERS) + column]
                    _contours(axis, surface, settings["window"])
                    path = paths[surface, name]
                    axis.plot(path[:, 0], path[:, 1], marker="." if len(path) < 300 else None, markersize=2,
                              linewidth=0.8, color="tab:blue")
                    axis.plot(*path[0], marker="o", color="black")
                    axis.set_title(f"{name}, lr {LEARNING_RATES[surface][name]:.3g}: "
                                   f"{shown(reached[surface, name])} steps", fontsize=9)
                    axis.tick_params(labelsize=7)
    report.text(
        "On the quadratic AdaGrad and RMSprop divide each coordinate's step by the size of its own gradients, "
        "so the steep and the flat direction move alike: the ill-conditioning lies along the axes, where a "
        "per-weight rate removes it. Rosenbrock's valley bends across the axes; there the constant-rate "
        "adaptive steps of AdaGrad and RMSprop "
        + (f"do not reach the tolerance within {steps} steps" if reached["rosenbrock", "AdaGrad"] is None
           and reached["rosenbrock", "RMSprop"] is None else "slow down")
        + f" while momentum ({shown(reached['rosenbrock', 'momentum'])} steps) and Adam "
          f"({shown(reached['rosenbrock', 'Adam'])} steps) follow the valley; plain SGD, held below "
          f"2 / lambda_max by the valley's steep walls, crawls along it ({shown(reached['rosenbrock', 'SGD'])} steps).")
    return reached, predicted


def _contours(axis, surface, window):
    (x0, x1), (y0, y1) = window
    x, y = numpy.meshgrid(numpy.linspace(x0, x1, 200), numpy.linspace(y0, y1, 200))
    if surface == "quadratic":
        f = 0.5 * (CURVATURES[0] * x ** 2 + CURVATURES[1] * y ** 2)
        axis.contour(x, y, f, levels=15, colors="lightgray", linewidths=0.8)
    else:
        f = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
        axis.contour(x, y, f, levels=numpy.logspace(-1, 3.5, 12), colors="lightgray", linewidths=0.8)
    axis.set_xlim(x0, x1)
    axis.set_ylim(y0, y1)


@experiment("optimizers", title="Optimisers: SGD, momentum, AdaGrad, RMSprop, Adam; mini-batch against full batch",
            claim="Gradient descent has no guarantee of a global minimum; momentum (an exponential average of the "
                  "gradients) helps; AdaGrad scales each weight's step by 1/sqrt(G_jj), the accumulated squared "
                  "gradient; Adam is very popular; the weights are updated from mini-batches drawn at random "
                  "(mini-batch SGD).")
def run(report, quick, seed):
    seeds = 1 if quick else 3
    epochs = 3 if quick else 20
    data = (*common.digits(), *common.digits(train=False))
    report.setup(
        "**Surfaces**: the elongated quadratic f(w) = 0.5 (w_1^2 / 10 + 10 w_2^2) (condition number 100) from "
        f"{SURFACES['quadratic']['start']}, and Rosenbrock's f(w) = (1 - w_1)^2 + 100 (w_2 - w_1^2)^2 from "
        f"{SURFACES['rosenbrock']['start']}; the point is a 2-vector `nn.Parameter`, f is computed with bp ops and "
        f"its gradient comes from backprop. At most {1000 if quick else 5000} steps. Plain SGD runs on the "
        f"quadratic at its best constant rate 2 / (lambda_min + lambda_max) = {2 / sum(CURVATURES):.4g}; momentum "
        f"(beta = {BETA}, torch's form v <- beta v + g: the lecture's exponential average with eta / (1 - beta)) "
        f"at the same lr; the others at hand-picked rates (table).\n\n"
        f"**Digits**: an MLP 64-128-64-10 (ReLU) on UCI's 8x8 digits ({data[0].shape[0]} train, "
        f"{data[2].shape[0]} test), cross-entropy, batch 32, {epochs} epochs, lrs by hand: "
        + ", ".join(f"{n} {lr:g}" for n, lr in LEARNING_RATES["digits"].items())
        + f"; mean over {seeds} seed(s).\n\n"
        f"**Mini-batch against full batch**: plain SGD, the same {epochs} epochs (so the same number of examples "
        f"seen and of per-example gradients): batches of 32 at lr {LEARNING_RATES['digits']['SGD']:g} against one "
        f"step per epoch on all {data[0].shape[0]} examples at lr {FULL_BATCH_LR:g} (the best of 0.1, 0.5, 1 and "
        f"2, tried by hand).")

    reached, predicted = _surfaces(report, quick)

    curves = {name: _mean_runs(name, LEARNING_RATES["digits"][name], seeds, data, epochs, 32) for name in OPTIMISERS}
    full_batch = _mean_runs("SGD", FULL_BATCH_LR, seeds, data, epochs, None)
    report.result("digits", {name: {"loss": c[0], "seconds": c[1], "test_accuracy": c[2]}
                             for name, c in curves.items()})
    report.result("full_batch", {"loss": full_batch[0], "seconds": full_batch[1], "test_accuracy": full_batch[2]})
    report.table(["optimiser", "lr", "loss after epoch 1", f"loss after epoch {epochs}", "test accuracy"],
                 [[name, LEARNING_RATES["digits"][name], c[0][0], c[0][-1], c[2]] for name, c in curves.items()],
                 caption="digits MLP, training loss (mean over seeds)")
    mini = curves["SGD"]
    report.table(["gradient descent", "lr", "updates per epoch", f"loss after epoch {epochs}",
                  "seconds", "test accuracy"],
                 [["mini-batch (32)", LEARNING_RATES["digits"]["SGD"], -(-data[0].shape[0] // 32), mini[0][-1],
                   mini[1][-1], mini[2]],
                  ["full batch", FULL_BATCH_LR, 1, full_batch[0][-1], full_batch[1][-1], full_batch[2]]])
    with report.figure("optimizers_digits.png", "Digits: training loss per epoch for each optimiser (left); "
                       "mini-batch against full-batch SGD per epoch (middle) and per second (right)",
                       ncols=3, figsize=(13.5, 3.8)) as axes:
        if axes is not None:
            epoch_axis = range(1, epochs + 1)
            for name, (loss, _, _) in curves.items():
                axes[0].semilogy(epoch_axis, loss, marker=".", label=name)
            for label, (loss, seconds, _) in (("mini-batch (32)", mini), ("full batch", full_batch)):
                axes[1].semilogy(epoch_axis, loss, marker=".", label=label)
                axes[2].semilogy(seconds, loss, marker=".", label=label)
            for axis, xlabel in zip(axes, ("epoch", "epoch (= examples seen / N)", "seconds")):
                axis.set_xlabel(xlabel)
                axis.set_ylabel("training loss")
                axis.legend(fontsize=8)

    full_seconds = full_batch[1][-1]
    mini_then = numpy.interp(full_seconds, mini[1], mini[0])
    report.text(
        f"Per epoch mini-batch SGD is far ahead: {-(-data[0].shape[0] // 32)} small steps against one large one. "
        f"Per second the race is closer, because one full-batch epoch is one large matrix product per layer "
        f"instead of {-(-data[0].shape[0] // 32)} small ones: the full batch's {epochs} epochs took "
        f"{full_seconds:.3g} s, and after as many seconds mini-batch SGD was at a loss of about {mini_then:.3g} "
        f"(full batch: {full_batch[0][-1]:.3g}). The timings are of this machine and its BLAS.")

    sgd_steps, momentum_steps = reached["quadratic", "SGD"], reached["quadratic", "momentum"]
    momentum_faster = momentum_steps is not None and (sgd_steps is None or momentum_steps < sgd_steps)
    beaten = [name for name in OPTIMISERS[1:] if curves[name][0][-1] < mini[0][-1]]
    mini_wins = mini[0][-1] < full_batch[0][-1]
    report.verdict(momentum_faster and len(beaten) == len(OPTIMISERS) - 1 and mini_wins, (
        f"on the quadratic momentum reaches f < {SURFACES['quadratic']['tolerance']:g} in {momentum_steps} steps "
        f"against plain SGD's {sgd_steps} (by hand {predicted}) at the same lr; on the digits "
        f"{len(beaten)} of momentum, AdaGrad, RMSprop and Adam end {epochs} epochs below plain SGD's training loss "
        f"{mini[0][-1]:.3g} (criterion: all four); mini-batch SGD ends at {mini[0][-1]:.3g} against full batch's "
        f"{full_batch[0][-1]:.3g} after the same {epochs} epochs (criterion: lower)."))
