"""Fooling a digit classifier with FGSM and PGD, and training it to hold up: accuracy against eps.

The lecture (Looking inside and fooling): an image moved by

    x~ = x + eps sign(grad_x J(theta, x, y))                     (FGSM, Goodfellow et al. 2015)

with eps = .007 turns "panda" (57.7%) into "gibbon" (99.3%); adversarial
training makes a network hold up. Here on the 8x8 digits, pixels in [0, 1]
(no normalisation, so eps is a share of the pixel range; one of the digits'
17 grey levels is 1/16):

- FGSM: one step of size eps along the sign of the input gradient;
- PGD (Madry et al. 2018), the stronger attack: from a random point of the
  L-inf ball ||x~ - x||_inf <= eps, ``steps`` times
  x~ <- clip(Proj_ball(x~ + alpha sign(grad_x J))), alpha = 2.5 eps / steps;
- adversarial training on FGSM examples (Goodfellow et al. 2015): each step
  minimises J~(theta, x, y) = (1 - w) J(theta, x, y) + w J(theta, x~, y),
  w = 1/2, x~ the FGSM example of the batch at eps_train = 0.1 for the
  current theta.

Both nets, the same MLP trained the same way except for J~, are attacked
with each eps of a grid on the 360 test digits (each attack computed
against the net it is tested on: white box).
"""
import functools

import numpy

from backprop import attacks, creation, data, models, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.tensor import Tensor
from backprop.train import Trainer, metrics

EPS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
TRAIN_EPS = 0.1            # eps of the FGSM examples the robust net trains on
WEIGHT = 0.5               # w in J~ = (1 - w) J(x) + w J(x~)
FOOL_EPS = 1 / 16          # the panda -> gibbon example: one grey level of the digits
MARGIN = 0.20              # verdict: robust net at least this far above the normal net at TRAIN_EPS ...
RANGE, RANGE_MARGIN = (0.05, 0.2), 0.05   # ... and this far at every eps of RANGE
PGD_TOLERANCE = 0.005      # PGD's accuracy at most this above FGSM's: one test digit of 360
MODELS = ("normal", "adversarial")
ATTACKS = ("fgsm", "pgd")


def network(hidden):
    """The 8x8 digit classifier: Flatten -> ReLU layers of the widths ``hidden`` -> 10 logits."""
    return models.mlp((1, 8, 8), 10, hidden=hidden)


def train(x, y, hidden, epochs, seed, adversary=None):
    """A ``network(hidden)`` trained by Adam (lr 1e-3, batches of 32) on (x, y); with ``adversary``
    each step trains on J~ = (1 - w) J(x) + w J(adversary(model, x, y)), w = ``WEIGHT``."""
    creation.manual_seed(seed)
    model = network(hidden)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=32, shuffle=True, seed=seed)
    Trainer(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), loader, epochs=epochs,
            adversary=adversary, adversarial_weight=WEIGHT).fit()
    return model


def attack(name, eps, pgd_steps=10):
    """The attack ``name`` ("fgsm" or "pgd") at ``eps`` as ``attack(model, x, y) -> x~``; None (no attack) at eps 0."""
    if eps == 0:
        return None
    if name == "fgsm":
        return functools.partial(attacks.fgsm, eps=eps)
    if name == "pgd":
        return functools.partial(attacks.pgd, eps=eps, steps=pgd_steps)
    raise ValueError(f"attack: expected 'fgsm' or 'pgd', got {name!r}")


def accuracy_curves(model, x, y, eps_grid=EPS, pgd_steps=10, seed=0):
    """{"fgsm": [...], "pgd": [...]}: the accuracy of ``model`` on (x, y) attacked at each eps of ``eps_grid``.

    PGD's random starts are drawn after ``bp.manual_seed(seed)``, so the curves repeat.
    """
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=len(y))
    curves = {}
    for name in ATTACKS:
        creation.manual_seed(seed)
        curves[name] = [attacks.robust_accuracy(model, loader, attack(name, eps, pgd_steps)) for eps in eps_grid]
    return curves


def confidences(model, x):
    """softmax(z(x)): the class probabilities of ``model`` for each example of ``x`` (a Tensor or an array; eval
    mode), a NumPy array."""
    return metrics.probabilities(common.predict(model, x if isinstance(x, Tensor) else creation.tensor(x)))


def fooling_example(model, x, y, eps=FOOL_EPS):
    """The panda -> gibbon of the digits: FGSM at ``eps`` on every example, and the one picked to show.

    Picked: among the examples the model classifies correctly and FGSM makes
    it misclassify, the one whose wrong class gets the highest probability.
    Returns a dict: ``fooled`` (share of the correctly classified examples
    whose class FGSM changes), ``index`` (None if none is fooled), ``image``,
    ``adversarial``, ``perturbation`` (arrays of the example's shape), the
    true ``label``, the class and probability before (``label_before``,
    ``confidence_before``) and after (``label_after``, ``confidence_after``).
    """
    adversarial = attacks.fgsm(model, x, y, eps)
    before, after = confidences(model, x), confidences(model, adversarial)
    adversarial = adversarial.numpy()
    labels = y.numpy()
    right = before.argmax(1) == labels
    fooled = right & (after.argmax(1) != labels)
    found = {"fooled": float(fooled.sum() / max(right.sum(), 1)), "index": None}
    if not fooled.any():
        return found
    index = int(numpy.flatnonzero(fooled)[after[fooled].max(1).argmax()])
    image = x.numpy()[index]
    found.update(index=index, image=image, adversarial=adversarial[index], perturbation=adversarial[index] - image,
                 label=int(labels[index]), label_before=int(before[index].argmax()),
                 confidence_before=float(before[index].max()), label_after=int(after[index].argmax()),
                 confidence_after=float(after[index].max()))
    return found


def margins(curves):
    """The robust net's accuracy minus the normal net's at each eps, per attack: {attack: [...]}."""
    return {name: [a - n for a, n in zip(curves["adversarial"][name], curves["normal"][name], strict=True)]
            for name in ATTACKS}


def holds_up(curves, eps_grid=EPS, train_eps=TRAIN_EPS, margin=MARGIN, band=RANGE, band_margin=RANGE_MARGIN):
    """Whether the robust net beats the normal net by >= ``margin`` under both attacks at ``train_eps`` and by
    >= ``band_margin`` at every eps in ``band`` (inclusive)."""
    gaps = margins(curves)
    at_train = eps_grid.index(train_eps)
    return all(gaps[name][at_train] >= margin and all(gaps[name][i] >= band_margin for i in in_band(eps_grid, band))
               for name in ATTACKS)


def in_band(eps_grid, band=RANGE):
    """The indices of the eps of ``eps_grid`` in ``band`` = (low, high), both ends included."""
    return [i for i, eps in enumerate(eps_grid) if band[0] <= eps <= band[1]]


def pgd_is_stronger(curves, tolerance=PGD_TOLERANCE):
    """Whether PGD's accuracy is <= FGSM's + ``tolerance`` at every eps, for every net in ``curves``
    ({net: {attack: [...]}}).

    The tolerance because PGD is a local search from a random start: on an
    example where FGSM's one long step crosses the decision boundary, PGD's
    short steps may stop short of it, so no theorem puts PGD's accuracy below
    FGSM's, only experience (Madry et al. 2018).
    """
    return all(p <= f + tolerance for net in curves.values() for p, f in zip(net["pgd"], net["fgsm"], strict=True))


def _mean(runs):
    """The mean over seeds of a list of {net: {attack: [accuracy per eps]}}."""
    return {net: {name: numpy.mean([run[net][name] for run in runs], axis=0).tolist() for name in ATTACKS}
            for net in MODELS}


@experiment("adversarial", title="Adversarial examples: FGSM and PGD against a normally and an adversarially "
                                 "trained net",
            claim="An image moved by x + eps sign(grad_x J(theta, x, y)) with a tiny eps (.007) fools a network: "
                  "'panda' (57.7%) becomes 'gibbon' (99.3%). Adversarial training makes the network hold up.")
def run(report, quick, seed):
    hidden, epochs, seeds, pgd_steps = ((128, 128), 15, 1, 10) if quick else ((256, 256), 60, 6, 20)
    x, y = common.digits()
    x_test, y_test = common.digits(train=False)
    report.setup(f"""
Data: UCI's 8x8 digits, pixels in [0, 1] (no normalisation, so eps is a share of the pixel range; the
digits have 17 grey levels, one level = 1/16), {len(y)} training and {len(y_test)} test images. Net: an MLP
64 -> {' -> '.join(map(str, hidden))} ReLU -> 10 logits. Training: Adam, lr 1e-3, batches of 32, {epochs} epochs,
`bp.train.Trainer`. The *normal* net minimises the cross-entropy J; the *adversarial* net (Goodfellow et al. 2015)
minimises J~ = (1 - w) J(x) + w J(x~) with w = {WEIGHT} and x~ the FGSM example of each batch at eps_train =
{TRAIN_EPS} (`Trainer(adversary=partial(fgsm, eps={TRAIN_EPS}), adversarial_weight={WEIGHT})`). Attacks on the 360
test images, white box (computed against the net they test): FGSM x + eps sign(grad_x J) and PGD (random start in the
L-inf eps-ball, {pgd_steps} steps of alpha = 2.5 eps / {pgd_steps}, projected and clipped to [0, 1] after each),
`backprop.attacks`; eps = {', '.join(map(str, EPS))}. Seeds {', '.join(map(str, range(seed, seed + seeds)))}
(each trains both nets and draws PGD's random starts); the tables show the mean over seeds, the verdict asks for
every seed.""")
    runs, nets = [], {}
    for s in range(seed, seed + seeds):
        nets = {"normal": train(x, y, hidden, epochs, s),
                "adversarial": train(x, y, hidden, epochs, s, adversary=functools.partial(attacks.fgsm, eps=TRAIN_EPS))}
        runs.append({net: accuracy_curves(model, x_test, y_test, EPS, pgd_steps, s) for net, model in nets.items()})
    curves = report.result("accuracy", _mean(runs))
    report.result("eps", EPS)
    report.table(["net", "clean test accuracy %"], [[net, 100 * curves[net]["fgsm"][0]] for net in MODELS])
    report.table(["eps"] + [f"{net}, {name} %" for net in MODELS for name in ATTACKS],
                 [[eps] + [100 * curves[net][name][i] for net in MODELS for name in ATTACKS]
                  for i, eps in enumerate(EPS)],
                 caption=f"Test accuracy under attack, mean over {seeds} seed{'s' if seeds > 1 else ''}.")
    example = _fooling(report, nets)
    _draw(report, curves, example)
    _verdict(report, runs, curves, example)


def _verdict(report, runs, curves, example):
    """Reproduced when, in every seed, the robust net holds up (``holds_up``) and PGD is the stronger attack
    (``pgd_is_stronger``) for both nets, and FGSM fooled the normal net on a digit to show."""
    holds = report.result("holds_up_per_seed", [holds_up(run) for run in runs])
    stronger = report.result("pgd_stronger_per_seed", [pgd_is_stronger(run) for run in runs])
    smallest = report.result("smallest_gap_per_seed", [min(gap[i] for gap in margins(run).values()
                                                           for i in in_band(EPS)) for run in runs])
    excess = report.result("largest_pgd_excess", max(p - f for run in runs for net in run.values()
                                                     for p, f in zip(net["pgd"], net["fgsm"], strict=True)))
    at = EPS.index(TRAIN_EPS)
    kept = {net: f"{100 * curves[net]['fgsm'][at]:.1f}% (FGSM) and {100 * curves[net]['pgd'][at]:.1f}% (PGD)"
            for net in MODELS}
    report.verdict(all(holds) and all(stronger) and example["index"] is not None,
                   f"at eps = {TRAIN_EPS} the adversarially trained net keeps {kept['adversarial']} of the test "
                   f"digits, the normal net {kept['normal']} (mean over seeds); smallest gap at an eps in "
                   f"[{RANGE[0]}, {RANGE[1]}] in any seed: {100 * min(smallest):.1f} points; largest PGD minus FGSM "
                   f"accuracy: {100 * excess:+.2f} points; FGSM at eps = 1/16 fools the normal net on "
                   f"{100 * example['fooled']:.0f}% of the digits it got right (criterion, in every seed: gap >= "
                   f"{100 * MARGIN:.0f} points under both attacks at eps = {TRAIN_EPS} and >= "
                   f"{100 * RANGE_MARGIN:.0f} at every eps in [{RANGE[0]}, {RANGE[1]}]; PGD's accuracy <= FGSM's + "
                   f"{100 * PGD_TOLERANCE:.1f} points for both nets at every eps; a fooled digit to show)")


def _fooling(report, nets):
    """The panda -> gibbon example on the last seed's normal net, with the robust net's answer to the same image."""
    x_test, y_test = common.digits(train=False)
    example = fooling_example(nets["normal"], x_test, y_test)
    report.result("fooling", {k: v for k, v in example.items() if not isinstance(v, numpy.ndarray)})
    if example["index"] is None:
        report.text("FGSM at eps = 1/16 fooled the normal net on no test digit.")
        return example
    index, robust = example["index"], nets["adversarial"]
    digit, label = x_test[index:index + 1], y_test[index:index + 1]
    before = confidences(robust, digit)[0]
    after = confidences(robust, attacks.fgsm(robust, digit, label, FOOL_EPS))[0]
    robust_answers = {"label_before": int(before.argmax()), "confidence_before": float(before.max()),
                      "label_after": int(after.argmax()), "confidence_after": float(after.max()),
                      "fooled": fooling_example(robust, x_test, y_test)["fooled"]}
    report.result("fooling_robust", robust_answers)
    rows = [[net, f"{found['label_before']} ({100 * found['confidence_before']:.1f}%)",
             f"{found['label_after']} ({100 * found['confidence_after']:.1f}%)"]
            for net, found in (("normal", example), ("adversarial", robust_answers))]
    report.table(["net", "test digit: class (confidence)", "x + 1/16 sign(grad_x J): class (confidence)"], rows,
                 caption=f"The lecture's panda -> gibbon in miniature: test digit {index} (a {example['label']}), "
                         f"each pixel moved by one grey level (eps = 1/16) along the sign of the gradient of the "
                         f"loss of the net in that row. The digit is the one whose wrong class gets the highest "
                         f"probability among the {100 * example['fooled']:.0f}% of correctly classified test digits "
                         f"that FGSM makes the normal net misclassify (the adversarially trained net: "
                         f"{100 * robust_answers['fooled']:.0f}% of the test digits it gets right).")
    return example


def _draw(report, curves, example):
    with report.figure("adversarial.png", "Left: test accuracy against eps (solid: FGSM, dashed: PGD; blue: normal "
                       "net, orange: adversarially trained at eps = 0.1). Right: a test digit, its FGSM perturbation "
                       "at eps = 1/16 and the adversarial image, with the normal net's labels and confidences",
                       ncols=4, figsize=(15, 3.4)) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        plot = axes[0]
        for net, colour in zip(MODELS, ("C0", "C1"), strict=True):
            for name, style in (("fgsm", "-o"), ("pgd", "--s")):
                plot.plot(EPS, [100 * a for a in curves[net][name]], style, color=colour, ms=3,
                          label=f"{net}, {name.upper()}")
        plot.axvline(TRAIN_EPS, color="grey", linewidth=0.8, linestyle=":")
        plot.set(xlabel="eps", ylabel="test accuracy %", ylim=(0, 100))
        plot.legend(fontsize=7)
        if example["index"] is None:
            return
        def answer(when):
            return f"{example['label_' + when]} ({100 * example['confidence_' + when]:.1f}%)"
        panels = ((example["image"], f"original: {answer('before')}", "gray"),
                  (example["perturbation"], "perturbation x~ - x (eps = 1/16)", "bwr"),
                  (example["adversarial"], f"adversarial: {answer('after')}", "gray"))
        for ax, (image, title, cmap) in zip(axes[1:], panels, strict=True):
            limits = (-FOOL_EPS, FOOL_EPS) if cmap == "bwr" else (0, 1)
            ax.imshow(image[0], cmap=cmap, vmin=limits[0], vmax=limits[1])
            ax.set_title(title, fontsize=9)
            ax.set_axis_off()
