"""Transforms against torch: forward, inverse, log_abs_det_jacobian and their gradients, shapes, sign, domain
and codomain; caching, inverse identity and equality; the cdf/icdf round trip through a TransformedDistribution."""
import numpy as np
import pytest
import torch

import backprop as bp
import backprop.distributions as D

from .common import both, close, grads_close

rng = np.random.default_rng(5)

CASES = {
    "Exp": (lambda d, p: d.ExpTransform(), rng.standard_normal((3, 4))),
    "Sigmoid": (lambda d, p: d.SigmoidTransform(), rng.standard_normal((3, 4)) * 3),
    "Tanh": (lambda d, p: d.TanhTransform(), rng.standard_normal((3, 4))),
    "Softplus": (lambda d, p: d.SoftplusTransform(), rng.standard_normal((3, 4)) * 3),
    "Abs": (lambda d, p: d.AbsTransform(), rng.standard_normal((3, 4))),
    "Affine": (lambda d, p: d.AffineTransform(p, p * 2 - 3), rng.standard_normal((3, 4))),
    "Affine.numbers": (lambda d, p: d.AffineTransform(1.5, -0.5), rng.standard_normal((3, 4))),
    "Affine.event": (lambda d, p: d.AffineTransform(p, p + 3, event_dim=1), rng.standard_normal((3, 4))),
    "Power": (lambda d, p: d.PowerTransform(p.abs() + 0.5), rng.uniform(0.5, 2, (3, 4))),
    "Softmax": (lambda d, p: d.SoftmaxTransform(), rng.standard_normal((3, 4))),
    "StickBreaking": (lambda d, p: d.StickBreakingTransform(), rng.standard_normal((3, 4))),
    "LowerCholesky": (lambda d, p: d.LowerCholeskyTransform(), rng.standard_normal((2, 3, 3))),
    "Compose": (lambda d, p: d.ComposeTransform([d.AffineTransform(0.5, 2.0), d.ExpTransform(),
                                                 d.PowerTransform(p.new_tensor(0.5))]), rng.standard_normal((3, 4))),
    "Independent": (lambda d, p: d.IndependentTransform(d.SigmoidTransform(), 1), rng.standard_normal((3, 4))),
    "Reshape": (lambda d, p: d.ReshapeTransform((4,), (2, 2)), rng.standard_normal((3, 4))),
    "Inverse": (lambda d, p: d.ExpTransform().inv, rng.uniform(0.5, 2, (3, 4))),
    "CorrCholesky": (lambda d, p: d.CorrCholeskyTransform(), rng.standard_normal((2, 6))),
    "PositiveDefinite": (lambda d, p: d.PositiveDefiniteTransform(), rng.standard_normal((2, 3, 3))),
    "CumulativeDistribution": (lambda d, p: d.CumulativeDistributionTransform(d.Normal(p, p.exp())),
                               rng.standard_normal((3, 4))),
    "Cat": (lambda d, p: d.CatTransform([d.ExpTransform(), d.AffineTransform(p[:2], 3.0)], dim=-1, lengths=[2, 2]),
            rng.standard_normal((3, 4))),
    "Cat.event": (lambda d, p: d.CatTransform([d.IndependentTransform(d.ExpTransform(), 1), d.SigmoidTransform()],
                                              dim=0, lengths=[1, 2]), rng.standard_normal((3, 4))),
    "Stack": (lambda d, p: d.StackTransform([d.ExpTransform(), d.SigmoidTransform(), d.TanhTransform()], dim=0),
              rng.standard_normal((3, 4))),
    "Compose.inverse": (lambda d, p: d.ComposeTransform([d.TanhTransform(), d.AffineTransform(1.0, 3.0)]).inv,
                        rng.uniform(-1.5, 3.5, (3, 4))),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_transform_against_torch(name, dtype):
    make, x = CASES[name]
    (param_bp, param_torch), (x_bp, x_torch) = both(rng.standard_normal(4), dtype), both(x, dtype)
    ours, theirs = make(D, param_bp), make(torch.distributions, param_torch)
    y_bp, y_torch = ours(x_bp), theirs(x_torch)
    close(y_bp, y_torch, dtype, f"{name}(x)")
    outputs = [(y_bp, y_torch)]
    if name not in ("Softmax", "LowerCholesky", "Abs", "PositiveDefinite"):  # no Jacobian in torch either
        ladj = (ours.log_abs_det_jacobian(x_bp, y_bp), theirs.log_abs_det_jacobian(x_torch, y_torch))
        close(*ladj, dtype, f"{name}.log_abs_det_jacobian")
        outputs.append(ladj)
    y_data = y_torch.detach().numpy()
    (y2_bp, y2_torch) = both(y_data, dtype)
    close(ours.inv(y2_bp), theirs.inv(y2_torch), dtype, f"{name}.inv")
    outputs.append((ours.inv(y2_bp), theirs.inv(y2_torch)))
    assert ours.bijective == theirs.bijective
    assert repr(ours.domain) == repr(theirs.domain) and repr(ours.codomain) == repr(theirs.codomain)
    assert tuple(ours.forward_shape((3, 4))) == tuple(theirs.forward_shape(torch.Size((3, 4)))) \
        if name not in ("LowerCholesky", "Reshape", "CorrCholesky", "PositiveDefinite") else True
    sign_bp, sign_torch = _sign(ours), _sign(theirs)
    assert np.array_equal(np.asarray(sign_bp), np.asarray(sign_torch)), (sign_bp, sign_torch)
    w = np.random.default_rng(1)
    loss_bp = sum((a * bp.tensor(wi)).sum() for (a, _), wi in
                  zip(outputs, [w.standard_normal(tuple(t.shape)).astype(dtype) for _, t in outputs]))
    w = np.random.default_rng(1)
    loss_torch = sum((t * torch.tensor(wi)).sum() for (_, t), wi in
                     zip(outputs, [w.standard_normal(tuple(t.shape)).astype(dtype) for _, t in outputs]))
    loss_bp.backward()
    loss_torch.backward()
    grads_close([param_bp, x_bp, y2_bp], [param_torch, x_torch, y2_torch], dtype, name)


def _sign(transform):
    """The transform's sign as an array, or NotImplementedError (torch and backprop must agree on which)."""
    try:
        sign = transform.sign
    except NotImplementedError:
        return "NotImplementedError"
    return sign.detach().numpy() if hasattr(sign, "detach") else sign


def test_cache_returns_the_input_itself():
    t = D.ExpTransform(cache_size=1)
    x = bp.tensor([0.3, -1.0])
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    uncached = D.ExpTransform()
    assert uncached.inv(uncached(x)) is not x
    assert D.ExpTransform().with_cache(1)._cache_size == 1
    assert D.AffineTransform(1.0, 2.0).with_cache()._cache_size == 1


def test_inverse_of_inverse_and_equality():
    t = D.SigmoidTransform()
    assert t.inv.inv is t
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform() != D.SigmoidTransform()
    assert D.AffineTransform(1.0, 2.0) == D.AffineTransform(1.0, 2.0) != D.AffineTransform(1.0, 3.0)
    assert D.ComposeTransform([D.ExpTransform()]) == D.ComposeTransform([D.ExpTransform()])
    assert repr(D.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    assert D.identity_transform(bp.tensor([1.5])).item() == 1.5
    with pytest.raises(ValueError, match="Please use either .domain.event_dim or .codomain.event_dim"):
        D.ReshapeTransform((4,), (2, 2)).event_dim


def test_cdf_icdf_round_trip_through_decreasing_transform():
    dist = D.TransformedDistribution(D.Normal(bp.tensor([0.0, 1.0]), 1.0),
                                     [D.AffineTransform(2.0, -3.0), D.ExpTransform()])
    q = bp.tensor([0.2, 0.7])
    np.testing.assert_allclose(dist.cdf(dist.icdf(q)).numpy(), q.numpy(), rtol=1e-5)


def test_one_hot_straight_through_gradient():
    probs_bp, probs_torch = both(np.array([0.2, 0.3, 0.5]), "float64")
    bp.manual_seed(0)
    draw = D.OneHotCategoricalStraightThrough(probs=probs_bp).rsample((4,))
    theirs = torch.distributions.OneHotCategoricalStraightThrough(probs=probs_torch)
    assert theirs.has_rsample
    (draw * bp.tensor([1.0, 2.0, 3.0], dtype=bp.float64)).sum().backward()
    # torch's straight-through gradient with the same one-hot draws: draws + probs - probs.detach()
    same = torch.tensor(draw.detach().numpy()) + theirs.probs - theirs.probs.detach()
    (same * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    grads_close([probs_bp], [probs_torch], "float64", "straight-through")


_CONSTRAINTS = [lambda c: c.real, lambda c: c.positive, lambda c: c.nonnegative, lambda c: c.greater_than(2.0),
                lambda c: c.greater_than_eq(-1.0), lambda c: c.less_than(1.0), lambda c: c.unit_interval,
                lambda c: c.interval(-1.0, 3.0), lambda c: c.half_open_interval(0.0, 2.0), lambda c: c.simplex,
                lambda c: c.real_vector, lambda c: c.independent(c.positive, 1), lambda c: c.lower_cholesky,
                lambda c: c.corr_cholesky, lambda c: c.positive_definite,
                lambda c: c.cat([c.positive, c.real], 2, [1, 2]), lambda c: c.stack([c.unit_interval, c.positive, c.real], 1)]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("make", _CONSTRAINTS)
def test_biject_to_and_transform_to_as_torch(make, registry):
    ours_registry, theirs_registry = getattr(D, registry), getattr(torch.distributions, registry)
    try:
        theirs = theirs_registry(make(torch.distributions.constraints))
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError, match=str(error)):
            ours_registry(make(D.constraints))
        return
    ours = ours_registry(make(D.constraints))
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(3).standard_normal((2, 3, 3) if "Corr" not in repr(ours) else (2, 3))
    (x_bp, x_torch) = both(x, "float64")
    y_bp, y_torch = ours(x_bp), theirs(x_torch)
    close(y_bp, y_torch, "float64", f"{registry} value")
    assert bool(make(D.constraints).check(y_bp).all())
