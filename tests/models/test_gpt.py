"""models.GPT: against a torch twin with the same weights, the causal mask, the state convention, generation."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import text
from backprop.models import GPT, count_parameters, evaluate_char_lm, sample, train_char_lm
from nn.twin import compare_module


class TorchGPT(torch.nn.Module):
    """The same architecture written with torch's layers: token + position embeddings, pre-norm encoder
    layers under the causal mask (tanh-approximated GELU, width 4 n_embd), a final LayerNorm, a bias-free head."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, tie_weights=False):
        super().__init__()
        self.token_embedding = torch.nn.Embedding(vocab_size, n_embd)
        self.position_embedding = torch.nn.Embedding(block_size, n_embd)
        self.drop = torch.nn.Dropout(0.0)
        self.blocks = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(n_embd, n_head, 4 * n_embd, dropout=0.0,
                                             activation=torch.nn.GELU(approximate="tanh"), batch_first=True,
                                             norm_first=True)
            for _ in range(n_layer)])
        self.ln_f = torch.nn.LayerNorm(n_embd)
        self.head = torch.nn.Linear(n_embd, vocab_size, bias=False)
        if tie_weights:
            self.head.weight = self.token_embedding.weight

    def forward(self, ids):
        length = ids.shape[1]
        x = self.token_embedding(ids) + self.position_embedding(torch.arange(length))
        mask = torch.ones(length, length, dtype=torch.bool).triu(1)
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.ln_f(x))


@pytest.mark.parametrize("tie", [False, True])
def test_gpt_matches_its_torch_twin_in_values_and_gradients(tie):
    torch.manual_seed(0)
    theirs = TorchGPT(11, 8, 2, 2, 12, tie_weights=tie)
    for p in theirs.parameters():  # nonzero biases and LayerNorm weights, so that a mix-up of them shows
        with torch.no_grad():
            p.add_(0.1 * torch.randn_like(p))
    ours = GPT(11, block_size=8, n_layer=2, n_head=2, n_embd=12, tie_weights=tie)
    ids = np.random.default_rng(0).integers(0, 11, (3, 7))
    out, _ = compare_module(ours, theirs, [ids], dtype="float64")
    assert out.shape == (3, 7, 11)
    assert (ours.head.weight is ours.token_embedding.weight) == tie
    names = {name for name, _ in ours.named_parameters()}
    assert ("head.weight" in names) != tie and count_parameters(ours) == sum(p.numel() for p in theirs.parameters())


def test_changing_a_later_token_never_changes_an_earlier_positions_logits():
    bp.manual_seed(1)
    model = GPT(7, block_size=10, n_layer=2, n_head=2, n_embd=8)
    ids = np.random.default_rng(1).integers(0, 7, (2, 10))
    base = model(bp.tensor(ids)).detach().numpy()
    for t in range(10):
        changed = ids.copy()
        changed[:, t] = (changed[:, t] + 3) % 7
        logits = model(bp.tensor(changed)).detach().numpy()
        np.testing.assert_array_equal(logits[:, :t], base[:, :t])  # exactly: the future gets weight exp(-inf) = 0
        assert np.abs(logits[:, t:] - base[:, t:]).max(axis=-1).min() > 1e-6  # ... and from t on it does change


def test_the_gradient_of_an_early_logit_is_zero_for_every_later_token():
    bp.manual_seed(2)
    model = GPT(5, block_size=6, n_layer=1, n_head=2, n_embd=8)
    leaves = []

    def as_leaf(module, inputs, out):  # the token embeddings become a leaf whose gradient we read
        leaves.append(out.detach().requires_grad_())
        return leaves[-1]

    hook = model.token_embedding.register_forward_hook(as_leaf)
    model(bp.tensor([[1, 2, 3, 4, 0, 1]]))[0, 2].sum().backward()
    hook.remove()
    grad = np.abs(leaves[0].grad.numpy()[0]).max(axis=-1)
    assert (grad[:3] > 0).all() and (grad[3:] == 0).all()


def test_state_carries_the_context_as_the_lstms_does():
    bp.manual_seed(3)
    model = GPT(6, block_size=12, n_layer=1, n_head=2, n_embd=8)
    ids = bp.randint(0, 6, (2, 10))
    whole = model(ids).detach().numpy()
    first, state = model(ids[:, :4], return_state=True)
    second = model(ids[:, 4:], state)
    np.testing.assert_allclose(np.concatenate([first.detach().numpy(), second.detach().numpy()], axis=1), whole,
                               rtol=1e-5, atol=1e-6)
    assert state.tolist() == ids[:, :4].tolist()
    # beyond block_size the context is cropped to the last block_size ids
    short = GPT(6, block_size=4, n_layer=1, n_head=2, n_embd=8)
    long_ids = bp.randint(0, 6, (1, 9))
    _, state = short(long_ids[:, :4], return_state=True)
    assert state.tolist() == long_ids[:, 1:4].tolist()
    step = short(long_ids[:, 4:5], state)
    np.testing.assert_allclose(step.detach().numpy(), short(long_ids[:, 1:5])[:, -1:].detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_generate_and_sample_extend_the_prompt_greedily_as_the_argmax():
    bp.manual_seed(4)
    model = GPT(5, block_size=4, n_layer=1, n_head=1, n_embd=8)
    out = model.generate(bp.tensor([[1, 2], [3, 4]]), 6, temperature=0)
    assert tuple(out.shape) == (2, 8) and out[:, :2].tolist() == [[1, 2], [3, 4]]
    for t in range(2, 8):  # each new token is the argmax after the last block_size tokens before it
        expected = model(out[:, max(0, t - 4):t])[:, -1].detach().numpy().argmax(axis=-1)
        assert out[:, t].tolist() == expected.tolist()
    vocab = text.CharVocab("abcde")
    assert sample(model, vocab, "bc", 6, temperature=0) == vocab.decode(out[0].tolist())


def test_gpt_learns_a_text_with_train_char_lm():
    # a periodic text of period 5: after 4 characters of context the next one is certain
    ids = [0, 1, 2, 3, 2] * 60
    bp.manual_seed(5)
    model = GPT(4, block_size=8, n_layer=1, n_head=2, n_embd=16)
    before = evaluate_char_lm(model, ids, seq_len=8)
    history = train_char_lm(model, ids, epochs=8, seq_len=8, batch_size=8, lr=1e-2, seed=0)
    after = evaluate_char_lm(model, ids, seq_len=8)
    assert before > 1.0 and after < 0.35 and history[-1] < history[0]


def test_gpt_refuses_bad_arguments():
    with pytest.raises(ValueError, match="n_embd must be divisible by n_head, got n_embd=10 and n_head=3"):
        GPT(5, 8, 1, 3, 10)
    model = GPT(5, block_size=4, n_layer=1, n_head=1, n_embd=4)
    with pytest.raises(ValueError, match="GPT: sequences of 5 tokens are longer than block_size=4"):
        model(bp.zeros(1, 5, dtype=bp.int64))
    with pytest.raises(ValueError, match=r"GPT: token ids must be in \[0, 4\], got 0 to 5"):
        model(bp.tensor([[0, 5]]))
