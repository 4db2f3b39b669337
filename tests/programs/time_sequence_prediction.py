# The time_sequence_prediction example: two stacked nn.LSTMCell layers unrolled by hand over sine waves, in double
# precision, trained with optim.LBFGS and a closure, then asked to continue each wave for `future` steps. The waves
# are shifted by fixed amounts and the starting weights come from NumPy's generator, so the two frameworks follow
# the same path.
# compare: close rtol=1e-4 atol=1e-7
# expect: final loss < 0.01
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self, hidden=16):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)
        self.hidden = hidden

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # predicting the future: the last output is the next input
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=3, help='steps to run')
    parser.add_argument('--future', type=int, default=10)
    args = parser.parse_args()
    np.random.seed(0)
    torch.manual_seed(0)
    # waves: sin((t + shift) / T), T = 4, with shifts spread over a period
    T, L, N = 4, 30, 10
    x = np.empty((N, L), np.int64)
    x[:] = np.array(range(L)) + np.arange(N).reshape(N, 1) * 5
    data = np.sin(x / 1.0 / T).astype('float64')
    input = torch.from_numpy(data[2:, :-1])
    target = torch.from_numpy(data[2:, 1:])
    test_input = torch.from_numpy(data[:2, :-1])
    test_target = torch.from_numpy(data[:2, 1:])

    seq = Sequence()
    seq.double()
    rng = np.random.default_rng(1)
    with torch.no_grad():
        for p in seq.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.25, 0.25, size=tuple(p.shape))))
    print("dtypes:", {str(p.dtype) for p in seq.parameters()})
    criterion = nn.MSELoss()
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
    for i in range(args.steps):
        print('STEP: ', i)

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            print('loss: %.8f' % loss.item())
            loss.backward()
            return loss
        optimizer.step(closure)
        with torch.no_grad():
            future = args.future
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            print('test loss: %.8f' % loss.item())
            y = pred.detach().numpy()
        print("continuation:", np.round(y[0, -future:-future + 4], 5).tolist())
    print("final loss: %.8f" % loss.item())


if __name__ == "__main__":
    main()
