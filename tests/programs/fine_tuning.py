# Fine-tuning as the transfer-learning tutorial does it, on a small pretrained-in-place network: freeze the
# feature extractor (requires_grad_(False)), replace the head, per-parameter-group learning rates, StepLR,
# keep the best weights with copy.deepcopy of the state_dict.
# compare: close rtol=1e-3 atol=1e-5
import argparse
import copy

import torch
import torch.nn as nn
import torch.optim as optim


def fill_(module, phase):
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(0.4 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + i + phase).reshape(p.shape))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    features = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 8), nn.ReLU())
    model = nn.Sequential(features, nn.Linear(8, 5))
    fill_(model, 0.0)
    x = torch.cos(torch.arange(40 * 6, dtype=torch.float32) * 0.31).reshape(40, 6)
    y = torch.arange(40) % 3
    for param in features.parameters():
        param.requires_grad = False
    model[1] = nn.Linear(8, 3)
    fill_(model[1], 1.0)
    print("trainable:", [n for n, p in model.named_parameters() if p.requires_grad])
    optimizer = optim.SGD([{"params": model[1].weight}, {"params": model[1].bias, "lr": 0.05}], lr=0.2, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    criterion = nn.CrossEntropyLoss()
    best_acc, best_wts = 0.0, copy.deepcopy(model.state_dict())
    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        outputs = model(x)
        loss = criterion(outputs, y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        print(f"epoch {epoch}: loss {loss.item():.4f} acc {acc:.3f} lrs {[g['lr'] for g in optimizer.param_groups]}")
        if acc > best_acc:
            best_acc, best_wts = acc, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_wts)
    print("frozen grads are None:", all(p.grad is None for p in features.parameters()))
    print(f"best accuracy: {best_acc:.3f}")


if __name__ == "__main__":
    main()
