"""The main job of `make demo`: a 2-2-1 sigmoid network learns XOR."""
from backprop.demos import xor


def test_xor_is_learned_and_the_loss_falls():
    _, x, y, losses = xor.train_xor(epochs=4000, lr=2.0, seed=0)
    predicted = [int(v > 0.5) for v in y.reshape(-1).tolist()]
    assert predicted == [0, 1, 1, 0]
    assert losses[-1] < 0.01 < losses[0]


def test_demo_prints_the_truth_table(capsys):
    assert xor.main(["--epochs", "4000"]) == 0
    out = capsys.readouterr().out
    assert "4/4 correct" in out and "loss" in out
