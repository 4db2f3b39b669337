"""Loss functions and modules against torch: values and input gradients for every
reduction and dtype, gradcheck, stability, label smoothing, ignore_index, errors."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import assert_close, compare_module

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def logits(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 2


def classes(n_classes, *shape, seed=1):
    return np.random.default_rng(seed).integers(0, n_classes, shape)


def probs(*shape, seed=2):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


def log_probs(*shape, seed=3):
    x = logits(*shape, seed=seed)
    return x - np.log(np.exp(x).sum(1, keepdims=True))


def signs(*shape, seed=4):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])

# (id, make backprop module, make torch module, inputs) with ``r`` the reduction.
CASES = [
    ("mse", lambda r: nn.MSELoss(reduction=r), lambda r: torch.nn.MSELoss(reduction=r),
     lambda: [logits(3, 4), logits(3, 4, seed=9)]),
    ("l1", lambda r: nn.L1Loss(reduction=r), lambda r: torch.nn.L1Loss(reduction=r),
     lambda: [logits(3, 4), logits(3, 4, seed=9)]),
    ("ce", lambda r: nn.CrossEntropyLoss(reduction=r), lambda r: torch.nn.CrossEntropyLoss(reduction=r),
     lambda: [logits(5, 4), classes(4, 5)]),
    ("ce_spatial", lambda r: nn.CrossEntropyLoss(reduction=r), lambda r: torch.nn.CrossEntropyLoss(reduction=r),
     lambda: [logits(2, 4, 3, 2), classes(4, 2, 3, 2)]),
    ("ce_unbatched", lambda r: nn.CrossEntropyLoss(reduction=r), lambda r: torch.nn.CrossEntropyLoss(reduction=r),
     lambda: [logits(4), np.array(2)]),
    ("ce_weight_ignore_smooth",
     lambda r: nn.CrossEntropyLoss(bp.tensor(WEIGHT), ignore_index=1, reduction=r, label_smoothing=0.2),
     lambda r: torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), ignore_index=1, reduction=r, label_smoothing=0.2),
     lambda: [logits(6, 4), classes(4, 6)]),
    ("ce_weight_spatial", lambda r: nn.CrossEntropyLoss(bp.tensor(WEIGHT), reduction=r),
     lambda r: torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), reduction=r),
     lambda: [logits(2, 4, 3), classes(4, 2, 3)]),
    ("ce_probabilities", lambda r: nn.CrossEntropyLoss(bp.tensor(WEIGHT), reduction=r, label_smoothing=0.1),
     lambda r: torch.nn.CrossEntropyLoss(torch.tensor(WEIGHT), reduction=r, label_smoothing=0.1),
     lambda: [logits(3, 4), probs(3, 4) / probs(3, 4).sum(1, keepdims=True)]),
    ("ce_many_classes", lambda r: nn.CrossEntropyLoss(reduction=r), lambda r: torch.nn.CrossEntropyLoss(reduction=r),
     lambda: [logits(3, 7), classes(7, 3)]),
    ("ce_ignore", lambda r: nn.CrossEntropyLoss(ignore_index=2, reduction=r),
     lambda r: torch.nn.CrossEntropyLoss(ignore_index=2, reduction=r), lambda: [logits(5, 4), np.array([0, 2, 3, 2, 1])]),
    ("ce_ignore_spanned_not_used", lambda r: nn.CrossEntropyLoss(ignore_index=1, reduction=r),
     lambda r: torch.nn.CrossEntropyLoss(ignore_index=1, reduction=r), lambda: [logits(5, 4), np.array([0, 2, 3, 0, 2])]),
    ("nll", lambda r: nn.NLLLoss(reduction=r), lambda r: torch.nn.NLLLoss(reduction=r),
     lambda: [log_probs(5, 4), classes(4, 5)]),
    ("nll_weight_ignore_spatial", lambda r: nn.NLLLoss(bp.tensor(WEIGHT), ignore_index=0, reduction=r),
     lambda r: torch.nn.NLLLoss(torch.tensor(WEIGHT), ignore_index=0, reduction=r),
     lambda: [log_probs(3, 4, 2), classes(4, 3, 2)]),
    ("bce", lambda r: nn.BCELoss(reduction=r), lambda r: torch.nn.BCELoss(reduction=r),
     lambda: [probs(3, 4), probs(3, 4, seed=7)]),
    ("bce_weight", lambda r: nn.BCELoss(bp.tensor(WEIGHT), reduction=r),
     lambda r: torch.nn.BCELoss(torch.tensor(WEIGHT), reduction=r),
     lambda: [probs(3, 4), (probs(3, 4, seed=7) > 0.5).astype(float)]),
    ("bce_logits", lambda r: nn.BCEWithLogitsLoss(reduction=r), lambda r: torch.nn.BCEWithLogitsLoss(reduction=r),
     lambda: [logits(3, 4) * 5, probs(3, 4)]),
    ("bce_logits_weights", lambda r: nn.BCEWithLogitsLoss(bp.tensor(WEIGHT), reduction=r,
                                                          pos_weight=bp.tensor(WEIGHT[::-1].copy())),
     lambda r: torch.nn.BCEWithLogitsLoss(torch.tensor(WEIGHT), reduction=r,
                                          pos_weight=torch.tensor(WEIGHT[::-1].copy())),
     lambda: [logits(3, 4) * 5, probs(3, 4)]),
    ("hinge", lambda r: nn.HingeEmbeddingLoss(reduction=r), lambda r: torch.nn.HingeEmbeddingLoss(reduction=r),
     lambda: [logits(3, 4), signs(3, 4)]),
    ("hinge_margin", lambda r: nn.HingeEmbeddingLoss(margin=2.5, reduction=r),
     lambda r: torch.nn.HingeEmbeddingLoss(margin=2.5, reduction=r), lambda: [logits(3, 4), signs(3, 4)]),
    ("multi_margin", lambda r: nn.MultiMarginLoss(reduction=r), lambda r: torch.nn.MultiMarginLoss(reduction=r),
     lambda: [logits(5, 4) / 2, classes(4, 5)]),
    ("multi_margin_p2_weight", lambda r: nn.MultiMarginLoss(p=2, margin=0.7, weight=bp.tensor(WEIGHT), reduction=r),
     lambda r: torch.nn.MultiMarginLoss(p=2, margin=0.7, weight=torch.tensor(WEIGHT), reduction=r),
     lambda: [logits(5, 4) / 2, classes(4, 5)]),
    ("multi_margin_unbatched", lambda r: nn.MultiMarginLoss(reduction=r),
     lambda r: torch.nn.MultiMarginLoss(reduction=r), lambda: [logits(4) / 2, np.array(1)]),
    ("kl_div", lambda r: nn.KLDivLoss(reduction=r), lambda r: torch.nn.KLDivLoss(reduction=r),
     lambda: [log_probs(3, 4), probs(3, 4)]),
    ("kl_div_log_target", lambda r: nn.KLDivLoss(reduction=r, log_target=True),
     lambda r: torch.nn.KLDivLoss(reduction=r, log_target=True), lambda: [log_probs(3, 4), log_probs(3, 4, seed=5)]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_module_matches_torch(case, reduction, dtype):
    _, ours, theirs, inputs = case
    compare_module(ours(reduction), theirs(reduction), inputs(), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_batchmean(dtype):
    for log_target in (False, True):
        target = probs(3, 4) if not log_target else log_probs(3, 4, seed=5)
        compare_module(nn.KLDivLoss(reduction="batchmean", log_target=log_target),
                       torch.nn.KLDivLoss(reduction="batchmean", log_target=log_target),
                       [log_probs(3, 4), target], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_zero_targets_contribute_nothing(dtype):
    # torch's gradient with respect to a zero target is nan (0/0 in xlogy's backward);
    # ours is finite, so only the value and the input gradient are compared here.
    x, target = log_probs(3, 4).astype(dtype), probs(3, 4).astype(dtype)
    target[0, 1] = 0.0
    ours, theirs = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss = F.kl_div(ours, bp.tensor(target), reduction="batchmean")
    expected = torch.nn.functional.kl_div(theirs, torch.tensor(target), reduction="batchmean")
    assert_close(loss, expected, dtype)
    loss.backward()
    expected.backward()
    assert_close(ours.grad, theirs.grad, dtype)


def test_functional_names_and_legacy_flags():
    x, t = bp.tensor(logits(5, 4)), bp.tensor(classes(4, 5))
    tx, tt = torch.tensor(logits(5, 4)), torch.tensor(classes(4, 5))
    assert_close(F.cross_entropy(x, t, reduce=False), torch.nn.functional.cross_entropy(tx, tt, reduce=False),
                 "float64")
    assert_close(F.nll_loss(x, t, size_average=False), torch.nn.functional.nll_loss(tx, tt, size_average=False),
                 "float64")
    assert nn.MSELoss(size_average=False).reduction == "sum"
    for name in ["mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "hinge_embedding_loss", "multi_margin_loss", "kl_div"]:
        assert callable(getattr(F, name))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_huge_logits_stay_finite(dtype):
    x = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, 1e4]])
    t = np.array([1, 2, 0])
    for smoothing in (0.0, 0.3):
        ours, theirs = compare_module(nn.CrossEntropyLoss(label_smoothing=smoothing),
                                      torch.nn.CrossEntropyLoss(label_smoothing=smoothing), [x, t], dtype=dtype)
        assert np.isfinite(ours.item()) and ours.item() > 1e3
    y = bp.tensor(x.astype(dtype), requires_grad=True)
    F.cross_entropy(y, bp.tensor(t), reduction="sum").backward()
    assert np.isfinite(y.grad.numpy()).all()


def test_bce_clamps_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    for reduction in REDUCTIONS:
        compare_module(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), [x, y],
                       dtype="float64")


def test_bce_with_logits_is_stable_for_huge_logits():
    x = np.array([-1e4, -50.0, 50.0, 1e4])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    compare_module(nn.BCEWithLogitsLoss(reduction="none"), torch.nn.BCEWithLogitsLoss(reduction="none"), [x, y])


def test_cross_entropy_all_ignored_mean_is_nan_like_torch():
    x, t = logits(3, 4), np.full(3, -100)
    ours = F.cross_entropy(bp.tensor(x), bp.tensor(t))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())


# --------------------------------------------------------------- gradcheck
def _t(array, grad=False):
    return bp.tensor(np.asarray(array), requires_grad=grad)


GRADCHECK = [
    ("mse", lambda x, y: F.mse_loss(x, y, reduction="none"), [logits(3, 4), logits(3, 4, seed=9)], 2),
    ("l1", lambda x, y: F.l1_loss(x, y), [logits(3, 4), logits(3, 4, seed=9)], 2),
    ("ce", lambda x: F.cross_entropy(x, _t(classes(4, 5))), [logits(5, 4)], 1),
    ("ce_sum_many_classes", lambda x: F.cross_entropy(x, _t(classes(6, 3)), reduction="sum"), [logits(3, 6)], 1),
    ("ce_none", lambda x: F.cross_entropy(x, _t(classes(4, 5)), reduction="none"), [logits(5, 4)], 1),
    ("ce_full", lambda x: F.cross_entropy(x, _t(np.array([[0, 1, 3], [2, 1, 1]])), weight=_t(WEIGHT), ignore_index=1,
                                          label_smoothing=0.3, reduction="none"), [logits(2, 4, 3)], 1),
    ("ce_full_mean", lambda x: F.cross_entropy(x, _t(np.array([0, 1, 3, 2])), weight=_t(WEIGHT), ignore_index=1,
                                               label_smoothing=0.3), [logits(4, 4)], 1),
    ("ce_probabilities", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), [logits(3, 4), probs(3, 4)], 2),
    ("nll", lambda x: F.nll_loss(x, _t(np.array([0, 1, 3, 2])), weight=_t(WEIGHT), ignore_index=3), [logits(4, 4)],
     1),
    ("bce", lambda x, y: F.binary_cross_entropy(x, y, weight=_t(WEIGHT), reduction="none"),
     [probs(3, 4), probs(3, 4, seed=7)], 2),
    ("bce_logits", lambda x, y, w, p: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=p),
     [logits(3, 4), probs(3, 4), WEIGHT, WEIGHT[::-1].copy()], 4),
    ("hinge", lambda x: F.hinge_embedding_loss(x, _t(signs(3, 4)), margin=1.5, reduction="none"),
     [logits(3, 4)], 1),
    ("multi_margin", lambda x: F.multi_margin_loss(x, _t(classes(4, 5)), weight=_t(WEIGHT)), [logits(5, 4) / 2], 1),
    ("multi_margin_p2", lambda x: F.multi_margin_loss(x, _t(classes(4, 5)), p=2, reduction="sum"),
     [logits(5, 4) / 2], 1),
    ("kl_div", lambda x, y: F.kl_div(x, y, reduction="batchmean"), [log_probs(3, 4), probs(3, 4)], 2),
    ("kl_div_log_target", lambda x, y: F.kl_div(x, y, reduction="none", log_target=True),
     [log_probs(3, 4), log_probs(3, 4, seed=5)], 2),
]


@pytest.mark.parametrize("name,fn,inputs,n_grad", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, fn, inputs, n_grad):
    assert bp.autograd.gradcheck(fn, tuple(_t(a, i < n_grad) for i, a in enumerate(inputs)))


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x, t = logits(4, 3), np.array([0, 2, 1, 1])
    y = _t(x, True)
    F.cross_entropy(y, _t(t), reduction="sum").backward()
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(y.grad.numpy(), p - np.eye(3)[t], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 7), (1, 3)])
def test_cross_entropy_fast_path_equals_the_general_one(shape, reduction):
    """Plain targets take SoftmaxCrossEntropy; CrossEntropy (weights, smoothing, ignore_index) gives the same."""
    from backprop.ops import loss as L

    x, t = logits(*shape), classes(shape[1], shape[0])
    fast, general = _t(x, True), _t(x, True)
    w, valid, safe, w_n = L._class_targets(general, _t(t), None, -100, "cross_entropy")
    assert L._plain_targets(fast, _t(t), -100)
    ours = L.SoftmaxCrossEntropy.apply(fast, target=t, reduction=reduction)
    theirs = L.CrossEntropy.apply(general, safe=safe, valid=valid, w=w, w_n=w_n, label_smoothing=0.0,
                                  reduction=reduction)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = _t(np.random.default_rng(5).standard_normal(ours.shape))
    (ours * upstream).sum().backward(retain_graph=True)
    (theirs * upstream).sum().backward()
    np.testing.assert_allclose(fast.grad.numpy(), general.grad.numpy(), rtol=1e-12, atol=1e-12)
    first = fast.grad.numpy().copy()
    fast.grad = None
    (ours * upstream).sum().backward()  # a second pass through the retained graph gives the same gradient
    np.testing.assert_array_equal(fast.grad.numpy(), first)


def test_cross_entropy_takes_the_general_path_for_ignored_or_spanned_targets():
    from backprop.ops import loss as L

    x = _t(logits(4, 3))
    assert L._plain_targets(x, _t(np.array([0, 1, 2, 1])), -100)
    assert not L._plain_targets(x, _t(np.array([0, -100, 2, 1])), -100)
    assert not L._plain_targets(x, _t(np.array([0, 2, 2, 0])), 1)  # spans ignore_index 1: checked the long way
    assert not L._plain_targets(x, _t(np.array([0, 3, 2, 1])), -100)  # out of range: the general path raises
    assert not L._plain_targets(_t(logits(2, 3, 2)), _t(np.zeros((2, 2), dtype=int)), -100)


# ------------------------------------------------------------------ errors
def test_cross_entropy_bad_target_names_value_and_classes():
    x = bp.tensor(logits(3, 4))
    with pytest.raises(IndexError, match=r"target 4 .*\[0, 4\)"):
        F.cross_entropy(x, bp.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"target -2 .*\[0, 4\)"):
        F.cross_entropy(x, bp.tensor([0, -2, 1]))
    with pytest.raises(IndexError, match=r"target 7"):
        F.nll_loss(x, bp.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match=r"target 5"):
        F.multi_margin_loss(x, bp.tensor([0, 5, 1]))
    F.cross_entropy(x, bp.tensor([0, -100, 1]))  # ignore_index is allowed


def test_wrong_shapes_and_arguments_raise():
    x = bp.tensor(logits(3, 4))
    with pytest.raises(ValueError, match=r"expects a target of shape \(3,\), got \(4,\)"):
        F.cross_entropy(x, bp.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"weight.*\(4,\).*\(3,\)"):
        F.cross_entropy(x, bp.tensor([0, 1, 2]), weight=bp.ones(3, dtype=bp.float64))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="batchmean")
    with pytest.raises(ValueError, match="target of the input's shape"):
        F.binary_cross_entropy(bp.tensor(probs(3, 4)), bp.tensor(probs(4)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(bp.tensor([1.5]), bp.tensor([1.0]))
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)
