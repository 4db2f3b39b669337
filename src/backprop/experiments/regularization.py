"""Regularisation against overfitting: dropout, weight decay, max-norm and early stopping.

The lecture (Learning) names four regularisers:
- dropout: remove 50% of the hidden units (and some inputs) for each example;
  at test use all units with the outgoing weights times 1/2. backprop's
  ``Dropout`` is the inverted form (kept units times 1/(1 - p) in training,
  nothing at test), the same net up to where the factor sits;
- weight decay: minimise J(w) + lambda/2 ||w||^2, i.e. w <- w - eta (dJ/dw + lambda w);
- max-norm: after each update, if ||w|| > alpha then w <- alpha w / ||w||
  for each neuron's incoming weight vector w;
- early stopping: stop when the loss on held-out validation examples has not
  improved for ``patience`` epochs and keep the weights of the best epoch.
A net much larger than its data (two hidden layers of 512 ReLU units, about
300 000 weights, for 200 training digits) fits its training set exactly;
each regulariser is judged by the gap between training and test loss and
by test accuracy.
"""
import numpy

from backprop import creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.train.callbacks import EarlyStopping

# each method: (its options to train(), what the setup says of it)
METHODS = {
    "none": ({}, "no regularisation"),
    "dropout": ({"dropout": (0.2, 0.5)}, "dropout p = 0.2 on the inputs, 0.5 on both hidden layers"),
    "weight decay": ({"weight_decay": 2e-3}, "weight decay lambda = 2e-3 (SGD's `weight_decay`)"),
    "max-norm": ({"max_norm": 1.0}, "max-norm alpha = 1 on every unit's incoming weights"),
    "early stopping": ({"patience": 10}, "early stopping: patience 10 epochs on the validation loss, best "
                                         "weights restored"),
}


def network(width=512, dropout=(0.0, 0.0)):
    """Flatten -> [Dropout(p_input)] -> 2 x (Linear(width) -> ReLU -> [Dropout(p_hidden)]) -> Linear(10)."""
    p_input, p_hidden = dropout
    net = models.mlp((1, 8, 8), 10, hidden=(width, width), activation="relu", dropout=p_hidden)
    if p_input == 0:
        return net
    layers = list(net.children())
    return nn.Sequential(layers[0], nn.Dropout(p_input), *layers[1:])


def validation_split(x, y, every=5):
    """(x_train, y_train, x_val, y_val): every ``every``-th example of each class held out for validation."""
    labels = y.numpy()
    held = numpy.zeros(len(labels), dtype=bool)
    for c in numpy.unique(labels):
        held[numpy.flatnonzero(labels == c)[::every]] = True
    train, val = numpy.flatnonzero(~held), numpy.flatnonzero(held)
    return x[train], y[train], x[val], y[val]


class _Run:
    """What EarlyStopping sees of a Trainer: the model, the epoch, and the flag that stops training."""

    def __init__(self, model):
        self.model, self.epoch, self.stop = model, 0, False


def train(data, seed, epochs, width=512, dropout=(0.0, 0.0), weight_decay=0.0, max_norm=None, patience=None):
    """Train one net with the given regulariser; the net, its curves per epoch and its final figures.

    ``data`` is (x_train, y_train, x_val, y_val, x_test, y_test); the
    validation examples are used by early stopping only.
    """
    x, y, x_val, y_val, x_test, y_test = data
    creation.manual_seed(seed)
    model = network(width, dropout)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=weight_decay)
    curves = {"train_loss": [], "test_loss": [], "test_accuracy": []}
    stopper = EarlyStopping("val_loss", patience=patience) if patience else None
    run = _Run(model)

    def after_epoch(epoch, loss):
        train_loss, _ = common.evaluate(model, x, y)
        test_loss, test_accuracy = common.evaluate(model, x_test, y_test)
        for key, value in zip(curves, (train_loss, test_loss, test_accuracy)):
            curves[key].append(value)
        if stopper is None:
            return False
        run.epoch = epoch
        stopper.on_epoch_end(run, {"val_loss": common.evaluate(model, x_val, y_val)[0]})
        return run.stop

    common.fit(model, optimizer, nn.CrossEntropyLoss(), x, y, epochs, batch_size=32, seed=seed,
               after_epoch=after_epoch, max_norm=max_norm)
    kept = len(curves["test_loss"])
    if stopper is not None:
        stopper.on_train_end(run)  # restores the best epoch's weights if it stopped training
        kept = stopper.best_epoch if stopper.stopped_epoch is not None else kept
    train_loss, train_accuracy = common.evaluate(model, x, y)
    test_loss, test_accuracy = common.evaluate(model, x_test, y_test)
    return {"model": model, "curves": curves, "train_loss": train_loss, "train_accuracy": train_accuracy,
            "test_loss": test_loss, "test_accuracy": test_accuracy, "epoch": kept}


def _mean(runs, key):
    return float(numpy.mean([r[key] for r in runs]))


@experiment("regularization", title="Regularisation: dropout, weight decay, max-norm, early stopping",
            claim="Regularisation keeps a large net from overfitting: dropout (remove 50% of the hidden units per "
                  "example, also on inputs; at test use all units with the outgoing weights halved), weight decay, "
                  "max-norm (if ||w|| > alpha then w <- alpha w / ||w|| per neuron) and early stopping.")
def run(report, quick, seed):
    seeds = [seed] if quick else [seed + i for i in range(5)]
    epochs, width, n = (100, 256, 250) if quick else (150, 512, 250)
    x_test, y_test = common.digits(train=False)
    report.setup(f"""
Data: a stratified subset of {n} of UCI's 8x8 training digits, split into {4 * n // 5} for training and
{n // 5} for validation (every 5th of each class; used only by early stopping); the full {len(y_test)}-image test set
for testing. Model: Flatten -> 2 hidden layers of {width} ReLU units -> 10 logits, cross-entropy. Training: SGD with
momentum 0.9, learning rate 0.01, mini-batches of 32, {epochs} epochs. Methods:
{chr(10).join(f"- {name}: {text}" for name, (_, text) in METHODS.items())}

Seeds {seeds}: each draws the subset, the initialisation, the batch order and the dropout masks. Losses and
accuracies are measured in eval mode (dropout off) on the whole training and test sets; the generalisation gap is
train minus test accuracy and test minus train cross-entropy.""")
    results = {}
    for s in seeds:
        data = (*validation_split(*common.digits(n=n, seed=s)), x_test, y_test)
        for name, (options, _) in METHODS.items():
            results.setdefault(name, []).append(train(data, s, epochs, width, **options))
    rows = []
    for name, runs in results.items():
        train_acc, test_acc = _mean(runs, "train_accuracy"), _mean(runs, "test_accuracy")
        train_loss, test_loss = _mean(runs, "train_loss"), _mean(runs, "test_loss")
        spread = 100 * float(numpy.std([r["test_accuracy"] for r in runs]))
        rows.append([name, 100 * train_acc, 100 * test_acc, spread, 100 * (train_acc - test_acc), train_loss,
                     test_loss, test_loss - train_loss, _mean(runs, "epoch")])
        report.result(name, {key: [r[key] for r in runs] for key in
                             ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "epoch")})
    report.table(["method", "train acc. %", "test acc. %", "sd over seeds", "gap (points)", "train loss", "test loss",
                  "gap (loss)", "epochs kept"], rows,
                 caption=f"Means over {len(seeds)} seed(s); 'epochs kept': the epoch whose weights the net ends with.")
    _draw(report, results, len(seeds))
    gap = {row[0]: row[7] for row in rows}
    accuracy = {row[0]: row[2] for row in rows}
    narrower = [name for name in METHODS if name != "none" and gap[name] < gap["none"]]
    better = [name for name in METHODS if name != "none" and accuracy[name] > accuracy["none"]]
    reproduced = len(narrower) == len(METHODS) - 1 and "dropout" in better
    report.verdict(reproduced, f"test-minus-train cross-entropy {gap['none']:.3f} without regularisation vs "
                   + ", ".join(f"{name} {gap[name]:.3f}" for name in METHODS if name != "none")
                   + f"; test accuracy {accuracy['none']:.1f}% without vs "
                   + ", ".join(f"{name} {accuracy[name]:.1f}%" for name in METHODS if name != "none")
                   + " (criterion: every regulariser narrows the loss gap and dropout raises the mean test accuracy)")


def _draw(report, results, n_seeds):
    with report.figure("regularization.png", f"Cross-entropy (test solid, train dashed) and test accuracy per epoch, "
                       f"mean over {n_seeds} seed(s); dots: the epochs early stopping kept", ncols=2) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        loss, acc = axes
        for name, runs in results.items():
            if name == "early stopping":
                continue
            test_loss = numpy.mean([r["curves"]["test_loss"] for r in runs], axis=0)
            line, = loss.plot(numpy.arange(1, len(test_loss) + 1), test_loss, label=name)
            train_loss = numpy.mean([r["curves"]["train_loss"] for r in runs], axis=0)
            loss.plot(numpy.arange(1, len(train_loss) + 1), train_loss, "--", color=line.get_color())
            test_acc = numpy.mean([r["curves"]["test_accuracy"] for r in runs], axis=0)
            acc.plot(numpy.arange(1, len(test_acc) + 1), 100 * test_acc, color=line.get_color(), label=name)
        stopped = results["early stopping"]
        loss.plot([r["epoch"] for r in stopped], [r["test_loss"] for r in stopped], "ko", label="early stopping")
        acc.plot([r["epoch"] for r in stopped], [100 * r["test_accuracy"] for r in stopped], "ko",
                 label="early stopping")
        loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
        finals = [100 * r["test_accuracy"] for runs in results.values() for r in runs]
        acc.set(xlabel="epoch", ylabel="test accuracy %", title="test accuracy",
                ylim=(min(finals) - 10, min(100, max(finals) + 2)))
        loss.legend(fontsize=8)
        acc.legend(fontsize=8, loc="lower right")
