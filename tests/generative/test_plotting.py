"""sample_grid: a PNG on disk, rows of ``columns`` images, 0 drawn black and 1 white, the shapes it takes, errors."""
import numpy as np
import pytest

import backprop as bp
from backprop.generative import sample_grid

pytest.importorskip("matplotlib")
from matplotlib import image as mpimg  # noqa: E402


def test_writes_a_png_and_returns_its_path(tmp_path):
    path = tmp_path / "samples.png"
    assert sample_grid(bp.rand(10, 64), path) == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_columns_set_the_layout(tmp_path):
    images = np.random.default_rng(0).random((8, 8, 8))
    wide = mpimg.imread(sample_grid(images, tmp_path / "wide.png", columns=8))  # one row of 8
    tall = mpimg.imread(sample_grid(images, tmp_path / "tall.png", columns=2))  # four rows of 2
    assert wide.shape[1] > 2 * wide.shape[0] and tall.shape[0] > 1.5 * tall.shape[1]


def test_grey_levels_are_absolute(tmp_path):
    """0 is black and 1 white whatever the batch holds (not rescaled per image): the centre of the middle one of
    three all-0.9 images is drawn at 0.9, of all-0.1 images at 0.1."""
    for value in (0.9, 0.1):
        png = mpimg.imread(sample_grid(np.full((3, 1, 8, 8), value), tmp_path / f"{value}.png"))
        centre = png[png.shape[0] // 2, png.shape[1] // 2, :3]
        np.testing.assert_allclose(centre, value, atol=0.02)


@pytest.mark.parametrize("images, columns, message", [
    (np.zeros((3, 10)), 8, "vectors of 10 values are not square images"),
    (np.zeros((3, 3, 8, 8)), 8, r"expected a non-empty batch .* got shape \(3, 3, 8, 8\)"),
    (np.zeros((0, 64)), 8, "non-empty"),
    (np.zeros((3, 64)), 0, "columns must be a positive int, got 0"),
])
def test_bad_inputs_are_refused(tmp_path, images, columns, message):
    with pytest.raises(ValueError, match=message):
        sample_grid(images, tmp_path / "x.png", columns=columns)
