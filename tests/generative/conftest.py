"""The fixture the VAE and GAN tests share."""
import pytest

import backprop as bp


@pytest.fixture(scope="module")
def digits():
    """The training digits flattened, (1437, 64) float32 in [0, 1]."""
    images, _ = next(iter(bp.data.DataLoader(bp.data.digits(train=True), batch_size=2000)))
    return images.reshape(len(images), 64)
