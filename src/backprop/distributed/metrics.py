"""Metrics of the whole job: each rank's values averaged over the ranks, weighted by how many examples each saw.

A rank measures its loss and accuracy on its own shard; the job's value is

    m = sum_r n_r m_r / sum_r n_r,

the mean over all the examples of all the ranks, the same number one
process would get on the whole data.

>>> average({"loss": 0.5, "accuracy": 0.75}, weight=8)    # a world of one: unchanged
{'loss': 0.5, 'accuracy': 0.75}
"""
import math

import numpy

__all__ = ["average"]


def average(metrics, weight=1.0, world=None):
    """``{name: value}`` averaged over the ranks with weights ``weight`` (e.g. this rank's number of examples).

    Every rank must pass the same names in the same order. A rank with weight 0 (an empty shard) counts for
    nothing; if every weight is 0 the values are nan.
    """
    from backprop.distributed.comm import init

    world = world or init()
    names = list(metrics)
    if weight < 0 or not math.isfinite(weight):
        raise ValueError(f"average: weight must be a finite number >= 0, got {weight!r}")
    values = [float(metrics[name]) * weight if weight else 0.0 for name in names]
    totals = world.all_reduce_(numpy.array(values + [float(weight)], dtype=numpy.float64))
    total_weight = totals[-1]
    return {name: float(value / total_weight) if total_weight else math.nan for name, value in zip(names, totals)}
