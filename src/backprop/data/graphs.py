"""Graphs with communities, for node classification: Zachary's karate club and a planted-partition generator.

A graph here is an edge list (E, 2) of node numbers 0..N-1, each undirected
edge once, with a label per node; ``adjacency`` turns it into the symmetric
0/1 matrix A (N, N).

>>> edges, factions = karate_club()
>>> edges.shape, factions.shape, int(factions.sum())
((78, 2), (34,), 17)
>>> adjacency(edges, 34).sum(axis=1)[[0, 33]].tolist()  # the two leaders have the most ties
[16.0, 17.0]
"""
import numpy

__all__ = ["karate_club", "planted_partition", "adjacency"]

# Zachary, W. W. (1977). An information flow model for conflict and fission in small groups. Journal of
# Anthropological Research 33(4), 452-473. The 78 friendships among the 34 members of a university karate club
# (matrix E of the paper), written here as member: the members with a larger number it is tied to, numbered 1..34
# as in the paper. Member 1 is the instructor ("Mr. Hi"), member 34 the club's administrator ("John A.", the
# officer); the club split between them.
_KARATE_TIES = {
    1: (2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 18, 20, 22, 32),
    2: (3, 4, 8, 14, 18, 20, 22, 31),
    3: (4, 8, 9, 10, 14, 28, 29, 33),
    4: (8, 13, 14),
    5: (7, 11),
    6: (7, 11, 17),
    7: (17,),
    9: (31, 33, 34),
    10: (34,),
    14: (34,),
    15: (33, 34),
    16: (33, 34),
    19: (33, 34),
    20: (34,),
    21: (33, 34),
    23: (33, 34),
    24: (26, 28, 30, 33, 34),
    25: (26, 28, 32),
    26: (32,),
    27: (30, 34),
    28: (34,),
    29: (32, 34),
    30: (33, 34),
    31: (33, 34),
    32: (33, 34),
    33: (34,),
}
# The members who joined the instructor's new club after the split (the others stayed with the officer), from the
# paper's table of the factions' membership; 17 and 17.
_KARATE_INSTRUCTOR = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 17, 18, 20, 22)


def karate_club():
    """Zachary's (1977) karate club: (edges (78, 2) int64 numbered 0..33, faction (34,) int64).

    faction[i] is 0 for a member who went with the instructor (member 0 here,
    1 in the paper) and 1 for one who stayed with the officer (member 33 here).
    """
    edges = numpy.array([(a - 1, b - 1) for a, ties in _KARATE_TIES.items() for b in ties], dtype=numpy.int64)
    faction = numpy.ones(34, dtype=numpy.int64)
    faction[numpy.array(_KARATE_INSTRUCTOR) - 1] = 0
    return edges, faction


def planted_partition(communities, size, p_in, p_out, seed=0):
    """A random graph of ``communities`` groups of ``size`` nodes: each pair of nodes is tied with probability
    ``p_in`` inside a group and ``p_out`` across groups, independently (the planted-partition model).

    Returns (edges (E, 2) int64 with i < j, community (communities * size,) int64), drawn with ``seed``.
    """
    if not 0 <= p_out <= 1 or not 0 <= p_in <= 1:
        raise ValueError(f"planted_partition: p_in and p_out must be probabilities, got {p_in} and {p_out}")
    n = communities * size
    community = numpy.repeat(numpy.arange(communities, dtype=numpy.int64), size)
    i, j = numpy.triu_indices(n, k=1)
    p = numpy.where(community[i] == community[j], p_in, p_out)
    tied = numpy.random.default_rng(seed).random(len(i)) < p
    return numpy.stack([i[tied], j[tied]], axis=1).astype(numpy.int64), community


def adjacency(edges, n, dtype=numpy.float32):
    """The symmetric 0/1 adjacency matrix A (n, n) of an undirected edge list: A_ij = A_ji = 1 for each edge."""
    edges = numpy.asarray(edges, dtype=numpy.int64).reshape(-1, 2)
    if len(edges) and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"adjacency: edges must number nodes 0..{n - 1}, got {edges.min()}..{edges.max()}")
    matrix = numpy.zeros((n, n), dtype=dtype)
    matrix[edges[:, 0], edges[:, 1]] = 1
    matrix[edges[:, 1], edges[:, 0]] = 1
    return matrix
