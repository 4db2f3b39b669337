# A sequence-to-sequence nn.Transformer in the style of the language-translation tutorial: TokenEmbedding scaled by
# sqrt(d_model), a sinusoidal PositionalEncoding buffer, create_mask (a causal target mask from
# nn.Transformer.generate_square_subsequent_mask, boolean padding masks for source and target), teacher-forced
# training with CrossEntropyLoss(ignore_index=PAD_IDX), and greedy decoding with model.encode/model.decode. The
# "language pair" is synthetic: each target word is a fixed shift of its source word.
# Weights are drawn from Python's random and dropout is off, so both frameworks take the same path (the losses
# agree to float32 rounding for dozens of steps; over 128 Adam steps they drift apart by a few parts in 1000, so
# the decoded sentences may differ).
# compare: loss rel=0.05 floor=0.05
# free: source
# expect: final loss < 0.8
import argparse
import math
import random

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn import Transformer
from torch.nn.utils.rnn import pad_sequence

PAD_IDX, BOS_IDX, EOS_IDX = 0, 1, 2
SRC_WORDS, TGT_WORDS = 8, 8
SRC_VOCAB, TGT_VOCAB = 3 + SRC_WORDS, 3 + TGT_WORDS


def make_pairs(n, seed):
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        words = [rng.randrange(SRC_WORDS) for _ in range(rng.randint(2, 5))]
        src = torch.tensor([BOS_IDX] + [3 + w for w in words] + [EOS_IDX])
        tgt = torch.tensor([BOS_IDX] + [3 + (w + 3) % TGT_WORDS for w in words] + [EOS_IDX])
        pairs.append((src, tgt))
    return pairs


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size: int, dropout: float, maxlen: int = 64):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer('pos_embedding', pos_embedding)

    def forward(self, token_embedding: Tensor):
        return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size: int, emb_size):
        super(TokenEmbedding, self).__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens: Tensor):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size, tgt_vocab_size,
                 dim_feedforward=64, dropout=0.0):
        super(Seq2SeqTransformer, self).__init__()
        self.transformer = Transformer(d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                                       num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                                       dropout=dropout)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)
        self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

    def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None,
                                src_padding_mask, tgt_padding_mask, memory_key_padding_mask)
        return self.generator(outs)

    def encode(self, src, src_mask):
        return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

    def decode(self, tgt, memory, tgt_mask):
        return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)


def fixed_init(model, seed=0):
    """xavier_uniform_ for every matrix, as the tutorial does, but drawn from Python's random so that both
    frameworks start from the same weights; biases zero, LayerNorm weights one."""
    rng = random.Random(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                bound = math.sqrt(6.0 / (p.size(0) + p.size(1)))
                p.copy_(torch.tensor([rng.uniform(-bound, bound) for _ in range(p.numel())]).view_as(p))
            elif name.endswith('bias'):
                p.zero_()


def create_mask(src, tgt):
    src_seq_len = src.shape[0]
    tgt_seq_len = tgt.shape[0]
    tgt_mask = Transformer.generate_square_subsequent_mask(tgt_seq_len)
    src_mask = torch.zeros((src_seq_len, src_seq_len)).type(torch.bool)
    src_padding_mask = (src == PAD_IDX).transpose(0, 1)
    tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def collate_fn(batch):
    src_batch = pad_sequence([src for src, _ in batch], padding_value=PAD_IDX)
    tgt_batch = pad_sequence([tgt for _, tgt in batch], padding_value=PAD_IDX)
    return src_batch, tgt_batch


def greedy_decode(model, src, src_mask, max_len, start_symbol):
    memory = model.encode(src, src_mask)
    ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long)
    for i in range(max_len - 1):
        tgt_mask = Transformer.generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
        out = model.decode(ys, memory, tgt_mask)
        out = out.transpose(0, 1)
        prob = model.generator(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.item()
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == EOS_IDX:
            break
    return ys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=8)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    torch.manual_seed(0)
    train_pairs, test_pairs = make_pairs(128, seed=1), make_pairs(12, seed=2)

    transformer = Seq2SeqTransformer(2, 2, 32, 4, SRC_VOCAB, TGT_VOCAB)
    fixed_init(transformer)
    print("parameters:", sum(p.numel() for p in transformer.parameters()))
    print("causal mask:", Transformer.generate_square_subsequent_mask(3).tolist())
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
    optimizer = torch.optim.Adam(transformer.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-9)

    for epoch in range(1, args.epochs + 1):
        transformer.train()
        losses = 0
        batches = [train_pairs[i:i + args.batch_size] for i in range(0, len(train_pairs), args.batch_size)]
        for batch in batches:
            src, tgt = collate_fn(batch)
            tgt_input = tgt[:-1, :]
            src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
            logits = transformer(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask,
                                 src_padding_mask)
            optimizer.zero_grad()
            tgt_out = tgt[1:, :]
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
            loss.backward()
            optimizer.step()
            losses += loss.item()
        print(f"Epoch: {epoch}, Train loss: {losses / len(batches):.4f}")

    transformer.eval()
    exact = 0
    with torch.no_grad():
        for k, (src, tgt) in enumerate(test_pairs):
            src = src.view(-1, 1)
            src_mask = torch.zeros(src.size(0), src.size(0)).type(torch.bool)
            out = greedy_decode(transformer, src, src_mask, max_len=src.size(0) + 3, start_symbol=BOS_IDX).flatten()
            exact += int(out.tolist() == tgt.tolist())
            if k < 3:
                print("source", src.flatten().tolist(), "->", out.tolist())
    print(f"exact translations: {exact / len(test_pairs):.3f}")
    print(f"final loss: {losses / len(batches):.4f}")


if __name__ == "__main__":
    main()
