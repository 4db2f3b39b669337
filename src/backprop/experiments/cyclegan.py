"""CycleGAN: unpaired image-to-image translation between two domains of digits (Zhu et al., 2017).

Two generators, G: A -> B and F: B -> A, and two discriminators, D_A (real
A or F(b)?) and D_B (real B or G(a)?), are trained on images of A and of B
that are never paired. Each generator plays a least-squares GAN against its
discriminator (Mao et al., 2017, the loss the paper uses):

    D's loss  = 1/2 [mean (D(real) - 1)^2 + mean D(fake)^2]
    G's loss  = mean (D_B(G(a)) - 1)^2           (and F's with D_A)

and the pair is tied by the cycle-consistency loss

    L_cyc = mean |F(G(a)) - a| + mean |G(F(b)) - b|

weighted by lambda: translating there and back must give the image back.
Without it, G could map every a to any B-looking image; with it, G(a) must
keep what is needed to recover a.

The domains come from the offline 8x8 digits, split in two disjoint halves
by a seeded permutation: A is the first half as it is (strokes near 1 on a
background of 0), B the second half with strokes thickened by one pixel and
inverted (1 - x: thick strokes near 0 on a background of 1). No image is in
both domains, so there is no pair (a, b) of the same picture to learn from.

What is measured: the cycle reconstruction error on held-out images (the
digits' test split, cut into halves the same way) epoch by epoch, and
whether a digit classifier trained beforehand on domain B (one on A)
recognises the digit of G(a) (of F(b)); the same classifier on the
untranslated images of the other domain is the baseline.

The generators are convolutional, as the paper's: each output pixel depends
on its 5x5 neighbourhood, so moving strokes far or swapping one digit
for another is out of their easy reach. A
geometric change (B rotated by 90 degrees) with MLP generators was tried and
failed (docs/experiments/cyclegan.md): the cycle loss makes G invertible,
not digit-preserving.
"""
import numpy

import backprop as bp
from backprop import autograd, creation, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.nn import functional as F

PIXELS = 64
LAMBDA = 10.0              # the cycle loss's weight (the paper's)
LR, BETAS = 4e-3, (0.5, 0.999)   # Adam; the paper's 2e-4 is for 256x256 images and days of training
BATCH = 64


def thicken(images):
    """Every pixel the largest of itself and its four neighbours (a plus-shaped dilation, zeros outside): strokes
    one pixel thicker. ``images`` (N, 1, 8, 8) as a NumPy array."""
    images = numpy.asarray(images)
    padded = numpy.pad(images, [(0, 0)] * (images.ndim - 2) + [(1, 1), (1, 1)])
    return numpy.max([padded[..., 1:-1, 1:-1], padded[..., :-2, 1:-1], padded[..., 2:, 1:-1],
                      padded[..., 1:-1, :-2], padded[..., 1:-1, 2:]], axis=0)


def to_b(images):
    """Domain B's look of digits (N, 1, 8, 8) as a NumPy array: strokes thickened, then inverted (1 - x)."""
    return 1.0 - thicken(images)


def make_domains(images, labels, seed):
    """Cut the digits in two disjoint halves by a seeded permutation; A = the first half upright, B = ``to_b`` of
    the second half.

    ``images`` (N, 1, 8, 8) and ``labels`` (N,) are NumPy arrays. Returns a dict of NumPy arrays:
    a, a_labels, a_index and b, b_labels, b_index (the indices into ``images`` each half came from).
    """
    order = numpy.random.default_rng(seed).permutation(len(labels))
    a_index, b_index = numpy.sort(order[:len(order) // 2]), numpy.sort(order[len(order) // 2:])
    return {"a": numpy.ascontiguousarray(images[a_index], dtype=numpy.float32), "a_labels": labels[a_index],
            "a_index": a_index,
            "b": numpy.ascontiguousarray(to_b(images[b_index]), dtype=numpy.float32), "b_labels": labels[b_index],
            "b_index": b_index}


def lsgan_discriminator_loss(real_scores, fake_scores):
    """1/2 [mean (D(real) - 1)^2 + mean D(fake)^2]: least squares, real scored 1 and fake 0."""
    return 0.5 * (((real_scores - 1) ** 2).mean() + (fake_scores ** 2).mean())


def lsgan_generator_loss(fake_scores):
    """mean (D(fake) - 1)^2: the generator wants its fakes scored as real."""
    return ((fake_scores - 1) ** 2).mean()


def cycle_loss(a, a_back, b, b_back):
    """mean |F(G(a)) - a| + mean |G(F(b)) - b|: the L1 cycle-consistency loss."""
    return F.l1_loss(a_back, a) + F.l1_loss(b_back, b)


def generator(channels=16):
    """Image (N, 64) -> two 3x3 convolutions (ReLU, then sigmoid) -> (N, 64): a translator that works pixel
    neighbourhood by neighbourhood (5x5 in all), as the paper's convolutional generators do."""
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)),
                         nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(channels, 1, 3, padding=1), nn.Sigmoid(), nn.Flatten())


def discriminator(hidden=128):
    """Image (N, 64) -> LeakyReLU MLP -> one score (N, 1), unbounded (least squares needs no sigmoid)."""
    return nn.Sequential(nn.Linear(PIXELS, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))


class CycleGAN(nn.Module):
    """G: A -> B, F: B -> A, D_A, D_B on flattened 8x8 images (N, 64) in [0, 1]."""

    def __init__(self, generator_channels=16, discriminator_hidden=128, cycle_weight=LAMBDA):
        super().__init__()
        self.G, self.F = generator(generator_channels), generator(generator_channels)
        self.D_A, self.D_B = discriminator(discriminator_hidden), discriminator(discriminator_hidden)
        self.cycle_weight = cycle_weight

    def optimizers(self, lr=LR, betas=BETAS):
        """(generators' Adam, discriminators' Adam), each over both networks of its kind."""
        generators = list(self.G.parameters()) + list(self.F.parameters())
        discriminators = list(self.D_A.parameters()) + list(self.D_B.parameters())
        return optim.Adam(generators, lr=lr, betas=betas), optim.Adam(discriminators, lr=lr, betas=betas)

    def train_step(self, a, b, g_optimizer, d_optimizer):
        """One step of both generators (adversarial + lambda * cycle), then one of both discriminators.

        ``a`` and ``b`` are unpaired batches (N, 64). Returns {gan, cycle, d}: the generators' adversarial loss,
        the cycle loss (unweighted), the discriminators' loss.
        """
        fake_b, fake_a = self.G(a), self.F(b)
        adversarial = lsgan_generator_loss(self.D_B(fake_b)) + lsgan_generator_loss(self.D_A(fake_a))
        cycle = cycle_loss(a, self.F(fake_b), b, self.G(fake_a))
        g_optimizer.zero_grad()
        (adversarial + self.cycle_weight * cycle).backward()
        g_optimizer.step()
        fake_b, fake_a = fake_b.detach(), fake_a.detach()  # D's step leaves the generators alone
        d_loss = (lsgan_discriminator_loss(self.D_B(b), self.D_B(fake_b))
                  + lsgan_discriminator_loss(self.D_A(a), self.D_A(fake_a)))
        d_optimizer.zero_grad()  # also clears what the generators' backward left in D's grads
        d_loss.backward()
        d_optimizer.step()
        return {"gan": adversarial.item(), "cycle": cycle.item(), "d": d_loss.item()}

    def translate(self, x, to="b"):
        """G(x) (``to="b"``) or F(x) (``to="a"``) without a graph, (N, 64)."""
        with autograd.no_grad():
            return (self.G if to == "b" else self.F)(x)

    def cycle_error(self, a, b):
        """(mean |F(G(a)) - a|, mean |G(F(b)) - b|) without a graph."""
        with autograd.no_grad():
            return F.l1_loss(self.F(self.G(a)), a).item(), F.l1_loss(self.G(self.F(b)), b).item()


def classifier(hidden=128):
    """A digit classifier on flattened 8x8 images: 64 -> ReLU -> 10, the zoo's ``mlp``."""
    return models.mlp((PIXELS,), 10, hidden=(hidden,))


def train_classifier(x, y, epochs, seed):
    """A ``classifier`` trained with Adam on (x (N, 64), y (N,)) for ``epochs``; returns it."""
    creation.manual_seed(seed)
    net = classifier()
    common.fit(net, optim.Adam(net.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y, epochs, batch_size=64,
               seed=seed)
    return net


def rows(array):
    """A NumPy image array (N, 1, 8, 8) as a float32 Tensor of rows (N, 64)."""
    return bp.tensor(numpy.ascontiguousarray(array, dtype=numpy.float32).reshape(len(array), PIXELS))


def train(model, a, b, epochs, seed, held_out=None, on_epoch=None):
    """``epochs`` passes over domain A's rows ``a``, each batch of A met by a random batch of B (unpaired).

    ``held_out`` = (a, b) rows: their cycle error is measured before training and after every epoch.
    Returns {"cycle": [(epoch, error on A, error on B)], "losses": per-epoch means of train_step's figures}.
    """
    rng = numpy.random.default_rng(seed)
    g_optimizer, d_optimizer = model.optimizers()
    history = {"cycle": [], "losses": []}
    if held_out is not None:
        history["cycle"].append((0, *model.cycle_error(*held_out)))
    for epoch in range(1, epochs + 1):
        order, steps = rng.permutation(len(a)), []
        for start in range(0, len(a) - BATCH + 1, BATCH):
            picked_b = rng.choice(len(b), BATCH, replace=False)
            steps.append(model.train_step(a[order[start:start + BATCH]], b[picked_b], g_optimizer, d_optimizer))
        history["losses"].append({key: float(numpy.mean([s[key] for s in steps])) for key in steps[0]})
        if held_out is not None:
            history["cycle"].append((epoch, *model.cycle_error(*held_out)))
        if on_epoch is not None:
            on_epoch(epoch)
    return history


def translation_accuracy(model, classifiers, held_out, labels):
    """(accuracy of B's classifier on G(a), of A's classifier on F(b)) on the held-out rows, labels of a and b."""
    (classify_a, classify_b), (a, b), (a_labels, b_labels) = classifiers, held_out, labels
    return (common.accuracy(classify_b, model.translate(a, "b"), a_labels),
            common.accuracy(classify_a, model.translate(b, "a"), b_labels))


def _one_per_class(labels):
    """The index of the first example of each digit 0..9."""
    return [int(numpy.flatnonzero(labels == digit)[0]) for digit in range(10)]


def _draw(report, model, history, accuracies, test, held_out, chance, baseline):
    epochs = [row[0] for row in history["cycle"]]
    with report.figure("cyclegan.png", "Left: cycle reconstruction error on held-out images (the digits' test "
                       "split), mean |F(G(a)) - a| and mean |G(F(b)) - b|, before training (epoch 0) and after every "
                       "epoch. Right: a fixed digit classifier of the target domain on the translated held-out "
                       "images, G(a) and F(b); the dotted lines: the same classifiers on the untranslated images of "
                       "the other domain, and chance.", ncols=2, figsize=(11, 4)) as axes:
        if axes is not None:
            axes[0].plot(epochs, [row[1] for row in history["cycle"]], marker=".", label="A: |F(G(a)) - a|")
            axes[0].plot(epochs, [row[2] for row in history["cycle"]], marker=".", label="B: |G(F(b)) - b|")
            axes[0].set(xlabel="epoch", ylabel="mean absolute error per pixel", title="cycle error (held out)",
                        ylim=(0, None))
            axes[1].plot(epochs, [100 * row[1] for row in accuracies], marker=".", label="B's classifier on G(a)")
            axes[1].plot(epochs, [100 * row[2] for row in accuracies], marker=".", label="A's classifier on F(b)")
            axes[1].axhline(100 * baseline[0], color="C0", linestyle=":", label="B's classifier on a (baseline)")
            axes[1].axhline(100 * baseline[1], color="C1", linestyle="--", label="A's classifier on b (baseline)")
            axes[1].axhline(100 * chance, color="black", linestyle=":", label="chance")
            axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="digit kept by the translation", ylim=(0, 100))
            for axis in axes:
                axis.legend(fontsize=8)
                axis.grid(alpha=0.3)
    a, b = held_out
    pick_a, pick_b = _one_per_class(test["a_labels"]), _one_per_class(test["b_labels"])
    with autograd.no_grad():
        a_rows = [a[pick_a], model.G(a[pick_a]), model.F(model.G(a[pick_a]))]
        b_rows = [b[pick_b], model.F(b[pick_b]), model.G(model.F(b[pick_b]))]
    names = ["a (A, held out)", "G(a)", "F(G(a))", "b (B, held out)", "F(b)", "G(F(b))"]
    with report.figure("cyclegan_grid.png", "Held-out digits 0-9 of each domain: a -> G(a) -> F(G(a)) (rows 1-3) "
                       "and b -> F(b) -> G(F(b)) (rows 4-6), after training.", nrows=6, ncols=10,
                       figsize=(10, 6.6)) as axes:
        if axes is not None:
            for row, images in enumerate(a_rows + b_rows):
                pixels = images.numpy().reshape(-1, 8, 8)
                for column in range(10):
                    axis = axes[10 * row + column]
                    axis.imshow(pixels[column], cmap="gray", vmin=0, vmax=1)
                    axis.set(xticks=[], yticks=[])
                    if column == 0:
                        axis.set_ylabel(names[row], fontsize=7)


@experiment("cyclegan", title="CycleGAN: unpaired translation between two domains of digits",
            claim="""Two generators G: A -> B and F: B -> A, each against a discriminator, tied by the
            cycle-consistency loss |F(G(a)) - a| + |G(F(b)) - b|, learn to translate between two domains from
            unpaired examples: the cycle reconstruction error falls, and a fixed digit classifier still recognises
            the digit after translation far above chance (Zhu et al., 2017).""")
def run(report, quick, seed):
    epochs, classifier_epochs = (8, 20) if quick else (50, 40)
    chance = 0.1
    x, y = common.digits(train=True)
    x_test, y_test = common.digits(train=False)
    train_set = make_domains(x.numpy(), y.numpy(), seed)
    test = make_domains(x_test.numpy(), y_test.numpy(), seed + 1)
    a, b = rows(train_set["a"]), rows(train_set["b"])
    held_out = (rows(test["a"]), rows(test["b"]))
    labels = (bp.tensor(test["a_labels"]), bp.tensor(test["b_labels"]))
    overlap = len(numpy.intersect1d(train_set["a_index"], train_set["b_index"]))
    report.setup(f"""Data: UCI's 8x8 digits (offline), pixels in [0, 1]. The {len(y)} training images are cut into two
disjoint halves by a seeded permutation: domain A = the first half as they are ({len(a)} images), domain B = the
second half with strokes thickened by one pixel (each pixel the largest of itself and its 4 neighbours) and
inverted, 1 - x ({len(b)} images); {overlap} images are in both. The {len(y_test)} test images are cut the same way
into held-out A ({len(held_out[0])}) and B ({len(held_out[1])}). The CycleGAN never sees a label nor a pair.

Model: G: A -> B and F: B -> A, each two 3x3 convolutions (1 -> 16 -> 1 channels, ReLU, then sigmoid);
D_A and D_B, each an MLP 64 -> 128 (LeakyReLU 0.2) -> 1 score. Losses: least-squares GAN (D: 1/2[(D(real) - 1)^2 +
D(fake)^2], G: (D(G(a)) - 1)^2, as the paper) plus lambda = {LAMBDA:g} times the L1 cycle loss |F(G(a)) - a| +
|G(F(b)) - b|; no identity loss (the domains differ in brightness, so the identity is no good translation).
Training: {epochs} epochs over A in batches of {BATCH}, each met by a random batch of B; per batch one Adam step of
both generators, then one of both discriminators (learning rate {LR:g}, betas {BETAS}). Seed {seed}.

Classifiers (trained beforehand on labelled training images, fixed afterwards): an MLP 64 -> 128 -> 10 on domain A
and one on domain B, Adam, {classifier_epochs} epochs. The baseline of each is its accuracy on the untranslated
held-out images of the other domain.""")

    classify_a = train_classifier(a, bp.tensor(train_set["a_labels"]), classifier_epochs, seed)
    classify_b = train_classifier(b, bp.tensor(train_set["b_labels"]), classifier_epochs, seed + 1)
    classifiers = (classify_a, classify_b)
    own = (common.accuracy(classify_a, held_out[0], labels[0]), common.accuracy(classify_b, held_out[1], labels[1]))
    baseline = (common.accuracy(classify_b, held_out[0], labels[0]),
                common.accuracy(classify_a, held_out[1], labels[1]))
    exact = common.accuracy(classify_b, rows(to_b(test["a"])), labels[0])  # what a perfect G would score

    creation.manual_seed(seed)
    model = CycleGAN()
    accuracies = [(0, *translation_accuracy(model, classifiers, held_out, labels))]
    history = train(model, a, b, epochs, seed, held_out=held_out, on_epoch=lambda epoch: accuracies.append(
        (epoch, *translation_accuracy(model, classifiers, held_out, labels))))
    start, end = history["cycle"][0], history["cycle"][-1]
    translated = accuracies[-1][1:]

    report.table(["", "A -> B: B's classifier", "B -> A: A's classifier"],
                 [["on its own domain (held out)", f"{100 * own[1]:.1f}%", f"{100 * own[0]:.1f}%"],
                  ["baseline: on the other domain, untranslated", f"{100 * baseline[0]:.1f}%",
                   f"{100 * baseline[1]:.1f}%"],
                  ["on the exact transform to_b(a) (a perfect G; F has none: thickening loses pixels)",
                   f"{100 * exact:.1f}%", "-"],
                  ["on the translation, before training", f"{100 * accuracies[0][1]:.1f}%",
                   f"{100 * accuracies[0][2]:.1f}%"],
                  [f"on the translation after {epochs} epochs: G(a), F(b)", f"{100 * translated[0]:.1f}%",
                   f"{100 * translated[1]:.1f}%"],
                  ["cycle error before training", f"{start[1]:.3f}", f"{start[2]:.3f}"],
                  [f"cycle error after {epochs} epochs", f"{end[1]:.3f}", f"{end[2]:.3f}"]],
                 "Held-out images, chance 10%. Cycle error: mean |F(G(a)) - a| (column A -> B) and mean "
                 "|G(F(b)) - b| (column B -> A) per pixel.")
    report.result("epochs", epochs)
    report.result("overlap", overlap)
    report.result("own_domain_accuracy", {"a": own[0], "b": own[1]})
    report.result("exact_transform_accuracy", exact)
    report.result("baseline_accuracy", {"b_classifier_on_a": baseline[0], "a_classifier_on_b": baseline[1]})
    report.result("translated_accuracy", {"b_classifier_on_G(a)": translated[0], "a_classifier_on_F(b)": translated[1]})
    report.result("accuracy_per_epoch", accuracies)
    report.result("cycle_error", history["cycle"])
    report.result("losses", history["losses"])

    falls = end[1] <= 0.5 * start[1] and end[2] <= 0.5 * start[2]
    recognised = all(t >= 4 * chance and t >= base + 0.2 for t, base in zip(translated, baseline))
    report.text(f"""The held-out cycle error falls from {start[1]:.3f} / {start[2]:.3f} (A / B) before training to
{end[1]:.3f} / {end[2]:.3f} after {epochs} epochs. B's classifier, which reads {100 * own[1]:.1f}% of held-out B
images right and {100 * baseline[0]:.1f}% of untranslated A images, reads {100 * translated[0]:.1f}% of the
translations G(a) right ({100 * exact:.1f}% of the exact transforms to_b(a)); A's classifier ({100 * own[0]:.1f}%
on A, {100 * baseline[1]:.1f}% on untranslated B) reads {100 * translated[1]:.1f}% of F(b) right. On the other
domain's untranslated images each classifier answers one or two classes whatever the digit (below chance: the
brightness alone decides). No pair was shown: the digit survives translation because the
cycle loss makes G keep what F needs to give a back, and the adversarial loss makes G(a) look like B.

Rules of the verdict: the held-out cycle error ends at half its value before training or below, in both directions,
and each classifier's accuracy on the translations is at least {4 * chance:.0%} (four times chance) and at least 20
points above its baseline on the untranslated images.""")
    _draw(report, model, history, accuracies, test, held_out, chance, baseline)
    report.verdict(falls and recognised and overlap == 0,
                   f"held-out cycle error {start[1]:.3f} -> {end[1]:.3f} (A) and {start[2]:.3f} -> {end[2]:.3f} (B) "
                   f"in {epochs} epochs{'' if falls else ' (NOT halved)'}; the digit of G(a) is recognised "
                   f"{100 * translated[0]:.1f}% of the time and of F(b) {100 * translated[1]:.1f}% (chance 10%; "
                   f"the classifiers on the untranslated other domain: {100 * baseline[0]:.1f}% and "
                   f"{100 * baseline[1]:.1f}%).")
