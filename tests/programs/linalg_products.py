# Products and matrix helpers: mm, bmm, mv, outer, einsum (several forms), tensordot, kron, cross, addmm,
# baddbmm, tril/triu masks, diag_embed, block matrices with cat.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    a = torch.arange(6.0).reshape(2, 3)
    b = torch.arange(12.0).reshape(3, 4) / 10
    print("mm:", torch.mm(a, b), a.mm(b).shape)
    batch1 = torch.arange(24.0).reshape(2, 3, 4) / 10
    batch2 = torch.arange(16.0).reshape(2, 4, 2) / 10
    print("bmm:", torch.bmm(batch1, batch2))
    print("matmul broadcast:", (batch1 @ b.T[:, :3].T.T.reshape(4, 3)).shape)
    print("mv:", torch.mv(b.T, torch.tensor([1.0, 0.0, -1.0])))
    print("outer:", torch.outer(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0])))
    print("einsum ij,jk->ik:", torch.einsum("ij,jk->ik", a, b))
    print("einsum trace:", torch.einsum("ii", torch.eye(3) * 2))
    print("einsum batch:", torch.einsum("bij,bjk->bik", batch1, batch2).shape)
    print("einsum sum:", torch.einsum("ij->j", a), torch.einsum("i,i->", a[0], a[1]))
    print("tensordot:", torch.tensordot(batch1, batch2, dims=([2], [1])).shape)
    print("kron:", torch.kron(torch.eye(2), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    print("cross:", torch.linalg.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])))
    bias = torch.ones(2, 4)
    print("addmm:", torch.addmm(bias, a, b, beta=0.5, alpha=2.0))
    print("baddbmm:", torch.baddbmm(torch.zeros(2, 3, 2), batch1, batch2).sum())
    mask = torch.tril(torch.ones(4, 4, dtype=torch.bool))
    scores = torch.arange(16.0).reshape(4, 4)
    print("masked scores:", scores.masked_fill(~mask, float("-inf")).softmax(dim=-1))
    print("diag_embed:", torch.diag_embed(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    block = torch.cat([torch.cat([torch.eye(2), torch.zeros(2, 2)], 1), torch.cat([torch.zeros(2, 2), 2 * torch.eye(2)],
                                                                                   1)], 0)
    print("block:", block)
    w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = torch.tensor([1.0, -1.0], requires_grad=True)
    out = torch.einsum("ij,j->i", w, v).pow(2).sum()
    out.backward()
    print("einsum grads:", w.grad, v.grad)


if __name__ == "__main__":
    main()
