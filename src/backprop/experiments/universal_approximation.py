"""Universal approximation: one hidden layer with enough units approximates a continuous function.

The lecture (LECTURES.md, "Theory") states that a network with one hidden
layer, y(x) = sum_j v_j g(w_j^T x + b_j) + c, approximates any continuous
f: R^N -> R^M as closely as wished when it has enough hidden units (its sketch:
sums of step functions, or of sines as in a Fourier series). The theorem says
nothing of how many units, nor whether gradient descent finds the weights;
this experiment measures both on a 2-D function,

    f(x, y) = sin(pi x) cos(pi y)   on [-1, 1]^2,

fitting nets of 1, 4, 16, 64 and 256 ReLU hidden units (g(z) = max(0, z)) by
full-batch Adam on the squared error, and measuring the mean squared error on
a grid of points none of which was a training point. f's variance over the
square is 1/4, so an MSE of 1e-3 leaves 0.4% of it unexplained.
"""
import numpy

from backprop import creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.tensor import Tensor

UNITS = (1, 4, 16, 64, 256)
N_TRAIN, GRID = 768, 51
LEARNING_RATE = 0.01
THRESHOLD = 1e-3            # the widest net's test MSE must be below this


def target(points):
    """f(x, y) = sin(pi x) cos(pi y) for points (N, 2); returns (N, 1)."""
    points = numpy.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"target expects points of shape (N, 2), got {tuple(points.shape)}")
    return numpy.sin(numpy.pi * points[:, :1]) * numpy.cos(numpy.pi * points[:, 1:])


def grid(n):
    """The n x n grid of [-1, 1]^2 as points (n*n, 2), x varying fastest (row r of an image is y = const)."""
    ticks = numpy.linspace(-1, 1, n)
    x, y = numpy.meshgrid(ticks, ticks)
    return numpy.stack([x.ravel(), y.ravel()], axis=1)


def one_hidden_layer(units):
    """y = v^T relu(W x + b) + c with ``units`` hidden units."""
    if units < 1:
        raise ValueError(f"one_hidden_layer needs at least one hidden unit, got {units}")
    return nn.Sequential(nn.Linear(2, units), nn.ReLU(), nn.Linear(units, 1))


def _tensor(array):
    return Tensor._make(numpy.ascontiguousarray(array, dtype=numpy.float32))


def fit_width(units, train_points, steps, seed, test_points):
    """Fit a net of ``units`` hidden units by ``steps`` full-batch Adam steps (cosine-annealed learning rate).

    Returns (test MSE, the net's outputs on ``test_points``).
    """
    creation.manual_seed(seed)
    net = one_hidden_layer(units)
    optimizer = optim.Adam(net.parameters(), lr=LEARNING_RATE)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    x, t = _tensor(train_points), _tensor(target(train_points))
    common.fit(net, optimizer, nn.MSELoss(), x, t, steps, after_epoch=lambda epoch, loss: schedule.step())
    output = common.predict(net, _tensor(test_points))
    return float(((output - target(test_points)) ** 2).mean()), output


def _draw(report, test_points, firsts, errors):
    caption = ("The target f(x, y) = sin(pi x) cos(pi y), the fits of one hidden layer of 1 to 256 ReLU units "
               "(first seed), the error of the 256-unit fit, and the test MSE against the number of units (log-log, "
               "mean over seeds; dashed: the threshold).")
    with report.figure("universal_approximation.png", caption, nrows=2, ncols=4, figsize=(13, 6.2)) as axes:
        if axes is None:
            return
        image = dict(extent=(-1, 1, -1, 1), origin="lower", cmap="RdBu_r", vmin=-1, vmax=1)
        shape = (GRID, GRID)
        axes[0].imshow(target(test_points).reshape(shape), **image)
        axes[0].set_title("target f")
        for axis, units in zip(axes[1:6], UNITS):
            mse, output = firsts[units]
            axis.imshow(output.reshape(shape), **image)
            axis.set_title(f"{units} unit{'s' if units > 1 else ''}: MSE {mse:.1e}")
        widest = UNITS[-1]
        gap = numpy.abs(firsts[widest][1] - target(test_points)).reshape(shape)
        shown = axes[6].imshow(gap, extent=(-1, 1, -1, 1), origin="lower", cmap="viridis")
        axes[6].set_title(f"|fit - f|, {widest} units")
        bar = axes[6].figure.colorbar(shown, ax=axes[6], fraction=0.046)
        bar.ax.tick_params(labelsize=7)
        for axis in axes[:7]:
            axis.set_xticks([-1, 0, 1])
            axis.set_yticks([-1, 0, 1])
        axes[7].loglog(UNITS, [errors[u] for u in UNITS], marker="o")
        axes[7].axhline(THRESHOLD, color="grey", linestyle="--")
        axes[7].set(xlabel="hidden units", ylabel="test MSE", title="error vs units")
        axes[7].grid(alpha=0.3, which="both")


@experiment("universal_approximation", title="Universal approximation: one hidden layer fits a 2-D function",
            claim="""One hidden layer with enough units approximates any continuous f: R^N -> R^M (the lecture's
            sketch: sums of step functions, or a Fourier series); so the error of the best fit falls as units are
            added.""")
def run(report, quick, seed):
    steps, n_seeds = (1000, 1) if quick else (3000, 3)
    seeds = [seed + i for i in range(n_seeds)]
    train_points = numpy.random.default_rng(seed).uniform(-1, 1, size=(N_TRAIN, 2))
    test_points = grid(GRID)
    report.setup(f"""Target: f(x, y) = sin(pi x) cos(pi y) on [-1, 1]^2 (variance 1/4). Training set: {N_TRAIN}
points drawn uniformly; test set: the {GRID} x {GRID} grid (none of its points is a training point). Model:
y = v^T relu(W x + b) + c with {", ".join(map(str, UNITS))} hidden units, PyTorch's default initialisation.
Training: full-batch Adam, learning rate {LEARNING_RATE} annealed to 0 along a cosine, {steps} steps, squared error;
{n_seeds} seed(s) ({", ".join(map(str, seeds))}) for the initialisation; the error of a width is the mean test MSE
over the seeds.""")

    runs = {units: [fit_width(units, train_points, steps, s, test_points) for s in seeds] for units in UNITS}
    errors = {units: float(numpy.mean([mse for mse, _ in done])) for units, done in runs.items()}
    falls = all(errors[a] > errors[b] for a, b in zip(UNITS, UNITS[1:]))
    below = errors[UNITS[-1]] < THRESHOLD
    rate = common.log_slope(UNITS[1:], [errors[u] for u in UNITS[1:]])
    report.table(["hidden units", "parameters", "test MSE (mean)", "test MSE per seed", "RMS error"],
                 [[u, 4 * u + 1, errors[u], ", ".join(f"{mse:.2e}" for mse, _ in runs[u]), errors[u] ** 0.5]
                  for u in UNITS], "Parameters: 2u weights and u biases in, u weights and one bias out.")
    report.text(f"""From 4 to 256 units the test MSE falls like units^{rate:.2f} (least-squares slope of the log-log
line). Rules of the verdict: the mean test MSE falls strictly at every step 1 -> 4 -> 16 -> 64 -> 256 units, and the
256-unit fit's test MSE is below {THRESHOLD:g}.""")
    report.result("test_mse", errors)
    report.result("slope", rate)
    _draw(report, test_points, {units: done[0] for units, done in runs.items()}, errors)
    report.verdict(falls and below,
                   f"test MSE {' / '.join(f'{errors[u]:.1e}' for u in UNITS)} for {', '.join(map(str, UNITS))} "
                   f"units ({'falls at every step' if falls else 'does not fall at every step'}); 256 units: "
                   f"{errors[UNITS[-1]]:.1e} {'<' if below else '>='} {THRESHOLD:g}; error ~ units^{rate:.2f}.")
