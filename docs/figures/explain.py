"""Draw docs/figures/explain_digits.png: ``python docs/figures/explain.py`` (needs matplotlib).

A small CNN trained on the 8x8 digits (as in docs/explain.md); for four test
digits, the maps of its predicted class: saliency, gradient x input,
integrated gradients and Grad-CAM, each drawn with ``explain.plot``.
"""
import functools
import os

import backprop as bp
from backprop import explain, models, nn
from backprop.train import plots

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = {
    "saliency": explain.saliency,
    "gradient x input": explain.gradient_x_input,
    "integrated gradients": functools.partial(explain.integrated_gradients, steps=100),
    "Grad-CAM": explain.grad_cam,
}


def trained_cnn():
    bp.manual_seed(0)
    model = models.cnn(input_shape=(1, 8, 8), channels=(8, 16), hidden=32, dropout=0.0)
    optimizer = bp.optim.Adam(model.parameters(), lr=1e-2)
    train = bp.data.DataLoader(bp.data.digits(train=True), batch_size=64, shuffle=True, seed=0)
    for _ in range(3):
        for images, labels in train:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def main():
    model = trained_cnn()
    x, labels = next(iter(bp.data.DataLoader(bp.data.digits(train=False), batch_size=4)))
    with bp.no_grad():
        predicted = model(x).numpy().argmax(axis=1)
    maps = {name: method(model, x) for name, method in METHODS.items()}
    figure, axes = plots._pyplot().subplots(len(x), 1 + len(METHODS), figsize=(2.2 * (1 + len(METHODS)), 2.2 * len(x)))
    for row, image in enumerate(x.numpy()):
        axes[row, 0].imshow(image[0], cmap="gray")
        axes[row, 0].set_title(f"label {labels[row].item()}, predicted {predicted[row]}", fontsize=9)
        axes[row, 0].axis("off")
        for column, (name, heat) in enumerate(maps.items(), start=1):
            explain.plot(image, heat[row], ax=axes[row, column])
            axes[row, column].set_title(name, fontsize=9)
    plots._save(figure, os.path.join(HERE, "explain_digits.png"))


if __name__ == "__main__":
    main()
