"""XOR with a 2-2-1 sigmoid network and plain gradient descent, on the engine alone.

The perceptron cannot learn XOR (Minsky & Papert 1969): no line separates
f([0,1]) = f([1,0]) = 1 from f([0,0]) = f([1,1]) = 0. One hidden layer can:

    a1 = sigma(W1 x + b1),  y = sigma(W2 a1 + b2),  L = mean 0.5 (y - t)^2

and backpropagation finds W1, b1, W2, b2 by following -dL/dtheta.

Run: ``python -m backprop.demos.xor [--epochs N] [--lr ETA] [--seed S]``.
"""
import argparse

import backprop as bp


def train_xor(epochs=4000, lr=2.0, seed=0, report=None):
    """Train the 2-2-1 network; returns (parameters, inputs, final outputs, losses)."""
    bp.manual_seed(seed)
    x = bp.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = bp.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (bp.randn(2, 2) * 1.0).requires_grad_()
    b1 = bp.zeros(2, requires_grad=True)
    w2 = (bp.randn(2, 1) * 1.0).requires_grad_()
    b2 = bp.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    losses = []
    for epoch in range(1, epochs + 1):
        y = bp.sigmoid(bp.sigmoid(x @ w1 + b1) @ w2 + b2)
        loss = (0.5 * (y - t) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with bp.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
        if report is not None:
            report(epoch, loss.item())
    with bp.no_grad():
        y = bp.sigmoid(bp.sigmoid(x @ w1 + b1) @ w2 + b2)
    return params, x, y, losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4000)
    parser.add_argument("--lr", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print("XOR with a 2-2-1 sigmoid network, full-batch gradient descent "
          f"(lr={args.lr}, seed={args.seed})")

    def report(epoch, loss):
        if epoch == 1 or epoch % (args.epochs // 10 or 1) == 0:
            print(f"  epoch {epoch:5d}   loss {loss:.6f}")

    _, x, y, _ = train_xor(args.epochs, args.lr, args.seed, report)
    print("\n  x1 x2 | target | output | predicted")
    for (x1, x2), out in zip(x.tolist(), y.reshape(-1).tolist()):
        target = int(x1) ^ int(x2)
        print(f"   {int(x1)}  {int(x2)} |   {target}    | {out:.4f} |     {int(out > 0.5)}")
    correct = sum(int(out > 0.5) == (int(a) ^ int(b)) for (a, b), out in zip(x.tolist(), y.reshape(-1).tolist()))
    print(f"\n{correct}/4 correct")
    return 0 if correct == 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
