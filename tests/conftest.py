import numpy as np
import pytest

import backprop as bp


@pytest.fixture(autouse=True)
def _seed():
    bp.manual_seed(0)
    np.random.seed(0)
