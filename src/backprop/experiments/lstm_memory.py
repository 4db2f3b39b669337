"""The adding problem: an LSTM bridges a long time lag where a plain RNN with the same budget does not.

The lecture (Sequences): LSTM's gates and its constant error carousel bridge
long time lags ("> 1000 steps"). The test is Hochreiter and Schmidhuber's
(1997) adding problem in the form of Le, Jaitly and Hinton (2015) and
Arjovsky et al. (2016): a sequence of T pairs (v_t, m_t), v_t ~ U(0, 1), the
marker m_t = 1 at two steps (one in each half of the sequence) and 0
elsewhere; after the last step the net must say

    y = sum_t m_t v_t,

the sum of the two marked values. Saying 1 whatever the input gives the
mean squared error Var(v_a + v_b) = 2/12 = 1/6 ~ 0.167: the baseline a net
that remembers nothing reaches.

Why the plain RNN fails: h_t = tanh(W_ih x_t + W_hh h_{t-1} + b), so the
error reaching step t from step T is a product of T - t Jacobians
diag(1 - h_s^2) W_hh, which shrinks (or blows up) geometrically with the
lag. The LSTM's cell c_t = f_t * c_{t-1} + i_t * g_t passes the error back
as dc_{t-1} = dc_t * f_t: with the forget gate open (f ~ 1) it carries the
error unchanged over any number of steps (the carousel); the input gate i_t
decides what is written into it. ``carousel_lstm`` sets such an LSTM by
hand: one cell, i = [marker], f = o = 1, g = tanh(scale * v).
"""
import numpy

from backprop import autograd, creation, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.nn import utils
from backprop.tensor import Tensor

BASELINE = 1 / 6  # E[(v_a + v_b - 1)^2]: the MSE of always answering 1
SOLVED, FAILED = 0.05, 0.10  # test MSE below SOLVED: learned; above FAILED: near the baseline
HIDDEN, BATCH, LR, CLIP = 32, 64, 1e-2, 1.0


def adding_problem(n, length, rng):
    """``n`` sequences of the adding problem: x (n, length, 2) float32 (value, marker), y (n, 1) the marked sum.

    One marker falls uniformly in the first half (steps 0 .. length//2 - 1),
    the other in the second half; ``rng`` is a NumPy Generator.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"adding_problem: n must be a positive integer, got {n!r}")
    if not isinstance(length, int) or length < 2:
        raise ValueError(f"adding_problem: length must be an integer >= 2 (one marker per half), got {length!r}")
    x = numpy.zeros((n, length, 2), dtype=numpy.float32)
    x[:, :, 0] = rng.random((n, length))
    rows = numpy.arange(n)
    first, second = rng.integers(0, length // 2, n), rng.integers(length // 2, length, n)
    x[rows, first, 1] = x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]
    return Tensor._make(x), Tensor._make(y[:, None])


def baseline_mse(y):
    """The MSE of answering 1 (the mean of the target) to every sequence: about 1/6."""
    return float(((y.numpy() - 1.0) ** 2).mean())


class Adder(nn.Module):
    """A recurrent layer over the sequence (batch first) and a Linear read-out of its last hidden state."""

    def __init__(self, cell, hidden=HIDDEN):
        super().__init__()
        layers = {"lstm": nn.LSTM, "rnn": nn.RNN}
        if cell not in layers:
            raise ValueError(f"Adder: cell must be 'lstm' or 'rnn' (tanh), got {cell!r}")
        self.cell = cell
        self.recurrent = layers[cell](2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        output = self.recurrent(x)[0]
        return self.head(output[:, -1])


def carousel_lstm(scale=0.01, gain=40.0):
    """An ``Adder`` with one LSTM cell set by hand to solve the adding problem at any length.

    Gates (torch's order i, f, g, o) from the input (v, m): i = sigmoid(gain (m - 1/2))
    writes only at the markers, f = o = sigmoid(gain) = 1 keeps the cell, g = tanh(scale v)
    ~ scale v; so c_T ~ scale (v_a + v_b), h_T = tanh(c_T) ~ c_T, and the read-out divides
    by ``scale``. The error of the tanh's is about (scale v)^2 / 3, relative.
    """
    model = Adder("lstm", hidden=1)
    lstm = model.recurrent
    with autograd.no_grad():
        for param in model.parameters():
            param.data[...] = 0
        lstm.weight_ih_l0.data[0, 1], lstm.bias_ih_l0.data[0] = gain, -gain / 2  # input gate: the marker
        lstm.bias_ih_l0.data[1] = gain                                            # forget gate: open
        lstm.weight_ih_l0.data[2, 0] = scale                                      # candidate: the value
        lstm.bias_ih_l0.data[3] = gain                                            # output gate: open
        model.head.weight.data[0, 0] = 1 / scale
    return model


def mse(model, x, y):
    """Mean squared error of ``model`` on (x, y), in eval mode without a graph."""
    return float(((common.predict(model, x) - y.numpy()) ** 2).mean())


def train(model, length, steps, rng, test, every=50):
    """Adam on fresh batches of the adding problem, gradients clipped to norm ``CLIP``.

    Returns {"loss": the training MSE of every step, "steps": [0, every, ...],
    "test": the test MSE on ``test`` = (x, y) at those steps}.
    """
    optimizer = optim.Adam(model.parameters(), lr=LR)
    history = {"loss": [], "steps": [0], "test": [mse(model, *test)]}
    for step in range(1, steps + 1):
        x, y = adding_problem(BATCH, length, rng)
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        history["loss"].append(loss.item())
        if step % every == 0 or step == steps:
            history["steps"].append(step)
            history["test"].append(mse(model, *test))
    return history


def memory_profile(model, x):
    """d y_hat / d v_t at the marked steps: for each step t, the mean over the sequences of ``x`` marked at t.

    The adding problem's answer is v_a + v_b, so a net that remembers the
    marked value at step t has d y_hat / d v_t = 1 there, whatever the lag
    T - t; 0 means the value is forgotten by the end. Backpropagation through
    time computes this derivative as the error signal reaching step t, so the
    profile also shows how far back the learning signal still arrives.
    Shape (length,); nan at a step that no sequence marks.
    """
    marked = x.numpy()[:, :, 1] == 1
    x = creation.tensor(x.numpy(), requires_grad=True)
    model(x).sum().backward()  # each answer depends on its own sequence only: the sum keeps them apart
    model.zero_grad()
    slope = numpy.where(marked, x.grad.numpy()[:, :, 0], 0.0).sum(axis=0)
    count = marked.sum(axis=0)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return numpy.where(count > 0, slope / numpy.maximum(count, 1), numpy.nan)


@experiment("lstm_memory", title="Long time lags: LSTM vs plain RNN on the adding problem",
            claim="LSTM's gates and constant error carousel bridge long time lags (> 1000 steps), where a plain "
                  "recurrent net's error signal vanishes.")
def run(report, quick, seed):
    lengths, steps, n_test = ((10, 30), 550, 500) if quick else ((10, 50, 100), 2500, 1000)
    long_lag = lengths[1]
    report.setup(f"""
Data: the adding problem (Hochreiter and Schmidhuber 1997, in the form of Le, Jaitly and Hinton 2015): sequences of
T pairs (value v_t ~ U(0, 1), marker), two markers, one in each half; target the sum of the two marked values.
Answering 1 always gives MSE 1/6 = {BASELINE:.3f} (the baseline). T = {', '.join(map(str, lengths))}. Models: `nn.LSTM`
or `nn.RNN` (tanh), {HIDDEN} hidden units, batch first, a Linear read-out of the last hidden state. Training: Adam,
learning rate {LR}, {steps} steps of {BATCH} fresh sequences each, gradient norm clipped to {CLIP}; both models see
the same batches, seed {seed}. Measured: MSE on {n_test} test sequences every 50 steps; after training, d y_hat / d v_t
at the marked steps (1 for a net that remembers v_t until the end, 0 for one that forgot it). Also a one-cell LSTM
set by hand (input gate = marker, forget and output gates open: the constant error carousel) on 200 sequences of
T = 1000. Verdict: at T >= {long_lag} the LSTM's final test MSE < {SOLVED} and the RNN's > {FAILED}; at T = {lengths[0]}
both < {SOLVED}; the hand-set LSTM at T = 1000 < 1e-3.""")
    found = {}
    for length in lengths:
        test = adding_problem(n_test, length, numpy.random.default_rng([seed, length, 1]))
        found[length] = {"baseline": baseline_mse(test[1])}
        for cell in ("lstm", "rnn"):
            creation.manual_seed(seed)
            model = Adder(cell)
            history = train(model, length, steps, numpy.random.default_rng([seed, length]), test)
            found[length][cell] = {"steps": history["steps"], "test": history["test"],
                                   "memory": memory_profile(model, test[0]).tolist()}
    report.result("curves", found)
    final = report.result("final_test_mse", {t: {c: found[t][c]["test"][-1] for c in ("lstm", "rnn")} for t in lengths})
    remembered = {t: {c: _halves(found[t][c]["memory"]) for c in ("lstm", "rnn")} for t in lengths}
    report.result("memory_first_second_marker", remembered)
    report.table(["T", "LSTM test MSE", "RNN test MSE", "baseline (answer 1)", "LSTM d y/d v_a, d y/d v_b",
                  "RNN d y/d v_a, d y/d v_b"],
                 [[t, final[t]["lstm"], final[t]["rnn"], found[t]["baseline"],
                   _pair(remembered[t]["lstm"]), _pair(remembered[t]["rnn"])]
                  for t in lengths],
                 caption=f"after {steps} steps of {BATCH} sequences; d y/d v_a, d y/d v_b: the answer's slope in the "
                         f"first and the second marked value, averaged over the test sequences (1 for the solution)")
    carousel = report.result("carousel_mse_T1000",
                             mse(carousel_lstm(), *adding_problem(200, 1000, numpy.random.default_rng([seed, 1000]))))
    report.text(f"The one-cell LSTM set by hand (the carousel, no training) answers sequences of T = 1000 with MSE "
                f"{carousel:.2g}.")
    _draw(report, found, lengths)
    long = [t for t in lengths if t >= long_lag]
    reproduced = (all(final[t]["lstm"] < SOLVED and final[t]["rnn"] > FAILED for t in long)
                  and all(final[lengths[0]][c] < SOLVED for c in ("lstm", "rnn")) and carousel < 1e-3)
    report.verdict(reproduced, "test MSE at T = " + "; ".join(
        f"{t}: LSTM {final[t]['lstm']:.3g}, RNN {final[t]['rnn']:.3g}" for t in lengths)
        + f" (answering 1: {BASELINE:.3f}); the hand-set carousel LSTM at T = 1000: {carousel:.1g} (criterion: at "
        f"T >= {long_lag} LSTM < {SOLVED} and RNN > {FAILED}, at T = {lengths[0]} both < {SOLVED}, carousel < 1e-3)")


def _halves(profile):
    """The mean of a memory profile over the first half of the steps (the first marker) and over the second."""
    profile = numpy.asarray(profile, dtype=float)
    half = len(profile) // 2
    return [float(numpy.nanmean(profile[:half])), float(numpy.nanmean(profile[half:]))]


def _pair(values):
    return ", ".join(f"{round(v, 2) + 0.0:.2f}" for v in values)  # + 0.0: no "-0.00" for a tiny negative slope


def _draw(report, found, lengths):
    with report.figure("lstm_memory.png", "Test MSE against training step for each sequence length T (dashed: the "
                       "baseline 1/6 of answering 1; dotted: 0.05). Right: d y_hat / d v_t at the marked steps t of the "
                       "nets trained at the longest T (1: v_t remembered until the end)",
                       nrows=(len(lengths) + 2) // 2, ncols=2) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        for ax, length in zip(axes, lengths):
            for cell, colour in (("lstm", "C0"), ("rnn", "C1")):
                ax.semilogy(found[length][cell]["steps"], found[length][cell]["test"], color=colour,
                            label=cell.upper())
            ax.axhline(BASELINE, color="grey", linestyle="--", label="answer 1")
            ax.axhline(SOLVED, color="grey", linestyle=":", linewidth=0.8)
            ax.set(title=f"T = {length}", xlabel="training step", ylabel="test MSE")
            ax.legend(fontsize=7)
        last, length = axes[len(lengths)], lengths[-1]
        for unused in axes[len(lengths) + 1:]:
            unused.axis("off")
        for cell, colour in (("lstm", "C0"), ("rnn", "C1")):
            last.plot(range(1, length + 1), found[length][cell]["memory"], ".-", color=colour, ms=3,
                      label=cell.upper())
        last.axhline(1.0, color="grey", linestyle="--", label="the sum's slope")
        last.set(title=f"T = {length}, after training", xlabel="marked step t", ylabel="d y_hat / d v_t")
        last.legend(fontsize=7)
