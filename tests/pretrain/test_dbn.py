"""DBN: greedy layer-wise pretraining, the classifier built from the RBMs, and the issue's test on the digits."""
import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.pretrain import DBN, RBM


def digits(train):
    dataset = bp.data.digits(train=train)
    return bp.tensor(dataset.data.reshape(-1, 64) / 16, dtype=bp.float32), bp.tensor(dataset.targets)


def fine_tune(model, x, y, epochs):
    optimizer = bp.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    for _ in range(epochs):
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def accuracy(model, x, y):
    with bp.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def test_pretrained_dbn_classifies_digits_after_one_epoch_of_fine_tuning():
    x, y = digits(train=True)
    x_test, y_test = digits(train=False)
    bp.manual_seed(0)
    dbn = DBN([64, 64, 32])
    histories = dbn.pretrain(x, epochs=10, batch_size=32, lr=0.5, momentum=0.5)
    assert [len(h) for h in histories] == [10, 10]
    assert all(h[-1] < h[0] for h in histories)
    pretrained = accuracy(fine_tune(dbn.classifier(10), x, y, epochs=1), x_test, y_test)
    # the same sigmoid net initialised as torch does, trained the same way
    scratch = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.Sigmoid(), nn.Linear(64, 32), nn.Sigmoid(),
                            nn.Linear(32, 10))
    from_scratch = accuracy(fine_tune(scratch, x, y, epochs=1), x_test, y_test)
    assert pretrained > 0.8  # chance is 0.1
    assert pretrained > from_scratch + 0.2


def test_each_rbm_learns_from_the_hidden_probabilities_below():
    x = bp.rand(40, 6)
    bp.manual_seed(1)
    dbn = DBN([6, 4, 3])
    histories = dbn.pretrain(x, epochs=2, batch_size=16)
    bp.manual_seed(1)
    first, second = RBM(6, 4), RBM(4, 3)
    expected = [first.fit(x, epochs=2, batch_size=16)]
    expected.append(second.fit(first.hidden_probabilities(x), epochs=2, batch_size=16))
    assert histories == expected
    assert np.array_equal(dbn.rbms[1].weight.detach().numpy(), second.weight.detach().numpy())
    assert np.allclose(dbn(x).detach().numpy(), second.hidden_probabilities(first.hidden_probabilities(x)).numpy())


def test_classifier_copies_the_rbms_weights():
    bp.manual_seed(0)
    dbn = DBN([6, 4, 3])
    dbn.pretrain(bp.rand(20, 6), epochs=1)
    model = dbn.classifier(5)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    assert isinstance(model[0], nn.Flatten) and [type(m) for m in model[2::2]] == [nn.Sigmoid, nn.Sigmoid]
    assert [(m.in_features, m.out_features) for m in linears] == [(6, 4), (4, 3), (3, 5)]
    for linear, rbm in zip(linears, dbn.rbms):
        assert np.array_equal(linear.weight.detach().numpy(), rbm.weight.detach().numpy())
        assert np.array_equal(linear.bias.detach().numpy(), rbm.hidden_bias.detach().numpy())
    x = bp.rand(3, 1, 2, 3)
    with bp.no_grad():
        assert np.allclose(model[:5](x).numpy(), dbn(x).detach().numpy(), atol=1e-6)  # the stack's p(h|v)
    linears[0].weight.data[...] = 0  # a copy: fine-tuning leaves the RBM alone
    assert np.abs(dbn.rbms[0].weight.detach().numpy()).sum() > 0


def test_the_classifier_of_a_float64_dbn_is_float64_throughout():
    dbn = DBN([6, 4, 3]).double()
    model = dbn.classifier(2)
    assert {p.dtype for p in model.parameters()} == {bp.float64}
    assert model(bp.rand(5, 6, dtype=bp.float64)).dtype == bp.float64


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="at least two"):
        DBN([64])
    for bad in ([64, 0], [64, True], [64, 2.5], "64"):
        with pytest.raises(ValueError, match="positive int"):
            DBN(bad)
    assert DBN(np.array([6, 3])).sizes == [6, 3]     # any sequence of ints, as Autoencoder takes
    with pytest.raises(ValueError, match="num_classes"):
        DBN([4, 2]).classifier(0)
