"""SimCLR-style contrastive pretraining on the 8x8 digits without labels, then a linear probe on few labels.

The lecture (applications): contrastive learning learns a representation
from unlabelled data by asking two augmented views of the same image to map
close together and views of different images far apart (Chen, Kornblith,
Norouzi and Hinton 2020, SimCLR). Each image x_k of a batch of N is
augmented twice, v_k = t(x_k) and v_{k+N} = t'(x_k); an encoder f gives
h = f(v), a projection head g gives z = g(h), and the NT-Xent loss
(normalised temperature-scaled cross-entropy) over the 2N views is

    s_ij = z_i . z_j / (||z_i|| ||z_j|| tau)
    loss = -1/(2N) sum_i log( exp(s_{i p(i)}) / sum_{j != i} exp(s_ij) ),

p(i) the other view of the same image (i + N mod 2N): a softmax
classification of each view's partner among the 2N - 1 other views.

After pretraining the head is dropped and the encoder frozen; a linear probe
(multinomial logistic regression) on h is trained with 1% or 10% of the
training labels. It is compared with the same probe on the raw pixels and on
the features of a randomly initialised encoder of the same shape, on the same
labelled subsets.
"""
import math

import numpy

from backprop import creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.nn import functional
from backprop.tensor import Tensor

CHANNELS, FEATURES, PROJECTION = 16, 128, 64
TEMPERATURE = 0.5
BATCH = 128                        # images per pretraining batch: 2 * BATCH views
FRACTIONS = [0.01, 0.02, 0.05, 0.1, 1.0]
JUDGED = [0.01, 0.1]               # the claim is judged at 1% and 10% of the labels
METHODS = ["contrastive", "pixels", "random"]
LABELS = {"contrastive": "contrastive encoder (SimCLR)", "pixels": "raw pixels",
          "random": "random encoder (same shape)"}


def nt_xent(z, temperature=TEMPERATURE):
    """NT-Xent over 2N projections ``z`` (2N, d) whose rows k and k + N are the two views of image k.

    s_ij = cos(z_i, z_j) / tau; each row i is a softmax classification of its
    partner p(i) = i + N mod 2N among the other 2N - 1 rows (s_ii is masked
    out with -inf); the loss is the mean cross-entropy over the 2N rows.
    """
    if z.dim() != 2 or z.shape[0] % 2:
        raise ValueError(f"nt_xent expects projections (2N, d) with the two views stacked, got shape "
                         f"{tuple(z.shape)}")
    rows = z.shape[0]
    unit = functional.normalize(z, dim=1)
    similarity = unit @ unit.t() / temperature
    self_pairs = Tensor._make(numpy.eye(rows, dtype=bool))
    similarity = similarity.masked_fill(self_pairs, -math.inf)
    partner = Tensor._make((numpy.arange(rows) + rows // 2) % rows)
    return functional.cross_entropy(similarity, partner)


# ---- augmentations: two random views of each image, in NumPy, from a seeded Generator ----

def _bilinear_sample(images, rows, cols):
    """images (N, H, W) read at the real positions (rows, cols) (N, H, W) by bilinear interpolation, 0 outside."""
    n, height, width = images.shape
    padded = numpy.pad(images, ((0, 0), (1, 1), (1, 1)))
    rows, cols = numpy.clip(rows + 1, 0, height + 1), numpy.clip(cols + 1, 0, width + 1)
    top, left = numpy.floor(rows).astype(int), numpy.floor(cols).astype(int)
    bottom, right = numpy.minimum(top + 1, height + 1), numpy.minimum(left + 1, width + 1)
    dy, dx = rows - top, cols - left
    index = numpy.arange(n)[:, None, None]
    return ((1 - dy) * (1 - dx) * padded[index, top, left] + (1 - dy) * dx * padded[index, top, right]
            + dy * (1 - dx) * padded[index, bottom, left] + dy * dx * padded[index, bottom, right])


def random_affine(images, rng, degrees=15.0, scale=(0.9, 1.1), shift=1.0):
    """Each image (N, H, W) rotated by U(-degrees, degrees), scaled by U(*scale) and shifted by U(-shift, shift)
    pixels in each direction about its centre (bilinear, zeros outside)."""
    n, height, width = images.shape
    angle = numpy.deg2rad(rng.uniform(-degrees, degrees, n))[:, None, None]
    factor = rng.uniform(*scale, n)[:, None, None]
    move = rng.uniform(-shift, shift, (2, n))[:, :, None, None]
    centre_y, centre_x = (height - 1) / 2, (width - 1) / 2
    y, x = numpy.meshgrid(numpy.arange(height) - centre_y, numpy.arange(width) - centre_x, indexing="ij")
    y, x = y - move[0], x - move[1]
    # the output pixel (y, x) reads the input at the inverse map: rotate back, divide by the scale
    cos, sin = numpy.cos(angle), numpy.sin(angle)
    source_y = (cos * y - sin * x) / factor + centre_y
    source_x = (sin * y + cos * x) / factor + centre_x
    return _bilinear_sample(images, source_y, source_x)


def _neighbourhood(images, reduce):
    """The max or min of each pixel and its four neighbours (a cross; zeros beyond the border)."""
    padded = numpy.pad(images, ((0, 0), (1, 1), (1, 1)))
    centre = padded[:, 1:-1, 1:-1]
    stack = [centre, padded[:, :-2, 1:-1], padded[:, 2:, 1:-1], padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]
    return reduce(numpy.stack(stack), axis=0)


def stroke_thickness(images, rng, strength=0.5):
    """Thicker or thinner strokes: x + a (dilate(x) - x) for a > 0, x + |a| (erode(x) - x) for a < 0,
    a ~ U(-strength, strength) per image (grey-level dilation and erosion over a cross)."""
    a = rng.uniform(-strength, strength, len(images))[:, None, None]
    target = numpy.where(a > 0, _neighbourhood(images, numpy.max), _neighbourhood(images, numpy.min))
    return images + numpy.abs(a) * (target - images)


def augment(images, rng, noise=0.05):
    """One random view of each image (N, 1, H, W) in [0, 1]: an affine jitter, a stroke thickness change and
    Gaussian pixel noise N(0, noise^2), clipped to [0, 1]; float32 (N, 1, H, W)."""
    view = random_affine(images[:, 0].astype(numpy.float64), rng)
    view = stroke_thickness(view, rng)
    view = view + rng.normal(0.0, noise, view.shape)
    return numpy.clip(view, 0.0, 1.0).astype(numpy.float32)[:, None]


# ---- the encoder, its pretraining, the probe ----

def encoder():
    """f: a small CNN, 8x8 image -> 128 features: Conv2d(1, 16, 3, padding 1), ReLU, Conv2d(16, 32, 3, stride 2,
    padding 1) (to 4x4), ReLU, Flatten, Linear(512, 128), ReLU."""
    return nn.Sequential(nn.Conv2d(1, CHANNELS, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(CHANNELS, 2 * CHANNELS, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(2 * CHANNELS * 16, FEATURES), nn.ReLU())


def projection_head():
    """g: 128 features -> 64-dimensional projection z, Linear, ReLU, Linear (used only by the loss)."""
    return nn.Sequential(nn.Linear(FEATURES, FEATURES), nn.ReLU(), nn.Linear(FEATURES, PROJECTION))


def pretrain(images, epochs, seed, batch_size=BATCH, lr=1e-3, temperature=TEMPERATURE):
    """SimCLR on the unlabelled ``images`` (N, 1, 8, 8) array: returns the encoder and the mean NT-Xent per epoch.

    Every epoch shuffles the images; every batch is augmented twice afresh.
    """
    creation.manual_seed(seed)
    f, g = encoder(), projection_head()
    model = nn.Sequential(f, g)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = numpy.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order, total, count = rng.permutation(len(images)), 0.0, 0
        for start in range(0, len(images) - batch_size + 1, batch_size):   # full batches: 2N views each time
            batch = images[order[start:start + batch_size]]
            views = numpy.concatenate([augment(batch, rng), augment(batch, rng)])
            loss = nt_xent(model(Tensor._make(views)), temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item(), count + 1
        losses.append(total / count)
    return f, losses


def features(model, images):
    """The frozen encoder's features of ``images`` as an array (N, d); ``model=None`` gives the raw pixels."""
    if model is None:
        return images.reshape(len(images), -1).astype(numpy.float32)
    return common.predict(model, Tensor._make(images))


def probe(train_x, train_y, test_x, test_y, steps=300, lr=0.05, weight_decay=1e-3):
    """A linear probe: multinomial logistic regression on standardised features (statistics from ``train_x``'s
    reference, see ``standardise``), full-batch Adam on the cross-entropy plus weight_decay ||W||^2 / 2;
    returns the test accuracy."""
    creation.manual_seed(0)
    layer = nn.Linear(train_x.shape[1], 10)
    # Adam's weight_decay adds weight_decay W to the gradient: the penalty's, on the weights alone
    optimizer = optim.Adam([{"params": [layer.weight], "weight_decay": weight_decay}, {"params": [layer.bias]}],
                           lr=lr)
    common.fit(layer, optimizer, nn.CrossEntropyLoss(), Tensor._make(train_x), Tensor._make(train_y), steps)
    return common.accuracy(layer, Tensor._make(test_x), Tensor._make(test_y))


def standardise(reference, *arrays):
    """Each of ``arrays`` with every feature shifted and scaled by the mean and std over ``reference`` (the
    unlabelled training set, which every method sees in full); constant features stay 0."""
    mean, std = reference.mean(axis=0), reference.std(axis=0)
    std = numpy.where(std > 1e-6, std, 1.0)
    return [((a - mean) / std).astype(numpy.float32) for a in arrays]


def labelled_subset(labels, fraction, seed):
    """Indices of round(fraction * N) training examples, stratified over the ten classes (at least one each)."""
    return common.stratified(labels, max(10, int(round(fraction * len(labels)))), seed)


def measure(fractions, seeds, epochs, draws=3):
    """Probe test accuracy {method: array (len(fractions), len(seeds))}, each the mean over ``draws`` labelled
    subsets (one where the fraction is 1), the NT-Xent curves per seed and the subset sizes.

    The random encoder is drawn under the same seed as the contrastive one before its pretraining: it is the
    contrastive encoder's own starting point."""
    x, y = common.digits()
    x_test, y_test = common.digits(train=False)
    images, labels = x.numpy(), y.numpy()
    test_images, test_labels = x_test.numpy(), y_test.numpy()
    found = {m: numpy.zeros((len(fractions), len(seeds))) for m in METHODS}
    curves, sizes = [], [len(labelled_subset(labels, f, 0)) for f in fractions]
    for j, seed in enumerate(seeds):
        trained, losses = pretrain(images, epochs, seed)
        curves.append(losses)
        creation.manual_seed(seed)
        encoders = {"contrastive": trained, "pixels": None, "random": encoder()}
        for method, model in encoders.items():
            train_f, test_f = features(model, images), features(model, test_images)
            train_f, test_f = standardise(train_f, train_f, test_f)
            for i, fraction in enumerate(fractions):
                count = draws if fraction < 1 else 1
                subsets = [labelled_subset(labels, fraction, 100 * seed + d) for d in range(count)]
                found[method][i, j] = numpy.mean([probe(train_f[index], labels[index], test_f, test_labels)
                                                  for index in subsets])
    return found, curves, sizes


@experiment("contrastive", title="Contrastive pretraining (SimCLR) and a linear probe on few labels",
            claim="Contrastive learning (SimCLR: two augmented views of each image, the NT-Xent loss) learns "
                  "features without labels on which a linear classifier trained with 1% or 10% of the labels "
                  "beats a linear classifier on the raw pixels and one on a randomly initialised encoder.")
def run(report, quick, seed):
    fractions = JUDGED if quick else FRACTIONS
    seeds = [seed] if quick else [seed + s for s in range(5)]
    epochs = 15 if quick else 30
    labels = common.digits()[1].numpy()
    sizes = [len(labelled_subset(labels, f, 0)) for f in fractions]
    report.setup(f"""
Data: UCI's 8x8 digits, the 1437 training images without labels for pretraining, {sizes} of them with labels
(fractions {fractions}, stratified, three draws per seed, their mean accuracy counting as the seed's) for the
probe, the 360 test images for accuracy. Views: each image augmented twice, independently: a random affine map
(rotation U(±15°), scale U(0.9, 1.1), shift U(±1) pixel, bilinear), a stroke thickness change (grey dilation or
erosion over a cross, mixed in with weight U(-0.5, 0.5)) and Gaussian noise (σ = 0.05), clipped to [0, 1].
Encoder f: a small CNN, conv 3x3 1 -> {CHANNELS} channels, ReLU, conv 3x3 stride 2 {CHANNELS} -> {2 * CHANNELS}
(8x8 -> 4x4), ReLU, linear {2 * CHANNELS * 16} -> {FEATURES}, ReLU; projection head g: {FEATURES} -> {FEATURES}
-> {PROJECTION}. Pretraining: NT-Xent (τ = {TEMPERATURE}) over the 2N views of batches of N = {BATCH}, Adam lr 1e-3,
{epochs} epochs. Probe: the head dropped, f frozen, its {FEATURES} features standardised with the statistics of
the whole unlabelled training set, a linear softmax classifier trained full-batch (Adam lr 0.05, 300 steps, L2
1e-3 on the weights). The same probe on the 64 standardised raw pixels, and on the features of a randomly
initialised f (torch's default initialisation: the contrastive encoder's own starting point). Seeds {seeds}
(pretraining, augmentations, label draws).""")
    found, curves, sizes = measure(fractions, seeds, epochs)
    report.result("fractions", fractions)
    report.result("labelled_examples", sizes)
    report.result("accuracy", found)
    report.result("nt_xent", curves)
    mean = {m: found[m].mean(axis=1) for m in METHODS}
    rows = [[LABELS[m]] + [f"{100 * a:.1f} ± {100 * s:.1f}" for a, s in zip(mean[m], found[m].std(axis=1))]
            for m in METHODS]
    report.table(["features"] + [f"{100 * f:g}% ({n} labels)" for f, n in zip(fractions, sizes)], rows,
                 caption=f"Linear-probe test accuracy % (mean ± std over {len(seeds)} seeds)")
    report.text(f"NT-Xent fell from {curves[0][0]:.3f} to {curves[0][-1]:.3f} over {epochs} epochs (first seed; "
                f"log(2N - 1) = {math.log(2 * BATCH - 1):.3f} is chance).")
    _draw(report, fractions, sizes, found, curves)
    judged = [fractions.index(f) for f in JUDGED]
    margins = {f"{100 * fractions[i]:g}%": {other: float(mean["contrastive"][i] - mean[other][i])
                                             for other in ("pixels", "random")} for i in judged}
    report.result("margins", margins)
    wins = {f"{100 * fractions[i]:g}%": {other: int((found["contrastive"][i] > found[other][i]).sum())
                                          for other in ("pixels", "random")} for i in judged}
    report.result("seeds_won", wins)
    report.text("Seeds on which the contrastive probe beats the other (same labelled subsets): " + "; ".join(
        f"at {key}, {won['pixels']} of {len(seeds)} against raw pixels and {won['random']} of {len(seeds)} against "
        f"the random encoder" for key, won in wins.items()) + ".")
    reproduced = all(m > 0 for gap in margins.values() for m in gap.values())
    parts = [f"at {key} of the labels the contrastive features reach {100 * mean['contrastive'][i]:.1f}% against "
             f"{100 * mean['pixels'][i]:.1f}% on raw pixels and {100 * mean['random'][i]:.1f}% on a random encoder"
             for key, i in zip(margins, judged)]
    report.verdict(reproduced, "; ".join(parts) + f" (mean over {len(seeds)} seed{'s' * (len(seeds) > 1)})")


def _draw(report, fractions, sizes, found, curves):
    styles = {"contrastive": ("o", "C0"), "pixels": ("s", "C1"), "random": ("^", "C2")}
    with report.figure("contrastive.png", "Left: linear-probe test accuracy against the fraction of training labels "
                       "(mean over seeds, bars: min to max). Right: the NT-Xent loss per pretraining epoch (each "
                       "seed)", ncols=2) as axes:
        if axes is None:
            return
        accuracy, loss = axes
        for method in METHODS:
            values = 100 * found[method]
            middle = values.mean(axis=1)
            marker, colour = styles[method]
            accuracy.errorbar(fractions, middle, yerr=[middle - values.min(axis=1), values.max(axis=1) - middle],
                              marker=marker, color=colour, ms=4, capsize=2, label=LABELS[method])
        accuracy.set_xscale("log")
        accuracy.set_xticks(fractions, [f"{100 * f:g}%\n({n})" for f, n in zip(fractions, sizes)])
        accuracy.minorticks_off()
        accuracy.set(xlabel="labelled training examples", ylabel="test accuracy %")
        accuracy.legend(fontsize=7)
        for losses in curves:
            loss.plot(range(1, len(losses) + 1), losses, color="C0", alpha=0.7)
        loss.set(xlabel="pretraining epoch", ylabel="NT-Xent")
