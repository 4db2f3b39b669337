# Samplers and dataset combinators: SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
# BatchSampler, Subset, ConcatDataset, random_split, IterableDataset, and a seeded generator that repeats epochs.
# compare: exact
import argparse

import torch
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, IterableDataset, RandomSampler,
                              SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                              random_split)


class Counter(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


def main():
    argparse.ArgumentParser().parse_args()
    torch.manual_seed(0)
    data = TensorDataset(torch.arange(10).float().unsqueeze(1), torch.arange(10) % 2)
    print("sequential:", list(SequentialSampler(data)))
    random_order = list(RandomSampler(data))
    print("random is a permutation:", sorted(random_order) == list(range(10)))
    print("with replacement:", len(list(RandomSampler(data, replacement=True, num_samples=25))))
    subset_order = list(SubsetRandomSampler([1, 3, 5]))
    print("subset random:", sorted(subset_order))
    weighted = list(WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], num_samples=6, replacement=True))
    print("weighted:", weighted)
    print("batch sampler:", list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
    print("batch sampler drop_last:", list(BatchSampler(range(7), batch_size=3, drop_last=True)))
    loader = DataLoader(data, batch_sampler=BatchSampler(SequentialSampler(data), 4, False))
    print("via batch_sampler:", [y.tolist() for _, y in loader])
    loader = DataLoader(data, sampler=SubsetRandomSampler(range(4)), batch_size=4)
    print("via sampler:", sorted(next(iter(loader))[0].view(-1).tolist()))

    subset = Subset(data, [0, 2, 4])
    print("subset:", len(subset), subset[1])
    both = ConcatDataset([subset, Subset(data, [9])])
    print("concat:", len(both), both[3][0])
    train, val = random_split(data, [7, 3], generator=torch.Generator().manual_seed(42))
    print("random_split sizes:", len(train), len(val), sorted(train.indices + val.indices) == list(range(10)))
    a, b = random_split(range(8), [0.75, 0.25])
    print("fractions:", len(a), len(b))

    g = torch.Generator()
    g.manual_seed(7)
    first = [x.view(-1).tolist() for x, _ in DataLoader(data, batch_size=5, shuffle=True, generator=g)]
    g.manual_seed(7)
    again = [x.view(-1).tolist() for x, _ in DataLoader(data, batch_size=5, shuffle=True, generator=g)]
    print("seeded shuffles repeat:", first == again)
    print("iterable:", [batch.tolist() for batch in DataLoader(Counter(3, 10), batch_size=3)])
    print("loader length:", len(DataLoader(data, batch_size=3)), len(DataLoader(data, batch_size=3, drop_last=True)))


if __name__ == "__main__":
    main()
