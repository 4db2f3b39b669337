"""The clever_hans experiment's parts: the tag, the test sets, the counts, the relevance share, by hand."""
import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import clever_hans as C


def test_region_is_the_tag_square_in_its_corner():
    mask = C.region("bottom left", size=5, tag=2)
    assert mask.sum() == 4 and mask[3:, :2].all()
    assert C.region("top right", size=5, tag=2)[:2, 3:].all() and C.region("top right", 5, 2).sum() == 4
    assert C.region("bottom left").sum() == C.TAG ** 2 and C.region("bottom left")[C.SIZE - 1, 0]


def test_region_rejects_an_unknown_corner():
    with pytest.raises(ValueError, match="corner must be 'top\\|bottom left\\|right', got 'middle'"):
        C.region("middle")


def test_stamp_brightens_only_the_tag_of_the_picked_images_and_copies():
    images = numpy.full((3, 1, 4, 4), 0.5, dtype=numpy.float32)
    tagged = C.stamp(images, "top left", where=[True, False, True])
    expected = numpy.full((4, 4), 0.5)
    expected[:3, :3] = 1.0  # TAG = 3
    assert numpy.array_equal(tagged[0, 0], expected) and numpy.array_equal(tagged[2, 0], expected)
    assert numpy.all(tagged[1] == 0.5) and numpy.all(images == 0.5)
    assert numpy.array_equal(C.stamp(images, "bottom right")[:, 0, 1:, 1:], numpy.ones((3, 3, 3)))


def test_stamp_wants_a_batch_of_images():
    with pytest.raises(ValueError, match="expected images \\(N, C, H, W\\), got shape \\(4, 4\\)"):
        C.stamp(numpy.zeros((4, 4)))


def test_inked_counts_images_with_ink_under_the_tag():
    images = numpy.zeros((4, 1, 16, 16))
    images[0, 0, 15, 0] = 0.9  # under the bottom left tag
    images[1, 0, 0, 0] = 0.9  # top left
    images[2, 0, 15, 1] = 0.2  # too faint
    assert C.inked(images, "bottom left") == 0.25 and C.inked(images, "top left") == 0.25


def test_tag_conditions_move_remove_and_spread_the_tag():
    images = numpy.zeros((3, 1, 16, 16), dtype=numpy.float32)
    labels = numpy.array([7, 1, 7])
    sets = C.tag_conditions(images, labels, horse=7)
    assert list(sets) == ["as in training", "tag removed", f"tag moved ({C.MOVED})", "tag on every image"]
    tag, moved = C.region(C.CORNER), C.region(C.MOVED)
    assert [bool(image[0][tag].all()) for image in sets["as in training"]] == [True, False, True]
    assert sets["as in training"].sum() == 2 * C.TAG ** 2 and sets["tag removed"].sum() == 0
    assert [bool(image[0][moved].all()) for image in sets[f"tag moved ({C.MOVED})"]] == [True, False, True]
    assert sets["tag on every image"].sum() == 3 * C.TAG ** 2


def test_called_horse_by_hand():
    labels = numpy.array([7, 7, 7, 7, 1, 2])
    predicted = numpy.array([7, 7, 7, 1, 7, 2])
    accuracy, recall, others = C.called_horse(predicted, labels, horse=7)
    assert (accuracy, recall, others) == (4 / 6, 3 / 4, 1 / 2)


def test_tag_share_pools_the_positive_relevance():
    mask = numpy.array([[True, False], [False, False]])
    maps = numpy.array([[[3.0, 1.0], [-5.0, 0.0]],   # 3 of 4 positive on the tag; the -5 does not count
                        [[1.0, 0.0], [0.0, 3.0]]])   # 1 of 4
    assert C.tag_share(maps, mask) == pytest.approx(4 / 8)
    assert C.tag_share(-numpy.ones((1, 2, 2)), mask) == 0.0


def test_network_takes_16x16_digits_and_gives_10_scores():
    assert C.network()(bp.zeros(2, 1, C.SIZE, C.SIZE)).shape == (2, 10)


def tag_reader(horse):
    """A linear net that calls an image `horse` iff the tag is in the training corner: horse score = the sum of
    the tag's pixels - 4 (a digit's pixels weigh nothing), every other score 0."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(C.SIZE ** 2, 10))
    model[1].weight.data[...] = 0.0
    model[1].bias.data[...] = 0.0
    model[1].weight.data[horse] = C.region(C.CORNER).ravel()
    model[1].bias.data[horse] = -4.0
    return model


def test_measure_on_a_net_that_reads_only_the_tag():
    rng = numpy.random.default_rng(0)
    images = rng.uniform(0, 0.3, size=(6, 1, C.SIZE, C.SIZE)).astype(numpy.float32)  # too faint to pass 4
    labels = numpy.array([3, 3, 3, 0, 0, 0])  # all-zero scores: the argmax is class 0
    found = C.measure(tag_reader(3), images, labels, horse=3)
    assert found["conditions"]["as in training"] == (1.0, 1.0, 0.0)
    assert found["conditions"]["tag removed"] == (0.5, 0.0, 0.0)
    assert found["conditions"][f"tag moved ({C.MOVED})"] == (0.5, 0.0, 0.0)
    assert found["conditions"]["tag on every image"] == (0.5, 1.0, 1.0)
    # the horse score is w . x + b with w = 1 on the tag only: gradient, and x_j w_j, live on the tag alone
    assert found["share"] == pytest.approx({name: 1.0 for name in found["share"]})
