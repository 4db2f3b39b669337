"""The transfer experiment's parts: the class split, the few-shot draw, the nets, what is frozen, the probe."""
import numpy
import pytest

import backprop as bp
from backprop.experiments import common
from backprop.experiments import transfer as T


def test_task_keeps_only_its_classes_and_renumbers_them():
    x, y = T.task(T.TARGET, train=False)
    _, all_labels = common.digits(train=False)
    counts = numpy.bincount(all_labels.numpy(), minlength=10)
    assert x.shape[1:] == (1, 8, 8) and len(x) == len(y) == counts[5:].sum()
    assert numpy.bincount(y.numpy()).tolist() == counts[5:].tolist()  # 5 -> 0, ..., 9 -> 4, in order
    x_all, _ = common.digits(train=False)
    first_seven = numpy.flatnonzero(all_labels.numpy() == 7)[0]
    assert numpy.array_equal(x[y.numpy() == 2][0].numpy(), x_all[int(first_seven)].numpy())


def test_few_draws_k_distinct_examples_per_class_reproducibly():
    x = bp.arange(30, dtype=bp.float32).reshape(30, 1)
    y = bp.tensor([0, 1, 2] * 10)
    xs, ys = T.few(x, y, 4, seed=1)
    assert numpy.bincount(ys.numpy()).tolist() == [4, 4, 4]
    assert len(set(xs.numpy().ravel())) == 12
    assert all(int(v) % 3 == label for v, label in zip(xs.numpy().ravel(), ys.numpy()))  # images keep their labels
    assert numpy.array_equal(T.few(x, y, 4, seed=1)[0].numpy(), xs.numpy())
    assert not numpy.array_equal(T.few(x, y, 4, seed=2)[0].numpy(), xs.numpy())
    with pytest.raises(ValueError, match="asked for 11 examples of class 0, there are 10"):
        T.few(x, y, 11, seed=0)


@pytest.mark.parametrize("name, features", [("mlp", 128), ("conv", 256)])
def test_architectures_and_their_trunks(name, features):
    net = T.architecture(name)
    images = bp.rand(3, 1, 8, 8)
    assert net(images).shape == (3, 5)
    assert common.predict(T.trunk(net), images).reshape(3, -1).shape == (3, features)
    with pytest.raises(ValueError, match="expected 'mlp' or 'conv', got 'cnn'"):
        T.architecture("cnn")


def trainable(model):
    return [p.requires_grad for p in model.parameters()]


def test_variants_freeze_what_they_say_and_leave_the_source_alone():
    bp.manual_seed(0)
    source = T.architecture("mlp", len(T.SOURCE))
    kept = [p.detach().numpy().copy() for p in source.parameters()]
    transfer = T.new_task_net("transfer", "mlp", source)
    assert trainable(transfer) == [False] * 4 + [True] * 2
    assert numpy.array_equal(transfer[1].weight.detach().numpy(), kept[0]) and transfer[1] is not source[1]
    x, y = bp.rand(10, 1, 8, 8), bp.tensor([0, 1, 2, 3, 4] * 2)
    T.fit_new_task(transfer, x, y, epochs=5, seed=0)
    assert numpy.array_equal(transfer[3].weight.detach().numpy(), kept[2])      # frozen: unchanged
    assert not numpy.array_equal(transfer[5].weight.detach().numpy(), kept[4])  # the new last layer moved
    assert all(numpy.array_equal(p.detach().numpy(), k) for p, k in zip(source.parameters(), kept))
    assert trainable(T.new_task_net("scratch", "mlp", source)) == [True] * 6
    assert trainable(T.new_task_net("random_trunk", "conv", source)) == [False, False, True, True]
    assert trainable(T.new_task_net("fine_tune_all", "mlp", source)) == [True] * 6
    with pytest.raises(ValueError, match="variant must be one of"):
        T.new_task_net("frozen", "mlp", source)


def test_fit_new_task_uses_a_larger_step_for_a_last_layer_alone():
    # Adam's first step moves every weight with a nonzero gradient by about lr: 1e-2 alone, 1e-3 for a whole net
    for variant, lr in (("transfer", 1e-2), ("scratch", 1e-3)):
        bp.manual_seed(1)
        model = T.new_task_net(variant, "mlp", T.architecture("mlp"))
        before = model[5].weight.detach().numpy().copy()
        T.fit_new_task(model, bp.rand(5, 1, 8, 8), bp.tensor([0, 1, 2, 3, 4]), epochs=1, seed=0)
        step = numpy.abs(model[5].weight.detach().numpy() - before)
        assert numpy.median(step[step > 0]) == pytest.approx(lr, rel=0.05)


def test_prototype_accuracy_by_hand():
    train = numpy.array([[0.0, 0.0], [0.0, 2.0], [4.0, 0.0], [4.0, 2.0]])  # class means (0, 1) and (4, 1)
    labels = numpy.array([3, 3, 7, 7])
    test = numpy.array([[1.0, 1.0], [1.9, 5.0], [2.1, -3.0], [5.0, 1.0]])
    assert T.prototype_accuracy(train, labels, test, numpy.array([3, 3, 7, 7])) == 1.0
    assert T.prototype_accuracy(train, labels, test, numpy.array([3, 7, 7, 7])) == 0.75
    images = numpy.zeros((4, 1, 2, 2))  # images are flattened; all equal: every test image goes to the first class
    assert T.prototype_accuracy(images, labels, images, numpy.array([3, 3, 7, 7])) == 0.5
