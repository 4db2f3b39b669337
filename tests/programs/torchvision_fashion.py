# torchvision's FashionMNIST from local files: class names, a transform pipeline with Lambda and a target
# transform (one-hot via scatter_), indexing the dataset, make_grid of a batch and save_image to a PNG.
# compare: none
# only: backprop
# data: fashion
# expect: classes == 10
# expect: grid channels == 3
import argparse
import os

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms, utils


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    training_data = datasets.FashionMNIST(
        root="data", train=True, download=False,
        transform=transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x * 2 - 1)]),
        target_transform=transforms.Lambda(
            lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)),
    )
    labels_map = {i: name for i, name in enumerate(training_data.classes)}
    print(f"classes: {len(training_data.classes)}")
    print("first classes:", [labels_map[i] for i in range(3)])
    img, target = training_data[5]
    print("image range:", round(img.min().item(), 3) >= -1, round(img.max().item(), 3) <= 1, tuple(img.shape))
    print("one-hot:", target.sum().item(), target.shape)
    loader = DataLoader(training_data, batch_size=16, shuffle=True)
    images, targets = next(iter(loader))
    print("batch:", tuple(images.shape), tuple(targets.shape))
    grid = utils.make_grid(images, nrow=4, padding=2, normalize=True)
    print(f"grid channels: {grid.shape[0]}")
    print("grid size:", tuple(grid.shape[1:]))
    utils.save_image(images[:8], "samples.png", nrow=4, normalize=True)
    print("saved:", os.path.getsize("samples.png") > 0)
    plain = datasets.FashionMNIST("data", train=False)
    pil_image, label = plain[0]
    print("without transform:", type(pil_image).__name__, pil_image.size, type(label).__name__)
    resized = transforms.Compose([transforms.Resize(14), transforms.CenterCrop(12), transforms.ToTensor()])(pil_image)
    print("resized:", tuple(resized.shape))


if __name__ == "__main__":
    main()
