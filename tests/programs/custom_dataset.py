# A custom Dataset (a CSV of annotations plus per-sample files, as the data loading tutorial does), a transform
# class, dict samples batched by default_collate, a custom collate_fn, drop_last, and iteration by hand.
# compare: exact
import argparse
import csv
import os

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class ToTensor:
    """Convert the ndarrays of a sample to Tensors."""

    def __call__(self, sample):
        image, landmarks = sample["image"], sample["landmarks"]
        return {"image": torch.from_numpy(image.transpose((2, 0, 1))), "landmarks": torch.from_numpy(landmarks)}


class FaceLandmarksDataset(Dataset):
    def __init__(self, csv_file, root_dir, transform=None):
        with open(csv_file) as f:
            self.rows = list(csv.reader(f))[1:]
        self.root_dir = root_dir
        self.transform = transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        name, *coords = self.rows[idx]
        image = np.load(os.path.join(self.root_dir, name))
        landmarks = np.array(coords, dtype=np.float32).reshape(-1, 2)
        sample = {"image": image, "landmarks": landmarks}
        if self.transform:
            sample = self.transform(sample)
        return sample


def write_files(n):
    os.makedirs("faces", exist_ok=True)
    with open("faces/landmarks.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image_name", "x0", "y0", "x1", "y1"])
        for i in range(n):
            np.save(f"faces/face{i}.npy", np.full((4, 4, 3), i, dtype=np.float32))
            writer.writerow([f"face{i}.npy", i, i + 1, 2 * i, 3])


def pad_collate(batch):
    lengths = torch.tensor([len(item) for item in batch])
    out = torch.zeros(len(batch), int(lengths.max()))
    for i, item in enumerate(batch):
        out[i, :len(item)] = item
    return out, lengths


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    torch.manual_seed(0)
    write_files(args.samples)
    dataset = FaceLandmarksDataset("faces/landmarks.csv", "faces")
    print("length:", len(dataset))
    sample = dataset[3]
    print("raw sample:", sample["image"].shape, sample["landmarks"].tolist())
    dataset = FaceLandmarksDataset("faces/landmarks.csv", "faces", transform=ToTensor())
    print("transformed:", dataset[torch.tensor(2)]["image"].shape)
    loader = DataLoader(dataset, batch_size=4, shuffle=False)
    for i_batch, sample_batched in enumerate(loader):
        print(i_batch, sample_batched["image"].size(), sample_batched["landmarks"].size(),
              sample_batched["image"][:, 0, 0, 0])
    print("batches:", len(loader), len(DataLoader(dataset, batch_size=4, drop_last=True)))

    tuples = [(torch.tensor([float(i)]), i, f"s{i}", np.int64(i)) for i in range(5)]
    x, ints, strings, np_ints = next(iter(DataLoader(tuples, batch_size=3)))
    print(x, ints, strings, np_ints)
    sequences = [torch.ones(n) * n for n in (1, 3, 2, 4)]
    for padded, lengths in DataLoader(sequences, batch_size=2, collate_fn=pad_collate):
        print(padded, lengths)
    unbatched = DataLoader(dataset, batch_size=None)
    print("batch_size=None:", next(iter(unbatched))["landmarks"].shape)
    it = iter(DataLoader(list(range(7)), batch_size=3))
    print(next(it), next(it), next(it))


if __name__ == "__main__":
    main()
