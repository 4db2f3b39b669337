# The word_language_model example's model file, both halves: an RNN model (LSTM or GRU with an Embedding encoder,
# Dropout, flatten_parameters and optionally tied decoder weights) and a TransformerModel (PositionalEncoding as a
# buffer, nn.TransformerEncoder, nn.Transformer.generate_square_subsequent_mask). Each is trained for a few epochs
# on a small corpus from a toy grammar (made with Python's random), with clip_grad_norm_ and hand-written SGD,
# annealing the learning rate when validation stops improving; perplexities printed.
# compare: loss rel=0.15
# expect: LSTM valid ppl < 4
# expect: GRU valid ppl < 4
# expect: Transformer valid ppl < 4
import argparse
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

SUBJECTS = ["the cat", "the dog", "a bird", "my friend", "the teacher", "a child"]
VERBS = ["sees", "likes", "follows", "finds"]
OBJECTS = ["the ball", "a tree", "the house", "a red car", "the river"]


def make_sentences(n, seed):
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}" for _ in range(n)]


class Dictionary(object):
    """Words to indices and back, each new word getting the next index."""

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        index = self.word2idx.setdefault(word, len(self.idx2word))
        if index == len(self.idx2word):
            self.idx2word.append(word)
        return index

    def __len__(self):
        return len(self.idx2word)


class Corpus(object):
    def __init__(self):
        self.dictionary = Dictionary()
        self.train = self.tokenize(make_sentences(300, seed=1))
        self.valid = self.tokenize(make_sentences(60, seed=2))

    def tokenize(self, lines):
        ids = [self.dictionary.add_word(word) for line in lines for word in line.split() + ['<eos>']]
        return torch.tensor(ids).type(torch.int64)


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        self.rnn.flatten_parameters()
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class PositionalEncoding(nn.Module):
    """Adds sin/cos position signals of different frequencies to the embeddings:
    PE(pos, 2i) = sin(pos / 10000^(2i/d_model)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d_model))."""

    def __init__(self, d_model, dropout=0.1, max_len=500):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Module):
    """Container module with an encoder, a stack of Transformer encoder layers, and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super(TransformerModel, self).__init__()
        self.model_type = 'Transformer'
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        encoder_layers = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                self.src_mask = nn.Transformer.generate_square_subsequent_mask(len(src)).to(src.device)
        else:
            self.src_mask = None
        src = self.encoder(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


def batchify(data, bsz):
    # trim what does not fit evenly, then give each of the bsz streams its own column
    usable = (data.size(0) // bsz) * bsz
    return data[:usable].reshape(bsz, -1).t().contiguous()


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, data_source, args, ntokens, criterion):
    model.eval()
    total_loss = 0.
    if model.__class__.__name__ != 'TransformerModel':
        hidden = model.init_hidden(args.eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i, args.bptt)
            if model.__class__.__name__ == 'TransformerModel':
                output = model(data)
                output = output.view(-1, ntokens)
            else:
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train_epoch(model, train_data, args, ntokens, criterion, lr):
    model.train()
    total_loss = 0.
    if model.__class__.__name__ != 'TransformerModel':
        hidden = model.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i, args.bptt)
        model.zero_grad()
        if model.__class__.__name__ == 'TransformerModel':
            output = model(data)
            output = output.view(-1, ntokens)
        else:
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        # clip_grad_norm helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
    return total_loss / (batch + 1)


def main():
    parser = argparse.ArgumentParser(description='RNN/Transformer language model on a toy corpus')
    parser.add_argument('--emsize', type=int, default=24)
    parser.add_argument('--nhid', type=int, default=24)
    parser.add_argument('--nlayers', type=int, default=2)
    parser.add_argument('--lr', type=float, default=5.0)
    parser.add_argument('--transformer_lr', type=float, default=2.0)
    parser.add_argument('--clip', type=float, default=0.25)
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--batch_size', type=int, default=5)
    parser.add_argument('--eval_batch_size', type=int, default=5)
    parser.add_argument('--bptt', type=int, default=12)
    parser.add_argument('--dropout', type=float, default=0.1)
    parser.add_argument('--nhead', type=int, default=2)
    parser.add_argument('--seed', type=int, default=1111)
    parser.add_argument('--models', type=str, default='LSTM,GRU,Transformer')
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    corpus = Corpus()
    train_data = batchify(corpus.train, args.batch_size)
    val_data = batchify(corpus.valid, args.eval_batch_size)
    ntokens = len(corpus.dictionary)
    print(f"vocabulary: {ntokens} words, train {tuple(train_data.shape)}, valid {tuple(val_data.shape)}")
    criterion = nn.NLLLoss()

    models = {
        'LSTM': RNNModel('LSTM', ntokens, args.emsize, args.emsize, args.nlayers, args.dropout, tie_weights=True),
        'GRU': RNNModel('GRU', ntokens, args.emsize, args.nhid, args.nlayers, args.dropout),
        'Transformer': TransformerModel(ntokens, args.emsize, args.nhead, args.nhid, args.nlayers, args.dropout),
    }
    models = {name: models[name] for name in args.models.split(',')}
    total = 0.0
    for name, model in models.items():
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")
        lr = args.lr if name != 'Transformer' else args.transformer_lr
        best_val_loss = None
        for epoch in range(1, args.epochs + 1):
            train_loss = train_epoch(model, train_data, args, ntokens, criterion, lr)
            val_loss = evaluate(model, val_data, args, ntokens, criterion)
            print('| {} | epoch {:2d} | lr {:4.2f} | train ppl {:7.2f} | valid loss {:5.2f} | valid ppl {:7.2f}'
                  .format(name, epoch, lr, math.exp(train_loss), val_loss, math.exp(val_loss)))
            if not best_val_loss or val_loss < best_val_loss:
                best_val_loss = val_loss
            else:
                # anneal the learning rate if no improvement has been seen in the validation set
                lr /= 4.0
        print(f"{name} valid ppl: {math.exp(best_val_loss):.3f}")
        total += best_val_loss
    print(f"final loss: {total / len(models):.4f}")


if __name__ == "__main__":
    main()
