"""The loss modules of issue 20 against their torch twins: values and gradients for every reduction, constructor
arguments and repr, torch's ops without a second derivative (multilabel_margin_loss, ctc_loss) compared
directly, and CTC on random batches with unequal lengths."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import assert_close, compare_module

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def normal(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def signs(*shape, seed=4):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def uniform(lo, hi, *shape, seed=2):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])

# (id, module from its library ``m`` and reduction ``r``, inputs): the same constructor in both libraries
CASES = [
    ("huber", lambda m, r: m.HuberLoss(reduction=r), lambda: [normal(3, 4, scale=2), normal(3, 4, seed=9)]),
    ("huber_delta", lambda m, r: m.HuberLoss(r, delta=0.4), lambda: [normal(3, 4, scale=2), normal(3, 4, seed=9)]),
    ("smooth_l1", lambda m, r: m.SmoothL1Loss(reduction=r), lambda: [normal(3, 4, scale=2), normal(3, 4, seed=9)]),
    ("smooth_l1_beta", lambda m, r: m.SmoothL1Loss(reduction=r, beta=0.3), lambda: [normal(5), normal(5, seed=1)]),
    ("multilabel_soft_margin", lambda m, r: m.MultiLabelSoftMarginLoss(reduction=r),
     lambda: [normal(3, 4), (uniform(0, 1, 3, 4) < 0.5) * 1.0]),
    ("multilabel_soft_margin_weight", lambda m, r: m.MultiLabelSoftMarginLoss(m.tensor(WEIGHT), reduction=r),
     lambda: [normal(3, 4), uniform(0, 1, 3, 4)]),
    ("cosine_embedding", lambda m, r: m.CosineEmbeddingLoss(reduction=r),
     lambda: [normal(5, 3), normal(5, 3, seed=1), signs(5)]),
    ("cosine_embedding_margin", lambda m, r: m.CosineEmbeddingLoss(0.3, reduction=r),
     lambda: [normal(5, 3), normal(5, 3, seed=1), signs(5)]),
    ("margin_ranking", lambda m, r: m.MarginRankingLoss(reduction=r), lambda: [normal(6), normal(6, seed=1), signs(6)]),
    ("margin_ranking_margin", lambda m, r: m.MarginRankingLoss(0.4, reduction=r),
     lambda: [normal(6), normal(6, seed=1), signs(6)]),
    ("triplet", lambda m, r: m.TripletMarginLoss(reduction=r),
     lambda: [normal(5, 3), normal(5, 3, seed=1), normal(5, 3, seed=2)]),
    ("triplet_p1_swap", lambda m, r: m.TripletMarginLoss(2.0, p=1, swap=True, reduction=r),
     lambda: [normal(5, 3), normal(5, 3, seed=1), normal(5, 3, seed=2)]),
    ("triplet_distance", lambda m, r: m.TripletMarginWithDistanceLoss(margin=1.5, swap=True, reduction=r),
     lambda: [normal(5, 3), normal(5, 3, seed=1), normal(5, 3, seed=2)]),
    ("poisson", lambda m, r: m.PoissonNLLLoss(reduction=r), lambda: [normal(3, 4), uniform(0, 5, 3, 4)]),
    ("poisson_rate_full", lambda m, r: m.PoissonNLLLoss(log_input=False, full=True, reduction=r),
     lambda: [uniform(0.5, 3, 3, 4, seed=3), np.floor(uniform(0, 5, 3, 4))]),
    ("gaussian", lambda m, r: m.GaussianNLLLoss(reduction=r),
     lambda: [normal(3, 4), normal(3, 4, seed=1), uniform(0.5, 2, 3, 4)]),
    ("gaussian_full_shared", lambda m, r: m.GaussianNLLLoss(full=True, eps=1e-3, reduction=r),
     lambda: [normal(3, 4), normal(3, 4, seed=1), uniform(0.5, 2, 3, 1)]),
    ("gaussian_per_example", lambda m, r: m.GaussianNLLLoss(reduction=r),
     lambda: [normal(3, 4), normal(3, 4, seed=1), uniform(0.5, 2, 3)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,make,inputs", CASES, ids=[c[0] for c in CASES])
def test_module_matches_torch(name, make, inputs, reduction, dtype):
    compare_module(make(_Lib(nn), reduction), make(_Lib(torch.nn), reduction), inputs(), dtype=dtype)


class _Lib:
    """torch.nn / backprop.nn with ``tensor`` at hand (for the weights in CASES)."""

    def __init__(self, module):
        self.module = module
        self.tensor = torch.tensor if module is torch.nn else bp.tensor

    def __getattr__(self, name):
        return getattr(self.module, name)


REPRS = [
    lambda m: m.HuberLoss(), lambda m: m.HuberLoss("sum", 2.0), lambda m: m.SmoothL1Loss(beta=0.5),
    lambda m: m.SoftMarginLoss(), lambda m: m.MultiLabelMarginLoss(), lambda m: m.MultiLabelSoftMarginLoss(),
    lambda m: m.CosineEmbeddingLoss(0.5), lambda m: m.MarginRankingLoss(), lambda m: m.TripletMarginLoss(),
    lambda m: m.PoissonNLLLoss(), lambda m: m.GaussianNLLLoss(), lambda m: m.CTCLoss(blank=3),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_arguments_are_torchs():
    for name in ["HuberLoss", "SmoothL1Loss", "CosineEmbeddingLoss", "TripletMarginLoss", "PoissonNLLLoss",
                 "GaussianNLLLoss", "CTCLoss", "TripletMarginWithDistanceLoss", "MultiLabelSoftMarginLoss"]:
        ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
        for key in ["reduction", "delta", "beta", "margin", "p", "eps", "swap", "log_input", "full", "blank",
                    "zero_infinity"]:
            assert getattr(ours, key, None) == getattr(theirs, key, None), (name, key)
    assert nn.SmoothL1Loss(size_average=False).reduction == "sum"
    assert nn.SoftMarginLoss(reduce=False).reduction == "none"
    assert nn.MultiLabelSoftMarginLoss(weight=bp.ones(3)).state_dict()["weight"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError):
        nn.HuberLoss(reduction="average")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_matches_torch(reduction):
    """(torch refuses a target that requires grad here, and so does backprop)"""
    x, y = normal(3, 4, scale=3), signs(3, 4)
    ours, theirs = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss = nn.SoftMarginLoss(reduction=reduction)(ours, bp.tensor(y))
    expected = torch.nn.SoftMarginLoss(reduction=reduction)(theirs, torch.tensor(y))
    assert_close(loss, expected, "float64")
    loss.sum().backward()
    expected.sum().backward()
    assert_close(ours.grad, theirs.grad, "float64", "grad")
    with pytest.raises(RuntimeError):
        F.soft_margin_loss(ours, bp.tensor(y, requires_grad=True))


def test_multilabel_margin_loss_matches_torchs_own():
    """torch's op itself (the registry compares a written-out twin, for second derivatives)."""
    x = normal(3, 5)
    target = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, 0], [-1, 0, 1, 2, 3]])
    for reduction in REDUCTIONS:
        compare_module(nn.MultiLabelMarginLoss(reduction=reduction), torch.nn.MultiLabelMarginLoss(reduction=reduction),
                       [x, target], dtype="float64")
    compare_module(nn.MultiLabelMarginLoss(), torch.nn.MultiLabelMarginLoss(), [x[0], target[0]], dtype="float32")


def test_weighted_regression_losses():
    x, y, w = normal(3, 4), normal(3, 4, seed=1), uniform(0.5, 2, 3, 4)
    for reduction in REDUCTIONS:
        for name in ["mse_loss", "l1_loss", "huber_loss"]:
            ours = getattr(F, name)(bp.tensor(x), bp.tensor(y), reduction=reduction, weight=bp.tensor(w))
            theirs = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y), reduction=reduction,
                                                        weight=torch.tensor(w))
            assert_close(ours, theirs, "float64", f"{name} {reduction}")
    with pytest.raises(ValueError):
        F.mse_loss(bp.tensor(x), bp.tensor(y), weight=bp.ones(4))


def test_gaussian_nll_variance_below_eps_is_clamped_in_value_only():
    x, y, var = normal(4), normal(4, seed=1), np.array([1e-9, 0.5, 2.0, 1e-8])
    compare_module(nn.GaussianNLLLoss(), torch.nn.GaussianNLLLoss(), [x, y, var], dtype="float64")
    with pytest.raises(ValueError):
        F.gaussian_nll_loss(bp.tensor(x), bp.tensor(y), bp.tensor(-var))
    with pytest.raises(ValueError):
        F.gaussian_nll_loss(bp.tensor(normal(3, 4)), bp.tensor(normal(3, 4)), bp.ones(2, 2))


def test_cross_entropy_combinations():
    """The existing CrossEntropyLoss: K-dim class probabilities with weights and smoothing, legacy flags."""
    x, p = normal(2, 4, 3, 2), uniform(0, 1, 2, 4, 3, 2)
    for reduction in REDUCTIONS:
        compare_module(nn.CrossEntropyLoss(bp.tensor(WEIGHT), reduction=reduction, label_smoothing=0.2),
                       torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), reduction=reduction, label_smoothing=0.2),
                       [x, p / p.sum(1, keepdims=True)], dtype="float64")
    target = np.array([[[0, 1], [3, -100], [2, 2]], [[1, 1], [0, 3], [-100, 0]]])
    compare_module(nn.CrossEntropyLoss(bp.tensor(WEIGHT), size_average=False, label_smoothing=0.1),
                   torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), size_average=False, label_smoothing=0.1),
                   [x, target], dtype="float64")
    compare_module(nn.NLLLoss(reduce=False), torch.nn.NLLLoss(reduce=False), [x, target], dtype="float64")


# ------------------------------------------------------------------ CTC
def ctc_case(seed, n_frames=20, n=5, n_classes=6, blank=0):
    """Random logits (T, N, C) and a batch of unequal input and target lengths, each target possible."""
    rng = np.random.default_rng(seed)
    input_lengths = rng.integers(n_frames // 2, n_frames + 1, n)
    input_lengths[0] = n_frames
    target_lengths = np.array([rng.integers(0, length // 2 + 1) for length in input_lengths])
    target_lengths[-1] = max(target_lengths[-1], 2)
    labels = [c for c in range(n_classes) if c != blank]
    targets = rng.choice(labels, (n, max(int(target_lengths.max()), 1)))
    targets[-1, :2] = targets[-1, 0]  # a repeated label (a blank must separate the two)
    return rng.standard_normal((n_frames, n, n_classes)) * 2, targets, input_lengths, target_lengths


def _ctc_pair(logits, targets, input_lengths, target_lengths, dtype, concatenated=False, **kwargs):
    if concatenated:
        targets = np.concatenate([row[:length] for row, length in zip(targets, target_lengths)])
    x_ours = bp.tensor(logits.astype(dtype), requires_grad=True)
    x_theirs = torch.tensor(logits.astype(dtype), requires_grad=True)
    # (backprop also takes a tensor and a tuple together; torch wants both of one kind)
    ours = F.ctc_loss(x_ours.log_softmax(-1), bp.tensor(targets), bp.tensor(input_lengths),
                      tuple(int(length) for length in target_lengths), **kwargs)
    theirs = torch.nn.functional.ctc_loss(x_theirs.log_softmax(-1), torch.tensor(targets),
                                          torch.tensor(input_lengths), torch.tensor(target_lengths), **kwargs)
    return ours, theirs, x_ours, x_theirs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("concatenated", [False, True], ids=["padded", "concatenated"])
def test_ctc_matches_torch_on_random_batches(concatenated, reduction, dtype):
    for seed in range(3):
        ours, theirs, x_ours, x_theirs = _ctc_pair(*ctc_case(seed, blank=seed), dtype, concatenated,
                                                   reduction=reduction, blank=seed)
        assert_close(ours, theirs, dtype, "loss")
        upstream = np.random.default_rng(seed).standard_normal(theirs.shape).astype(dtype)
        (ours * bp.tensor(upstream)).sum().backward()
        (theirs * torch.tensor(upstream)).sum().backward()
        assert_close(x_ours.grad, x_theirs.grad, dtype, "gradient of the logits")


def test_ctc_mean_divides_by_target_lengths():
    logits, targets, input_lengths, target_lengths = ctc_case(7)
    per_example, _, _, _ = _ctc_pair(logits, targets, input_lengths, target_lengths, "float64", reduction="none")
    mean, theirs, _, _ = _ctc_pair(logits, targets, input_lengths, target_lengths, "float64")
    expected = (per_example.detach().numpy() / np.maximum(target_lengths, 1)).mean()
    assert abs(mean.item() - expected) < 1e-12
    assert abs(theirs.item() - expected) < 1e-12


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_zero_infinity(reduction):
    logits, targets, input_lengths, target_lengths = ctc_case(3)
    targets[2, :] = targets[2, 0]  # all one label: needs 2 S - 1 frames
    target_lengths[2] = input_lengths[2] // 2 + 2  # more than the frames allow
    for zero_infinity in (False, True):
        ours, theirs, x_ours, x_theirs = _ctc_pair(logits, targets, input_lengths, target_lengths, "float64",
                                                   reduction=reduction, zero_infinity=zero_infinity)
        assert_close(ours, theirs, "float64", "loss")
        if zero_infinity:
            ours.sum().backward()
            theirs.sum().backward()
            assert_close(x_ours.grad, x_theirs.grad, "float64", "gradient")
            assert not x_ours.grad[:, 2].numpy().any()


def test_ctc_unbatched_module_and_list_lengths():
    logits, targets, input_lengths, target_lengths = ctc_case(5, n=1)
    loss = nn.CTCLoss(blank=0, reduction="sum")
    ours = loss(bp.tensor(logits[:, 0]).log_softmax(-1), bp.tensor(targets[0, :target_lengths[0]]),
                bp.tensor(input_lengths[0]), bp.tensor(target_lengths[0]))
    theirs = torch.nn.CTCLoss(reduction="sum")(torch.tensor(logits[:, 0]).log_softmax(-1),
                                               torch.tensor(targets[0, :target_lengths[0]]),
                                               torch.tensor(input_lengths[0]), torch.tensor(target_lengths[0]))
    assert_close(ours, theirs, "float64")
    batched = F.ctc_loss(bp.tensor(logits).log_softmax(-1), bp.tensor(targets), list(input_lengths),
                         list(target_lengths), reduction="none")
    assert abs(batched.item() - ours.item()) < 1e-12


def test_ctc_first_derivative_by_finite_differences_and_no_second():
    logits, targets, input_lengths, target_lengths = ctc_case(11, n_frames=6, n=3, n_classes=4)
    x = bp.tensor(logits, requires_grad=True)

    def loss(x):
        return F.ctc_loss(x.log_softmax(-1), bp.tensor(targets), input_lengths, target_lengths, reduction="sum")

    assert bp.autograd.gradcheck(loss, (x,))
    (grad,) = bp.autograd.grad(loss(x), x, create_graph=True)
    with pytest.raises(RuntimeError, match="second derivative"):
        grad.sum().backward()


def test_ctc_bad_arguments():
    logits, targets, input_lengths, target_lengths = ctc_case(0)
    lp = bp.tensor(logits).log_softmax(-1)
    with pytest.raises(RuntimeError):  # torch's error type for each
        F.ctc_loss(lp, bp.tensor(targets), input_lengths[:2], target_lengths)
    with pytest.raises(RuntimeError):
        F.ctc_loss(lp, bp.tensor(targets), input_lengths + 5, target_lengths)
    with pytest.raises(RuntimeError):
        F.ctc_loss(lp, bp.tensor(targets), input_lengths, target_lengths, blank=6)
    with pytest.raises(RuntimeError):
        F.ctc_loss(lp, bp.tensor(targets + 10), input_lengths, target_lengths)
    with pytest.raises(RuntimeError):
        F.ctc_loss(lp, bp.tensor(targets), input_lengths, target_lengths + targets.shape[1])
    with pytest.raises(TypeError):
        F.ctc_loss(lp, bp.tensor(targets > 0), input_lengths, target_lengths)
    # float labels, as torch takes them
    as_floats = F.ctc_loss(lp, bp.tensor(targets * 1.0), input_lengths, target_lengths, reduction="none")
    expected = torch.nn.functional.ctc_loss(torch.tensor(logits).log_softmax(-1), torch.tensor(targets * 1.0),
                                            torch.tensor(input_lengths), torch.tensor(target_lengths), reduction="none")
    assert_close(as_floats, expected, "float64")


def test_nll_loss_2d_is_torchs_old_name():
    x = np.log(uniform(0.1, 1, 2, 4, 3, 3))
    target = np.random.default_rng(0).integers(0, 4, (2, 3, 3))
    compare_module(nn.NLLLoss2d(bp.tensor(WEIGHT)), torch.nn.NLLLoss2d(torch.tensor(WEIGHT)), [x, target],
                   dtype="float64")
    assert repr(nn.NLLLoss2d()) == repr(torch.nn.NLLLoss2d())


def test_ctc_gradient_of_the_log_probabilities_is_torchs():
    """With log_probs a leaf, torch's gradient is e^{lp} - (paths through each symbol) / P, not the plain
    derivative (which lacks e^{lp}); backprop gives the same."""
    logits, targets, input_lengths, target_lengths = ctc_case(4)
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ours, theirs = bp.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
    F.ctc_loss(ours, bp.tensor(targets), input_lengths, target_lengths, reduction="sum").backward()
    torch.nn.functional.ctc_loss(theirs, torch.tensor(targets), torch.tensor(input_lengths),
                                 torch.tensor(target_lengths), reduction="sum").backward()
    assert_close(ours.grad, theirs.grad, "float64", "gradient of the log-probabilities")
    beyond = np.arange(lp.shape[0])[:, None] >= input_lengths[None, :]
    assert not ours.grad.numpy()[beyond].any()  # frames past an example's length get nothing


def test_ctc_float32_gradient_of_peaky_distributions():
    """Confident (peaky) outputs, as a trained model's: paths through symbols of probability e^-100 and below
    carry the gradient of the frames where the target forces them. In float32 backprop must stay as close to
    the float64 gradient as torch's float32 gradient is (a shift shared by all symbols of a frame underflows
    these weights to 0: a gradient 1.0 off, or nan, on these seeds)."""
    for seed in (0, 4):
        rng = np.random.default_rng(seed)
        logits = rng.standard_normal((60, 4, 10)) * 40
        targets = rng.integers(1, 10, (4, 12))
        input_lengths, target_lengths = np.array([60, 50, 40, 30]), np.array([12, 10, 8, 5])
        exact = _ctc_pair(logits, targets, input_lengths, target_lengths, "float64", reduction="sum")
        exact[1].backward()
        ours, theirs, x_ours, x_theirs = _ctc_pair(logits, targets, input_lengths, target_lengths, "float32",
                                                   reduction="sum")
        ours.backward()
        theirs.backward()
        reference = exact[3].grad.numpy()
        our_error = np.abs(x_ours.grad.numpy() - reference).max()
        torch_error = np.abs(x_theirs.grad.numpy() - reference).max()
        assert our_error <= 3 * torch_error + 1e-6, (seed, our_error, torch_error)
