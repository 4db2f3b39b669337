"""Transfer: a net trained on digits 0-4, its last layer retrained for digits 5-9, against training from scratch.

The lecture (Architectures): multitask learning and pretrained models share
the representation and retrain only the last layer for a new task. A net
trained on a source task computes, below its last layer, features phi(x);
for a new task with little data the last layer is replaced by a fresh one
and only it is trained, the rest frozen (``backprop.pretrain.replace_last_layer``):

    y = V phi(x) + c,    phi learnt on the source task and fixed, only V, c fitted

which is logistic regression on the inherited features: few parameters,
so few examples should suffice, provided phi(x) keeps what the new task needs.

Two controls separate the inherited representation from the mere fact of
training fewer parameters: the same net trained from scratch on the same
few examples (every layer learnt), and the same net with a *random* frozen
trunk and only its last layer trained (features that learnt nothing). And
one probe of the representation itself, with no training at all: the
nearest class mean (prototype) classifier, each test image given the class
whose mean feature vector over the few examples is nearest, in the source
net's features and in raw pixels.
"""
import copy

import numpy

from backprop import creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.pretrain import replace_last_layer
from backprop.tensor import Tensor

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
VARIANTS = {"transfer": "transfer (last layer only, trunk from 0-4)", "scratch": "scratch (every layer)",
            "random_trunk": "random frozen trunk (last layer only)",
            "fine_tune_all": "trunk from 0-4, every layer fine-tuned"}
PROBES = {"prototype_features": "probe: prototypes in source features",
          "prototype_pixels": "probe: prototypes in pixels",
          "source_classes": "check: last layer retrained on few of 0-4 (source classes)"}
MARGIN = 0.03   # the verdict: transfer >= scratch + 3 points at the smallest sizes


def task(classes, train=True):
    """The digits of ``classes`` (train or test set) with labels renumbered 0 .. len(classes) - 1 in that order."""
    x, y = common.digits(train=train)
    labels = y.numpy()
    index = numpy.flatnonzero(numpy.isin(labels, classes))
    renumber = numpy.full(10, -1, dtype=numpy.int64)
    renumber[list(classes)] = numpy.arange(len(classes))
    return x[index], Tensor._make(renumber[labels[index]])


def few(x, y, per_class, seed):
    """``per_class`` examples of every class of (x, y), drawn without replacement with ``seed``."""
    labels = y.numpy()
    rng = numpy.random.default_rng(seed)
    picked = []
    for c in numpy.unique(labels):
        members = numpy.flatnonzero(labels == c)
        if per_class > len(members):
            raise ValueError(f"few: asked for {per_class} examples of class {c}, there are {len(members)}")
        picked.append(rng.choice(members, per_class, replace=False))
    index = numpy.sort(numpy.concatenate(picked))
    return x[index], Tensor._make(labels[index])


def architecture(name, num_classes=len(TARGET)):
    """'mlp': 64 -> 128 ReLU -> 128 ReLU -> classes; 'conv': Conv 16 3x3 (padding 1) -> ReLU -> MaxPool 2 ->
    Linear(16 * 4 * 4, classes), a linear classifier on convolutional features."""
    if name == "mlp":
        return models.mlp((1, 8, 8), num_classes, hidden=(128, 128))
    if name == "conv":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(16 * 4 * 4, num_classes))
    raise ValueError(f"architecture: expected 'mlp' or 'conv', got {name!r}")


def train_source(name, epochs, seed):
    """The net ``name`` trained on digits 0-4 (Adam lr 1e-3, batches of 32); returns it and its 0-4 test accuracy."""
    x, y = task(SOURCE)
    creation.manual_seed(seed)
    model = architecture(name, len(SOURCE))
    common.fit(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y, epochs, batch_size=32,
               seed=seed)
    return model, common.accuracy(model, *task(SOURCE, train=False))


def new_task_net(variant, name, source):
    """The net to train on 5-9: the source net with a fresh, only trainable last layer ('transfer'), a fresh net
    ('scratch'), a fresh net with its trunk frozen at random ('random_trunk'), or the source net with a fresh last
    layer and nothing frozen ('fine_tune_all')."""
    if variant in ("transfer", "fine_tune_all"):
        return replace_last_layer(copy.deepcopy(source), len(TARGET), freeze_rest=variant == "transfer")
    if variant == "scratch":
        return architecture(name)
    if variant == "random_trunk":
        return replace_last_layer(architecture(name), len(TARGET))
    raise ValueError(f"new_task_net: variant must be one of {list(VARIANTS)}, got {variant!r}")


def fit_new_task(model, x, y, epochs, seed):
    """Full-batch Adam on the trainable parameters only: lr 1e-2 for a last layer alone, 1e-3 for a whole net."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    everything = len(trainable) == len(list(model.parameters()))
    optimizer = optim.Adam(trainable, lr=1e-3 if everything else 1e-2)
    return common.fit(model, optimizer, nn.CrossEntropyLoss(), x, y, epochs, seed=seed)


def trunk(model):
    """``model`` without its last layer: the features phi(x) its last Linear sees (a Sequential's front)."""
    return nn.Sequential(*list(model)[:-1])


def prototype_accuracy(train_features, train_labels, test_features, test_labels):
    """Nearest class mean: each test vector gets the class whose mean training vector is nearest (Euclidean)."""
    train_features = numpy.asarray(train_features).reshape(len(train_labels), -1)
    test_features = numpy.asarray(test_features).reshape(len(test_labels), -1)
    classes = numpy.unique(train_labels)
    means = numpy.stack([train_features[train_labels == c].mean(axis=0) for c in classes])
    distances = ((test_features[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return float((classes[distances.argmin(axis=1)] == test_labels).mean())


def measure(name, shots, draws, source_epochs, epochs, seed):
    """For the architecture ``name``: test accuracy on 5-9 of every variant ({variant: array (len(shots),
    len(draws))}), the prototype accuracies in source features and in pixels, the same last-layer retraining on
    few examples of the source's own classes 0-4 (a check of the procedure), and the source net's 0-4 accuracy."""
    source, source_accuracy = train_source(name, source_epochs, seed)
    pools = {classes: (task(classes), task(classes, train=False)) for classes in (SOURCE, TARGET)}
    (x_pool, y_pool), (x_test, y_test) = pools[TARGET]
    (x_old, y_old), (x_old_test, y_old_test) = pools[SOURCE]
    found = {v: numpy.zeros((len(shots), len(draws))) for v in list(VARIANTS) + list(PROBES)}
    test_features = common.predict(trunk(source), x_test)
    for i, k in enumerate(shots):
        for j, draw in enumerate(draws):
            x, y = few(x_pool, y_pool, k, draw)
            for variant in VARIANTS:
                creation.manual_seed(1000 + draw)   # transfer and fine_tune_all: the same fresh last layer
                model = new_task_net(variant, name, source)
                fit_new_task(model, x, y, epochs, draw)
                found[variant][i, j] = common.accuracy(model, x_test, y_test)
            labels, test_labels = y.numpy(), y_test.numpy()
            found["prototype_features"][i, j] = prototype_accuracy(common.predict(trunk(source), x), labels,
                                                                   test_features, test_labels)
            found["prototype_pixels"][i, j] = prototype_accuracy(x.numpy(), labels, x_test.numpy(), test_labels)
            creation.manual_seed(1000 + draw)
            model = new_task_net("transfer", name, source)
            fit_new_task(model, *few(x_old, y_old, k, draw), epochs, draw)
            found["source_classes"][i, j] = common.accuracy(model, x_old_test, y_old_test)
    return found, source_accuracy


@experiment("transfer", title="Transfer: retrain only the last layer of a net trained on digits 0-4 for digits 5-9",
            claim="Multitask learning and pretrained models: share the representation and retrain only the last "
                  "layer for a new task; with few examples of the new task this beats training the same net from "
                  "scratch.")
def run(report, quick, seed):
    shots = [1, 5, 20] if quick else [1, 2, 5, 10, 20]
    draws = [seed + d for d in range(3 if quick else 10)]
    source_epochs, epochs = (15, 100) if quick else (20, 200)
    names = ["mlp"] if quick else ["mlp", "conv"]
    conv = "" if quick else (" and *conv*, Conv 16 3x3 (padding 1) -> ReLU -> MaxPool 2 -> Linear(256, 5), a "
                             "linear classifier on convolutional features")
    report.setup(f"""
Data: UCI's 8x8 digits split by class. Source task: the {len(task(SOURCE)[1])} training images of
digits 0-4. New task: digits 5-9, with {shots} training examples per class (a new random draw per seed from its
{len(task(TARGET)[1])} training images), tested on all {len(task(TARGET, train=False)[1])} test images of 5-9.
Nets: *mlp*, 64 -> 128 ReLU -> 128 ReLU -> 5 (`models.mlp`){conv}; each trained on 0-4 with Adam (lr 1e-3, batches
of 32, {source_epochs} epochs). On 5-9, {epochs} full-batch Adam steps: *transfer*
(`backprop.pretrain.replace_last_layer(source_net, 5)`: a fresh last layer, everything below frozen; lr 1e-2),
*scratch* (the same architecture, freshly initialised, every layer trained; lr 1e-3), the control *random frozen
trunk* (a fresh net, only its last layer trained; lr 1e-2) and *every layer fine-tuned* (the source net under a
fresh last layer, nothing frozen; lr 1e-3). Probes: nearest-class-mean accuracy on 5-9 in the source net's features
phi(x) (what its last layer sees) and in raw pixels; and, as a check of the procedure, transfer's last-layer
retraining on as few examples of the source's own classes 0-4 (tested on the 0-4 test images). Seeds
{draws[0]} ... {draws[-1]} (draws and fresh layers); the tables show means over them.""")
    results = {}
    for name in names:
        found, source_accuracy = measure(name, shots, draws, source_epochs, epochs, seed)
        results[name] = found
        mean = {v: found[v].mean(axis=1) for v in found}
        report.result(name, {"source_accuracy": source_accuracy, **found})
        rows = [[{**VARIANTS, **PROBES}[v]] + [100 * m for m in mean[v]] for v in found]
        report.table([f"{name}: digits 5-9"] + [f"{k} per class" for k in shots], rows,
                     caption=f"{name}: test accuracy % on digits 5-9, mean over {len(draws)} draws; the source net "
                             f"reaches {100 * source_accuracy:.1f}% on digits 0-4")
    _draw(report, shots, results)
    gains = {name: [float(results[name]["transfer"][i].mean() - results[name]["scratch"][i].mean())
                    for i in range(2)] for name in names}
    report.result("transfer_minus_scratch_at_two_smallest", gains)
    reproduced = all(g >= MARGIN for name in names for g in gains[name])
    said = "; ".join(f"{name}: {100 * gains[name][0]:+.1f} points at {shots[0]} per class, "
                     f"{100 * gains[name][1]:+.1f} at {shots[1]}" for name in names)
    report.verdict(reproduced, f"transfer minus scratch, test accuracy on digits 5-9: {said} (criterion: >= "
                   f"+{100 * MARGIN:.0f} points at the two smallest sizes for every net)")


def _draw(report, shots, results):
    with report.figure("transfer.png", "Test accuracy on digits 5-9 against the examples per class (mean over "
                       "draws): the last layer retrained on a net trained on 0-4, the same net from scratch, a "
                       "random frozen trunk, and nearest class means in the source features and in pixels",
                       ncols=len(results)) as axes:
        if axes is None:
            return
        for axis, (name, found) in zip(axes, results.items()):
            for variant, style in zip(list(VARIANTS) + list(PROBES)[:2], ["o-", "s-", "^-", "d-", "x:", "+:"]):
                label = {**VARIANTS, **PROBES}[variant]
                axis.plot(shots, 100 * found[variant].mean(axis=1), style, ms=4, label=label)
            axis.set_xscale("log")
            axis.set_xticks(shots, [str(k) for k in shots])
            axis.minorticks_off()
            axis.set(xlabel="examples per class of 5-9", ylabel="test accuracy %", title=name)
            axis.legend(fontsize=7)
