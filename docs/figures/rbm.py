"""Draw docs/figures/rbm_filters.png: ``python docs/figures/rbm.py`` (needs matplotlib).

The first RBM of a DBN [64, 32, 16] pretrained on the binarised 8x8 digits
(CD-1 with momentum and a little weight decay, as in docs/rbm.md): each of
its 32 hidden units' weights W_j drawn as an 8x8 image, grey = 0, white =
positive, black = negative, each filter on its own symmetric scale.
"""
import os

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.pretrain import DBN  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    images = bp.data.digits().data.reshape(-1, 64) / 16
    v = bp.tensor((images > 0.5).astype(np.float32))
    bp.manual_seed(0)
    dbn = DBN([64, 32, 16])
    histories = dbn.pretrain(v, epochs=30, batch_size=32, lr=0.1, momentum=0.5, weight_decay=1e-3)
    first = dbn.rbms[0]
    weight = first.weight.detach().numpy()
    figure, axes = plt.subplots(4, 8, figsize=(8, 4.6))
    for w, axis in zip(weight, axes.flat):
        scale = np.abs(w).max()
        axis.imshow(w.reshape(8, 8), cmap="gray", vmin=-scale, vmax=scale)
        axis.axis("off")
    error = histories[0]
    figure.suptitle(f"first RBM of a DBN on binarised digits: 32 filters W_j (8x8); reconstruction error "
                    f"{error[0]:.3f} -> {error[-1]:.3f} in 30 epochs", fontsize=9)
    figure.tight_layout()
    figure.savefig(os.path.join(HERE, "rbm_filters.png"), dpi=100)


if __name__ == "__main__":
    main()
