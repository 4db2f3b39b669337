"""``backprop attack CHECKPOINT``: a trained model's accuracy on its test set, clean and under attack."""
import os

import numpy

from backprop import autograd, creation

__all__ = ["attack_checkpoint"]


def _probabilities(model, x):
    from backprop.train import metrics

    with autograd.no_grad():
        return metrics.probabilities(model(x).numpy())


def attack_checkpoint(checkpoint, method="fgsm", eps=0.1, *, alpha=None, steps=10, out=None, examples=8,
                      root=None, download=False, seed=0):
    """Clean and attacked test accuracy of a checkpoint's model; a grid of examples saved as a PNG.

    ``eps`` (and PGD's ``alpha``) are in raw pixels, images being in [0, 1]: the attack moves each pixel by at
    most eps whatever the run's normalisation. The grid shows, for the first ``examples`` test images, the
    original, the perturbation x_adv - x and the adversarial image with the predicted labels and confidences.
    Returns a dict: ``clean_accuracy``, ``attacked_accuracy``, ``n``, ``path``.
    """
    from backprop.attacks import robust_accuracy
    from backprop.train import run

    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    if examples < 1:
        raise ValueError(f"examples (images in the grid) must be >= 1, got {examples}")
    model, config, info = run.load_model(checkpoint)
    run.require_images(info, "attack perturbs pixels in [0, 1]")
    loader = run.load_test_set(config, root, download)
    attack = run.attack(config, method, eps, alpha, steps)
    with creation.fork_rng(seed):  # PGD's random start, leaving the caller's generator alone
        clean = robust_accuracy(model, loader)
        attacked = robust_accuracy(model, loader, attack)
        x, y = next(iter(loader))
        x, y = x[:examples], y[:examples]
        x_adv = attack(model, x, y)
    path = out or os.path.join(os.path.dirname(os.path.abspath(checkpoint)), f"attack-{method}-eps{eps:g}.png")
    scale, _, _ = run.pixel_space(config)
    mean = numpy.asarray(config["mean"], dtype=numpy.float32).reshape(-1, 1, 1)
    _grid(x.numpy() / scale + mean, x_adv.numpy() / scale + mean, y.numpy(), _probabilities(model, x),
          _probabilities(model, x_adv), info.classes, f"{method} eps={eps:g}", path)
    return {"clean_accuracy": clean, "attacked_accuracy": attacked, "n": len(loader.dataset), "path": path}


def _grid(original, adversarial, labels, p_original, p_adversarial, classes, title, path):
    """Three rows (original, perturbation, adversarial), one column per example; wrong predictions in red."""
    from backprop.train import plots

    n = len(original)
    figure, axes = plots._pyplot().subplots(3, n, figsize=(1.4 * n + 0.6, 4.8), squeeze=False)
    perturbation = adversarial - original
    limit = float(numpy.abs(perturbation).max()) or 1.0
    for k in range(n):
        for row, (images, p) in enumerate(((original, p_original), (adversarial, p_adversarial))):
            axis = axes[2 * row, k]
            axis.imshow(_show(images[k]), cmap="gray", vmin=0, vmax=1)
            guess = int(p[k].argmax())
            plots.label_prediction(axis, classes, guess, p[k, guess], labels[k])
        axes[1, k].imshow(perturbation[k].mean(axis=0), cmap="bwr", vmin=-limit, vmax=limit)
        for row in range(3):
            axes[row, k].axis("off")
    for row, name in enumerate(("original", "perturbation", "adversarial")):
        axes[row, 0].text(-0.15, 0.5, name, transform=axes[row, 0].transAxes, rotation=90, va="center", ha="right")
    figure.suptitle(title, fontsize=10)
    return plots._save(figure, path)


def _show(image):
    """(C, H, W) -> (H, W) grey or (H, W, 3) colour, in [0, 1] (not rescaled, so that eps stays visible)."""
    image = numpy.clip(image, 0.0, 1.0)
    return image[0] if image.shape[0] == 1 else numpy.moveaxis(image[:3], 0, -1)
