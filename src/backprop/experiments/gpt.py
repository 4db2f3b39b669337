"""A small GPT as a character language model, against a counted bigram and an LSTM of the same size.

The lecture (applications): generative pre-trained transformers (GPT, LLaMA) are
decoder-only Transformers trained to predict the next token. Here the text is
``data.docstrings()`` (the standard library's docstrings, shipped with Python),
the tokens its characters; the first 90% train, the last 10% validate. Three
models of the next character:

- the **bigram**, counted: p(b | a) = (c(a, b) + alpha) / (c(a) + alpha V), the
  character pair counts of the training text with additive smoothing (alpha
  picked on the validation text from a grid: the baseline gets its best shot);
- the **CharLSTM** of ``models.char_lm`` (embedding, one LSTM layer, linear head)
  with about as many parameters as the GPT;
- the **GPT** of ``models.gpt``: learnt token and position embeddings, pre-norm
  blocks of causal multi-head self-attention and a GELU MLP, a final LayerNorm.

Both networks see the same mini-batches of windows of the training text, for the
same number of Adam steps under the same learning-rate schedule (linear warm-up,
cosine decay), each at its own peak rate. The measure is the validation
cross-entropy in nats per character,

    J = -(1/(n - 1)) sum_t log p(x_t | x_s .. x_{t-1}),

the windows of the networks restarting every ``seq_len`` characters (the bigram
always sees its one character before).
"""
import math
import time

import numpy

from backprop import creation, nn, optim
from backprop.data import text
from backprop.experiments.registry import experiment
from backprop.models import CharLSTM, GPT, count_parameters, evaluate_char_lm, sample
from backprop.models.char_lm import _flat_cross_entropy

ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
WARMUP_SHARE, FLOOR = 0.1, 0.1  # warm up over the first 10% of the steps; decay to 10% of the peak rate

FULL = dict(chars=None, steps=300, batch=32, seq_len=64, n_layer=2, n_head=4, n_embd=64, embed=32,
            gpt_lr=5e-3, lstm_lr=1e-2, every=25, curve_chars=4000)
QUICK = dict(chars=40_000, steps=200, batch=16, seq_len=32, n_layer=2, n_head=2, n_embd=32, embed=16,
             gpt_lr=1e-2, lstm_lr=1e-2, every=25, curve_chars=1500)
PROMPT, SAMPLE_CHARS, TEMPERATURE = "Return the ", 200, 0.8


def split(ids, share=0.9):
    """The text's ids cut into the first ``share`` (training) and the rest (validation)."""
    cut = int(len(ids) * share)
    return ids[:cut], ids[cut:]


def bigram_counts(ids, vocab_size):
    """c[a, b]: how often character b follows character a in ``ids``."""
    ids = numpy.asarray(ids)
    counts = numpy.zeros((vocab_size, vocab_size))
    numpy.add.at(counts, (ids[:-1], ids[1:]), 1)
    return counts


def bigram_loss(counts, ids, alpha):
    """The bigram's cross-entropy (nats per character) on ``ids``: every character but the first predicted by
    p(b | a) = (c(a, b) + alpha) / (c(a) + alpha V) from the one before it."""
    ids = numpy.asarray(ids)
    smoothed = counts + alpha
    log_p = numpy.log(smoothed) - numpy.log(smoothed.sum(axis=1, keepdims=True))
    return float(-log_p[ids[:-1], ids[1:]].mean())


def lstm_hidden_for(params, vocab_size, embed):
    """The hidden size h whose CharLSTM(vocab_size, embed, h) has the parameter count nearest ``params``:
    V e (embedding) + 4 h (e + h + 2) (the LSTM's gates, two biases) + (h + 1) V (the head)."""
    def count(h):
        return vocab_size * embed + 4 * h * (embed + h + 2) + (h + 1) * vocab_size
    return min(range(1, 2048), key=lambda h: abs(count(h) - params))


def schedule(steps):
    """The learning-rate factor of step s (0-based): linear warm-up over the first ``WARMUP_SHARE`` of the
    steps, then a cosine from 1 down to ``FLOOR``."""
    warmup = max(1, round(WARMUP_SHARE * steps))

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return FLOOR + (1 - FLOOR) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


def batch_stream(ids, seq_len, batch, seed):
    """Mini-batches of ``text.char_batches`` epoch after epoch, from one seeded generator: the same stream for
    every model given the same seed."""
    rng = numpy.random.default_rng(seed)
    while True:
        yield from text.char_batches(ids, seq_len, batch, seed=rng)


def train(model, train_ids, curve_ids, config, lr, seed):
    """Adam on ``config['steps']`` batches of ``batch_stream`` under ``schedule``, gradient norm clipped to 1.
    Returns {"steps", "val" (the loss on ``curve_ids`` at those steps), "seconds"}."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.LambdaLR(optimizer, schedule(config["steps"]))
    seq_len, every = config["seq_len"], config["every"]
    history = {"steps": [0], "val": [evaluate_char_lm(model, curve_ids, seq_len=seq_len)]}
    start, evaluating = time.perf_counter(), 0.0
    model.train()
    stream = batch_stream(train_ids, seq_len, config["batch"], seed)
    for step in range(1, config["steps"] + 1):
        inputs, targets = next(stream)
        loss = _flat_cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % every == 0 or step == config["steps"]:
            clock = time.perf_counter()
            history["steps"].append(step)
            history["val"].append(evaluate_char_lm(model, curve_ids, seq_len=seq_len))
            evaluating += time.perf_counter() - clock
    history["seconds"] = time.perf_counter() - start - evaluating
    return history


@experiment("gpt", title="A small GPT as a character language model",
            claim="A decoder-only Transformer (GPT: causal self-attention, learnt positions, pre-norm blocks) "
                  "trained to predict the next character reaches a lower validation loss than a counted "
                  "character bigram and than an LSTM of the same parameter count trained for as many steps.")
def run(report, quick, seed):
    config = QUICK if quick else FULL
    corpus = text.docstrings(max_chars=config["chars"])
    vocab = text.CharVocab(corpus)
    train_ids, val_ids = split(vocab.encode(corpus).numpy())
    curve_ids = val_ids[:config["curve_chars"]]
    seq_len = config["seq_len"]

    counts = bigram_counts(train_ids, vocab.size)
    by_alpha = {alpha: bigram_loss(counts, val_ids, alpha) for alpha in ALPHAS}
    alpha = min(by_alpha, key=by_alpha.get)
    frequencies = (numpy.bincount(train_ids, minlength=vocab.size) + 1) / (len(train_ids) + vocab.size)

    def unigram_loss(ids):
        return float(-numpy.log(frequencies[ids[1:]]).mean())
    on_curve = {"bigram": bigram_loss(counts, curve_ids, alpha),  # the baselines on the curves' characters
                "unigram": unigram_loss(curve_ids)}

    creation.manual_seed(seed)
    gpt = GPT(vocab.size, seq_len, config["n_layer"], config["n_head"], config["n_embd"])
    hidden = lstm_hidden_for(count_parameters(gpt), vocab.size, config["embed"])
    creation.manual_seed(seed)
    lstm = CharLSTM(vocab.size, embed_dim=config["embed"], hidden_size=hidden)
    models = {"gpt": gpt, "lstm": lstm}
    sizes = {name: count_parameters(model) for name, model in models.items()}

    report.setup(f"""
Text: `data.docstrings({config['chars'] or ''})`, {len(corpus):,} characters, {vocab.size} distinct; the first 90%
({len(train_ids):,}) train, the last 10% ({len(val_ids):,}) validate. **GPT** (`models.GPT`): {config['n_layer']}
pre-norm blocks, {config['n_head']} heads, width {config['n_embd']}, MLP width {4 * config['n_embd']} (tanh GELU),
learnt positions, context {seq_len}; {sizes['gpt']:,} parameters. **CharLSTM** (`models.CharLSTM`): embedding
{config['embed']}, one LSTM layer of {hidden} units, linear head; {sizes['lstm']:,} parameters (the hidden size with
the count nearest the GPT's). **Bigram**: pair counts of the training text, additive smoothing alpha picked on the
validation text from {list(ALPHAS)} (alpha = {alpha}). Training: both networks see the same {config['steps']}
mini-batches of {config['batch']} windows of {seq_len} characters (`data.char_batches`, seed {seed}), Adam with a
linear warm-up over {WARMUP_SHARE:.0%} of the steps then a cosine decay to {FLOOR:.0%}, peak rate {config['gpt_lr']}
(GPT) and {config['lstm_lr']} (LSTM), gradient norm clipped to 1. Measured: validation cross-entropy (nats per
character) on the first {len(curve_ids):,} validation characters every {config['every']} steps, and on the whole
validation text at the end (windows of {seq_len}, `models.evaluate_char_lm`). Verdict: reproduced when the GPT's
final validation loss is below both the bigram's and the LSTM's.""")

    histories = {name: train(model, train_ids, curve_ids, config, config[f"{name}_lr"], seed)
                 for name, model in models.items()}
    final = {name: evaluate_char_lm(model, val_ids, seq_len=seq_len) for name, model in models.items()}
    final["bigram"], final["unigram"] = by_alpha[alpha], unigram_loss(val_ids)
    report.result("val_loss", final)
    report.result("parameters", sizes)
    report.result("bigram_alpha", alpha)
    report.result("curves", {name: {"steps": h["steps"], "val": h["val"]} for name, h in histories.items()})
    report.result("train_seconds", {name: h["seconds"] for name, h in histories.items()})
    bits = 1 / math.log(2)
    report.table(["model", "parameters", "validation loss (nats/char)", "bits/char", "training time (s)"],
                 [["GPT", sizes["gpt"], final["gpt"], final["gpt"] * bits, histories["gpt"]["seconds"]],
                  ["CharLSTM", sizes["lstm"], final["lstm"], final["lstm"] * bits, histories["lstm"]["seconds"]],
                  [f"bigram (counted, alpha {alpha})", vocab.size ** 2, final["bigram"], final["bigram"] * bits, 0.0],
                  ["unigram (frequencies)", vocab.size, final["unigram"], final["unigram"] * bits, 0.0]],
                 caption=f"after {config['steps']} steps, on all {len(val_ids):,} validation characters")

    creation.manual_seed(seed)
    samples = {name: sample(model, vocab, PROMPT, SAMPLE_CHARS, temperature=TEMPERATURE)
               for name, model in models.items()}
    report.result("samples", samples)
    report.text(f"Samples ({SAMPLE_CHARS} characters after the prompt {PROMPT!r}, temperature {TEMPERATURE}):\n\n"
                + "\n\n".join(f"{name.upper() if name == 'gpt' else 'CharLSTM'}:\n\n```text\n{samples[name]}\n```"
                              for name in samples))
    _draw(report, histories, on_curve, config)
    reproduced = final["gpt"] < final["bigram"] and final["gpt"] < final["lstm"]
    report.verdict(reproduced, f"validation loss (nats per character): GPT {final['gpt']:.3f}, CharLSTM "
                               f"{final['lstm']:.3f} ({sizes['gpt']:,} vs {sizes['lstm']:,} parameters, "
                               f"{config['steps']} steps each), counted bigram {final['bigram']:.3f}, unigram "
                               f"{final['unigram']:.3f} (criterion: the GPT below the bigram and the LSTM)")


def _draw(report, histories, baselines, config):
    with report.figure("gpt.png", f"Validation loss (nats per character, on the first {config['curve_chars']:,} "
                       "validation characters) against training step; dashed: the counted bigram, dotted: the "
                       "unigram, on the same characters", figsize=(6, 4)) as axes:
        if axes is None:
            return
        ax = axes[0]
        for name, label, colour in (("gpt", "GPT", "C0"), ("lstm", "CharLSTM", "C1")):
            ax.plot(histories[name]["steps"], histories[name]["val"], color=colour, label=label)
        ax.axhline(baselines["bigram"], color="grey", linestyle="--", label="bigram (counted)")
        ax.axhline(baselines["unigram"], color="grey", linestyle=":", label="unigram")
        ax.set(xlabel="training step", ylabel="validation loss (nats/char)",
               ylim=(min(min(h["val"]) for h in histories.values()) - 0.1, baselines["unigram"] + 0.5))
        ax.legend(fontsize=8)
