"""Graph convolutional networks: with labels on a handful of nodes, the graph's structure classifies the rest.

Kipf and Welling (ICLR 2017) classify the nodes of a graph from a few
labelled ones with two graph convolutions,

    Z = softmax(Â ReLU(Â X W1^T + b1) W2^T + b2),    Â = D^-1/2 (A + I) D^-1/2,

trained by the cross-entropy on the labelled nodes alone (``nn.GCNConv``).
Each layer mixes a node's features with its neighbours', so after two
layers a node's output depends on everything within two hops: the labels
spread along the edges. The baseline is the same network with Â replaced by
the identity I, i.e. a two-layer MLP applied to each node's own features;
the control is the GCN on a graph with as many edges placed at random (the
same features, no communities). If the GCN beats both, the information came
from the graph's structure.

Two graphs:

- Zachary's (1977) karate club (34 members, 78 friendships, two factions
  after the club split; ``data.graphs.karate_club``), with no features at all:
  X = I, one-hot identities, as in Kipf and Welling's karate demonstration.
  One labelled member per faction, drawn at random for each seed. The MLP
  on identities knows nothing of a member it has not seen labelled.
- a planted-partition graph (``data.graphs.planted_partition``): 4
  communities of 50 nodes, ties with probability p_in inside and p_out
  across; each node has 16 weakly informative features, its community's
  mean plus Gaussian noise. A few labelled nodes per community.
"""
import numpy

from backprop import creation, nn, optim
from backprop.data import graphs
from backprop.experiments.registry import experiment
from backprop.nn import functional as F
from backprop.nn.graph import normalized_adjacency
from backprop.nn.utils import evaluating
from backprop.tensor import Tensor

HIDDEN, DROPOUT, LR, WEIGHT_DECAY = 16, 0.5, 0.01, 5e-4  # Kipf and Welling's settings
COMMUNITIES, SIZE, P_IN, P_OUT = 4, 50, 0.15, 0.01
FEATURES, SIGNAL = 16, 0.5  # community means of norm SIGNAL * sqrt(FEATURES) / 2 against unit noise per feature
MODELS = ("GCN", "MLP (Â = I)", "GCN, random edges")


class GCN(nn.Module):
    """Two graph convolutions with ReLU and dropout between: logits = Â ReLU(Â X W1^T + b1) W2^T + b2.

    ``forward(x, propagation)`` takes the node features (N, F) and Â (N, N),
    already normalised (the layers are built with ``normalize=False``); with
    Â = I it is a two-layer MLP on each node's features.
    """

    def __init__(self, in_features, hidden, classes, dropout=DROPOUT):
        super().__init__()
        self.conv1 = nn.GCNConv(in_features, hidden, normalize=False)
        self.conv2 = nn.GCNConv(hidden, classes, normalize=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, propagation):
        h = F.relu(self.conv1(self.dropout(x), propagation))
        return self.conv2(self.dropout(h), propagation)


def karate(seed):
    """Zachary's club: (A (34, 34), X = I (34, 34), faction (34,)); the graph is fixed, ``seed`` is unused."""
    edges, faction = graphs.karate_club()
    return graphs.adjacency(edges, 34), numpy.eye(34, dtype=numpy.float32), faction


def planted(seed, signal=SIGNAL):
    """A planted-partition graph drawn with ``seed``: (A, X (N, FEATURES) = community mean + N(0, 1), labels).

    The community means are random ±signal/2 patterns per feature, so two communities differ by about
    signal * sqrt(FEATURES / 2) in distance against a noise of 1 per feature.
    """
    edges, community = graphs.planted_partition(COMMUNITIES, SIZE, P_IN, P_OUT, seed=seed)
    rng = numpy.random.default_rng(seed + 1000)
    means = rng.choice([-signal / 2, signal / 2], size=(COMMUNITIES, FEATURES))
    x = means[community] + rng.standard_normal((len(community), FEATURES))
    return graphs.adjacency(edges, len(community)), x.astype(numpy.float32), community


def random_edges(a, rng):
    """A graph on the same nodes with as many edges as ``a``, placed uniformly at random (no communities)."""
    n = len(a)
    i, j = numpy.triu_indices(n, k=1)
    chosen = rng.choice(len(i), size=int(numpy.triu(a, k=1).sum()), replace=False)
    return graphs.adjacency(numpy.stack([i[chosen], j[chosen]], axis=1), n)


def labelled_nodes(labels, per_class, rng):
    """``per_class`` nodes of each class drawn at random: the only labels training sees."""
    return numpy.sort(numpy.concatenate([rng.choice(numpy.flatnonzero(labels == c), per_class, replace=False)
                                         for c in range(labels.max() + 1)]))


def train(x, propagation, labels, train_nodes, epochs, seed):
    """Full-batch Adam on the cross-entropy of the labelled nodes; returns the predicted class of every node."""
    creation.manual_seed(seed)
    model = GCN(x.shape[1], HIDDEN, int(labels.max()) + 1)
    optimizer = optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    x, propagation = Tensor._make(x), Tensor._make(propagation)
    index, target = Tensor._make(train_nodes), Tensor._make(labels[train_nodes])
    model.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        F.cross_entropy(model(x, propagation)[index], target).backward()
        optimizer.step()
    with evaluating(model):
        return model(x, propagation).numpy().argmax(axis=1)


def compare(graph, seed, per_class, epochs):
    """GCN, MLP and GCN on random edges on one draw: accuracy on the unlabelled nodes of each, and the GCN's
    and MLP's predictions (for the figure). The labelled nodes and the random edges are drawn with ``seed``."""
    a, x, labels = graph(seed)
    rng = numpy.random.default_rng(seed)
    train_nodes = labelled_nodes(labels, per_class, rng)
    test = numpy.setdiff1d(numpy.arange(len(labels)), train_nodes)
    propagations = {"GCN": normalized_adjacency(Tensor._make(a)).numpy(),
                    "MLP (Â = I)": numpy.eye(len(a), dtype=numpy.float32),
                    "GCN, random edges": normalized_adjacency(Tensor._make(random_edges(a, rng))).numpy()}
    accuracy, predictions = {}, {}
    for name in MODELS:
        predicted = train(x, propagations[name], labels, train_nodes, epochs, seed)
        accuracy[name] = float((predicted[test] == labels[test]).mean())
        predictions[name] = predicted
    return {"accuracy": accuracy, "predictions": predictions, "train_nodes": train_nodes, "labels": labels, "a": a}


def layout(a, seed=0, steps=150):
    """2-D positions of the nodes: the spectral embedding (eigenvectors 2 and 3 of Â), relaxed by a simple
    spring model (Fruchterman and Reingold 1991: edges pull with d^2 / k, every pair pushes with k^2 / d)."""
    _, vectors = numpy.linalg.eigh(normalized_adjacency(Tensor._make(a.astype(numpy.float64))).numpy())
    position = vectors[:, [-2, -3]]
    position = (position - position.mean(0)) / (position.std(0) + 1e-9)
    position += numpy.random.default_rng(seed).normal(0, 0.05, position.shape)
    n = len(a)
    k = 2 / numpy.sqrt(n)
    position /= numpy.abs(position).max()
    for step in range(steps):
        delta = position[:, None, :] - position[None, :, :]
        distance = numpy.linalg.norm(delta, axis=-1) + 1e-6
        force = k ** 2 / distance ** 2 - a * distance / k  # repulsion minus attraction, per unit of delta
        numpy.fill_diagonal(force, 0)
        move = (force[:, :, None] * delta).sum(axis=1)
        length = numpy.linalg.norm(move, axis=1, keepdims=True) + 1e-9
        temperature = 0.1 * (1 - step / steps)
        position += move / length * numpy.minimum(length, temperature)
    return position


def _draw_graph(axis, position, a, run, name, title):
    import matplotlib
    from matplotlib.collections import LineCollection

    colours = matplotlib.colormaps["tab10"]
    i, j = numpy.nonzero(numpy.triu(a, k=1))
    axis.add_collection(LineCollection(numpy.stack([position[i], position[j]], axis=1), colors="0.8",
                                       linewidths=0.5, zorder=1))
    predicted, labels = run["predictions"][name], run["labels"]
    axis.scatter(*position.T, c=[colours(c) for c in predicted], s=40, zorder=2,
                 edgecolors=[colours(c) for c in labels], linewidths=2)
    wrong = predicted != labels
    axis.scatter(*position[wrong].T, marker="x", color="black", s=25, zorder=3, label="wrong")
    axis.scatter(*position[run["train_nodes"]].T, marker="*", color="gold", edgecolors="black", s=160, zorder=4,
                 label="labelled")
    axis.set(title=title, xticks=[], yticks=[])
    axis.legend(fontsize=7, loc="lower right")


def _draw(report, runs, summary):
    with report.figure("gnn.png", "Top: Zachary's karate club (spring layout from the spectral embedding), each "
                       "member filled with the class predicted by the GCN (left) and by the MLP on the same "
                       "one-hot features (right), ringed with its true faction; stars: the one labelled member "
                       "per faction, crosses: wrong. Bottom left: the planted-partition graph, GCN predictions. "
                       "Bottom right: accuracy on the unlabelled nodes, mean and standard deviation over seeds.",
                       nrows=2, ncols=2, figsize=(11, 10)) as axes:
        if axes is None:
            return
        karate_run, planted_run = runs["karate"][0], runs["planted"][0]
        position = layout(karate_run["a"])
        for axis, name in zip(axes[:2], MODELS[:2]):
            accuracy = karate_run["accuracy"][name]
            _draw_graph(axis, position, karate_run["a"], karate_run, name,
                        f"karate club, {name}: {100 * accuracy:.0f}% of the unlabelled right")
        _draw_graph(axes[2], layout(planted_run["a"]), planted_run["a"], planted_run, "GCN",
                    f"planted partition, GCN: {100 * planted_run['accuracy']['GCN']:.0f}% right")
        width = 0.25
        for k, name in enumerate(MODELS):
            means = [summary[graph][name][0] for graph in ("karate", "planted")]
            spreads = [summary[graph][name][1] for graph in ("karate", "planted")]
            axes[3].bar(numpy.arange(2) + (k - 1) * width, means, width, yerr=spreads, capsize=3, label=name)
        for g, graph in enumerate(("karate", "planted")):
            axes[3].axhline(summary[graph]["chance"], xmin=g / 2 + 0.05, xmax=g / 2 + 0.45, color="black",
                            linestyle=":", linewidth=1)
        axes[3].set(xticks=[0, 1], xticklabels=["karate club", "planted partition"], ylim=(0, 1.05),
                    ylabel="accuracy on unlabelled nodes", title=f"{len(runs['karate'])} seeds (dotted: chance)")
        axes[3].legend(fontsize=8, loc="upper right")


@experiment("gnn", title="Graph convolutional networks: the graph's structure labels the nodes",
            claim="""With labels on a handful of nodes, a graph convolutional network (normalised adjacency with
            self-loops, two layers) classifies the rest of a graph with communities better than an MLP on the
            node features alone: the graph's structure carries the information.""")
def run(report, quick, seed):
    seeds, epochs, per_class = (3 if quick else 10), (100 if quick else 200), {"karate": 1, "planted": 2}
    report.setup(f"""Two-layer GCN (Kipf & Welling 2017): logits = Â ReLU(Â X W1^T + b1) W2^T + b2 with
Â = D^-1/2 (A + I) D^-1/2 (`nn.GCNConv`), {HIDDEN} hidden units, dropout {DROPOUT} on the inputs of both layers,
full-batch Adam (learning rate {LR}, weight decay {WEIGHT_DECAY}) for {epochs} epochs on the cross-entropy of the
labelled nodes only; accuracy on all the other nodes. Baseline: the same network with Â = I (an MLP on each node's
own features). Control: the GCN on a graph with as many edges placed uniformly at random.
Graphs: (1) Zachary's karate club (34 members, 78 ties, 17 + 17 in the two factions after the split), features
X = I (one-hot identities: no information but the graph), {per_class['karate']} labelled member per faction;
(2) a planted-partition graph of {COMMUNITIES} communities of {SIZE} nodes (ties with probability {P_IN} inside,
{P_OUT} across, a new graph per seed), {FEATURES} features per node = its community's mean (±{SIGNAL / 2} per
feature) + N(0, 1) noise, {per_class['planted']} labelled nodes per community. {seeds} seeds ({seed}..{seed + seeds
- 1}): each draws the labelled nodes, the random-edge graph and the initial weights.""")
    runs = {"karate": [compare(karate, seed + s, per_class["karate"], epochs) for s in range(seeds)],
            "planted": [compare(planted, seed + s, per_class["planted"], epochs) for s in range(seeds)]}
    summary, rows = {}, []
    for graph, draws in runs.items():
        scores = {name: numpy.array([d["accuracy"][name] for d in draws]) for name in MODELS}
        summary[graph] = {name: (float(v.mean()), float(v.std()), float(v.min()), float(v.max()))
                          for name, v in scores.items()}
        labels = draws[0]["labels"]
        summary[graph]["chance"] = float(numpy.bincount(labels).max() / len(labels))
        gaps = scores["GCN"] - scores["MLP (Â = I)"]
        summary[graph]["wins"] = int((gaps > 0).sum())
        summary[graph]["gap"] = float(gaps.mean())
        summary[graph]["per_seed"] = {name: v.tolist() for name, v in scores.items()}
        for name in MODELS:
            mean, std, low, high = summary[graph][name]
            rows.append([graph, name, f"{100 * mean:.1f}% ± {100 * std:.1f}", f"{100 * low:.0f}-{100 * high:.0f}%"])
    report.table(["graph", "model", "accuracy on unlabelled nodes (mean ± sd)", "range over seeds"], rows,
                 f"{seeds} seeds. Chance (the largest class): karate {100 * summary['karate']['chance']:.0f}%, "
                 f"planted partition {100 * summary['planted']['chance']:.0f}%.")
    report.result("summary", summary)
    _draw(report, runs, summary)

    verdicts = {}
    for graph in runs:
        s = summary[graph]
        gcn, mlp, control = s["GCN"][0], s["MLP (Â = I)"][0], s["GCN, random edges"][0]
        # the GCN wins on every seed, by at least 10 points on average, and the random graph takes the gain away
        verdicts[graph] = s["wins"] == seeds and gcn - mlp >= 0.10 and gcn - control >= 0.10
    k, p = summary["karate"], summary["planted"]
    report.text(f"""Karate club: the GCN labels {100 * k['GCN'][0]:.0f}% of the 32 unlabelled members right from one
labelled member per faction, the MLP on the same one-hot features {100 * k['MLP (Â = I)'][0]:.0f}% (it has seen
nothing of a member it was not given: chance), the GCN on random edges {100 * k['GCN, random edges'][0]:.0f}%.
Planted partition: GCN {100 * p['GCN'][0]:.0f}%, MLP on the noisy features {100 * p['MLP (Â = I)'][0]:.0f}%,
GCN on random edges {100 * p['GCN, random edges'][0]:.0f}% (chance {100 * p['chance']:.0f}%): averaging over a
community's neighbours removes the noise that the MLP sees in each node alone, and averaging over random
neighbours removes the signal with it. The GCN beats the MLP on {k['wins']} of {seeds} seeds on the karate club and
{p['wins']} of {seeds} on the planted partition.

Rules of the verdict, on each graph: the GCN beats the MLP on every seed, by at least 10 points on average, and
beats the GCN on random edges by at least 10 points on average (the gain comes from the graph's communities).""")
    report.verdict(all(verdicts.values()),
                   f"accuracy on unlabelled nodes, GCN vs MLP vs GCN on random edges ({seeds} seeds): karate club "
                   f"{100 * k['GCN'][0]:.0f}% vs {100 * k['MLP (Â = I)'][0]:.0f}% vs "
                   f"{100 * k['GCN, random edges'][0]:.0f}% (1 label per faction), planted partition "
                   f"{100 * p['GCN'][0]:.0f}% vs {100 * p['MLP (Â = I)'][0]:.0f}% vs "
                   f"{100 * p['GCN, random edges'][0]:.0f}% (2 labels per community); "
                   + ("the graph's structure carries the labels" if all(verdicts.values()) else
                      "not on every graph: " + ", ".join(g for g, ok in verdicts.items() if not ok)))
