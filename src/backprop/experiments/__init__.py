"""The lectures' claims, reproduced: ``backprop reproduce NAME`` runs one experiment and writes its report.

Each experiment prints the lecture's claim beside the measured figure: see
``registry`` for how one is written and ``report`` for what it writes.
"""
from backprop.experiments.registry import experiment, get, names, run
from backprop.experiments.report import Report

__all__ = ["experiment", "get", "names", "run", "Report"]
