# Semantic segmentation with a SegNet-style encoder-decoder: max pooling that returns its indices
# (nn.MaxPool2d(return_indices=True)) and nn.MaxUnpool2d that puts values back where the maxima were, per-pixel
# CrossEntropyLoss on (N, C, H, W) logits with class weights and ignore_index for an unlabelled border, Adam, and
# mean intersection-over-union. Images of discs and squares (made by formula), weights from NumPy's generator.
# compare: close rtol=2e-3 atol=1e-4
# expect: mean IoU >= 0.4
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = 255


def scenes(n, rng, size=16):
    ys, xs = np.mgrid[0:size, 0:size]
    images = np.zeros((n, 1, size, size), np.float32)
    masks = np.zeros((n, size, size), np.int64)
    for i in range(n):
        cy, cx = rng.uniform(4, 12, size=2)
        r = rng.uniform(2.5, 4.5)
        if i % 2 == 0:
            inside = (ys - cy) ** 2 + (xs - cx) ** 2 <= r * r
            masks[i][inside] = 1
        else:
            inside = (np.abs(ys - cy) <= r) & (np.abs(xs - cx) <= r)
            masks[i][inside] = 2
        images[i, 0] = inside * 1.0 + rng.normal(0, 0.3, size=(size, size))
    masks[:, 0, :] = masks[:, -1, :] = masks[:, :, 0] = masks[:, :, -1] = IGNORE
    return torch.from_numpy(images), torch.from_numpy(masks)


def conv_bn_relu(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class SegNet(nn.Module):
    def __init__(self, classes=3, width=8):
        super().__init__()
        self.enc1, self.enc2 = conv_bn_relu(1, width), conv_bn_relu(width, 2 * width)
        self.pool = nn.MaxPool2d(2, stride=2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2, stride=2)
        self.dec2, self.dec1 = conv_bn_relu(2 * width, width), conv_bn_relu(width, width)
        self.classifier = nn.Conv2d(width, classes, 1)

    def forward(self, x):
        x = self.enc1(x)
        size1 = x.size()
        x, idx1 = self.pool(x)
        x = self.enc2(x)
        size2 = x.size()
        x, idx2 = self.pool(x)
        x = self.unpool(x, idx2, output_size=size2)
        x = self.dec2(x)
        x = self.unpool(x, idx1, output_size=size1)
        return self.classifier(self.dec1(x))


def mean_iou(pred, target, classes=3):
    valid = target != IGNORE
    ious = []
    for c in range(classes):
        inter = ((pred == c) & (target == c) & valid).sum().item()
        union = (((pred == c) | (target == c)) & valid).sum().item()
        if union:
            ious.append(inter / union)
    return sum(ious) / len(ious)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    images, masks = scenes(64, rng)
    test_images, test_masks = scenes(16, rng)
    model = SegNet()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):   # He-normal weights, zero biases; BatchNorm keeps ones and zeros
                std = (2.0 / m.weight[0].numel()) ** 0.5
                m.weight.copy_(torch.from_numpy(rng.normal(0, std, size=tuple(m.weight.shape)).astype(np.float32)))
                m.bias.zero_()
    weights = torch.tensor([0.5, 1.0, 1.0])
    criterion = nn.CrossEntropyLoss(weight=weights, ignore_index=IGNORE)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    print("labelled pixels per class:", [int((masks == c).sum()) for c in range(3)],
          "ignored:", int((masks == IGNORE).sum()))
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for i in range(0, len(images), args.batch_size):
            optimizer.zero_grad()
            logits = model(images[i:i + args.batch_size])
            loss = criterion(logits, masks[i:i + args.batch_size])
            loss.backward()
            optimizer.step()
            total += loss.item()
        if epoch % 2 == 0:
            print(f"epoch {epoch}: loss {total / (len(images) // args.batch_size):.5f}")
    model.eval()
    with torch.no_grad():
        logits = model(test_images)
        test_loss = criterion(logits, test_masks).item()
        per_pixel = F.cross_entropy(logits, test_masks, ignore_index=IGNORE, reduction="none")
        pred = logits.argmax(1)
    print("per-pixel loss shape:", tuple(per_pixel.shape), "zero on ignored:",
          bool((per_pixel[test_masks == IGNORE] == 0).all()))
    print(f"mean IoU: {mean_iou(pred, test_masks):.4f}")
    print(f"final loss: {test_loss:.5f}")


if __name__ == "__main__":
    main()
