"""The ``backprop`` command: argument parsing and printing only; the work is done by ``backprop.train.run``.

    backprop train [--model cnn] [--dataset digits] [--epochs 30] ...   train, checkpoint, report
    mpirun -n N backprop train --distributed ...                          the same, data-parallel on N processes
    backprop evaluate CHECKPOINT                                          test-set loss and accuracy
    backprop predict CHECKPOINT IMAGE...                                  the classes of image files
    backprop explain CHECKPOINT IMAGE [--method lrp]                      a heat map of what the model looks at
    backprop attack CHECKPOINT [--method fgsm] [--eps 0.1]                accuracy under adversarial examples
    backprop models                                                       the model zoo
    backprop datasets                                                     the datasets
    backprop reproduce NAME... | all | --list [--quick]                    the lectures' experiments
    backprop rl train [--agent dqn] [--env CartPole-v1] [--episodes N]     train an agent, checkpoint, plot returns
    backprop rl evaluate CHECKPOINT [--episodes 100]                      mean and std of its greedy returns
    backprop run PROGRAM.py [ARGS...]                                     a PyTorch program, torch resolved to backprop
    backprop run --list-missing PROGRAM.py                                the torch names it uses that backprop lacks
    backprop serve [--host 127.0.0.1] [--port 8765] [--runs runs/]        the browser studio (playground, graph, runs)

A wrong argument gets one line on stderr and exit code 2, a failure one line
and exit code 1, never a traceback (``backprop --debug COMMAND ...`` or
BACKPROP_DEBUG=1 shows the traceback of an error). A program
run by ``backprop run`` that fails gets one line ``PROGRAM.py:LINE: ErrorType:
message`` and exit code 1 (``--traceback``: Python's traceback instead).
"""
import argparse
import json
import os
import sys

from backprop import checks

__all__ = ["main"]


class UsageError(Exception):
    """A bad argument: one line and exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _bounded(kind, note="", **bounds):
    """A parser of an int or a finite float (``kind`` "int" or "number") in the range ``bounds`` gives (the keywords
    of backprop.checks); its error says what was expected in backprop.checks' words, plus ``note``."""
    expected = checks.describe(kind, **bounds) + note
    check = checks.check_int if kind == "int" else checks.check_number

    def parse(text):
        try:
            return check("value", int(text) if kind == "int" else float(text), **bounds)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    return parse


_positive_int = _bounded("int", at_least=1)
_integer = _bounded("int")
_seed = _bounded("int", " (NumPy's generators take no negative seed)", at_least=0)
_positive = _bounded("number", " (finite)", above=0)  # nan and inf refused: a learning rate of inf trains to nan
_fraction = _bounded("number", at_least=0, below=1)
_nonnegative = _bounded("number", at_least=0)
_weight = _bounded("number", above=0, at_most=1)
# momentum beta >= 1 lets the velocity grow without bound: the run diverges, so it is refused before it starts
_momentum = _bounded("number", " (a momentum of 1 or more diverges)", at_least=0, below=1)


def _path(text):
    """A path: any non-empty text (an empty one would silently mean the default)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a path, got ''")
    return text


def _run_name(text):
    """A run's name: one folder inside runs/, so that --name cannot write anywhere else (use --out for that)."""
    if not text or text in (".", "..") or os.sep in text or (os.altsep and os.altsep in text):
        raise argparse.ArgumentTypeError(f"expected a plain name (one folder inside runs/; --out chooses another "
                                         f"place), got {text!r}")
    return text


def _device(text):
    """cpu, cuda or cuda:N, as backprop.device reads it."""
    from backprop.backend import device

    try:
        device(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _option(text):
    """KEY=VALUE with VALUE read as JSON when it parses (numbers, lists, true/false), else as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _train_parser(commands):
    from backprop.train.run import ATTACKS, DEFAULTS, FEATURE_MODELS, OPTIMIZERS, SCHEDULES

    # every option's default is None (or [] for the repeatable ones): what the user typed is then known, which
    # --resume compares with the checkpoint; DEFAULTS fills in the rest (_typed_settings)
    p = commands.add_parser("train", help="train a model; with no arguments the default CNN on digits",
                            description="Train a model from the zoo on a dataset; write checkpoints, the history, "
                                        "figures and report.md to the output directory. A directory that holds a "
                                        "run already is refused: --resume goes on with it, --overwrite replaces it.")
    p.add_argument("--model", help=f"a name from `backprop models` (default: {DEFAULTS['model']} on images, "
                                   f"{FEATURE_MODELS[0]} on feature vectors)")
    p.add_argument("--model-option", action="append", type=_option, metavar="KEY=VALUE",
                   help="an argument of the model's factory, e.g. hidden=[128,64] (repeatable)")
    p.add_argument("--dataset", help=f"a name from `backprop datasets` ({DEFAULTS['dataset']})")
    p.add_argument("--root", type=_path, help="directory of the dataset's files (default: $BACKPROP_DATA/NAME)")
    p.add_argument("--download", action="store_true", default=None,
                   help="download the dataset if its files are missing")
    p.add_argument("--epochs", type=_positive_int,
                   help=f"epochs in all (default: {DEFAULTS['epochs']}; with --resume, the checkpoint's; a larger "
                        f"number trains the resumed run further)")
    p.add_argument("--batch-size", type=_positive_int, help=f"(default: {DEFAULTS['batch_size']})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default: {DEFAULTS['optimizer']})")
    p.add_argument("--lr", type=_positive, help=f"learning rate eta (default: {DEFAULTS['lr']:g})")
    p.add_argument("--momentum", type=_momentum,
                   help=f"for sgd and rmsprop, in [0, 1) (default: {DEFAULTS['momentum']:g})")
    p.add_argument("--nesterov", action="store_true", default=None, help="Nesterov momentum (sgd)")
    p.add_argument("--weight-decay", type=_nonnegative, help=f"(default: {DEFAULTS['weight_decay']:g})")
    p.add_argument("--schedule", choices=SCHEDULES,
                   help=f"learning-rate schedule (default: {DEFAULTS['schedule']})")
    p.add_argument("--step-size", type=_positive_int,
                   help=f"epochs per step (step), warm-up epochs (warmup), patience (plateau) "
                        f"(default: {DEFAULTS['step_size']})")
    p.add_argument("--gamma", type=_positive,
                   help=f"factor of step/exponential/plateau (default: {DEFAULTS['gamma']:g})")
    p.add_argument("--milestones", type=_positive_int, nargs="+", help="epochs of multistep")
    p.add_argument("--val-fraction", type=_fraction,
                   help=f"share of the training set held out for validation (default: {DEFAULTS['val_fraction']:g})")
    p.add_argument("--no-augment", dest="augment", action="store_false", default=None,
                   help="no random shifts of the images")
    p.add_argument("--clip-grad-norm", type=_positive, help="clip the gradient's norm to this value")
    p.add_argument("--max-norm", type=_positive, help="max-norm constraint alpha on each unit's weights")
    p.add_argument("--early-stopping", type=_positive_int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs")
    p.add_argument("--adversarial", choices=ATTACKS,
                   help="adversarial training: each batch also attacked with this method")
    p.add_argument("--adversarial-eps", type=_nonnegative,
                   help=f"the attack's eps in raw pixels (images in [0, 1]) (default: {DEFAULTS['adversarial_eps']:g})")
    p.add_argument("--adversarial-weight", type=_weight,
                   help=f"w in (1 - w) J(x) + w J(x_adv) (default: {DEFAULTS['adversarial_weight']:g})")
    p.add_argument("--seed", type=_seed, help=f"(default: {DEFAULTS['seed']})")
    p.add_argument("--name", type=_run_name, help="run name, a folder inside runs/ (default: MODEL-DATASET)")
    p.add_argument("--out", type=_path, help="output directory (default: runs/NAME)")
    p.add_argument("--device", type=_device, help="cpu or cuda[:N]")
    p.add_argument("--resume", action="store_true",
                   help="go on from the checkpoint in the output directory (options typed must agree with it; a "
                        "larger --epochs trains further)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in the output directory: its files are removed first (files the runs "
                        "do not write stay)")
    p.add_argument("--no-check-finite", dest="check_finite", action="store_false",
                   help="train on when the loss or the gradients become NaN or infinite or the loss explodes "
                        "(default: stop with one line, the last good checkpoint kept)")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training on the processes of `mpirun -n N backprop train --distributed`; "
                        "--batch-size is per process, rank 0 prints and writes the checkpoints")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                   help="a progress bar, one line per epoch, or nothing (auto: a bar on a terminal)")
    _threads_option(p)


def _threads_option(p):
    p.add_argument("--threads", type=_positive_int, metavar="N",
                   help="BLAS threads (default: the cores that other processes leave free, followed as the load "
                        "changes; OPENBLAS_NUM_THREADS or OMP_NUM_THREADS fix them too)")


def _explain_parser(commands):
    from backprop.explain.checkpoint import METHODS, RULES

    p = commands.add_parser("explain", help="a heat map of what a checkpoint's model looks at in an image",
                            description="Explain a checkpoint's decision on an image file: write the image and its "
                                        "heat map side by side as a PNG.")
    p.add_argument("checkpoint")
    p.add_argument("image")
    p.add_argument("--method", choices=METHODS, default="lrp", help="(default: %(default)s)")
    p.add_argument("--rule", choices=RULES, default="epsilon", help="the LRP rule (default: %(default)s)")
    p.add_argument("--target", type=_integer, help="the class index to explain (default: the predicted class)")
    p.add_argument("--out", type=_path, help="the PNG to write (default: IMAGE-METHOD.png next to the image)")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert the grey levels (auto: when the image is mostly light, like ink on paper)")


def _attack_parser(commands):
    from backprop.train.run import ATTACKS

    p = commands.add_parser("attack", help="test-set accuracy of a checkpoint under adversarial examples",
                            description="Attack a checkpoint's model on its test set: print the clean and the "
                                        "attacked accuracy; save a grid of original, perturbation and adversarial "
                                        "images with their predicted labels and confidences.")
    p.add_argument("checkpoint")
    p.add_argument("--method", choices=ATTACKS, default="fgsm", help="(default: %(default)s)")
    p.add_argument("--eps", type=_nonnegative, default=0.1,
                   help="the largest change of a pixel, images being in [0, 1] (default: %(default)s)")
    p.add_argument("--alpha", type=_positive, help="PGD's step (default: 2.5 eps / steps)")
    p.add_argument("--steps", type=_positive_int, help="PGD's steps (default: 10)")
    p.add_argument("--examples", type=_positive_int, default=8, help="images in the grid (default: %(default)s)")
    p.add_argument("--out", type=_path, help="the grid's PNG (default: attack-METHOD-epsEPS.png next to the checkpoint)")
    p.add_argument("--seed", type=_seed, default=0, help="PGD's random start")
    p.add_argument("--root", type=_path, help="directory of the dataset's files")
    p.add_argument("--download", action="store_true")


def _rl_parser(commands):
    from backprop.rl.run import AGENTS, DEFAULT_EPISODES

    rl = commands.add_parser("rl", help="reinforcement learning: train an agent on a gymnasium environment",
                             description="Train an agent on a gymnasium environment or evaluate a saved one.")
    verbs = rl.add_subparsers(dest="rl_command", metavar="COMMAND", parser_class=_Parser)
    p = verbs.add_parser("train", help="train an agent; write checkpoint, returns.json and returns.png",
                         description="Train an agent on an environment; write checkpoint.safetensors, returns.json "
                                     "and returns.png (return per episode, moving average) to the output directory.")
    p.add_argument("--agent", choices=AGENTS, default="dqn", help="(default: %(default)s)")
    p.add_argument("--env", default="CartPole-v1", help="a gymnasium environment with discrete actions "
                                                        "(default: %(default)s)")
    p.add_argument("--episodes", type=_positive_int,
                   help=f"episodes to train (default: {DEFAULT_EPISODES}, or as many as fit in --minutes)")
    p.add_argument("--minutes", type=_positive, help="stop after this many minutes of training")
    p.add_argument("--seed", type=_seed, default=0, help="initial weights, exploration, first reset")
    p.add_argument("--out", type=_path, help="output directory (default: runs/rl/AGENT-ENV)")
    p.add_argument("--option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="a hyperparameter of the agent, e.g. lr=0.0005 or hidden=[64,64] (repeatable)")
    p.add_argument("--env-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="an argument of the environment, e.g. is_slippery=false (repeatable)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in the output directory: its checkpoint, returns.json and returns.png are "
                        "removed first (other files stay)")
    p.add_argument("--checkpoint-every", type=_positive_int, default=100, metavar="EPISODES",
                   help="write the checkpoint every so many episodes (default: %(default)s)")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                   help="a progress bar, a line every 10 episodes, or nothing (auto: a bar on a terminal)")
    _threads_option(p)
    p = verbs.add_parser("evaluate", help="mean and standard deviation of a checkpoint's greedy returns")
    p.add_argument("checkpoint")
    p.add_argument("--episodes", type=_positive_int, default=100, help="(default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=0, help="episode i is reset with seed + i (default: %(default)s)")


def _run_parser(commands):
    p = commands.add_parser("run", help="run a PyTorch program with torch resolved to backprop",
                            description="Run PROGRAM.py as `python PROGRAM.py ARGS` would, with `import torch` "
                                        "(and torchvision's basics) resolved to backprop. See docs/run.md.")
    p.add_argument("--traceback", action="store_true",
                   help="on an uncaught error print Python's traceback, not one line")
    p.add_argument("--list-missing", action="store_true",
                   help="do not run: list the torch names the program uses that backprop lacks (exit 1 if any)")
    p.add_argument("program", metavar="PROGRAM.py")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the program's own arguments")


def _serve_parser(commands):
    p = commands.add_parser("serve", help="the browser studio: playground, computational graph, runs",
                            description="Serve the studio at http://HOST:PORT/: a playground where a small network "
                                        "learns 2-D problems live, the computational graph of an expression with "
                                        "its gradients, and the runs under --runs. Opens no browser; Ctrl-C stops "
                                        "it. See docs/studio.md.")
    p.add_argument("--host", type=_host, default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only; another one warns)")
    p.add_argument("--port", type=_bounded("int", " (0: any free port)", at_least=0, at_most=65535), default=8765,
                   help="(default: %(default)s)")
    p.add_argument("--runs", type=_path, default="runs", help="the directory of runs to show (default: %(default)s)")


def _host(text):
    """A host name or address to listen on: any non-empty text without spaces (the socket says if it is none)."""
    if not text or any(character.isspace() for character in text):
        raise argparse.ArgumentTypeError(f"expected a host name or address, got {text!r}")
    return text


def build_parser():
    import backprop

    parser = _Parser(prog="backprop", description="backprop: train, evaluate and use neural networks.")
    parser.add_argument("--version", action="version", version=f"backprop {backprop.__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error show Python's traceback, not one line (as BACKPROP_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _train_parser(commands)
    p = commands.add_parser("evaluate", help="test-set loss and accuracy of a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--root", type=_path, help="directory of the dataset's files")
    p.add_argument("--download", action="store_true")
    p = commands.add_parser("predict", help="classify image files (PNG, JPEG) with a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="invert the grey levels (auto: when the image is mostly light, like ink on paper)")
    p.add_argument("--top", type=_positive_int, default=3)
    _explain_parser(commands)
    _attack_parser(commands)
    commands.add_parser("models", help="list the model zoo")
    commands.add_parser("datasets", help="list the datasets")
    p = commands.add_parser("reproduce", help="run the lectures' experiments and write their reports",
                            description="Run experiments that reproduce the lectures' claims; each writes "
                                        "OUT/NAME/report.md (claim, setup, result, verdict) and its figures.")
    p.add_argument("names", nargs="*", metavar="NAME", help="experiments to run, or 'all' (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments and their claims")
    p.add_argument("--quick", action="store_true", help="the small version (seconds; fewer seeds and epochs)")
    p.add_argument("--out", type=_path, default="runs/reproduce", help="output directory (default: %(default)s)")
    p.add_argument("--seed", type=_seed, default=0)
    _threads_option(p)
    _rl_parser(commands)
    _run_parser(commands)
    _serve_parser(commands)
    _add_debug(commands)
    return parser


def _add_debug(commands):
    """--debug after a command too (`backprop train ... --debug`); SUPPRESS keeps the main parser's value when the
    command's parser does not see the flag."""
    for parser in commands.choices.values():
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_debug(action)


def _progress(progress, bar, lines):
    """[bar()], [lines()] or [] as --progress says; auto: a bar on a terminal, lines elsewhere or without tqdm."""
    if progress == "auto":
        progress = "bar" if sys.stderr.isatty() else "lines"
    if progress == "bar":
        try:
            return [bar()]
        except ImportError:
            return [lines()]
    return [lines()] if progress == "lines" else []


def _callbacks(progress):
    from backprop.train import PrintLogger, ProgressBar

    return _progress(progress, ProgressBar, PrintLogger)


def _check_names(config):
    from backprop import models
    from backprop.data import datasets
    from backprop.train import run

    if config["model"] not in models.names():
        raise UsageError(f"backprop train: unknown model {config['model']!r}; known: {', '.join(models.names())}")
    if config["dataset"] not in datasets.names():
        raise UsageError(f"backprop train: unknown dataset {config['dataset']!r}; known: {', '.join(datasets.names())}")
    info = datasets.info(config["dataset"])
    try:
        run.check_task(config, info)
    except ValueError as error:
        raise UsageError(f"backprop train: {error}") from None
    _check_model_options(config, info)


def _check_model_options(config, info):
    """Build the model once to refuse a bad --model-option (an unknown key, hidden=[0], ...) before any work; the
    generator's state is restored, so the run draws the same numbers as without this check."""
    from backprop import creation
    from backprop.train import run

    state = creation.get_rng_state()
    try:
        run.build_model(config, info)
    except (ValueError, TypeError) as error:
        # build_model names the model before a TypeError of the factory; the registry's own message names it too
        cause = error.__cause__ if isinstance(error.__cause__, TypeError) else error
        raise UsageError(f"backprop train: --model-option: {cause}") from None
    except MemoryError as error:  # channels=[99999999999]: the weights alone do not fit
        raise UsageError(f"backprop train: --model-option: the model is too large to build: {error}") from None
    finally:
        creation.set_rng_state(state)


def _check_out_directory(command, path):
    """A usage error when the output directory ``path`` is a file or lies inside one (os.makedirs would fail)."""
    parent = path
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if parent and not os.path.isdir(parent):
        where = "is a file" if parent == path else f"lies inside the file {parent!r}"
        raise UsageError(f"backprop {command}: --out {path!r} {where}, not a directory")


def _check_out_file(command, path):
    """A usage error when the file ``path`` cannot be written: a directory, or its directory is missing."""
    if os.path.isdir(path):
        raise UsageError(f"backprop {command}: --out {path!r} is a directory; name the PNG to write")
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise UsageError(f"backprop {command}: --out {path!r}: no such directory {folder!r}")


def _typed_settings(args):
    """The settings typed on the command line, by their config keys (an option left out is None, or [] repeatable)."""
    from backprop.train import run

    typed = {}
    for key in run.DEFAULTS:
        value = args.model_option if key == "model_options" else getattr(args, key, None)
        if value is not None:
            typed[key] = dict(value) if key == "model_options" else value
    return typed


def _train(args):
    from backprop.train import run

    typed = _typed_settings(args)
    settings = dict(typed)
    if args.resume and "epochs" not in typed:
        settings["epochs"] = None  # the checkpoint's
    config = run.make_config(**settings)  # no --model: the dataset's default
    args.run = config  # for the line of an interrupted run
    _check_out_directory("train", config["out"])
    if args.resume and args.overwrite:
        raise UsageError("backprop train: --resume goes on with the run, --overwrite replaces it: choose one")
    if not args.resume:
        _check_names(config)
        _check_early_stopping(config)
    options = {} if args.check_finite else {"check_finite": False}
    changes = {key: typed[key] for key in run.RESUME_CHANGES if key in typed and key not in ("epochs", "out")}
    if args.distributed:
        from backprop import distributed
        from backprop.distributed import run as distributed_run

        world = distributed.init()
        if world.rank == 0:  # rank 0 reads and writes the run; a refusal here ends the job (_end_job)
            _check_run_directory(args, typed, config, missing_checkpoint_is_usage_error=False)
        callbacks = _callbacks(args.progress) if world.rank == 0 else []
        result = distributed_run.train(config, callbacks=callbacks, resume=args.resume, world=world,
                                       changes=changes, **options)
        if result is None:  # ranks other than 0 report nothing
            return
        print(f"trained on {result['world_size']} processes (batch {result['batch_size']} each, "
              f"{result['world_size'] * result['batch_size']} in all)")
    else:
        _check_run_directory(args, typed, config)
        result = run.train(config, callbacks=_callbacks(args.progress), resume=args.resume, changes=changes,
                           **options)
    print(f"test accuracy {result['test_accuracy']:.2%} (loss {result['test_loss']:.4f}) after "
          f"{_count(result['epochs'], 'epoch')}; {result['parameters']:,} parameters")
    print(f"report: {os.path.join(result['out'], 'report.md')}; checkpoint: "
          f"{os.path.join(result['out'], 'checkpoint.safetensors')}")


def _check_early_stopping(config):
    if config["early_stopping"] and not config["val_fraction"]:
        raise UsageError(f"backprop train: --early-stopping {config['early_stopping']} watches the validation loss, "
                         f"but --val-fraction 0 holds out no validation set: give --val-fraction > 0")


def _check_run_directory(args, typed, config, missing_checkpoint_is_usage_error=True):
    """Before any work: --resume needs a checkpoint whose run the typed options do not contradict (those it applies
    are printed); a new run does not replace one without --overwrite, which removes the old run's files first."""
    from backprop.train import load_checkpoint, run
    from backprop.train.trainer import CHECKPOINT

    out, path = config["out"], os.path.join(config["out"], CHECKPOINT)
    if args.resume:
        if not os.path.isfile(path):
            if not missing_checkpoint_is_usage_error:
                return  # (a distributed job reports it from its ranks, which abort the job together)
            raise UsageError(f"backprop train: --resume: no checkpoint at {path!r} to resume from (train without "
                             f"--resume to start the run)")
        state = load_checkpoint(path)
        conflicts = run.resume_conflicts(typed, state)
        if conflicts:
            raise UsageError(f"backprop train: --resume goes on with the run of {path!r} as it was trained, but "
                             f"{'; '.join(conflicts)}: leave {'it' if len(conflicts) == 1 else 'them'} out, or "
                             f"train a new run with --name NEW")
        saved = {**run.DEFAULTS, **state["config"]}
        for key in run.RESUME_CHANGES:
            if key in typed and key not in ("out", "name") and typed[key] != saved.get(key):
                print(f"--resume: {key} {_plain(typed[key])} (the checkpoint's: {_plain(saved.get(key))})")
        if typed.get("epochs", 0) > saved["epochs"] and saved["schedule"] == "cosine":
            print(f"--resume: the cosine schedule spans the first {_count(saved['epochs'], 'epoch')}: past them its "
                  f"learning rate rises again from 0 (as torch's CosineAnnealingLR)")
        return
    held = run.describe_run(out)
    if held is None:
        return
    if not args.overwrite:
        go_on = "--resume to go on, " if os.path.isfile(path) else ""
        raise UsageError(f"backprop train: {out} holds {held}; use {go_on}--overwrite to replace it, or --name NEW")
    removed = run.clear_run(out)
    print(f"--overwrite: removed {_count(len(removed), 'file')} of the previous run from {out}")


def _plain(value):
    return "none" if value is None else value


def _count(n, noun):
    """'1 epoch', '2 epochs'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _need_file(command, path):
    if os.path.isdir(path):
        raise UsageError(f"backprop {command}: {path!r} is a directory, not a file")
    if not os.path.isfile(path):
        raise UsageError(f"backprop {command}: no such file {path!r}")


def _evaluate(args):
    from backprop.train import run

    _need_file("evaluate", args.checkpoint)
    result = run.evaluate(args.checkpoint, root=args.root, download=args.download)
    print(f"{result['model']} on {result['dataset']} test set ({result['n']} examples): "
          f"accuracy {result['accuracy']:.2%}, loss {result['loss']:.4f}")


def _predict(args):
    from backprop.train import run

    _need_file("predict", args.checkpoint)
    for image in args.images:
        _need_file("predict", image)
    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    for row in run.predict(args.checkpoint, args.images, invert=invert, top=args.top):
        ranked = ", ".join(f"{label} {p:.1%}" for label, p in row["top"])
        print(f"{row['image']}: {ranked}")


def _explain(args):
    from backprop.explain.checkpoint import explain_image

    _need_file("explain", args.checkpoint)
    _need_file("explain", args.image)
    if args.out is not None:
        _check_out_file("explain", args.out)
    if args.target is not None:
        from backprop.train import run

        _, _, info = run.load_model(args.checkpoint)
        if not 0 <= args.target < info.num_classes:
            raise UsageError(f"backprop explain: --target must be a class index in [0, {info.num_classes}), "
                             f"got {args.target}")
    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    result = explain_image(args.checkpoint, args.image, args.method, rule=args.rule, target=args.target,
                           out=args.out, invert=invert)
    print(f"{args.image}: predicted {result['predicted']} ({result['confidence']:.1%}); {args.method} of class "
          f"{result['target']}: {result['path']}")


def _attack(args):
    from backprop.attacks.checkpoint import attack_checkpoint

    if args.method != "pgd" and (args.alpha is not None or args.steps is not None):
        raise UsageError(f"backprop attack: --alpha and --steps are PGD's; {args.method} takes one step of eps")
    _need_file("attack", args.checkpoint)
    if args.out is not None:
        _check_out_file("attack", args.out)
    steps = 10 if args.steps is None else args.steps
    result = attack_checkpoint(args.checkpoint, args.method, args.eps, alpha=args.alpha, steps=steps,
                               out=args.out, examples=args.examples, root=args.root, download=args.download,
                               seed=args.seed)
    print(f"{result['n']} test examples: clean accuracy {result['clean_accuracy']:.2%}, under {args.method} "
          f"(eps {args.eps:g}) {result['attacked_accuracy']:.2%}")
    print(f"examples: {result['path']}")


def _table(rows, header):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def _models(args):
    from backprop import models

    rows = [(r[0], "x".join(map(str, r[2])), f"{r[3]:,}", r[1]) for r in models.describe()]
    print(_table(rows, ("model", "input", "parameters", "description")))


def _datasets(args):
    from backprop.data import datasets

    rows = []
    for name in datasets.names():
        info = datasets.info(name)
        shape = "x".join(map(str, info.input_shape)) if info.input_shape else "-"
        rows.append((name, shape, info.num_classes or "-", "yes" if info.offline else "needs files",
                     info.description))
    print(_table(rows, ("dataset", "input", "classes", "offline", "description")))


def _reproduce(args):
    from backprop import experiments

    known = experiments.names()
    if args.list or not args.names:
        if not args.list:
            raise UsageError("backprop reproduce: name an experiment, 'all', or --list")
        print(_table([(n, experiments.get(n).title) for n in known], ("experiment", "what it reproduces")))
        return
    _check_out_directory("reproduce", args.out)
    chosen = known if args.names == ["all"] else args.names
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise UsageError(f"backprop reproduce: unknown experiment {unknown[0]!r}; known: {', '.join(known)}")
    for name in chosen:
        print(f"{name}: running{' (quick)' if args.quick else ''} ...", flush=True)
        report = experiments.run(name, out=args.out, quick=args.quick, seed=args.seed)
        print(f"{name}: {report.verdict_line().replace('**', '')} ({report.seconds:.0f} s)")
        print(f"{name}: report: {os.path.join(report.out_dir, 'report.md')}", flush=True)


def _rl_train(args):
    from backprop.rl import run

    options, env_options = dict(args.option), dict(args.env_option)
    if args.out is not None:
        _check_out_directory("rl train", args.out)
    try:
        env = run.build_env(args.env, env_options)
        run.build_agent(args.agent, env, options, seed=args.seed)  # refuses a bad setting before the bar starts
    except run.BadSetting as error:
        raise UsageError(f"backprop rl train: {error}") from None
    except Exception as error:  # noqa: BLE001  (gymnasium refuses an option its own way: KeyError for map_name=9x9)
        if not env_options:
            raise
        given = ", ".join(f"{key}={value!r}" for key, value in env_options.items())
        message = str(error).splitlines()[0] if str(error) else ""
        why = f"{type(error).__name__}: {message}" if isinstance(error, (KeyError, IndexError)) or not message \
            else message
        raise UsageError(f"backprop rl train: {args.env} cannot be made with --env-option {given}: {why}") from None
    out = run.output_directory(args.agent, args.env, args.out)
    try:
        removed = run.check_out(out, args.overwrite)  # after the settings' checks: nothing removed for a bad one
    except run.BadSetting as error:
        raise UsageError(f"backprop rl train: {error}") from None
    if removed:
        print(f"--overwrite: removed {_count(len(removed), 'file')} of the previous run from {out}")
    total = args.episodes or (None if args.minutes else run.DEFAULT_EPISODES)
    progress = _progress(args.progress, lambda: run.EpisodeBar(total), run.EpisodeLines)
    result = run.train(args.agent, args.env, episodes=args.episodes, minutes=args.minutes, seed=args.seed,
                       out=args.out, options=options, env_options=env_options,
                       checkpoint_every=args.checkpoint_every, progress=progress)
    print(f"{result['episodes']} episodes in {result['seconds']:.0f} s; mean return of the last "
          f"{min(run.WINDOW, result['episodes'])}: {result['last_100_mean']:.1f}")
    plot = result["figure"] or "not drawn (needs matplotlib)"
    print(f"checkpoint: {result['checkpoint']}; returns: {os.path.join(result['out'], 'returns.json')}; "
          f"plot: {plot}")


def _rl_evaluate(args):
    from backprop.rl import run

    _need_file("rl evaluate", args.checkpoint)
    result = run.evaluate(args.checkpoint, args.episodes, seed=args.seed)
    print(f"{result['agent']} on {result['env']}: greedy return {result['mean']:.1f} ± {result['std']:.1f} over "
          f"{result['episodes']} episodes")


def _rl(args):
    if args.rl_command is None:
        raise UsageError("backprop rl: name a command: train or evaluate")
    {"train": _rl_train, "evaluate": _rl_evaluate}[args.rl_command](args)


def _list_missing(program):
    from backprop.compat.missing import missing_names

    with open(program, encoding="utf-8") as file:
        source = file.read()
    try:
        missing = missing_names(source, program)
    except SyntaxError as error:
        print(f"{program}:{error.lineno}: SyntaxError: {error.msg}", file=sys.stderr)
        return 1
    for line, name, why in missing:
        print(f"{program}:{line}: {name} {why}")
    return 1 if missing else 0


def _run(args):
    """Returns the program's exit code: its SystemExit's, 1 after an uncaught error (one line on stderr), or 0."""
    from backprop.compat import runner

    _need_file("run", args.program)
    if args.list_missing:
        if args.args:
            raise UsageError("backprop run --list-missing: takes the program alone, not its arguments")
        return _list_missing(args.program)
    try:
        runner.run_program(args.program, args.args)
    except SystemExit as end:
        code, message = runner.exit_code(end)
        if message is not None:
            print(message, file=sys.stderr)
        return code
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001  (whatever the program raises ends it with one line)
        if args.traceback or args.debug or os.environ.get("BACKPROP_DEBUG"):
            import traceback

            traceback.print_exception(error)
        else:
            print(runner.error_line(error, args.program), file=sys.stderr)
        return 1
    return 0


def _serve(args):
    if os.path.exists(args.runs) and not os.path.isdir(args.runs):
        raise UsageError(f"backprop serve: --runs {args.runs} is a file, not a directory of runs")
    from backprop.serve import app  # ImportError with the pip command when the serve extra is missing

    sock = app.open_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if not app.listens_locally(sock):
        print(f"backprop serve: warning: listening on {host}, not this machine alone: whoever can reach it can use "
              f"the studio and read the files under {args.runs}", file=sys.stderr)
    print(f"backprop studio at http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    app.run_server(sock, args.runs)


COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict, "explain": _explain, "attack": _attack,
            "models": _models, "datasets": _datasets, "reproduce": _reproduce,
            "rl": _rl, "run": _run, "serve": _serve}


# A reader that closes the pipe early (`backprop models | head -1`) ends the command quietly with the code of a
# shell tool killed by SIGPIPE, 128 + 13: the output was cut short, which `set -o pipefail` still notices.
EXIT_PIPE_CLOSED = 141


def main(argv=None):
    """Run the command line; returns the exit code (0 ok, 1 failed, 2 bad arguments, 130 interrupted, 141 output
    pipe closed by its reader)."""
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not in Python's last flush at exit (a warning, exit 120)
    except BrokenPipeError:
        # what is still buffered for stdout goes nowhere, so that the flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _end_job(EXIT_PIPE_CLOSED)


def _main(argv):
    command_line = argv is None  # the command itself; a caller running main([...]) in its process keeps its threads
    argv = list(sys.argv[1:] if argv is None else argv)
    args = None
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        if getattr(args, "threads", None) or (command_line and args.command in ("train", "reproduce", "rl")):
            from backprop import threads
            threads.configure(getattr(args, "threads", None))
        return COMMANDS[args.command](args) or 0
    except UsageError as error:
        print(error, file=sys.stderr)
        return _end_job(2)
    except KeyboardInterrupt as interrupt:
        print(_interrupted(interrupt, args), file=sys.stderr)
        return _end_job(130)
    except BrokenPipeError:
        raise
    except Exception as error:  # noqa: BLE001  (a CLI user gets one line, --debug the traceback)
        if (args is not None and args.debug) or os.environ.get("BACKPROP_DEBUG"):
            raise
        print(f"backprop: error: {_error_message(error)}", file=sys.stderr)
        return _end_job(1)


# what a user can act on: the message alone; any other error is a bug, named by its type, with the way to see more
_EXPECTED_ERRORS = (OSError, ValueError, ImportError, RuntimeError)


def _error_message(error):
    """One line for an error: an OSError as 'FILE: what happened' (no raw '[Errno N]'), an expected error's message,
    or an unexpected one's type and message and how to see its traceback."""
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror[0].lower() + error.strerror[1:]
        return f"{error.filename!r}: {reason}" if error.filename is not None else reason
    text = " ".join(str(error).split())  # one line, whatever the message holds
    if isinstance(error, _EXPECTED_ERRORS) and text:
        return text
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return f"{text} (run with --debug for the traceback)"


def _interrupted(interrupt, args):
    """The line of a run stopped by Ctrl-C: which epoch it was in, which one its checkpoint holds, and the command
    that goes on from there (built from what was typed: --out or --name, --no-check-finite)."""
    config = getattr(args, "run", None)
    if config is None:  # another command: what it saved, if it says (rl train's run.Interrupted)
        said = " ".join(str(interrupt).split())
        return f"backprop: interrupted {said}" if said else "backprop: interrupted"
    epoch = getattr(interrupt, "epoch", None)
    saved = _saved_epoch(config["out"])
    if epoch is None:
        where = ""
    elif saved is not None and saved >= epoch:  # while the epoch's history was written, after its checkpoint
        where = f" after epoch {epoch}"
    else:
        where = f" in epoch {epoch}"
    if saved is None:
        return f"backprop: interrupted{where}, before the first checkpoint: nothing was saved to go on from"
    command = ["backprop", "train"]
    command += ["--out", config["out"]] if args.out is not None else ["--name", config["name"]]
    command += ["--resume"] + ([] if args.check_finite else ["--no-check-finite"])
    if args.distributed:
        from backprop import distributed

        ranks = distributed.get_world_size() if distributed.is_initialized() else "N"
        command = ["mpirun", "-n", str(ranks), *command, "--distributed"]
    import shlex

    return (f"backprop: interrupted{where}; the checkpoint holds epoch {saved}: go on with: "
            f"{shlex.join(command)}")


def _saved_epoch(out):
    """The epoch of the checkpoint in ``out``, or None when there is none (or it cannot be read)."""
    from backprop.train import load_checkpoint
    from backprop.train.trainer import CHECKPOINT

    path = os.path.join(out, CHECKPOINT)
    try:
        return int(load_checkpoint(path)["epoch"]) if os.path.isfile(path) else None
    except Exception:  # noqa: BLE001  (the line of an interruption must not fail: without the epoch it says less)
        return None


def _end_job(code):
    """In a job of several processes a failing one ends them all (the others would wait for it in vain)."""
    distributed = sys.modules.get("backprop.distributed")
    if distributed is not None and distributed.is_initialized() and distributed.get_world_size() > 1:
        distributed.abort(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
