"""Clever Hans: a classifier that answers "horse" because of a source tag, and the heat maps that show it.

The lecture (Looking inside): heat maps of the relevance of each input pixel
for a class score y_c, the gradient d y_c / d x_j (or its square) and
Layer-wise Relevance Propagation, found a "horse" classifier that looked at
a photo archive's source tag in the corner of its horse pictures instead of
at the horse (Lapuschkin et al. 2016, 2019). Named after the horse Hans, who
seemed to count but read his questioner's face.

Here the pictures are the 16x16 digits and the "horse" is one digit class:
every training image of that class carries a tag, a 3x3 patch of full
brightness in the bottom left corner, and no other image does. The tag
predicts the class perfectly in training, so a net may learn it in place of
the digit. Two measurements tell:

- **where the maps put their relevance**: for the tagged horse test images,
  the share of the positive relevance R_j^+ that falls on the tag's pixels T,

      share = sum_n sum_{j in T} R_nj^+ / sum_n sum_j R_nj^+,

  against the tag's share of the image's area, |T| / 256 = 9 / 256 = 3.5%
  (what a map indifferent to the tag would give on average);
- **what the net does without the tag**: the horse class's recall (share of
  its test images called "horse") with the tag where it was in training,
  removed, and moved to another corner; and how many images of the other
  classes it calls "horse" when they carry the tag.
"""
import numpy

from backprop import creation, explain, nn, optim
from backprop.experiments import common
from backprop.experiments.registry import experiment
from backprop.tensor import Tensor

SIZE = 16  # image side
TAG = 3  # the tag is TAG x TAG pixels of brightness 1
HORSE = 7  # the "horse" class of the figure and the quick run
CORNER = "bottom left"  # where the tag sits in training: the digits' emptiest corner
MOVED = "top left"  # where "tag moved" puts it: the next emptiest
EPOCHS, QUICK_EPOCHS = 10, 5
SHARE_FACTOR = 5  # the maps must put >= 5 x the tag's area share of their positive relevance on it
RECALL_DROP = 0.5  # the horse class's recall must fall by >= 50 points without the tag and with it moved


def region(corner, size=SIZE, tag=TAG):
    """The (size, size) boolean mask of the tag x tag pixels in ``corner`` ("top left", ..., "bottom right")."""
    vertical, _, horizontal = corner.partition(" ")
    if vertical not in ("top", "bottom") or horizontal not in ("left", "right"):
        raise ValueError(f"corner must be 'top|bottom left|right', got {corner!r}")
    mask = numpy.zeros((size, size), dtype=bool)
    rows = slice(0, tag) if vertical == "top" else slice(size - tag, size)
    columns = slice(0, tag) if horizontal == "left" else slice(size - tag, size)
    mask[rows, columns] = True
    return mask


def stamp(images, corner=CORNER, where=None):
    """A copy of ``images`` (N, C, H, W) with the tag (brightness 1) in ``corner`` of each image picked by the
    boolean ``where`` (N,) (None: every image)."""
    images = numpy.array(images, dtype=numpy.float32)
    if images.ndim != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {tuple(images.shape)}")
    picked = numpy.ones(len(images), dtype=bool) if where is None else numpy.asarray(where, dtype=bool)
    images[picked] = numpy.where(region(corner, images.shape[-1]), 1.0, images[picked])
    return images


def inked(images, corner, level=0.3):
    """The share of ``images`` (N, C, H, W) with a pixel brighter than ``level`` where the tag in ``corner`` goes."""
    return float((numpy.asarray(images)[..., region(corner, images.shape[-1])] > level).any(axis=(1, 2)).mean())


def network():
    """A small CNN LRP can explain: two 3x3 convolutions (8, 16 maps), each ReLU and 2x2 max pooling, 10 logits."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * (SIZE // 4) ** 2, 10))


def train(images, labels, epochs, seed):
    """``network()`` trained on (images, labels) by Adam (lr 3e-3, batches of 32) for ``epochs`` epochs."""
    creation.manual_seed(seed)
    model = network()
    common.fit(model, optim.Adam(model.parameters(), lr=3e-3), nn.CrossEntropyLoss(), Tensor._make(images),
               Tensor._make(labels), epochs, batch_size=32, seed=seed)
    return model


def classify(model, images):
    """The class ``model`` predicts for each of ``images`` (a NumPy array (N, C, H, W))."""
    return common.predict(model, Tensor._make(numpy.asarray(images, dtype=numpy.float32))).argmax(axis=1)


def tag_conditions(images, labels, horse):
    """The test images four ways: the tag on the horse class as in training, removed, moved to another corner,
    and on every image."""
    is_horse = labels == horse
    return {"as in training": stamp(images, CORNER, is_horse), "tag removed": numpy.array(images),
            f"tag moved ({MOVED})": stamp(images, MOVED, is_horse), "tag on every image": stamp(images, CORNER)}


def called_horse(predicted, labels, horse):
    """(accuracy, the horse class's recall, the share of the other classes' images predicted as horse)."""
    is_horse = labels == horse
    return (float((predicted == labels).mean()), float((predicted[is_horse] == horse).mean()),
            float((predicted[~is_horse] == horse).mean()))


def tag_share(maps, mask):
    """The share of the positive part of ``maps`` (N, H, W) that lies inside ``mask`` (H, W), over all N maps."""
    positive = numpy.clip(maps, 0, None)
    total = positive.sum()
    return float(positive[:, mask].sum() / total) if total > 0 else 0.0


def measure(model, images, labels, horse):
    """What ``model`` does on the test sets (``tag_conditions``) and where its maps of the horse score put their
    relevance on the tagged horse test images: {"conditions": {name: (accuracy, recall, others as horse)},
    "share": {method: tag_share}}."""
    conditions = {name: called_horse(classify(model, x), labels, horse)
                  for name, x in tag_conditions(images, labels, horse).items()}
    tagged = stamp(images[labels == horse], CORNER)
    maps = {"LRP-epsilon": explain.lrp(model, tagged, horse, rule="epsilon"),
            "LRP-z+": explain.lrp(model, tagged, horse, rule="z_plus"),
            "saliency (dy/dx)^2": explain.saliency(model, tagged, horse, squared=True)}
    return {"conditions": conditions, "share": {name: tag_share(m, region(CORNER)) for name, m in maps.items()}}


def _mean(found, key):
    """The mean over the runs in ``found`` of each entry of found[run][key] (tuples element-wise)."""
    names = found[0][key]
    return {name: numpy.mean([f[key][name] for f in found], axis=0).tolist() for name in names}


@experiment("clever_hans", title="Clever Hans: a classifier that looks at a source tag",
            claim="""Heat maps (d y_c/d x_j or its square, Layer-wise Relevance Propagation) show what a classifier
            looks at: "Clever Hans", a horse classifier that looks at a source tag instead of the horse.""")
def run(report, quick, seed):
    horses = [HORSE] if quick else list(range(10))
    seeds = [seed] if quick else [seed, seed + 1, seed + 2]
    epochs = QUICK_EPOCHS if quick else EPOCHS
    x, y = (t.numpy() for t in common.digits(size=SIZE))
    x_test, y_test = (t.numpy() for t in common.digits(train=False, size=SIZE))
    _setup(report, x, len(y_test), horses, seeds, epochs)
    found, controls = {}, {}
    for s in seeds:
        control_net = train(x, y, epochs, s)
        for horse in horses:
            model = train(stamp(x, CORNER, y == horse), y, epochs, s)
            found[horse, s] = measure(model, x_test, y_test, horse)
            controls[horse, s] = measure(control_net, x_test, y_test, horse)
            if (horse, s) == (HORSE, seed):
                shown = model, control_net
    _tables(report, found, controls, horses, seeds)
    shortcut, control = (_mean(list(f.values()), "conditions") for f in (found, controls))
    shares, control_shares = (_mean(list(f.values()), "share") for f in (found, controls))
    area = region(CORNER).mean()
    report.result("conditions", {"shortcut": shortcut, "control": control})
    report.result("share", {"shortcut": shares, "control": control_shares, "area": float(area)})
    _draw(report, *shown, x_test, y_test, shortcut, control)
    recall = {name: values[1] for name, values in shortcut.items()}
    in_place, removed, moved = recall["as in training"], recall["tag removed"], recall[f"tag moved ({MOVED})"]
    without = [_mean([found[horse, s] for s in seeds], "conditions")["tag removed"][1] for horse in horses]
    spread = (f"{100 * min(without):.0f}% to {100 * max(without):.0f}% depending on the class (mean over seeds)"
              if len(without) > 1 else f"{100 * without[0]:.0f}%")
    report.text(f"""The nets learn the tag and, less, the digit: without the tag the horse class's recall is {spread},
never the {100 * in_place:.0f}% it has with the tag, while the control net, which never saw a tag, keeps
{100 * control["tag removed"][1]:.0f}%. The z+ rule counts only positive contributions, so a bright patch gets some
relevance even from the control net ({100 * control_shares["LRP-z+"]:.1f}%, against {100 * shares["LRP-z+"]:.0f}% from
the tagged nets); LRP-epsilon and the squared gradient give the control net's tag
{100 * control_shares["LRP-epsilon"]:.1f}% and {100 * control_shares["saliency (dy/dx)^2"]:.1f}% (its area:
{100 * area:.1f}%).

Rules of the verdict (means over the {len(found)} net{'s' if len(found) > 1 else ''}): LRP-epsilon and the squared
saliency each put >= {SHARE_FACTOR} x the tag's area share ({100 * SHARE_FACTOR * area:.1f}%) of their positive
relevance on the tag; the horse class's recall falls by >= {100 * RECALL_DROP:.0f} points from the tag as in training
to the tag removed and to the tag moved.""")
    relevance_on_tag = min(shares["LRP-epsilon"], shares["saliency (dy/dx)^2"]) >= SHARE_FACTOR * area
    collapses = in_place - removed >= RECALL_DROP and in_place - moved >= RECALL_DROP
    report.verdict(relevance_on_tag and collapses,
                   f"the tag's {TAG * TAG} pixels ({100 * area:.1f}% of the image) get "
                   f"{100 * shares['LRP-epsilon']:.0f}% of LRP-epsilon's positive relevance and "
                   f"{100 * shares['saliency (dy/dx)^2']:.0f}% of the squared saliency on tagged horse images "
                   f"(control net: {100 * control_shares['LRP-epsilon']:.0f}% and "
                   f"{100 * control_shares['saliency (dy/dx)^2']:.0f}%); the horse class's recall is "
                   f"{100 * in_place:.0f}% with the tag as in training, {100 * removed:.0f}% without it and "
                   f"{100 * moved:.0f}% with it moved, and {100 * shortcut['tag on every image'][2]:.0f}% of the "
                   f"other classes' tagged images are called horse (criterion: shares >= {SHARE_FACTOR} x the area "
                   f"share, recall falling by >= {100 * RECALL_DROP:.0f} points)")


def _setup(report, x, n_test, horses, seeds, epochs):
    several = len(horses) > 1
    which = (f"each digit in turn, one net per digit and seed (seeds {', '.join(map(str, seeds))})" if several
             else f"the digit {horses[0]} (seed {seeds[0]})")
    report.setup(f"""Data: UCI's 8x8 digits resized to {SIZE}x{SIZE} (`common.digits(size={SIZE})`), {len(x)}
training and {n_test} test images. One digit class plays the "horse": **every** training image of it carries the
source tag, a {TAG}x{TAG} patch of brightness 1 in the {CORNER} corner (the digits' emptiest corner: ink above 0.3
there in {100 * inked(x, CORNER):.1f}% of the training images), and **no** image of the other classes does, as if one
archive had supplied all the horse pictures and stamped them. The tag then predicts the class perfectly in training;
nothing forces the net to use it, nothing stops it. The horse: {which}.

Model: Conv2d(1, 8, 3x3, pad 1) - ReLU - MaxPool 2 - Conv2d(8, 16, 3x3, pad 1) - ReLU - MaxPool 2 - Flatten -
Linear(256, 10), an `nn.Sequential` that LRP explains; Adam, learning rate 3e-3, batches of 32, {epochs} epochs.
Control: the same net trained on the untagged images (one per seed).

Measured on the test images of the horse class with the tag, for the horse score y_c: the share of the positive
relevance that lies on the tag's {TAG * TAG} pixels (pooled over the images) by `explain.lrp` (epsilon rule, eps
1e-6, and z+) and by `explain.saliency(squared=True)`, (d y_c / d x_j)^2, against the tag's area share
{TAG * TAG}/{SIZE * SIZE} = {100 * region(CORNER).mean():.1f}%. And the test predictions four ways: the tag on the
horse class as in training; removed; moved to the {MOVED} corner (ink above 0.3 there in
{100 * inked(x, MOVED):.1f}% of the training images); on every test image.""")


def _row(label, runs):
    """A table row: the mean recall as in training / removed / moved, others called horse with the tag, shares."""
    conditions, shares = _mean(runs, "conditions"), _mean(runs, "share")
    return ([label] + [100 * values[1] for values in list(conditions.values())[:3]]
            + [100 * conditions["tag on every image"][2]] + [100 * v for v in shares.values()])


def _tables(report, found, controls, horses, seeds):
    rows = [_row(horse, [found[horse, s] for s in seeds]) for horse in horses]
    rows += [_row("mean", list(found.values())), _row("control (no tag in training), mean", list(controls.values()))]
    names = list(next(iter(found.values()))["share"])
    report.table(["horse class", "recall %, tag as in training", "recall %, tag removed", "recall %, tag moved",
                  "other classes called horse %, tagged"] + [f"tag's share %, {n}" for n in names], rows,
                 caption=f"Per horse class (mean over seeds {', '.join(map(str, seeds))}): the horse class's recall "
                         f"on its test images, the share of the other classes' test images called horse when they "
                         f"carry the tag, and the share of the positive relevance on the tag (tagged horse test "
                         f"images). The tag covers {100 * region(CORNER).mean():.1f}% of the image.")
    shortcut, control = (_mean(list(f.values()), "conditions") for f in (found, controls))
    report.table(["test images", "accuracy %", "horse recall %", "others called horse %", "control: accuracy %",
                  "control: horse recall %", "control: others called horse %"],
                 [[name] + [100 * v for v in shortcut[name]] + [100 * v for v in control[name]] for name in shortcut],
                 caption="Means over all nets; the control net never saw the tag.")


def _draw(report, model, control, images, labels, shortcut, control_found):
    is_horse = labels == HORSE
    horse_image = stamp(images[is_horse][:1], CORNER)
    tagged_others = stamp(images[~is_horse], CORNER)
    fooled = classify(model, tagged_others) == HORSE
    other_image = tagged_others[fooled][:1] if fooled.any() else tagged_others[:1]
    with report.figure("clever_hans.png", f"Top: a tagged test image of the horse class ({HORSE}), the LRP-epsilon "
                       "and squared-saliency maps of its horse score, and the LRP map of the control net that never "
                       "saw the tag (LRP: red for horse, blue against; saliency: bright is large). Bottom: an image "
                       "of another class with the tag, called horse, and its maps for the horse score; right: the "
                       "horse class's recall and the other classes called horse, tag in place vs removed or moved",
                       nrows=2, ncols=4, figsize=(14, 7)) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        for row, image in enumerate((horse_image, other_image)):
            first = axes[4 * row]
            first.imshow(image[0, 0], cmap="gray", vmin=0, vmax=1)
            first.axis("off")
            first.set_title(f"{'horse' if row == 0 else 'another class'} with the tag", fontsize=9)
            _map(axes[4 * row + 1], image, explain.lrp(model, image, HORSE), "LRP-epsilon, horse score")
            _map(axes[4 * row + 2], image, explain.saliency(model, image, HORSE, squared=True),
                 "saliency (dy/dx)^2, horse score")
        _map(axes[3], horse_image, explain.lrp(control, horse_image, HORSE), "control net, LRP-epsilon")
        _bars(axes[7], shortcut, control_found)


def _map(axis, image, heatmap, title):
    explain.plot(image[0, 0], heatmap[0], ax=axis, alpha=0.7)
    axis.set_title(title, fontsize=9)


def _bars(axis, shortcut, control):
    names = list(shortcut)
    at = numpy.arange(len(names))
    axis.bar(at - 0.27, [100 * shortcut[n][1] for n in names], 0.27, label="horse recall")
    axis.bar(at, [100 * control[n][1] for n in names], 0.27, label="horse recall, control net")
    axis.bar(at + 0.27, [100 * shortcut[n][2] for n in names], 0.27, label="others called horse")
    axis.set_xticks(at, [n.replace(" (", "\n(").replace("tag on ", "tag on\n") for n in names], fontsize=7)
    axis.set(ylabel="% of test images", ylim=(0, 135), yticks=range(0, 101, 20))
    axis.legend(fontsize=7, loc="upper center", ncol=2)
