"""Transforms and TensorDataset on CuPy arrays give the CPU's results (skipped without CuPy and a GPU)."""
import numpy as np
import pytest

import backprop as bp
from backprop.data import DataLoader, TensorDataset
from backprop.data.transforms import Compose, Flatten, Normalize, RandomCrop, RandomShift, Resize, ToTensor

cupy = pytest.importorskip("cupy")
pytestmark = pytest.mark.skipif(not cupy.is_available(), reason="no CUDA device")


def test_transforms_on_the_gpu_match_the_cpu():
    images = np.random.default_rng(0).random((4, 3, 9, 9)).astype(np.float32)
    pipeline = Compose([Resize((12, 10)), RandomShift(2), RandomCrop(8, padding=1),
                        Normalize([0.1, 0.2, 0.3], [1, 2, 3]), Flatten()])
    bp.manual_seed(5)
    cpu = pipeline(images)
    bp.manual_seed(5)
    gpu = pipeline(cupy.asarray(images))
    assert isinstance(gpu, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(gpu), cpu, rtol=1e-5, atol=1e-6)
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    np.testing.assert_array_equal(cupy.asnumpy(ToTensor()(cupy.asarray(pixels))), ToTensor()(pixels))


def test_tensor_dataset_batches_stay_on_the_gpu():
    ds = TensorDataset(bp.arange(10).float().to("cuda"), bp.arange(10).to("cuda"))
    x, y = next(iter(DataLoader(ds, batch_size=4, shuffle=True, seed=0)))
    assert str(x.device) == "cuda:0"
    np.testing.assert_array_equal(x.cpu().numpy(), y.cpu().numpy())
