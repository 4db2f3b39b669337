"""Registry entries of the attention family: scaled dot-product attention with each kind of mask, a causal
mask, a custom scale, grouped-query heads, and a query that may attend nowhere (zero output, as torch's); the
whole multi-head attention computation as a function (see tests/op_registry.py)."""
import numpy as np

from op_registry import S, Sample, T, op

ALLOWED = np.array([[True, False, True, True], [True, True, False, True], [False, True, True, True]])
NOWHERE = ALLOWED.copy()
NOWHERE[1] = False


def torch_flash(*args, **kwargs):
    """4-d inputs take torch's CPU flash-attention kernel, whose backward has no derivative: gradients compared
    with torch and gradgradchecked, second derivatives not compared."""
    return Sample(args, kwargs, double_backward=False)


def sdpa(lib, q, k, v, *mask, **kwargs):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, *mask, **kwargs)


op("nn.functional.scaled_dot_product_attention.options", sdpa,
   [S(T((2, 3, 3)), T((2, 4, 3)), T((2, 4, 2))),
    torch_flash(T((2, 2, 3, 3)), T((2, 2, 4, 3)), T((2, 2, 4, 3)), T(values=ALLOWED)),
    S(T((2, 3, 2)), T((2, 4, 2)), T((2, 4, 2)), T((3, 4), grad=False), scale=0.6),
    S(T((2, 3, 2)), T((2, 4, 2)), T((2, 4, 3)), T((2, 3, 4))),
    S(T((1, 4, 2)), T((1, 4, 2)), T((1, 4, 2)), is_causal=True),
    torch_flash(T((1, 4, 3, 2)), T((1, 2, 4, 2)), T((1, 2, 4, 2)), enable_gqa=True),
    S(T((3, 2)), T((4, 2)), T((4, 2)), T(values=NOWHERE))])


def mha(lib, q, k, v, w_in, b_in, w_out, b_out, mask):
    return lib.nn.functional.multi_head_attention_forward(
        q, k, v, 4, 2, w_in, b_in, None, None, False, 0.0, w_out, b_out, key_padding_mask=mask,
        average_attn_weights=False)


# float64 only: in float32 its long chain of products (projections, scores, softmax, weighted sum, output
# projection) leaves gradient entries that cancel to ~1e-2 with a rounding error of ~1e-6 in either library
# (float32 is compared with torch in tests/nn/test_attention.py at the layer tolerance)
op("nn.functional.multi_head_attention_forward", mha,
   [Sample((T((2, 2, 4)), T((3, 2, 4)), T((3, 2, 4)), T((12, 4)), T((12,), grad=False), T((4, 4), grad=False),
            T((4,), grad=False), T(values=np.array([[False] * 2 + [True], [False] * 3]))), {})],
   dtypes=("float64",))
