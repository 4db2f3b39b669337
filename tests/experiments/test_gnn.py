"""GCN experiment: the GCN is an MLP when Â = I, the draws, the layout, the karate club from its two leaders."""
import numpy as np

import backprop as bp
from backprop.experiments import gnn
from backprop.nn.graph import normalized_adjacency


def test_gcn_with_identity_propagation_is_a_two_layer_mlp():
    bp.manual_seed(0)
    model = gnn.GCN(5, 4, 3).eval()
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    w1, b1 = model.conv1.weight.detach().numpy(), model.conv1.bias.detach().numpy()
    w2, b2 = model.conv2.weight.detach().numpy(), model.conv2.bias.detach().numpy()
    b1 += 0.1  # the biases start at zero; make them count
    expected = np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    model.conv1.bias.data[...] = b1
    with bp.no_grad():
        ours = model(bp.tensor(x), bp.eye(6)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_gcn_mixes_neighbours_along_the_edges_only():
    # two components {0, 1} and {2}: node 2's output cannot depend on the features of 0 and 1
    a = bp.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    bp.manual_seed(1)
    model = gnn.GCN(2, 4, 2).eval()
    x = bp.randn(3, 2)
    moved = x.clone()
    moved[0] = moved[0] + 5
    with bp.no_grad():
        before, after = model(x, normalized_adjacency(a)).numpy(), model(moved, normalized_adjacency(a)).numpy()
    assert np.array_equal(before[2], after[2]) and not np.allclose(before[1], after[1])


def test_labelled_nodes_are_per_class_and_distinct():
    labels = np.repeat(np.arange(4), 10)
    nodes = gnn.labelled_nodes(labels, 2, np.random.default_rng(0))
    assert len(set(nodes.tolist())) == 8 and np.bincount(labels[nodes]).tolist() == [2, 2, 2, 2]


def test_random_edges_keep_the_count_and_lose_the_communities():
    a, x, community = gnn.planted(0)
    assert a.shape == (200, 200) and x.shape == (200, gnn.FEATURES) and np.bincount(community).tolist() == [50] * 4
    shuffled = gnn.random_edges(a, np.random.default_rng(0))
    assert shuffled.sum() == a.sum() and (shuffled == shuffled.T).all() and (np.diag(shuffled) == 0).all()
    same = community[:, None] == community[None, :]
    inside = lambda m: m[same].sum() / m.sum()  # noqa: E731  share of the ties that stay in a community
    assert inside(a) > 0.7 and abs(inside(shuffled) - (same.sum() - 200) / (200 * 199)) < 0.05


def test_planted_features_are_weak_alone():
    # each node's features: its community's mean (±SIGNAL/2 per feature) plus unit noise
    _, x, community = gnn.planted(3)
    means = np.stack([x[community == c].mean(0) for c in range(4)])
    assert abs(np.abs(means).mean() - gnn.SIGNAL / 2) < 0.06  # 64 means of 50 nodes: standard error 0.14 each
    assert abs(x.std() - np.sqrt(1 + (gnn.SIGNAL / 2) ** 2)) < 0.05


def test_layout_puts_neighbours_closer_than_strangers():
    a, _, _ = gnn.karate(0)
    position = gnn.layout(a)
    distance = np.linalg.norm(position[:, None] - position[None], axis=-1)
    strangers = (a == 0) & ~np.eye(34, dtype=bool)
    assert np.isfinite(position).all() and distance[a == 1].mean() < 0.6 * distance[strangers].mean()


def test_karate_club_from_its_two_leaders():
    # Kipf and Welling's demonstration: label only the instructor (0) and the officer (33), features X = I
    a, x, faction = gnn.karate(0)
    leaders = np.array([0, 33])
    gcn = gnn.train(x, normalized_adjacency(bp.tensor(a)).numpy(), faction, leaders, 200, seed=0)
    mlp = gnn.train(x, np.eye(34, dtype=np.float32), faction, leaders, 200, seed=0)
    assert (gcn == faction).mean() >= 0.9 and (gcn[leaders] == faction[leaders]).all()
    assert (mlp == faction).mean() < 0.6  # one-hot identities say nothing of the members it was not given
