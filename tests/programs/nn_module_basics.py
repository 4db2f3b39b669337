# Building a network as an nn.Module: printing it, its parameters, state_dict keys, train/eval, apply, children.
# compare: exact
import argparse

import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.01)
        nn.init.zeros_(m.bias)


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"Using {device} device")
    model = NeuralNetwork().to(device)
    print(model)
    model.apply(init_weights)
    X = torch.ones(1, 28, 28, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    print(f"Predicted class: {y_pred}")
    print("logits:", logits.detach())
    print(f"Model structure: {model}\n\n")
    for name, param in model.named_parameters():
        print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2].shape}")
    print("parameters:", sum(p.numel() for p in model.parameters()))
    print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad))
    print(list(model.state_dict().keys()))
    print([type(m).__name__ for m in model.children()])
    print([name for name, _ in model.named_modules()])
    print(model.training, model.eval().training, model.linear_relu_stack[0].training, model.train().training)
    model.linear_relu_stack[0].weight.requires_grad_(False)
    print("frozen:", [n for n, p in model.named_parameters() if not p.requires_grad])
    print(model.linear_relu_stack[2])
    print(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2, 2), nn.Dropout(0.25), nn.BatchNorm2d(6), nn.LSTM(10, 20, 2))
    print(nn.Embedding(10, 3), nn.LayerNorm(8), nn.CrossEntropyLoss(), nn.LeakyReLU(0.2), nn.GRU(4, 4))


if __name__ == "__main__":
    main()
