"""Registry entries of the layers' functional forms added for issue 20 (normalisation, pooling, padding,
embedding bags, distances, dropout): each compared with torch.nn.functional (values, gradients; gradcheck,
gradgradcheck and second derivatives against torch come from tests/test_ops.py).

Max-pooling samples draw DISTINCT values (no tied windows: a tie is a kink). Running statistics, indices
and offsets never require grad.
"""
from helpers import DISTINCT, POSITIVE, AwayFrom, Uniform
from op_registry import INT64, FLOATS, S, T, _classes, _fixed, _functional, forward_only, kink, torch_nan_second_derivative

# ------------------------------------------------------------- normalisation
_functional("group_norm", [
    S(T((2, 4, 3)), 2, T((4,)), T((4,))), S(T((2, 6, 2, 2)), 3), S(T((3, 4)), 2, T((4,)), None, 1e-3),
    S(T((2, 4, 5)), 1, T((4,))), S(T((1, 4, 2)), 4, T((4,)), T((4,)))])
_functional("instance_norm", [
    S(T((2, 3, 4)), None, None, T((3,)), T((3,))), S(T((2, 3, 2, 3))), S(T((1, 2, 5)), eps=1e-3),
    S(T((2, 3, 4)), _fixed((3,)), _fixed((3,), POSITIVE), T((3,)), T((3,)), momentum=0.3),
    S(T((2, 3, 4)), _fixed((3,)), _fixed((3,), POSITIVE), T((3,)), T((3,)), use_input_stats=False)])
_functional("rms_norm", [
    S(T((2, 3)), (3,), T((3,))), S(T((2, 2, 3)), (2, 3)), S(T((4,)), [4], None, 1e-3),
    S(T((2, 3, 4)), (4,), T((4,)), eps=0.1)])
_functional("local_response_norm", [
    S(T((2, 5, 3)), 3), S(T((1, 4, 2, 2)), 2, alpha=0.1, beta=0.5, k=2.0), S(T((2, 3, 4)), 5, 0.5, 0.75, 1.0),
    S(T((1, 3, 2, 1, 2)), 4, 0.2)])
_functional("normalize", [
    S(T((2, 3))), S(T((2, 3, 4)), p=3.0, dim=2), S(T((4,)), dim=0), S(T((2, 3)), 1.0, 0),
    # a zero row (the norm's kink): torch's second derivative there is nan
    torch_nan_second_derivative(T(values=[[0.0, 0.0], [1.0, 2.0]]), eps=1e-3)],
    domain=AwayFrom(0))
