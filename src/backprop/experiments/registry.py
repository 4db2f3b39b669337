"""The experiments of ``backprop reproduce``: each a function registered under the name the CLI takes.

An experiment is a function ``run(report, quick, seed)`` in a module of this
package, registered with ``@experiment(name, title, claim)``. It measures
what the lecture claims, fills the ``Report`` (setup, tables, figures,
``results``) and ends with ``report.verdict(reproduced, summary)``.
``quick=True`` is the small version the test suite runs (seconds, fewer seeds
and epochs); the full run is what ``make reproduce`` runs.
"""
import dataclasses
import importlib
import os
import pkgutil
import time

from backprop import creation
from backprop.experiments.report import Report

__all__ = ["experiment", "names", "get", "run"]

# the order of `backprop reproduce --list`: the lectures' order; experiments not named here follow by name
ORDER = ["xor", "lecun1989", "universal_approximation", "parity", "deep_vs_shallow", "activations", "optimizers",
         "regularization", "batchnorm", "dropout_ensemble", "clever_hans", "adversarial",
         "pretraining", "transfer", "lstm_memory", "function_approximation",
         "neocognitron", "gpt", "gnn", "contrastive", "alphazero", "deep_bsde", "cyclegan"]
_NOT_EXPERIMENTS = {"registry", "report", "common"}
_EXPERIMENTS = {}


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    claim: str
    function: object


def experiment(name, title, claim):
    """Register ``function(report, quick, seed)`` as the experiment ``name``; the lecture's ``claim`` heads its report."""
    def register(function):
        if name in _EXPERIMENTS and _EXPERIMENTS[name].function is not function:
            raise ValueError(f"experiment {name!r} is registered twice")
        _EXPERIMENTS[name] = Experiment(name, title, " ".join(claim.split()), function)
        return function
    return register


def _discover():
    """Import every experiment module of this package (each registers itself)."""
    package = importlib.import_module("backprop.experiments")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_EXPERIMENTS and not module.name.startswith("_"):
            importlib.import_module(f"backprop.experiments.{module.name}")


def names():
    """Every experiment's name, in the lectures' order."""
    _discover()
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(_EXPERIMENTS, key=lambda n: (rank.get(n, len(ORDER)), n))


def get(name):
    """The registered ``Experiment`` called ``name``; KeyError naming the known ones otherwise."""
    _discover()
    if name not in _EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(names())}")
    return _EXPERIMENTS[name]


def run(name, out="runs/reproduce", quick=False, seed=0):
    """Run the experiment ``name``, write ``out/name/report.md`` and its figures; returns the ``Report``.

    The global random generator is seeded with ``seed`` first and restored after.
    """
    entry = get(name)
    report = Report(name, entry.title, entry.claim, os.path.join(out, name), quick=quick)
    start = time.perf_counter()
    with creation.fork_rng(seed):
        entry.function(report, quick=quick, seed=seed)
    report.seconds = time.perf_counter() - start
    report.write()
    return report
