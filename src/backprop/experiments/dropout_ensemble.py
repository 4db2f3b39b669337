"""Dropout as a committee machine: the average of many random masks vs the weight scaling rule.

The lecture (Learning): dropout removes each unit with probability p for
every example, so training visits a committee of 2^n networks that share
their weights, one per mask m; at test "use all units and multiply the
outgoing weights by 1/2" (by 1 - p in general): the weight scaling rule

    y_ws(x) = f(x; all units, outgoing weights times (1 - p)).

``Dropout(p, scale_at_test=True)`` is exactly this form: training y = m z,
evaluation y = (1 - p) z, the units' output scaled instead of the weights
that leave them, which is the same product. (The default, inverted dropout,
trains y = m z / (1 - p) and evaluates y = z: the same net with its outgoing
weights divided by 1 - p.) The committee itself is estimated by Monte Carlo,
dropout kept on at test and the softmax outputs of K masks averaged:

    p_K(c | x) = 1/K sum_k softmax(z(x, m_k))_c.

Where the rule is exact:
- one linear layer: E_m[W (m * x)] = W ((1 - p) x), by linearity of the expectation;
- one dropout layer before a linear softmax layer: the logits z are linear in
  m, so the committee's normalised geometric mean softmax(1/K sum_k z(x, m_k))
  tends to softmax(E_m z) = softmax(z_ws): weight scaling is the geometric mean
  of all 2^n members exactly (Srivastava et al. 2014). The arithmetic mean
  p_K tends to E_m softmax(z), a little off it (Jensen's inequality);
- dropout before further nonlinear layers: approximately.
"""
import itertools

import numpy

from backprop import autograd, creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.tensor import Tensor
from backprop.train import metrics

KS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]  # committee sizes; the table shows 1, 10, 100, 1000
TABLE_KS = [1, 10, 100, 1000]


def linear_expectation(layer, x, p):
    """(E_m[layer(m * x)] over all 2^n masks, the weight-scaled output layer((1 - p) x)) for one input x of n units.

    The expectation is the exact sum over every mask m in {0, 1}^n, each
    weighted by its probability (1 - p)^|m| p^(n - |m|).
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    if x.ndim != 1 or x.size > 16:
        raise ValueError(f"linear_expectation: expected one input vector of at most 16 units, got shape {tuple(x.shape)}")
    masks = numpy.array(list(itertools.product([0.0, 1.0], repeat=x.size)))
    probability = (1 - p) ** masks.sum(axis=1) * p ** (x.size - masks.sum(axis=1))
    weight, bias = (param.detach().numpy().astype(numpy.float64) for param in (layer.weight, layer.bias))
    expected = probability @ ((masks * x) @ weight.T + bias)
    scaled = nn.Sequential(nn.Dropout(p, scale_at_test=True), layer).eval()
    with autograd.no_grad():
        return expected, scaled(Tensor._make(x.astype(numpy.float32))).numpy().astype(numpy.float64)


def network(width, dropout_layers):
    """One dropout layer (64 -> width ReLU -> Dropout(0.5) -> 10) or three (inputs 0.2, two hidden layers 0.5)."""
    def drop(p):
        return nn.Dropout(p, scale_at_test=True)
    if dropout_layers == 1:
        return nn.Sequential(nn.Flatten(), nn.Linear(64, width), nn.ReLU(), drop(0.5), nn.Linear(width, 10))
    if dropout_layers == 3:
        return nn.Sequential(nn.Flatten(), drop(0.2), nn.Linear(64, width), nn.ReLU(), drop(0.5),
                             nn.Linear(width, width), nn.ReLU(), drop(0.5), nn.Linear(width, 10))
    raise ValueError(f"network: dropout_layers must be 1 or 3, got {dropout_layers!r}")


def committee_logits(model, x, k, chunk=50):
    """Logits of ``k`` dropout nets (dropout on, a fresh mask per net and example) on x: shape (k, N, classes)."""
    was_training = model.training
    model.train()
    try:
        with autograd.no_grad():
            outputs = []
            for start in range(0, k, chunk):
                copies = min(chunk, k - start)
                batch = Tensor._make(numpy.concatenate([x.numpy()] * copies))
                outputs.append(model(batch).numpy().reshape(copies, x.shape[0], -1))
    finally:
        model.train(was_training)
    return numpy.concatenate(outputs)


def softmax(z):
    """softmax(z)_c = e^{z_c} / sum_j e^{z_j} over the last axis (the classes) of an array of any shape."""
    return metrics.probabilities(z.reshape(-1, z.shape[-1])).reshape(z.shape)


def compare(logits, reference, labels, ks=KS):
    """For each K: the arithmetic and geometric committee means of the first K nets against ``reference``.

    Returns {"arithmetic"|"geometric": {"agreement", "difference", "accuracy": one value per K}}: the share
    of examples whose predicted class matches the reference's, the mean |p_K - p_ws| over all examples and
    classes, and the committee's accuracy.
    """
    arithmetic = numpy.cumsum(softmax(logits), axis=0)
    geometric = numpy.cumsum(logits, axis=0)
    found = {"arithmetic": {"agreement": [], "difference": [], "accuracy": []}}
    found["geometric"] = {key: [] for key in found["arithmetic"]}
    for k in ks:
        for name, mean in (("arithmetic", arithmetic[k - 1] / k), ("geometric", softmax(geometric[k - 1] / k))):
            found[name]["agreement"].append(float((mean.argmax(1) == reference.argmax(1)).mean()))
            found[name]["difference"].append(float(numpy.abs(mean - reference).mean()))
            found[name]["accuracy"].append(float((mean.argmax(1) == labels).mean()))
    return found


@experiment("dropout_ensemble", title="Dropout as a committee: Monte Carlo average vs weight scaling",
            claim="Dropout trains a committee of weight-sharing networks; at test, using all units and multiplying "
                  "the outgoing weights by 1/2 (1 - p) stands in for averaging the committee.")
def run(report, quick, seed):
    width, epochs = (128, 15) if quick else (512, 40)
    x, y = common.digits()
    x_test, y_test = common.digits(train=False)
    labels = y_test.numpy()
    report.setup(f"""
Data: UCI's 8x8 digits, {len(y)} training and {len(labels)} test images. Nets (the lecture's dropout,
`Dropout(p, scale_at_test=True)`: training y = m z, test y = (1 - p) z, which is multiplying the outgoing weights by
1 - p): *one dropout layer*, Flatten -> {width} ReLU -> Dropout(0.5) -> 10 logits (weight scaling is the exact
geometric mean of the committee), and *three dropout layers*, Flatten -> Dropout(0.2) -> {width} ReLU ->
Dropout(0.5) -> {width} ReLU -> Dropout(0.5) -> 10 (approximate). Training: Adam, learning rate 1e-3, mini-batches
of 32, {epochs} epochs, seed {seed}. Test: the weight-scaled net (eval mode) vs a committee of K = {KS[0]} ... {KS[-1]}
dropout nets (train mode without gradients, a fresh mask per net and image): the arithmetic mean of their softmax
outputs (the Monte Carlo committee) and their normalised geometric mean softmax(mean of the logits). Measured:
agreement of predicted classes with weight scaling, mean |p_K - p_ws| over all test images and classes, test
accuracy. And the exact check for one linear layer: the expectation over all 2^10 masks (p = 0.3) of
W (m * x) + b against W ((1 - p) x) + b.""")
    creation.manual_seed(seed)
    layer, point = nn.Linear(10, 4), creation.generator().standard_normal(10)
    expected, scaled = linear_expectation(layer, point, p=0.3)
    linear_error = report.result("linear_max_error", float(numpy.abs(expected - scaled).max()))
    found = {}
    for layers in (1, 3):
        creation.manual_seed(seed)
        model = network(width, layers)
        common.fit(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), x, y, epochs,
                   batch_size=32, seed=seed)
        reference = softmax(common.predict(model, x_test))
        found[layers] = compare(committee_logits(model, x_test, KS[-1]), reference, labels)
        found[layers]["weight_scaling_accuracy"] = float((reference.argmax(1) == labels).mean())
        report.result(f"{layers}_dropout_layers", found[layers])
    rows = []
    for layers, name in itertools.product((1, 3), ("arithmetic", "geometric")):
        values = found[layers][name]
        rows += [[layers, name, k, 100 * values["agreement"][KS.index(k)], values["difference"][KS.index(k)],
                  100 * values["accuracy"][KS.index(k)], 100 * found[layers]["weight_scaling_accuracy"]]
                 for k in TABLE_KS]
    report.table(["dropout layers", "committee mean", "K", "same class as weight scaling %", "mean abs(p_K - p_ws)",
                  "test acc. committee %", "test acc. weight scaling %"], rows)
    report.text(f"One linear layer, 10 inputs, p = 0.3: max |E_m[W (m * x) + b] - (W ((1 - p) x) + b)| = "
                f"{linear_error:.2g} over the 4 outputs (the sum over all 1024 masks).")
    exact_slope = report.result("geometric_slope_one_layer", common.log_slope(KS, found[1]["geometric"]["difference"]))
    _draw(report, found)
    at_k = {layers: found[layers]["arithmetic"] for layers in found}
    agreement = {layers: at_k[layers]["agreement"][-1] for layers in found}
    accuracy_gap = {layers: abs(at_k[layers]["accuracy"][-1] - found[layers]["weight_scaling_accuracy"])
                    for layers in found}
    reproduced = (linear_error < 1e-5 and all(a >= 0.98 for a in agreement.values())
                  and all(g <= 0.01 for g in accuracy_gap.values()) and -0.7 <= exact_slope <= -0.3)
    report.verdict(reproduced, f"at K = {KS[-1]} the committee picks the weight-scaled class for "
                   f"{100 * agreement[1]:.1f}% (one dropout layer) and {100 * agreement[3]:.1f}% (three) of the test "
                   f"images, accuracies differ by {100 * accuracy_gap[1]:.2f} and {100 * accuracy_gap[3]:.2f} points; "
                   f"the geometric mean approaches weight scaling as K^{exact_slope:.2f} (one layer); one linear "
                   f"layer: error {linear_error:.1g} (criterion: agreement >= 98%, accuracies within 1 point, slope "
                   f"in [-0.7, -0.3], linear error < 1e-5)")


def _draw(report, found):
    with report.figure("dropout_ensemble.png", "Left: mean |p_K - p_ws| against the committee size K (solid: "
                       "arithmetic mean of the softmax outputs, dashed: geometric mean). Right: test accuracy of the "
                       "committee (lines) and of weight scaling (dotted)", ncols=2) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        difference, accuracy = axes
        for layers, colour in ((1, "C0"), (3, "C1")):
            label = f"{layers} dropout layer{'s' if layers > 1 else ''}"
            difference.loglog(KS, found[layers]["arithmetic"]["difference"], "-o", color=colour, ms=3,
                              label=f"{label}, arithmetic")
            difference.loglog(KS, found[layers]["geometric"]["difference"], "--s", color=colour, ms=3,
                              label=f"{label}, geometric")
            accuracy.semilogx(KS, [100 * a for a in found[layers]["arithmetic"]["accuracy"]], "-o", color=colour,
                              ms=3, label=f"{label}, committee")
            accuracy.axhline(100 * found[layers]["weight_scaling_accuracy"], color=colour, linestyle=":",
                             label=f"{label}, weight scaling")
        start = found[1]["geometric"]["difference"][0]
        difference.loglog(KS, [start / numpy.sqrt(k) for k in KS], color="grey", linewidth=0.8, label="K^-1/2")
        difference.set(xlabel="committee size K", ylabel="mean |p_K - p_ws|")
        accuracy.set(xlabel="committee size K", ylabel="test accuracy %")
        difference.legend(fontsize=7)
        accuracy.legend(fontsize=7, loc="lower right")
