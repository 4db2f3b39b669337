import numpy as np
import pytest
import torch

import backprop as bp
from backprop.data import TensorDataset
from backprop.data.transforms import (
    Compose, Flatten, Normalize, RandomCrop, RandomShift, Resize, ToTensor, apply_to_batch, normalization,
)


def shifted(image, dy, dx):
    """``image`` (C, H, W) moved dy rows down and dx columns right, zeros coming in (written by hand)."""
    out = np.zeros_like(image)
    _, h, w = image.shape
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = image[:, i - dy, j - dx]
    return out


@pytest.mark.parametrize("shape, expected", [((5, 7), (1, 5, 7)), ((5, 7, 3), (3, 5, 7)), ((3, 5, 7), (3, 5, 7)),
                                             ((5, 7, 1), (1, 5, 7)), ((2, 5, 7, 3), (2, 3, 5, 7))])
def test_to_tensor_layouts_and_scale(shape, expected):
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    out = ToTensor()(pixels)
    assert out.shape == expected and out.dtype == np.float32
    channels_last = len(shape) in (3, 4) and shape[-1] in (1, 3) and shape[-3] not in (1, 3)
    reference = np.moveaxis(pixels, -1, -3) if channels_last else pixels.reshape(expected)
    np.testing.assert_array_equal(out, reference.astype(np.float32) / 255)
    assert out.min() >= 0 and out.max() <= 1


def test_to_tensor_accepts_pil_images_and_floats():
    from PIL import Image

    pixels = np.arange(12, dtype=np.uint8).reshape(2, 2, 3) * 20
    np.testing.assert_array_equal(ToTensor()(Image.fromarray(pixels)), np.moveaxis(pixels, 2, 0) / np.float32(255))
    floats = np.full((1, 2, 2), 3.5)
    out = ToTensor()(floats)
    assert out.dtype == np.float32 and np.all(out == 3.5)


def test_normalize_per_channel_by_hand():
    image = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 3.0)]).astype(np.float32)
    out = Normalize([0.5, 1.0], [0.25, 2.0])(image)
    np.testing.assert_allclose(out[0], 2.0)  # (1 - 0.5) / 0.25
    np.testing.assert_allclose(out[1], 1.0)  # (3 - 1) / 2
    batch = Normalize([0.5, 1.0], [0.25, 2.0])(np.stack([image, image]))
    assert batch.shape == (2, 2, 2, 2) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[1], out)
    with pytest.raises(ValueError, match="2 channel statistics, the image has 3 channels"):
        Normalize([0.5, 1.0], [1.0, 1.0])(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="non-zero stds"):
        Normalize([0.0], [0.0])


def test_normalize_per_feature_by_hand():
    normalize = Normalize([1.0, -1.0, 0.0], [2.0, 0.5, 4.0])
    vectors = np.array([[3.0, 0.0, 2.0], [1.0, -2.0, -4.0]], dtype=np.float32)
    np.testing.assert_array_equal(normalize(vectors), [[1.0, 2.0, 0.5], [0.0, -2.0, -1.0]])
    np.testing.assert_array_equal(normalize(vectors[1]), [0.0, -2.0, -1.0])  # one vector (D,)
    with pytest.raises(ValueError, match="3 feature statistics, the vector has 2 features"):
        normalize(np.zeros((4, 2), np.float32))


def test_random_shift_gives_each_sample_its_own_shift():
    image = np.arange(1, 2 * 6 * 7 + 1, dtype=np.float32).reshape(2, 6, 7)
    out = RandomShift(2)(np.stack([image] * 64))
    assert out.shape == (64, 2, 6, 7)
    shifts = []
    for sample in out:
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if np.array_equal(sample, shifted(image, dy, dx))]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) > 10  # 25 possible shifts over 64 samples


def test_random_shift_follows_manual_seed_and_keeps_single_images():
    image = np.random.default_rng(0).random((1, 5, 5)).astype(np.float32)
    bp.manual_seed(1)
    first = RandomShift(1)(image)
    bp.manual_seed(1)
    np.testing.assert_array_equal(RandomShift(1)(image), first)
    assert first.shape == (1, 5, 5)
    assert any(np.array_equal(first, shifted(image, dy, dx)) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    np.testing.assert_array_equal(RandomShift(0)(image), image)


def test_random_crop_is_a_window_of_the_padded_image():
    image = np.random.default_rng(1).random((3, 6, 6)).astype(np.float32) + 1
    padded = np.pad(image, ((0, 0), (2, 2), (2, 2)))
    out = RandomCrop(4, padding=2)(np.stack([image] * 20))
    assert out.shape == (20, 3, 4, 4)
    windows = {(i, j) for i in range(7) for j in range(7)}
    for crop in out:
        found = [(i, j) for i, j in windows if np.array_equal(crop, padded[:, i:i + 4, j:j + 4])]
        assert found
    with pytest.raises(ValueError, match=r"crop \(9, 9\) is larger than the padded image \(6, 6\)"):
        RandomCrop(9)(image)


@pytest.mark.parametrize("size_in, size_out", [((8, 8), (16, 16)), ((7, 9), (3, 4)), ((5, 6), (5, 17)),
                                               ((28, 28), (14, 14)), ((4, 4), (4, 4))])
def test_resize_matches_torch_bilinear(size_in, size_out):
    batch = np.random.default_rng(2).random((3, 2, *size_in)).astype(np.float32)
    expected = torch.nn.functional.interpolate(torch.from_numpy(batch), size=size_out, mode="bilinear",
                                               align_corners=False, antialias=False).numpy()
    np.testing.assert_allclose(Resize(size_out)(batch), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(Resize(size_out)(batch[1]), expected[1], rtol=1e-5, atol=1e-6)


def test_resize_int_sets_the_shorter_side():
    assert Resize(16)(np.zeros((1, 8, 8), np.float32)).shape == (1, 16, 16)
    assert Resize(10)(np.zeros((1, 20, 40), np.float32)).shape == (1, 10, 20)
    assert Resize(10)(np.zeros((1, 40, 20), np.float32)).shape == (1, 20, 10)


def test_flatten_compose_and_tensors():
    pipeline = Compose([Resize(4), Normalize([0.5], [0.5]), Flatten()])
    assert pipeline.batched
    image = np.ones((1, 2, 2), np.float32)
    np.testing.assert_allclose(pipeline(image), np.ones(16))
    assert pipeline(np.stack([image] * 3)).shape == (3, 16)
    out = pipeline(bp.tensor(image))
    assert isinstance(out, bp.Tensor) and out.shape == (16,)
    with pytest.raises(ValueError, match=r"expects an image \(C, H, W\) or a batch \(N, C, H, W\), got shape \(2, 2\)"):
        Flatten()(np.zeros((2, 2), np.float32))


def test_per_sample_callables_are_applied_sample_by_sample():
    calls = []

    def per_sample(image):
        calls.append(image.shape)
        return image[:, ::-1]

    batch = np.arange(24, dtype=np.float32).reshape(3, 1, 2, 4)
    out = apply_to_batch(Compose([Normalize([0.0], [1.0]), per_sample]), batch)
    assert calls == [(1, 2, 4)] * 3
    np.testing.assert_array_equal(out, batch[:, :, ::-1])


def test_normalization_is_the_per_channel_mean_and_std():
    images = np.random.default_rng(3).random((50, 3, 4, 4)).astype(np.float32)
    images[:, 1] *= 3
    mean, std = normalization(TensorDataset(bp.tensor(images), bp.zeros(50)), batch_size=16)
    np.testing.assert_allclose(mean, images.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, images.std(axis=(0, 2, 3)), rtol=1e-5)
    assert len(mean) == 3 and all(isinstance(m, float) for m in mean)


def test_normalization_of_feature_vectors_is_per_feature():
    vectors = np.random.default_rng(4).normal([1.0, -2.0], [0.5, 3.0], size=(70, 2)).astype(np.float32)
    mean, std = normalization(TensorDataset(bp.tensor(vectors), bp.zeros(70)), batch_size=16)
    np.testing.assert_allclose(mean, vectors.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, vectors.astype(np.float64).std(axis=0), rtol=1e-12)
