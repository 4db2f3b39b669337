"""Thin and tall against fat and short: deep and shallow nets with the same number of parameters.

The lecture's table (Seide et al. 2011, speech, word error rate in %):
deep L x 2k: 1x2k 24.2, 2x2k 20.4, 3x2k 18.4, 4x2k 17.8, 5x2k 17.2, 7x2k 17.1;
one hidden layer: 1x3772 22.5 (the parameters of 5x2k), 1x4634 22.6 (those
of 7x2k), 1x16k 22.1. Depth, not the parameter count, made the difference.

A net with L hidden layers of width w on d inputs and m outputs has

    P(L, w) = (d + 1) w + (L - 1) (w + 1) w + (w + 1) m

parameters (weights and biases); one hidden layer of width h has
P(1, h) = (d + 1 + m) h + m, so h = round((P - m) / (d + 1 + m)) matches
the deep net to within (d + 1 + m) / 2 parameters.

Two tasks:

- a compositional target on x in [-1, 1]^8, a binary tree of one two-input
  function h(a, b) = tanh(2ab + a - b):
  f(x) = h(h(h(x1, x2), h(x3, x4)), h(h(x5, x6), h(x7, x8))) (the
  hierarchically local functions for which depth is known to pay,
  Poggio et al. 2017); regression, error = test MSE / Var(f);
- the 8x8 digits, error = test error in %.
"""
import numpy

from backprop import creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment

__all__ = ["parameters", "matching_width", "target", "compositional", "net", "error", "run"]

# the lecture's table: depth -> deep WER, and the one-hidden-layer net of the same size where it has one
LECTURE_DEEP = {1: 24.2, 2: 20.4, 3: 18.4, 4: 17.8, 5: 17.2, 7: 17.1}
LECTURE_SHALLOW = {5: ("1x3772", 22.5), 7: ("1x4634", 22.6)}
LECTURE_BIG_SHALLOW = ("1x16k", 22.1)
INPUTS = 8  # the compositional target's inputs: a binary tree of depth 3


def parameters(depth, width, inputs, outputs):
    """P(L, w) = (d + 1) w + (L - 1) (w + 1) w + (w + 1) m: weights and biases of an L x w net.

    >>> parameters(1, 2048, 64, 10), parameters(2, 3, 4, 1)
    (153610, 31)
    """
    if depth < 1 or width < 1:
        raise ValueError(f"parameters: depth and width must be >= 1, got depth={depth}, width={width}")
    return (inputs + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * outputs


def matching_width(budget, inputs, outputs):
    """The width h of one hidden layer whose P(1, h) = (d + 1 + m) h + m is nearest to ``budget``.

    >>> matching_width(parameters(3, 32, 8, 1), 8, 1)
    243
    """
    return max(1, round((budget - outputs) / (inputs + 1 + outputs)))


def target(x):
    """f(x) for the rows of x (n, 8): h(a, b) = tanh(2ab + a - b) on neighbours, level by level to one number.

    >>> round(target(numpy.array([[1.0, 0, 0, 0, 0, 0, 0, 0]])).item(), 4)  # h(1, 0) = tanh(1), then tanh twice
    0.5663
    """
    x = numpy.asarray(x)
    if x.ndim != 2 or x.shape[1] != INPUTS:
        raise ValueError(f"target: x must have shape (n, {INPUTS}), got {tuple(x.shape)}")
    while x.shape[1] > 1:
        a, b = x[:, 0::2], x[:, 1::2]
        x = numpy.tanh(2 * a * b + a - b)
    return x


def compositional(n, seed):
    """``n`` points x ~ U[-1, 1]^8 (float32, shaped (n, 1, 1, 8) for ``models.mlp``) and f(x) (n, 1)."""
    x = numpy.random.default_rng(seed).uniform(-1, 1, (n, INPUTS)).astype(numpy.float32)
    return x.reshape(n, 1, 1, INPUTS), target(x).astype(numpy.float32)


def net(input_shape, outputs, depth, width):
    """ReLU MLP with ``depth`` hidden layers of ``width`` units."""
    return models.mlp(input_shape, outputs, hidden=(width,) * depth, activation="relu")


def error(model, x, y, regression):
    """Regression: MSE / Var(y) on (x, y) (the share of variance missed); classification: error in %."""
    outputs = common.predict(model, x)
    if regression:
        target = y.numpy()
        return float(((outputs - target) ** 2).mean() / target.var())
    return 100.0 * float((outputs.argmax(axis=1) != y.numpy()).mean())


def _train(task, depth, width, seeds):
    """Test errors and last-epoch training losses of a ``depth`` x ``width`` net, one per seed."""
    errors, losses = [], []
    for seed in range(seeds):
        creation.manual_seed(seed)
        model = net(task["input_shape"], task["outputs"], depth, width)
        loss = nn.MSELoss() if task["regression"] else nn.CrossEntropyLoss()
        losses.append(common.fit(model, optim.Adam(model.parameters(), lr=task["lr"]), loss, task["x"], task["y"],
                                 epochs=task["epochs"], batch_size=task["batch_size"], seed=seed)[-1])
        errors.append(error(model, task["x_test"], task["y_test"], task["regression"]))
    return errors, losses


def _tasks(quick):
    x, y = compositional(1000 if quick else 3000, seed=1)
    x_test, y_test = compositional(2000, seed=2)
    digits_x, digits_y = common.digits()
    digits_x_test, digits_y_test = common.digits(train=False)
    return [
        dict(name="compositional", regression=True, input_shape=(1, 1, INPUTS), outputs=1, width=32,
             x=creation.from_numpy(x), y=creation.from_numpy(y),
             x_test=creation.from_numpy(x_test), y_test=creation.from_numpy(y_test),
             depths=(1, 3) if quick else (1, 2, 3, 4, 5, 7), seeds=2 if quick else 3,
             epochs=30 if quick else 80, batch_size=64, lr=3e-3, big=not quick, metric="test MSE / Var(f)"),
        dict(name="digits", regression=False, input_shape=(1, 8, 8), outputs=10, width=64,
             x=digits_x, y=digits_y, x_test=digits_x_test, y_test=digits_y_test,
             depths=(1, 3) if quick else (1, 2, 3, 5, 7), seeds=1 if quick else 3,
             epochs=8 if quick else 30, batch_size=64, lr=1e-3, big=not quick, metric="test error %"),
    ]


def _measure(task):
    """Errors per seed of every deep net and its parameter-matched shallow net (and of a shallow net 4x the
    largest if the task asks)."""
    inputs = int(numpy.prod(task["input_shape"]))
    rows = []
    for depth in task["depths"]:
        budget = parameters(depth, task["width"], inputs, task["outputs"])
        width = matching_width(budget, inputs, task["outputs"])
        deep, deep_loss = _train(task, depth, task["width"], task["seeds"])
        shallow, shallow_loss = (deep, deep_loss) if depth == 1 else _train(task, 1, width, task["seeds"])
        rows.append(dict(depth=depth, width=task["width"], parameters=budget, deep=deep, deep_loss=deep_loss,
                         shallow_width=width, shallow_parameters=parameters(1, width, inputs, task["outputs"]),
                         shallow=shallow, shallow_loss=shallow_loss))
    measured = dict(rows=rows, big=None)
    if task["big"]:  # one hidden layer with 4x the largest deep net's parameters, as the lecture's 1x16k
        width = 4 * matching_width(rows[-1]["parameters"], inputs, task["outputs"])
        measured.update(big=_train(task, 1, width, task["seeds"])[0], big_width=width,
                        big_parameters=parameters(1, width, inputs, task["outputs"]))
    return measured


def _mean_spread(errors):
    return f"{numpy.mean(errors):.4g} ± {numpy.std(errors):.2g}"


def _table(report, task, measured):
    header = ["deep L x w", "parameters", task["metric"], "shallow 1 x h", "parameters", task["metric"],
              "lecture deep WER %", "lecture shallow WER %"]
    rows = []
    for row in measured["rows"]:
        shallow_name, shallow_error = LECTURE_SHALLOW.get(row["depth"], ("", ""))
        same = row["depth"] == 1
        rows.append([f"{row['depth']} x {row['width']}", row["parameters"], _mean_spread(row["deep"]),
                     "(the same net)" if same else f"1 x {row['shallow_width']}",
                     "" if same else row["shallow_parameters"], "" if same else _mean_spread(row["shallow"]),
                     LECTURE_DEEP[row["depth"]], f"{shallow_name} {shallow_error}".strip()])
    caption = f"{task['name']}: mean ± standard deviation over {task['seeds']} seed(s)"
    if measured["big"] is not None:
        rows.append(["", "", "", f"1 x {measured['big_width']}", measured["big_parameters"],
                     _mean_spread(measured["big"]), "", " ".join(map(str, LECTURE_BIG_SHALLOW))])
        caption += "; the last row is one hidden layer with 4x the largest deep net's parameters (the lecture's 1x16k)"
    report.table(header, rows, caption=caption)


def _plot(axis, task, measured):
    rows = measured["rows"]
    for key, size, label, marker in (("deep", "parameters", f"deep: L x {task['width']}", "o"),
                                     ("shallow", "shallow_parameters", "shallow: 1 x h", "s")):
        axis.errorbar([r[size] for r in rows], [numpy.mean(r[key]) for r in rows],
                      yerr=[numpy.std(r[key]) for r in rows], marker=marker, capsize=3, label=label)
    for row in rows:
        axis.annotate(f"L={row['depth']}", (row["parameters"], numpy.mean(row["deep"])), fontsize=7,
                      textcoords="offset points", xytext=(3, 4))
    if measured["big"] is not None:
        axis.errorbar([measured["big_parameters"]], [numpy.mean(measured["big"])], yerr=[numpy.std(measured["big"])],
                      marker="^", color="gray", capsize=3, linestyle="none", label="shallow, 4x parameters")
    axis.set_xscale("log")
    axis.tick_params(axis="x", which="minor", labelbottom=False)
    axis.set_xlabel("parameters")
    axis.set_ylabel(task["metric"])
    axis.set_title(task["name"])
    axis.legend(fontsize=8)


def _digits_reading(gap, pair):
    """A sentence on the digits' largest pair; ``gap`` is shallow's mean error minus deep's."""
    if gap > 0:
        return "Here too the deep net is ahead."
    slower = numpy.mean(pair["deep_loss"]) > numpy.mean(pair["shallow_loss"])
    return ("8x8 digits are easy enough for one wide layer; with 1437 training images and the same epochs and "
            "learning rate the deep, thin net " + ("ends with a higher training loss and " if slower else "")
            + "does worse on the test set. The lecture's point is about data built by composition (speech at "
            "scale), which the first task imitates.")


@experiment("deep_vs_shallow", title="Fat + short vs thin + tall at equal parameters",
            claim="At the same number of parameters a deep, thin net beats one wide hidden layer: in speech "
                  "(word error rate %) 1x2k 24.2, 2x2k 20.4, 3x2k 18.4, 4x2k 17.8, 5x2k 17.2, 7x2k 17.1 "
                  "against 1x3772 22.5, 1x4634 22.6, 1x16k 22.1.")
def run(report, quick, seed):
    tasks = _tasks(quick)
    report.setup(
        "Pairs of ReLU MLPs with the same number of parameters: L hidden layers of width w, and one hidden layer "
        "of width h = round((P - m) / (d + 1 + m)), which matches P(L, w) = (d + 1) w + (L - 1)(w + 1) w + "
        "(w + 1) m to within 0.5%. "
        + ("" if quick else "Plus one hidden layer with 4x the largest deep net's parameters (the lecture's 1x16k). ")
        + "Adam, batch 64; seeds 0, 1, ... for initialisation and batch order.\n\n"
        + "\n".join(
            f"- **{t['name']}**: " + (
                f"f(x) = h(h(h(x1, x2), h(x3, x4)), h(h(x5, x6), h(x7, x8))) with h(a, b) = tanh(2ab + a - b), "
                f"x ~ U[-1, 1]^8; {t['x'].shape[0]} training and {t['x_test'].shape[0]} test points; MSE loss; "
                f"error = test MSE / Var(f)"
                if t["regression"] else
                f"UCI's 8x8 digits ({t['x'].shape[0]} train, {t['x_test'].shape[0]} test), "
                f"cross-entropy; error = test error %")
            + f"; w = {t['width']}, L in {list(t['depths'])}; {t['epochs']} epochs at lr {t['lr']}; "
              f"{t['seeds']} seed(s)." for t in tasks))
    measured = {}
    for task in tasks:
        measured[task["name"]] = _measure(task)
        _table(report, task, measured[task["name"]])
        report.result(task["name"], measured[task["name"]])
    with report.figure("deep_vs_shallow.png", "Test error against parameters: deep (L x w) and one hidden layer "
                       "of the same size; bars are one standard deviation over seeds", ncols=2) as axes:
        if axes is not None:
            for axis, task in zip(axes, tasks):
                _plot(axis, task, measured[task["name"]])

    largest = measured["compositional"]["rows"][-1]
    wins = max(largest["deep"]) < min(largest["shallow"])
    digits = measured["digits"]["rows"][-1]
    digits_gap = numpy.mean(digits["shallow"]) - numpy.mean(digits["deep"])
    if len(digits["deep"]) < 2:
        spread = "one seed, so no spread to compare with"
    elif max(digits["deep"]) < min(digits["shallow"]) or max(digits["shallow"]) < min(digits["deep"]):
        spread = "beyond the spread of the seeds"
    else:
        spread = "within the spread of the seeds"
    report.text(
        f"On the digits the largest pair ({digits['depth']} x {digits['width']} against 1 x "
        f"{digits['shallow_width']}) differs by {digits_gap:+.2f} points of test error (shallow minus deep; "
        f"{spread}); their last-epoch training losses are {numpy.mean(digits['deep_loss']):.3g} (deep) and "
        f"{numpy.mean(digits['shallow_loss']):.3g} (shallow). The 360 test images resolve 0.28 points (one "
        f"image). " + _digits_reading(digits_gap, digits))
    report.verdict(wins, (
        f"on the compositional target the worst of {len(largest['deep'])} seeds of the {largest['depth']} x "
        f"{largest['width']} net (test MSE / Var {max(largest['deep']):.3g}) "
        + ("beats" if wins else "does not beat")
        + f" the best seed of the 1 x {largest['shallow_width']} net of the same size "
          f"({min(largest['shallow']):.3g}), as the lecture's 7x2k 17.1 beats 1x4634 22.6; "
          f"on the digits deep minus shallow is {-digits_gap:+.2f} points of test error ({spread})."))
