"""The graphs of backprop.data.graphs: Zachary's karate club as published, the planted-partition generator."""
import numpy as np
import pytest

from backprop.data import graphs


def test_karate_club_has_zacharys_counts():
    edges, faction = graphs.karate_club()
    assert edges.shape == (78, 2) and faction.shape == (34,)
    assert len({tuple(sorted(e)) for e in edges.tolist()}) == 78 and (edges[:, 0] != edges[:, 1]).all()
    a = graphs.adjacency(edges, 34)
    assert (a == a.T).all() and a.sum() == 2 * 78
    degree = a.sum(axis=1)
    # the instructor (1 in the paper) and the officer (34) have 16 and 17 ties, the most; member 12 has one
    assert degree[0] == 16 and degree[33] == 17 and degree[11] == 1 and degree.argsort()[-2:].tolist() == [0, 33]
    assert faction[0] == 0 and faction[33] == 1 and faction.sum() == 17


def test_karate_club_is_networkx_copy_of_zachary():
    nx = pytest.importorskip("networkx")
    graph = nx.karate_club_graph()
    edges, faction = graphs.karate_club()
    assert {tuple(sorted(e)) for e in edges.tolist()} == {tuple(sorted(e)) for e in graph.edges()}
    assert [int(graph.nodes[i]["club"] != "Mr. Hi") for i in range(34)] == faction.tolist()


def test_planted_partition_ties_inside_and_across_at_their_rates():
    edges, community = graphs.planted_partition(4, 60, p_in=0.3, p_out=0.02, seed=1)
    assert community.tolist() == [c for c in range(4) for _ in range(60)]
    assert (edges[:, 0] < edges[:, 1]).all()
    inside = (community[edges[:, 0]] == community[edges[:, 1]]).sum()
    across = len(edges) - inside
    pairs_inside, pairs_across = 4 * 60 * 59 / 2, 240 * 239 / 2 - 4 * 60 * 59 / 2
    assert abs(inside / pairs_inside - 0.3) < 0.02 and abs(across / pairs_across - 0.02) < 0.005
    again, _ = graphs.planted_partition(4, 60, p_in=0.3, p_out=0.02, seed=1)
    assert np.array_equal(edges, again)
    other, _ = graphs.planted_partition(4, 60, p_in=0.3, p_out=0.02, seed=2)
    assert set(map(tuple, edges.tolist())) != set(map(tuple, other.tolist()))


def test_bad_arguments_say_what_came():
    with pytest.raises(ValueError, match="must be probabilities, got 1.5 and 0.1"):
        graphs.planted_partition(2, 5, 1.5, 0.1)
    with pytest.raises(ValueError, match=r"number nodes 0..2, got 0..3"):
        graphs.adjacency([[0, 3]], 3)
