"""Compactness: d-bit parity needs 2^d units shallow, about 4d deep.

The lecture (LECTURES.md, "Theory") states it for circuits of logic units.
Parity, t = (x_1 + ... + x_d) mod 2, is a chain of XORs, p_k = XOR(p_{k-1},
x_k), and one XOR is three McCulloch-Pitts units (OR, AND, "OR and not AND"):
3 (d - 1) units deep. A depth-2 AND-OR circuit needs one AND unit for every
odd input pattern, 2^(d-1), and an OR of them: 2^(d-1) + 1 units shallow.
Both are built here with ``backprop.classic.mcculloch_pitts`` and checked on
all 2^d inputs.

Then both are learnt by backpropagation on all 2^d patterns (bits and targets
coded -1/+1, tanh units, squared error, full-batch Adam):

- deep: one learnable 2-2-1 tanh module m applied along the bits,
  p_1 = x_1, p_k = m(p_{k-1}, x_k); 3 units per module, 3 (d - 1) in all,
  and 9 weights whatever d (m is shared). Learnt on XOR (d = 2) first, then
  on d = 3, 4, ... starting from the module of d - 1;
- shallow: one hidden layer of w tanh units, y = tanh(v^T tanh(W x + b) + c);
  the smallest w in a grid that reaches 100% training accuracy (a few
  restarts each), w + 1 units.

The lecture's 2^d is a property of AND-OR units. Threshold (and tanh) units
can count: h_k = [x_1 + ... + x_d >= k] for k = 1..d and an output
[h_1 - h_2 + h_3 - ... >= 1] compute parity with d + 1 units in one hidden
layer, so a learnt shallow net need not grow like 2^d; the experiment reports
what backpropagation finds.
"""
import numpy

from backprop import creation, nn, optim
from backprop.classic import mcculloch_pitts as mp
from backprop.data import datasets
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.ops.join import cat

LEARNING_RATE = 0.05
WIDTHS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
CHECK_EVERY = 10            # epochs between accuracy checks (training stops at 100%)
DEEP_UNITS_PER_BIT = 4      # the lecture's "about 4d deep"


class XorChain(nn.Module):
    """p_1 = x_1, p_k = m(p_{k-1}, x_k) for k = 2..d, with one learnable module m = 2 -> hidden -> 1 (tanh)."""

    def __init__(self, hidden=2):
        super().__init__()
        self.hidden = hidden
        self.xor = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Tanh())

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] < 2:
            raise ValueError(f"XorChain expects bits of shape (N, d) with d >= 2, got {tuple(x.shape)}")
        p = x[:, 0:1]
        for k in range(1, x.shape[1]):
            p = self.xor(cat([p, x[:, k:k + 1]], dim=1))
        return p

    def units(self, d):
        """Hidden and output units of the d - 1 modules the chain unrolls to."""
        return (self.hidden + 1) * (d - 1)


def shallow_net(d, width):
    """One hidden layer: y = tanh(v^T tanh(W x + b) + c), ``width`` hidden units."""
    return nn.Sequential(nn.Linear(d, width), nn.Tanh(), nn.Linear(width, 1), nn.Tanh())


def patterns(d):
    """All 2^d inputs and their parities, coded -1/+1 (x = 2 bit - 1, t = +1 for an odd number of ones)."""
    x, t = datasets.parity(d).tensors
    return x * 2 - 1, t * 2 - 1


def accuracy(net, x, t):
    """Share of patterns whose output has the target's sign."""
    return float((numpy.sign(common.predict(net, x)) == t.numpy()).mean())


def train(net, x, t, steps):
    """Full-batch Adam on the squared error until every pattern is right (checked every few steps) or ``steps``.

    Returns (accuracy, steps taken).
    """
    optimizer = optim.Adam(net.parameters(), lr=LEARNING_RATE)

    def after_epoch(epoch, loss):
        return epoch % CHECK_EVERY == 0 and accuracy(net, x, t) == 1.0

    losses = common.fit(net, optimizer, nn.MSELoss(), x, t, steps, after_epoch=after_epoch)
    return accuracy(net, x, t), len(losses)


def counting_network(d):
    """Parity from d + 1 threshold units in one hidden layer: h_k = [sum x >= k], y = [h_1 - h_2 + ... >= 1]."""
    net = mp.McCullochPittsNetwork(d)
    counters = [net.add(mp.McCullochPitts([1.0] * d, k), range(d)) for k in range(1, d + 1)]
    net.add(mp.McCullochPitts([(-1.0) ** k for k in range(d)], 1), counters)
    return net


def constructions(d):
    """The three McCulloch-Pitts circuits for d bits: name -> (units, depth, computes parity on all 2^d inputs)."""
    bits, t = datasets.parity(d).tensors
    nets = {"deep XOR chain": mp.parity_network(d), "shallow AND-OR": mp.parity_network(d, shallow=True),
            "shallow counting": counting_network(d)}
    return {name: (net.n_units, net.depth, bool((net(bits).numpy() == t.numpy()[:, 0]).all()))
            for name, net in nets.items()}


def learn_deep(ds, steps, restarts, seed):
    """The shared chain learnt on d = ds[0] (restarts until it is right), then on each next d from the last module.

    Returns d -> (accuracy before training on d, accuracy after, steps taken).
    """
    x, t = patterns(ds[0])
    for attempt in range(restarts):
        creation.manual_seed(seed + attempt)
        chain = XorChain()
        found, taken = train(chain, x, t, steps)
        if found == 1.0:
            break
    rows = {ds[0]: (None, found, taken)}
    for d in ds[1:]:
        x, t = patterns(d)
        before = accuracy(chain, x, t)
        found, taken = (before, 0) if before == 1.0 else train(chain, x, t, steps)
        rows[d] = (before, found, taken)
    return rows, chain


def cold_start(d, steps, restarts, seed):
    """How many of ``restarts`` fresh chains, trained on d bits alone, reach 100%."""
    x, t = patterns(d)
    wins = 0
    for attempt in range(restarts):
        creation.manual_seed(seed + attempt)
        wins += train(XorChain(), x, t, steps)[0] == 1.0
    return wins


def smallest_width(d, steps, restarts, seed, start=0):
    """The first width of WIDTHS (from index ``start``) at which some restart reaches 100%.

    Returns (width or None, its best accuracy, index of the width). A width that
    computes d-bit parity also computes (d-1)-bit parity (fix one input and fold
    it into the biases), so the search for d may start at the width found for d - 1.
    """
    x, t = patterns(d)
    best = 0.0
    for index in range(start, len(WIDTHS)):
        for attempt in range(restarts):
            creation.manual_seed(seed + attempt)
            found, _ = train(shallow_net(d, WIDTHS[index]), x, t, steps)
            best = max(best, found)
            if found == 1.0:
                return WIDTHS[index], found, index
    return None, best, len(WIDTHS) - 1


def _draw(report, rows):
    ds = [row["d"] for row in rows]
    with report.figure("parity.png", "Units needed for d-bit parity (log scale). Circuits: the deep XOR chain "
                       "3(d-1), the shallow AND-OR circuit 2^(d-1)+1 (exponential), the shallow counting circuit "
                       "d+1. Learnt by backpropagation to 100%: the shared deep chain (3(d-1) units) and the "
                       "narrowest shallow tanh net found. Right: free weights of the learnt nets.",
                       ncols=2, figsize=(11, 4)) as axes:
        if axes is None:
            return
        axis = axes[0]
        axis.plot(ds, [2 ** d for d in ds], color="black", linestyle=":", label="lecture: 2^d shallow")
        axis.plot(ds, [DEEP_UNITS_PER_BIT * d for d in ds], color="grey", linestyle=":", label="lecture: 4d deep")
        axis.plot(ds, [row["and_or"] for row in rows], marker="s", label="shallow AND-OR circuit")
        axis.plot(ds, [row["counting"] for row in rows], marker="^", label="shallow counting circuit")
        axis.plot(ds, [row["deep_units"] for row in rows], marker="o", label="deep chain (circuit = learnt)")
        learnt = [(row["d"], row["shallow_units"]) for row in rows if row["shallow_units"] is not None]
        axis.plot(*zip(*learnt), marker="D", label="shallow learnt (narrowest)")
        axis.set(xlabel="bits d", ylabel="units", yscale="log", title="units")
        axis.legend(fontsize=7)
        axes[1].plot(ds, [row["deep_weights"] for row in rows], marker="o", label="deep chain (shared module)")
        axes[1].plot(*zip(*[(row["d"], row["shallow_weights"]) for row in rows if row["shallow_weights"]]),
                     marker="D", label="shallow learnt")
        axes[1].set(xlabel="bits d", ylabel="free weights", yscale="log", title="weights of the learnt nets")
        axes[1].legend(fontsize=8)
        for axis in axes:
            axis.grid(alpha=0.3, which="both")


@experiment("parity", title="Compactness: parity is small deep and large shallow",
            claim="""d-bit parity needs 2^d units in a shallow network but only about 4d in a deep one.""")
def run(report, quick, seed):
    top, steps, restarts = (5, 1000, 2) if quick else (10, 2000, 3)
    ds = list(range(2, top + 1))
    report.setup(f"""Circuits: McCulloch-Pitts networks from `backprop.classic.mcculloch_pitts` (deep: a chain of
XOR modules of 3 units; shallow: one AND unit per odd pattern and an OR) and a counting circuit built here (d
threshold units h_k = [sum x >= k] and an output [h_1 - h_2 + ... >= 1]), each checked on all 2^d inputs, d =
{ds[0]}..{top}. Learning: all 2^d patterns coded -1/+1, tanh units, squared error, full-batch Adam (learning rate
{LEARNING_RATE}), at most {steps} steps, stopped once every pattern is right (checked every {CHECK_EVERY} steps).
Deep: one shared 2-2-1 module applied along the bits (3(d-1) units, 9 weights), learnt on d = 2 first ({restarts}
restarts at most), then on each next d from the previous module. Shallow: one hidden layer; widths
{", ".join(map(str, WIDTHS))} tried in order from the width found for d - 1, {restarts} restarts each; the narrowest
that reaches 100% counts, as width + 1 units. Seed {seed}.""")

    deep, chain = learn_deep(ds, steps, restarts, seed)
    rows, start = [], 0
    for d in ds:
        circuits = constructions(d)
        width, shallow_accuracy, start = smallest_width(d, steps, restarts, seed, start)
        rows.append({"d": d, "circuits": circuits, "deep_units": chain.units(d),
                     "deep_weights": sum(p.numel() for p in chain.parameters()),
                     "deep_before": deep[d][0], "deep_accuracy": deep[d][1], "deep_steps": deep[d][2],
                     "shallow_units": None if width is None else width + 1, "shallow_accuracy": shallow_accuracy,
                     "shallow_weights": None if width is None else width * (d + 2) + 1,
                     "and_or": circuits["shallow AND-OR"][0], "counting": circuits["shallow counting"][0]})
    cold = {d: cold_start(d, steps, restarts, seed) for d in ds} if not quick else None

    report.table(["d", "deep units 3(d-1)", "deep accuracy (learnt)", "before training on d", "steps",
                  "shallow units needed (learnt)", "shallow accuracy", "AND-OR circuit 2^(d-1)+1",
                  "counting circuit d+1", "lecture: 4d deep / 2^d shallow"]
                 + (["deep from scratch: restarts at 100%"] if cold else []),
                 [[r["d"], r["deep_units"], f"{100 * r['deep_accuracy']:.1f}%",
                   "-" if r["deep_before"] is None else f"{100 * r['deep_before']:.1f}%", r["deep_steps"],
                   "none found" if r["shallow_units"] is None else r["shallow_units"],
                   f"{100 * r['shallow_accuracy']:.1f}%", r["and_or"], r["counting"],
                   f"{DEEP_UNITS_PER_BIT * r['d']} / {2 ** r['d']}"]
                  + ([f"{cold[r['d']]} of {restarts}"] if cold else []) for r in rows],
                 "Units are hidden plus output units. Learnt deep: the shared chain, trained on d from the module "
                 "of d - 1 ('before': its accuracy on d bits before that). Learnt shallow: the narrowest tanh "
                 "layer that reached 100%.")

    circuits_right = all(ok for r in rows for _, _, ok in r["circuits"].values())
    deep_linear = all(r["circuits"]["deep XOR chain"][0] == r["deep_units"] == 3 * (r["d"] - 1)
                      <= DEEP_UNITS_PER_BIT * r["d"] for r in rows)
    deep_learnt = all(r["deep_accuracy"] == 1.0 for r in rows)
    doubling = all(b["and_or"] - 1 == 2 * (a["and_or"] - 1) for a, b in zip(rows, rows[1:]))
    ratio = rows[-1]["and_or"] / rows[-1]["deep_units"]
    shallow_found = [r for r in rows if r["shallow_units"] is not None]
    report.result("rows", [{k: v for k, v in r.items() if k != "circuits"} for r in rows])
    report.result("circuits", {r["d"]: {name: {"units": u, "depth": depth, "correct": ok}
                                        for name, (u, depth, ok) in r["circuits"].items()} for r in rows})
    if cold:
        report.result("deep_from_scratch", cold)
    last = rows[-1]
    generalised = sum(r["deep_before"] == 1.0 for r in rows[1:])
    report.text(f"""The lecture's claim is about circuits of logic units, and there it holds (2^(d-1)+1 for its 2^d,
3(d-1) for its "about 4d"): the deep chain's units grow linearly, the shallow AND-OR circuit's double with every bit
({ratio:.1f} times the deep chain's at d = {last['d']}). Learning: the shared chain
{"reaches" if deep_learnt else "does not reach"} 100% at every d, starting from the module learnt on d - 1
(already 100% right before any training on d at {generalised} of {len(rows) - 1} d),
with 9 weights whatever d{"; trained from scratch on d bits alone it succeeds only sometimes (last column)" if cold
else ""}. The narrowest learnt shallow nets have {", ".join(f"{r['shallow_units']}" for r in shallow_found)}
units for d = {", ".join(str(r["d"]) for r in shallow_found)}, against 2^(d-1)+1 for the AND-OR circuit and d + 1
for the counting circuit: tanh units, like threshold units, can count, so a shallow sigmoid net need not pay the
AND-OR circuit's 2^(d-1); how many units backpropagation needs is a question of optimisation (restarts, steps), not
of what one hidden layer can compute.

Rules of the verdict: every circuit computes parity on all 2^d inputs; the deep chain has 3(d-1) <= 4d units and,
learnt by backpropagation, gets all 2^d patterns right at every d; the shallow AND-OR circuit's units - 1 double with
every bit (2^(d-1) AND units).""")
    _draw(report, rows)
    report.verdict(circuits_right and deep_linear and deep_learnt and doubling,
                   f"d = {ds[0]}..{last['d']}: deep {last['deep_units']} units at d = {last['d']} (3(d-1), linear; "
                   f"learnt to {'100%' if deep_learnt else 'less than 100%'} at every d), shallow AND-OR "
                   f"{last['and_or']} (2^(d-1)+1, {'doubling' if doubling else 'not doubling'} per bit; circuits "
                   f"{'all correct' if circuits_right else 'NOT all correct'}); the narrowest learnt shallow tanh nets "
                   f"had {', '.join(str(r['shallow_units']) for r in shallow_found)} units (tanh units can count: "
                   f"d + 1 suffice), so 2^d is the cost of AND-OR units, not of a shallow net of threshold or sigmoid "
                   f"units.")
