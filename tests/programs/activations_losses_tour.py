# A tour of activation and loss modules on fixed inputs, as one checks a layer before using it: each module's repr,
# its output and the gradient it sends back (summaries printed), and for the losses each reduction.
# compare: close rtol=1e-5 atol=1e-6
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


def summary(t):
    return f"sum {t.sum().item():.6f} abs {t.abs().sum().item():.6f}"


def activations():
    x = torch.linspace(-3, 3, 16).view(2, 8).requires_grad_()
    modules = [nn.SiLU(), nn.Mish(), nn.Hardtanh(-2.0, 2.0), nn.ReLU6(), nn.PReLU(num_parameters=1, init=0.2),
               nn.RReLU(0.1, 0.3), nn.SELU(), nn.CELU(alpha=0.5), nn.GLU(dim=-1), nn.Hardswish(), nn.Hardsigmoid(),
               nn.LogSigmoid(), nn.Softsign(), nn.Softmin(dim=1), nn.Tanhshrink(), nn.Softshrink(0.5),
               nn.Hardshrink(0.5), nn.Threshold(0.1, -1.0), nn.ELU(alpha=0.7), nn.GELU(approximate='tanh'),
               nn.LeakyReLU(0.05), nn.Softplus(beta=2, threshold=10), nn.LogSoftmax(dim=1)]
    for module in modules:
        module.eval()
        y = module(x)
        (grad,) = torch.autograd.grad((y * torch.cos(torch.arange(y.numel()).view_as(y).float())).sum(), x)
        print(f"{module}: {summary(y)} | grad {summary(grad)}")
    image = torch.linspace(-1, 1, 24).view(1, 2, 3, 4)
    print("Softmax2d:", summary(nn.Softmax2d()(image)), "channels sum to one:",
          bool(torch.allclose(nn.Softmax2d()(image).sum(1), torch.ones(1, 3, 4))))
    prelu = nn.PReLU(3)
    out = prelu(torch.linspace(-1, 1, 12).view(2, 3, 2))
    out.sum().backward()
    print("PReLU(3) weight grad:", [round(v, 6) for v in prelu.weight.grad.tolist()])


def losses():
    torch.manual_seed(0)
    a = torch.linspace(-2, 2, 12).view(3, 4).requires_grad_()
    b = torch.cos(torch.arange(12.0)).view(3, 4)
    pos = torch.linspace(0.1, 2, 12).view(3, 4)
    for reduction in ("mean", "sum", "none"):
        results = {
            "HuberLoss": nn.HuberLoss(reduction=reduction, delta=0.8)(a, b),
            "SmoothL1Loss": nn.SmoothL1Loss(reduction=reduction, beta=0.5)(a, b),
            "SoftMarginLoss": nn.SoftMarginLoss(reduction=reduction)(a, b.sign()),
            "MultiLabelSoftMarginLoss": nn.MultiLabelSoftMarginLoss(reduction=reduction)(a, (b > 0).float()),
            "MultiLabelMarginLoss": nn.MultiLabelMarginLoss(reduction=reduction)(
                a, torch.tensor([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3]])),
            "CosineEmbeddingLoss": nn.CosineEmbeddingLoss(margin=0.2, reduction=reduction)(
                a, b, torch.tensor([1, -1, 1])),
            "MarginRankingLoss": nn.MarginRankingLoss(margin=0.3, reduction=reduction)(a[:, 0], a[:, 1],
                                                                                       torch.tensor([1., -1., 1.])),
            "TripletMarginLoss": nn.TripletMarginLoss(margin=1.0, p=2, reduction=reduction)(a, b, b.flip(0)),
            "TripletMarginWithDistanceLoss": nn.TripletMarginWithDistanceLoss(
                distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), margin=0.5, reduction=reduction)(
                a, b, b.flip(0)),
            "PoissonNLLLoss": nn.PoissonNLLLoss(log_input=True, reduction=reduction)(a, pos),
            "PoissonNLLLoss(full)": nn.PoissonNLLLoss(log_input=False, full=True, reduction=reduction)(a.exp(), pos * 2),
            "GaussianNLLLoss": nn.GaussianNLLLoss(reduction=reduction)(a, b, pos),
            "KLDivLoss": nn.KLDivLoss(reduction="batchmean" if reduction == "mean" else reduction)(
                F.log_softmax(a, dim=1), F.softmax(b, dim=1)),
            "BCEWithLogitsLoss": nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1., 2., 3., 4.]), reduction=reduction)(
                a, (b > 0).float()),
            "NLLLoss(weight)": nn.NLLLoss(weight=torch.tensor([1., 0.5, 2., 1.]), reduction=reduction)(
                F.log_softmax(a, dim=1), torch.tensor([0, 2, 3])),
            "CrossEntropyLoss(smoothing)": nn.CrossEntropyLoss(label_smoothing=0.1, reduction=reduction)(
                a, torch.tensor([1, 0, 3])),
        }
        print(f"reduction={reduction}")
        for name, value in results.items():
            (grad,) = torch.autograd.grad(value.sum(), a)
            print(f"  {name}: {summary(value)} shape {tuple(value.shape)} | grad {summary(grad)}")

    # CTC: 6 time steps, batch of 2, 5 classes (0 is the blank)
    logits = torch.linspace(-1, 1, 60).view(6, 2, 5).sin().mul(3).requires_grad_()
    targets = torch.tensor([[1, 2, 2], [3, 4, 0]])
    for reduction in ("mean", "sum", "none"):
        loss = nn.CTCLoss(blank=0, reduction=reduction, zero_infinity=True)(
            logits.log_softmax(2), targets, torch.tensor([6, 5]), torch.tensor([3, 2]))
        (grad,) = torch.autograd.grad(loss.sum(), logits)
        print(f"CTCLoss {reduction}: {summary(loss)} | grad {summary(grad)}")


def main():
    parser = argparse.ArgumentParser()
    parser.parse_args()
    torch.manual_seed(0)
    activations()
    losses()


if __name__ == "__main__":
    main()
