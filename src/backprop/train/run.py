"""A whole run from a plain config: the work behind ``backprop train``, ``evaluate`` and ``predict``.

The config is a dict of JSON-able values (model, dataset, optimiser, schedule,
seed, ...); it is stored in every checkpoint, so a checkpoint alone is enough
to rebuild its model and data and to resume its run.
"""
import copy
import functools
import json
import os

import numpy

from backprop import autograd, creation, data, files, nn, optim
from backprop.data.images import load_image
from backprop.train import metrics
from backprop.train.callbacks import EarlyStopping
from backprop.train.checkpoint import load_checkpoint
from backprop.train.trainer import CHECKPOINT, Trainer

__all__ = ["DEFAULTS", "OPTIMIZERS", "SCHEDULES", "ATTACKS", "FEATURE_MODELS", "RUN_FILES", "train", "resume_point",
           "resume_conflicts", "RESUME_CHANGES", "run_files", "describe_run", "clear_run", "finish",
           "build_trainer", "evaluate", "predict", "build_model", "check_task", "default_model", "is_images", "require_images",
           "make_config", "load_model", "load_image", "load_test_set", "normalizer",
           "pixel_space", "attack"]

DEFAULTS = {
    "model": "cnn", "model_options": {}, "dataset": "digits", "root": None, "download": False,
    "epochs": 30, "batch_size": 32, "optimizer": "adam", "lr": 2e-3, "momentum": 0.9, "nesterov": False,
    "weight_decay": 0.0, "schedule": "cosine", "step_size": 10, "gamma": 0.1, "milestones": [],
    "val_fraction": 0.1, "augment": True, "clip_grad_norm": None, "max_norm": None, "early_stopping": None,
    "seed": 0, "out": None, "name": None, "device": None,
    "adversarial": None, "adversarial_eps": 0.1, "adversarial_weight": 0.5,
    "world_size": 1,  # processes of a data-parallel run (backprop.distributed); batch_size is per process
}
OPTIMIZERS = ("sgd", "adam", "adamw", "adagrad", "rmsprop")
SCHEDULES = ("none", "step", "multistep", "exponential", "cosine", "warmup", "plateau")
ATTACKS = ("fgsm", "pgd")
FEATURE_MODELS = ("mlp",)  # the models of the zoo that take a feature vector (the others want images)


def is_images(info):
    """Whether a dataset's samples are images (C, H, W) rather than feature vectors (D,)."""
    return len(info.input_shape) == 3


def require_images(info, what):
    """A ValueError unless the dataset's samples are images: ``what`` (e.g. "explain draws a heat map over an
    image") cannot be done with feature vectors."""
    if not is_images(info):
        raise ValueError(f"{what}, but the samples of {info.name} are vectors of {info.input_shape[0]} features")


def default_model(dataset):
    """The model a run gets when none is named: DEFAULTS["model"] (the CNN) for images, an MLP for feature vectors.

    >>> default_model("digits"), default_model("spirals")
    ('cnn', 'mlp')
    """
    if dataset in data.datasets.names() and not is_images(data.datasets.info(dataset)):
        return FEATURE_MODELS[0]
    return DEFAULTS["model"]


def check_task(config, info):
    """A ValueError when the run cannot be trained: a regression dataset (runs here train classifiers), an image
    model, or adversarial training (which attacks pixels in [0, 1]), on feature vectors."""
    name, model = info.name, config["model"]
    if not info.num_classes:
        raise ValueError(f"{name} is a regression dataset; backprop train trains classifiers (see docs/train.md "
                         f"for training a regression model in Python)")
    if is_images(info):
        return
    if model not in FEATURE_MODELS:
        raise ValueError(f"model {model!r} takes images (C, H, W), but {name}'s samples are vectors of "
                         f"{info.input_shape[0]} features: use --model {' or '.join(FEATURE_MODELS)}")
    if config["adversarial"]:
        raise ValueError(f"adversarial training attacks images in [0, 1], but {name}'s samples are feature vectors")


def make_config(**overrides):
    """DEFAULTS updated by ``overrides``; unknown keys are an error (a typo must not pass silently). With no model
    (or None) the dataset's default: the CNN for images, an MLP for feature vectors."""
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(DEFAULTS)}")
    config = {**DEFAULTS, **overrides}
    # (an empty name is no name: refused as an unknown model, not replaced by the default)
    config["model"] = default_model(config["dataset"]) if overrides.get("model") is None else overrides["model"]
    config["name"] = config["name"] or f"{config['model']}-{config['dataset']}"
    config["out"] = config["out"] or os.path.join("runs", config["name"])
    return config


def build_model(config, info):
    from backprop import models

    check_task(config, info)
    given = sorted({"input_shape", "num_classes"} & set(config["model_options"]))
    if given:
        raise ValueError(f"model {config['model']!r}: {given[0]} is set by the dataset {info.name!r} "
                         f"(to {getattr(info, given[0])}), not by a model option")
    try:
        return models.get(config["model"], input_shape=tuple(info.input_shape), num_classes=info.num_classes,
                          **config["model_options"])
    except TypeError as error:  # an option the model's factory does not take
        raise ValueError(f"model {config['model']!r}: {error}") from error


def build_optimizer(config, parameters):
    name, lr, decay = config["optimizer"], config["lr"], config["weight_decay"]
    if name == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=config["momentum"], weight_decay=decay,
                         nesterov=config["nesterov"])
    if name == "rmsprop":
        return optim.RMSprop(parameters, lr=lr, momentum=config["momentum"], weight_decay=decay)
    classes = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad}
    if name not in classes:
        raise ValueError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return classes[name](parameters, lr=lr, weight_decay=decay)


def build_scheduler(config, optimizer):
    name, schedules = config["schedule"], optim.lr_scheduler
    if name == "none":
        return None
    if name == "step":
        return schedules.StepLR(optimizer, step_size=config["step_size"], gamma=config["gamma"])
    if name == "multistep":
        return schedules.MultiStepLR(optimizer, milestones=config["milestones"], gamma=config["gamma"])
    if name == "exponential":
        return schedules.ExponentialLR(optimizer, gamma=config["gamma"])
    if name == "cosine":
        return schedules.CosineAnnealingLR(optimizer, T_max=max(config["epochs"], 1))
    if name == "warmup":
        return schedules.LinearLR(optimizer, total_iters=config["step_size"])
    if name == "plateau":
        return schedules.ReduceLROnPlateau(optimizer, factor=config["gamma"], patience=config["step_size"])
    raise ValueError(f"unknown schedule {name!r}; known: {', '.join(SCHEDULES)}")


def _transforms(config, info, train):
    """What a run applies to its samples: images normalised per channel (and shifted at random in training, with
    augment); feature vectors normalised per feature."""
    if not is_images(info):
        return data.transforms.Normalize(config["mean"], config["std"])
    steps = []
    if train and config["augment"]:
        steps.append(data.transforms.RandomShift(1))
    steps.append(data.transforms.Normalize(config["mean"], config["std"]))
    return data.transforms.Compose(steps)


def _transformed(dataset, transform, info):
    """``dataset`` seen through ``transform``: an image dataset's copy with the transform; a set of feature vectors
    (a TensorDataset, which takes no transform) with its features transformed once."""
    if is_images(info):
        dataset = copy.copy(dataset)
        dataset.transform = transform
        return dataset
    features, *rest = dataset.tensors
    return data.TensorDataset(creation.from_numpy(transform(features.numpy())), *rest)


def _load(config, train, root, download):
    return data.datasets.get(config["dataset"], train=train, root=root, download=download)


def build_data(config):
    """(train, validation, test) loaders and the dataset's info; normalisation stats go into the config."""
    info = data.datasets.info(config["dataset"])
    source = config["root"], config["download"]
    loaded = _load(config, True, *source)  # read once, seen through two transforms
    if "mean" not in config:
        config["mean"], config["std"] = map(list, data.transforms.normalization(loaded))
    train_set = _transformed(loaded, _transforms(config, info, True), info)
    plain_set = _transformed(loaded, _transforms(config, info, False), info)
    test_set = _transformed(_load(config, False, *source), _transforms(config, info, False), info)
    order = numpy.random.default_rng([config["seed"], 1]).permutation(len(train_set))
    n_val = int(round(config["val_fraction"] * len(train_set)))
    batch = config["batch_size"]
    train_loader = data.DataLoader(data.Subset(train_set, order[n_val:].tolist()), batch_size=batch, shuffle=True,
                                   seed=config["seed"])
    val_loader = data.DataLoader(data.Subset(plain_set, order[:n_val].tolist()), batch_size=256) if n_val else None
    test_loader = data.DataLoader(test_set, batch_size=256)
    return train_loader, val_loader, test_loader, info


def pixel_space(config):
    """(scale, low, high) of the normalised inputs, each a (C, 1, 1) array: a change of eps in the raw pixels
    (in [0, 1]) is a change of eps * scale = eps / std after Normalize, and [0, 1] becomes [low, high].

    >>> scale, low, high = pixel_space({"mean": [0.5], "std": [0.25]})
    >>> float(scale[0, 0, 0]), float(low[0, 0, 0]), float(high[0, 0, 0])
    (4.0, -2.0, 2.0)
    """
    mean = numpy.asarray(config["mean"], dtype=numpy.float32).reshape(-1, 1, 1)
    std = numpy.asarray(config["std"], dtype=numpy.float32).reshape(-1, 1, 1)
    return 1.0 / std, (0.0 - mean) / std, (1.0 - mean) / std


def attack(config, method, eps, alpha=None, steps=10):
    """The attack ``method`` ("fgsm" or "pgd") at ``eps`` in raw pixels, as a function (model, x, y) -> x_adv on
    the run's normalised inputs: eps and alpha scaled per channel, the result clipped to the image range.

    With std 0.25 a raw eps of 0.1 is 0.4 in normalised units, and [0, 1] becomes [-2, 2]:

    >>> fgsm = attack({"mean": [0.5], "std": [0.25]}, "fgsm", 0.1)
    >>> round(float(fgsm.keywords["eps"][0, 0, 0]), 6), [float(bound[0, 0, 0]) for bound in fgsm.keywords["clip"]]
    (0.4, [-2.0, 2.0])
    """
    from backprop import attacks

    if method not in ATTACKS:
        raise ValueError(f"unknown attack {method!r}; known: {', '.join(ATTACKS)}")
    scale, low, high = pixel_space(config)
    if method == "fgsm":
        return functools.partial(attacks.fgsm, eps=eps * scale, clip=(low, high))
    alpha = None if alpha is None else alpha * scale
    return functools.partial(attacks.pgd, eps=eps * scale, alpha=alpha, steps=steps, clip=(low, high))


def build_trainer(config, callbacks=(), trainer_class=Trainer, **trainer_options):
    """Everything of a run, from its config: model, data, optimiser, schedule, Trainer (or ``trainer_class``, given
    ``trainer_options`` besides)."""
    creation.manual_seed(config["seed"])
    train_loader, val_loader, test_loader, info = build_data(config)
    model = build_model(config, info)
    optimizer = build_optimizer(config, model.parameters())
    scheduler = build_scheduler(config, optimizer)
    callbacks = list(callbacks)
    if config["early_stopping"]:
        monitor = "val_loss" if val_loader is not None else "loss"
        callbacks.insert(0, EarlyStopping(monitor=monitor, patience=config["early_stopping"]))
    adversary = None
    if config["adversarial"]:
        adversary = attack(config, config["adversarial"], config["adversarial_eps"])
    trainer = trainer_class(model, optimizer, nn.CrossEntropyLoss(), train_loader, val_loader,
                            epochs=config["epochs"], scheduler=scheduler, clip_grad_norm=config["clip_grad_norm"],
                            max_norm=config["max_norm"], callbacks=callbacks, out_dir=config["out"],
                            device=config["device"], config=config, adversary=adversary,
                            adversarial_weight=config["adversarial_weight"], **trainer_options)
    return trainer, test_loader, info


# What a run writes into its directory (`backprop attack` adds its grids beside the checkpoint; the temporary files
# are what a run killed while writing leaves): what --overwrite removes, and nothing else.
RUN_FILES = (CHECKPOINT, "history.json", "history.csv", "report.md", "test.json", "learning_curves.png",
             "confusion_matrix.png", "predictions.png", "filters.png")
_RUN_FILE_PATTERNS = ("attack-fgsm-eps*.png", "attack-pgd-eps*.png", ".tmp-attack-*.png",
                      *map(files.temporary_pattern, RUN_FILES),  # files.atomic_path's temporary names
                      ".tmp-*.safetensors", "history.json.tmp", "history.csv.tmp")  # (as earlier versions named them)


def run_files(out):
    """The files of a run in the directory ``out`` (RUN_FILES and the attack grids and temporary files a run
    leaves), sorted; files of other origins are not listed."""
    return files.files_of(out, RUN_FILES, _RUN_FILE_PATTERNS)


def describe_run(out):
    """What the directory ``out`` holds of a run, in words ("a finished run (checkpoint of 30 epochs)"), or None
    when it holds no run's file (temporary files alone do not count)."""
    path = os.path.join(out, CHECKPOINT)
    if os.path.isfile(path):
        try:
            state = load_checkpoint(path)
            done, total = int(state["epoch"]), int(state["config"]["epochs"])
        except (OSError, ValueError, KeyError, TypeError):
            return "a checkpoint"
        if done >= total:
            return f"a finished run (checkpoint of {done} epoch{'s' * (done != 1)})"
        return f"an unfinished run (checkpoint of epoch {done} of {total})"
    present = [name for name in run_files(out) if name in RUN_FILES]
    return f"the files of a run ({', '.join(present)})" if present else None


def clear_run(out):
    """Remove the files of the run in ``out`` (``run_files``); other files and folders stay. Returns their names."""
    return files.remove_files(out, RUN_FILES, _RUN_FILE_PATTERNS)


# Settings a resumed run takes from the command line rather than from its checkpoint: where the run and its data are
# and where it trains change nothing of what it computes; a larger number of epochs trains it further.
RESUME_CHANGES = ("epochs", "out", "name", "root", "download", "device")


def _flag(key, value):
    """How a setting is typed on the command line: ('lr', 0.01) -> '--lr 0.01'."""
    if key == "augment":
        return "--no-augment" if value is False else "augmentation on"
    if isinstance(value, bool):
        return f"--{key.replace('_', '-')}" if value else f"no --{key.replace('_', '-')}"
    if value is None or value == []:
        return f"no --{key.replace('_', '-')}"
    if isinstance(value, list):
        value = " ".join(map(str, value))
    return f"--{key.replace('_', '-')} {value}"


def resume_conflicts(typed, state):
    """What of the settings ``typed`` on the command line contradicts the checkpoint ``state`` to resume: a list of
    one phrase each ("--lr 0.01 (the checkpoint's: --lr 0.002)"); empty when the run can go on.

    A setting equal to the checkpoint's is no contradiction; RESUME_CHANGES are applied, except fewer ``epochs``
    than the checkpoint has done. Everything else (model, data, optimiser, schedule, seed, ...) is what the resumed
    run goes on with: changing it would make another run, which wants its own --name.
    """
    saved = {**DEFAULTS, **state["config"]}
    conflicts = []
    for key, value in typed.items():
        if key == "epochs":
            if value < int(state["epoch"]):
                conflicts.append(f"--epochs {value} (the checkpoint has done {int(state['epoch'])})")
        elif key == "model_options":
            options = saved["model_options"] or {}
            for option, option_value in value.items():
                if options.get(option, "<unset>") != option_value:
                    theirs = (f"{option}={_json_text(options[option])}" if option in options
                              else f"no {option}")
                    conflicts.append(f"--model-option {option}={_json_text(option_value)} (the checkpoint's: {theirs})")
        elif key not in RESUME_CHANGES and value != saved.get(key):
            conflicts.append(f"{_flag(key, value)} (the checkpoint's: {_flag(key, saved.get(key))})")
    return conflicts


def _json_text(value):
    return json.dumps(value, separators=(",", ":"))


def resume_point(config, changes=None):
    """(config, state) of the checkpoint in ``config["out"]`` to resume from; ``config["epochs"]``, when set, is the
    new total; ``changes`` (settings of RESUME_CHANGES, e.g. {"device": "cuda"}) replace the checkpoint's. The run
    goes on in ``config["out"]``, where its checkpoint is, even if it was written elsewhere (a moved or copied
    directory). Settings added since the checkpoint was written take their defaults (adversarial training: off)."""
    path = os.path.join(config["out"], CHECKPOINT)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--resume: no checkpoint at {path!r} to resume from")
    state = load_checkpoint(path)
    changes = dict(changes or {})
    unknown = sorted(set(changes) - set(RESUME_CHANGES))
    if unknown:
        raise ValueError(f"resume_point: {unknown} cannot change on resume; only {list(RESUME_CHANGES)} can")
    config = {**DEFAULTS, **state["config"], **changes, "epochs": config["epochs"] or state["config"]["epochs"],
              "out": config["out"]}
    return config, state


def finish(trainer, test_loader, info):
    """Write the report of a trained run; returns its test results, output directory and parameter count."""
    from backprop.train.report import write_report

    config = trainer.config
    title = f"{config['model']} on {config['dataset']}"
    try:
        summary = write_report(trainer, test_loader, info.classes, info.input_shape, title=title)
    except OSError as error:
        if error.filename is not None or error.errno is None:
            raise
        # a figure written through a file object fails without its name (matplotlib): the report's folder, at least
        raise OSError(error.errno, f"{error.strerror or os.strerror(error.errno)} (writing the report)",
                      config["out"]) from error
    return {**summary, "out": config["out"], "parameters": sum(p.numel() for p in trainer.model.parameters())}


def train(config, callbacks=(), resume=False, changes=None, **trainer_options):
    """Train (or go on training, with ``resume``; ``changes``: see ``resume_point``) and write the report; returns the
    test results. ``trainer_options`` go to the Trainer, e.g. ``check_finite=False`` (not kept in the checkpoint)."""
    state = None
    if resume:
        config, state = resume_point(config, changes)
        config = {**config, "world_size": 1}  # a data-parallel run's checkpoint goes on here on one process
    trainer, test_loader, info = build_trainer(config, callbacks, **trainer_options)
    if state is not None:
        trainer.load_state_dict(state)
    trainer.fit()
    return finish(trainer, test_loader, info)


def load_model(path):
    """The model of a checkpoint, with its weights, in eval mode; and the checkpoint's config."""
    state = load_checkpoint(path)
    if "config" not in state or "model" not in state:
        raise ValueError(f"{path!r} is not a training checkpoint (it has no 'config' and 'model')")
    config = state["config"]
    info = data.datasets.info(config["dataset"])
    model = build_model(config, info)
    model.load_state_dict(state["model"])
    return model.eval(), config, info


def normalizer(config):
    """The transform a run applies to an image in [0, 1] before its model sees it (Normalize by the training set's
    per-channel mean and std), or to a feature vector (Normalize by its per-feature mean and std)."""
    return _transforms(config, data.datasets.info(config["dataset"]), False)


def load_test_set(config, root=None, download=False, batch_size=256):
    """The test set of a run's dataset, normalised as in training, in batches."""
    info = data.datasets.info(config["dataset"])
    test_set = _transformed(_load(config, False, root or config["root"], download), normalizer(config), info)
    return data.DataLoader(test_set, batch_size=batch_size)


def evaluate(path, root=None, download=False):
    """Loss and accuracy of a checkpoint's model on its dataset's test set."""
    from backprop.train.report import test_results

    model, config, info = load_model(path)
    results = test_results(model, nn.CrossEntropyLoss(), load_test_set(config, root, download))
    return {"loss": results["loss"], "accuracy": results["accuracy"], "n": len(results["targets"]),
            "dataset": config["dataset"], "model": config["model"]}


def predict(path, images, invert=None, top=3):
    """For each image file: the ``top`` classes with their probabilities."""
    model, config, info = load_model(path)
    require_images(info, "predict classifies image files")
    normalize = normalizer(config)
    batch = numpy.stack([normalize(load_image(image, info.input_shape, invert, dataset=info.name))
                         for image in images])
    with autograd.no_grad():
        scores = model(creation.from_numpy(numpy.ascontiguousarray(batch, dtype=numpy.float32))).numpy()
    probabilities = metrics.probabilities(scores)
    results = []
    for image, p in zip(images, probabilities):
        best = numpy.argsort(-p)[:top]
        results.append({"image": image, "top": [(info.classes[k], float(p[k])) for k in best]})
    return results
