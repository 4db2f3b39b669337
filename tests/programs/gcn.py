# A two-layer graph convolutional network for node classification on a synthetic two-community graph: the
# normalised adjacency D^-1/2 (A + I) D^-1/2 as a sparse COO tensor, torch.sparse.mm in each layer, a train mask.
# compare: loss rel=0.3 floor=0.1
# expect: test accuracy >= 0.8
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def community_graph(n, p_in, p_out, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    same = labels[:, None] == labels[None, :]
    probs = np.where(same, p_in, p_out)
    upper = np.triu(rng.random((n, n)) < probs, k=1)
    adj = (upper | upper.T).astype(np.float32)
    features = rng.normal(0, 1, size=(n, 8)).astype(np.float32)
    features[:, 0] += 0.3 * (2 * labels - 1)
    return adj, features, labels


def normalise(adj):
    adj = adj + torch.eye(adj.size(0))
    d_inv_sqrt = adj.sum(1).pow(-0.5)
    return d_inv_sqrt.unsqueeze(1) * adj * d_inv_sqrt.unsqueeze(0)


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        stdv = 1.0 / math.sqrt(out_features)
        self.weight.data.uniform_(-stdv, stdv)
        self.bias.data.uniform_(-stdv, stdv)

    def forward(self, x, adj):
        support = torch.mm(x, self.weight)
        return torch.sparse.mm(adj, support) + self.bias


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        return F.log_softmax(self.gc2(x, adj), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(42)
    adj, features, labels = community_graph(args.nodes, 0.25, 0.02, seed=3)
    adj = normalise(torch.from_numpy(adj)).to_sparse()
    print("sparse adjacency:", adj.layout, tuple(adj.shape), "nonzeros:", adj.coalesce().values().numel())
    features, labels = torch.from_numpy(features), torch.from_numpy(labels).long()
    idx_train = torch.arange(0, args.nodes // 4)
    idx_test = torch.arange(args.nodes // 2, args.nodes)
    model = GCN(features.shape[1], args.hidden, 2, dropout=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(1, args.epochs + 1):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        if epoch % 20 == 0:
            print(f"Epoch: {epoch:04d} loss_train: {loss_train.item():.4f}")
    model.eval()
    with torch.no_grad():
        output = model(features, adj)
        loss_test = F.nll_loss(output[idx_test], labels[idx_test])
        acc_test = (output[idx_test].max(1)[1] == labels[idx_test]).double().mean()
    print(f"test accuracy: {acc_test.item():.4f}")
    print(f"final loss: {loss_test.item():.4f}")


if __name__ == "__main__":
    main()
