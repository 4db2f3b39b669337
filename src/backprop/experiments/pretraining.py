"""Greedy layer-wise pretraining: a deep sigmoid net on few labels, initialised randomly, by autoencoders, by a DBN.

The lecture (Initialisation): a net can be initialised randomly, by an
autoencoder's encoder or a stacked autoencoder, or, historically, by the
RBMs of a deep belief net (Hinton, Osindero and Teh 2006): greedy
layer-wise pretraining without labels, then fine-tuning with them.

Every layer l of the net computes h_l = sigmoid(W_l h_{l-1} + b_l) with
h_0 = x, and the output layer z = V h_L + c gives the class scores. The
three initialisations of W_l, b_l (l = 1 .. L) differ only in where they
come from:

- random: torch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)), or Glorot's
  U(-sqrt(6 / (fan_in + fan_out)), +sqrt(...)) with zero biases;
- stacked autoencoders: W_l, b_l the encoder of a one-hidden-layer
  autoencoder trained to reconstruct h_{l-1}, min ||h_{l-1} - g(W'_l h_l + b'_l)||^2;
- a DBN: W_l, b_l an RBM's weights and hidden biases, trained by
  contrastive divergence on p(h_{l-1} | data) of the RBM below.

Pretraining sees every training image without its label; fine-tuning
(backprop on cross-entropy through all layers, the era's SGD with momentum)
sees only a few labelled ones. The claim holds where the pretrained nets
reach a clearly higher test accuracy than the randomly initialised one on
the same few labels.
"""
import copy
import time

import numpy

from backprop import creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.pretrain import DBN, stacked_pretrain

SIZES = [64, 100, 100, 100]   # 8x8 pixels, three sigmoid hidden layers of 100
CLASSES = 10
INITS = ["random", "glorot", "autoencoders", "dbn"]
MODERN = "relu_adam"          # the modern baseline: ReLU, He's initialisation, Adam, no pretraining
LABELS = {"random": "random (torch default)", "glorot": "random (Glorot)", "autoencoders": "stacked autoencoders",
          "dbn": "DBN (stacked RBMs)", MODERN: "ReLU + He + Adam (modern, random)"}
MARGIN = 0.05                 # the verdict: both pretrained inits >= the better random one + 5 points


def hidden_layers(sizes=SIZES, activation=nn.Sigmoid):
    """[Flatten, Linear(sizes[0], sizes[1]), act, ..., Linear(sizes[-2], sizes[-1]), act]: what lies below the
    output layer, laid out as ``stacked_pretrain``'s and ``DBN.classifier``'s nets (layer for layer)."""
    layers = [nn.Flatten()]
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), activation()]
    return layers


def pretrain(images, sizes, epochs, seed):
    """The two pretrained stacks on the unlabelled ``images``: {"autoencoders": Sequential of encoders,
    "dbn": DBN}, each trained greedily for ``epochs`` epochs per layer, and the seconds each took."""
    stacks, seconds = {}, {}
    creation.manual_seed(seed)
    start = time.perf_counter()
    stacks["autoencoders"] = stacked_pretrain(sizes, images, epochs=epochs, batch_size=32, lr=1e-2)
    seconds["autoencoders"] = time.perf_counter() - start
    creation.manual_seed(seed)
    start = time.perf_counter()
    stacks["dbn"] = DBN(sizes)
    stacks["dbn"].pretrain(images, epochs=epochs, batch_size=32, lr=0.1, momentum=0.5)
    seconds["dbn"] = time.perf_counter() - start
    return stacks, seconds


def classifier(init, stacks, sizes=SIZES, num_classes=CLASSES):
    """A fresh net to fine-tune: hidden layers initialised by ``init`` (torch's default, Glorot's, He's ReLU
    layers, or copies of the pretrained ``stacks``) under an output layer Linear(sizes[-1], num_classes).

    The output layer is drawn first, so that after one ``manual_seed`` the torch-default and the two
    pretrained nets start from the same one; Glorot's and He's rules cover every layer and redraw it."""
    output = nn.Linear(sizes[-1], num_classes)
    if init in ("random", "glorot"):
        hidden = hidden_layers(sizes)
    elif init == MODERN:
        hidden = hidden_layers(sizes, nn.ReLU)
    elif init == "autoencoders":
        hidden = copy.deepcopy(list(stacks["autoencoders"]))
    elif init == "dbn":
        hidden = list(stacks["dbn"].classifier(num_classes))[:-1]
    else:
        raise ValueError(f"classifier: init must be one of {INITS + [MODERN]}, got {init!r}")
    net = nn.Sequential(*hidden, output)
    if init == "glorot":
        common.glorot_(net)
    elif init == MODERN:
        common.he_init_(net)
    return net


def fine_tune(model, x, y, epochs, seed, modern=False):
    """Backprop through every layer on the labelled (x, y): mini-batches of 10, SGD (lr 0.1, momentum 0.9), or Adam
    (lr 1e-3) for the modern baseline; returns the per-epoch training losses."""
    optimizer = optim.Adam(model.parameters(), lr=1e-3) if modern else optim.SGD(model.parameters(), lr=0.1,
                                                                                   momentum=0.9)
    return common.fit(model, optimizer, nn.CrossEntropyLoss(), x, y, epochs, batch_size=10, seed=seed)


def measure(label_counts, seeds, pretrain_epochs, tune_epochs, sizes=SIZES):
    """Test accuracy of every initialisation (and the modern baseline) for every label count and seed:
    {init: array (len(label_counts), len(seeds))}; the fine-tuning losses per epoch of each initialisation at
    the fewest labels and the first seed; and the mean pretraining seconds per stack."""
    images, _ = common.digits()
    x_test, y_test = common.digits(train=False)
    found = {init: numpy.zeros((len(label_counts), len(seeds))) for init in INITS + [MODERN]}
    spent, curves = {"autoencoders": 0.0, "dbn": 0.0}, {}
    for j, seed in enumerate(seeds):
        stacks, seconds = pretrain(images, sizes, pretrain_epochs, seed)
        for name in spent:
            spent[name] += seconds[name] / len(seeds)
        for i, n in enumerate(label_counts):
            x, y = common.digits(n=n, seed=seed)
            for init in INITS + [MODERN]:
                creation.manual_seed(1000 + seed)   # the same output layer draw for every init
                model = classifier(init, stacks, sizes)
                losses = fine_tune(model, x, y, tune_epochs, seed, modern=init == MODERN)
                found[init][i, j] = common.accuracy(model, x_test, y_test)
                if i == j == 0:
                    curves[init] = losses
    return found, curves, spent


@experiment("pretraining", title="Greedy layer-wise pretraining of a deep sigmoid net on few labels",
            claim="A deep net can be initialised randomly, by an autoencoder's encoder or a stacked autoencoder, or "
                  "by the RBMs of a deep belief net (Hinton, Osindero and Teh 2006: greedy layer-wise pretraining, "
                  "then fine-tuning); the pretrained initialisations train deep nets that random ones do not.")
def run(report, quick, seed):
    label_counts = [50, 100] if quick else [50, 100, 200]
    seeds = [seed] if quick else [seed + s for s in range(5)]
    pretrain_epochs, tune_epochs = (10, 60) if quick else (20, 100)
    hidden = " -> ".join(map(str, SIZES[1:]))
    report.setup(f"""
Data: UCI's 8x8 digits; all 1437 training images, unlabelled, for pretraining; {label_counts} of them with
their labels (stratified, a new draw per seed) for fine-tuning; the 360 test images for accuracy. Net: 64 -> {hidden}
sigmoid units -> 10 logits, the era's deep net. Initialisations of the hidden layers: *random* (torch's default
U(±1/sqrt(fan_in))), *random (Glorot)* (U(±sqrt(6/(fan_in + fan_out))), zero biases), *stacked autoencoders*
(`backprop.pretrain.stacked_pretrain`: each layer a one-hidden-layer sigmoid autoencoder on the codes below, MSE,
Adam lr 1e-2, batches of 32, {pretrain_epochs} epochs per layer) and *DBN* (`backprop.pretrain.DBN(...).pretrain`:
each layer a Bernoulli RBM, CD-1, lr 0.1, momentum 0.5, batches of 32, {pretrain_epochs} epochs per layer, then
`.classifier(10)`). Each gets a fresh output layer, the same draw for the torch-default and the pretrained nets
(Glorot's rule, and He's below, draw it too). Fine-tuning, the era's way: all layers by backprop on the
cross-entropy, SGD lr 0.1, momentum 0.9, batches of 10, {tune_epochs} epochs. A modern baseline beside them: the
same layout with ReLU units, He's initialisation and Adam (lr 1e-3), no pretraining. Seeds {seeds} (pretraining,
label draw, fine-tuning); the tables show the mean test accuracy over them.""")
    found, curves, spent = measure(label_counts, seeds, pretrain_epochs, tune_epochs)
    mean = {init: found[init].mean(axis=1) for init in found}
    report.result("label_counts", label_counts)
    report.result("accuracy", {init: found[init] for init in found})
    report.result("fine_tuning_losses", curves)
    report.result("pretrain_seconds", spent)
    rows = [[LABELS[init]] + [f"{100 * m:.1f} ± {100 * s:.1f}" for m, s in zip(mean[init], found[init].std(axis=1))]
            for init in found]
    report.table(["initialisation"] + [f"{n} labels" for n in label_counts], rows,
                 caption=f"Test accuracy % (mean ± std over {len(seeds)} seeds) after fine-tuning on the labelled few")
    report.text(f"Pretraining took {spent['autoencoders']:.1f} s (stacked autoencoders) and {spent['dbn']:.1f} s "
                f"(DBN) per seed.")
    _draw(report, label_counts, found, curves)
    random_best = max(mean["random"][0], mean["glorot"][0])
    gains = {init: mean[init][0] - random_best for init in ("autoencoders", "dbn")}
    report.result("gain_at_fewest_labels", gains)
    reproduced = all(gain >= MARGIN for gain in gains.values())
    report.verdict(reproduced, f"with {label_counts[0]} labels the stacked autoencoders reach "
                   f"{100 * mean['autoencoders'][0]:.1f}% and the DBN {100 * mean['dbn'][0]:.1f}% against "
                   f"{100 * random_best:.1f}% for the better random sigmoid net ({100 * mean['random'][0]:.1f}% "
                   f"torch default, {100 * mean['glorot'][0]:.1f}% Glorot): gains of {100 * gains['autoencoders']:.1f} "
                   f"and {100 * gains['dbn']:.1f} points (criterion: both >= {100 * MARGIN:.0f}); the modern ReLU + "
                   f"Adam net without pretraining reaches {100 * mean[MODERN][0]:.1f}%")


def _draw(report, label_counts, found, curves):
    styles = dict(zip(found, [("o", "-", "C0"), ("s", "-", "C1"), ("^", "-", "C2"), ("v", "-", "C3"), ("", "--", "k")]))
    with report.figure("pretraining.png", "Left: test accuracy against the number of labelled examples (mean over "
                       "seeds, bars: min to max) for each initialisation of the deep sigmoid net and for the modern "
                       f"ReLU + Adam net (dashed). Right: the training loss while fine-tuning on {label_counts[0]} "
                       "labels (first seed); log 10 = 2.3 is guessing", ncols=2) as axes:
        if axes is None:
            return
        accuracy, loss = axes
        for init in found:
            marker, line, colour = styles[init]
            values = 100 * found[init]
            middle = values.mean(axis=1)
            accuracy.errorbar(label_counts, middle, yerr=[middle - values.min(axis=1), values.max(axis=1) - middle],
                              marker=marker, linestyle=line, color=colour, ms=4, capsize=2, label=LABELS[init])
            loss.plot(range(1, len(curves[init]) + 1), curves[init], linestyle=line, color=colour)
        accuracy.set_xscale("log")
        accuracy.set_xticks(label_counts, [str(n) for n in label_counts])
        accuracy.minorticks_off()
        accuracy.set(xlabel="labelled training examples", ylabel="test accuracy %")
        accuracy.legend(fontsize=7)
        loss.set_yscale("log")
        loss.set(xlabel="fine-tuning epoch", ylabel="training cross-entropy")
