"""Every misuse raises an exception that names what was expected and what came."""
import pytest

import backprop as bp


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \(3, 4\) and \(5, 6\) cannot be multiplied.*\(4\).*\(5\)"):
        bp.ones(3, 4) @ bp.ones(5, 6)


def test_matmul_of_a_0d_tensor():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        bp.matmul(bp.tensor(2.0), bp.ones(2))


def test_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) do not broadcast"):
        bp.ones(2, 3) + bp.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2,\) and \(3,\)"):
        bp.ones(2) * bp.ones(3)


def test_backward_on_non_scalar_without_gradient():
    with pytest.raises(RuntimeError, match=r"scalar.*got shape \(3,\).*gradient="):
        (bp.ones(3, requires_grad=True) * 2).backward()


def test_backward_through_a_freed_graph():
    x = bp.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_in_place_change_of_a_needed_tensor():
    x = bp.ones(2)
    y = (bp.ones(2, requires_grad=True) * x).sum()
    x.zero_()
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*version 0 when saved and is at version 1"):
        y.backward()


def test_index_out_of_range():
    with pytest.raises(IndexError, match=r"shape \(3,\).*index 5 is out of bounds.*size 3"):
        bp.ones(3)[5]
    with pytest.raises(IndexError, match="out of bounds"):
        bp.ones(3)[bp.tensor([0, 3])]
    with pytest.raises(IndexError, match=r"dim 2 is out of range for a tensor of 2 dimensions \(expected -2 to 1\)"):
        bp.ones(2, 2).sum(dim=2)


@pytest.mark.parametrize("op", [bp.mean, bp.var, bp.std, lambda t: bp.softmax(t, 0), lambda t: bp.log_softmax(t, 0)])
def test_dtype_an_op_does_not_support(op):
    with pytest.raises(TypeError, match=r"floating point tensor, got backprop\.int64"):
        op(bp.tensor([1, 2]))


def test_reshape_to_an_impossible_shape():
    with pytest.raises(RuntimeError, match=r"shape \(4,\) is invalid for a tensor of 6 elements"):
        bp.ones(2, 3).reshape(4)


def test_expand_of_a_dim_that_is_not_1():
    with pytest.raises(ValueError, match=r"size 4 of dim 0 does not match the tensor's 2"):
        bp.ones(2).expand(4)


def test_cat_of_mismatched_shapes():
    with pytest.raises(ValueError, match=r"tensor 1 has shape \(2, 4\) but tensor 0 has \(2, 3\)"):
        bp.cat([bp.ones(2, 3), bp.ones(2, 4)], dim=0)


def test_op_on_a_non_tensor():
    with pytest.raises(TypeError, match="exp\\(\\) expected a Tensor, got list"):
        bp.exp([1.0])
    with pytest.raises(TypeError, match="expected a Tensor, an array or a number, got str"):
        bp.ones(2) + "a"


def test_requires_grad_on_integers():
    with pytest.raises(RuntimeError, match=r"floating point dtype.*got backprop\.int64"):
        bp.zeros(2, dtype=bp.int64).requires_grad_()
