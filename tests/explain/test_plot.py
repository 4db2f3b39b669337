"""explain.plot: a PNG on disk, the colormap and limits a signed or non-negative map needs, errors."""
import numpy as np
import pytest

import backprop as bp
from backprop.explain import plot
from backprop.train import plots

pytest.importorskip("matplotlib")
pyplot = plots._pyplot()  # off-screen (Agg), as plot draws


def test_writes_a_png_and_returns_its_path(tmp_path):
    path = tmp_path / "map.png"
    image = np.random.default_rng(0).random((1, 8, 8))
    assert plot(image, np.random.default_rng(1).standard_normal((8, 8)), path) == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_signed_map_is_drawn_diverging_with_symmetric_limits():
    heat = np.array([[-1.0, 0.5], [0.25, 3.0]])
    figure = plot(bp.ones(3, 2, 2), bp.tensor(heat))  # a colour image and Tensors are taken too
    grey, shown = figure.axes[0].images
    assert shown.get_cmap().name == "bwr" and shown.get_clim() == (-3.0, 3.0) and shown.get_alpha() == 0.5
    assert grey.get_cmap().name == "gray" and grey.get_array().shape == (2, 2)
    pyplot.close(figure)


def test_a_non_negative_map_is_drawn_sequential_from_zero():
    figure = plot(np.zeros((4, 4)), np.full((4, 4), 2.0), alpha=0.3)
    shown = figure.axes[0].images[1]
    assert shown.get_cmap().name == "inferno" and shown.get_clim() == (0.0, 2.0) and shown.get_alpha() == 0.3
    pyplot.close(figure)


def test_draws_on_a_given_axis_with_a_chosen_colormap(tmp_path):
    figure, axes = pyplot.subplots(1, 2)
    assert plot(np.ones((3, 3)), np.ones((3, 3)), ax=axes[1], cmap="jet") is figure
    assert not axes[0].images and axes[1].images[1].get_cmap().name == "jet"
    assert plot(np.ones((3, 3)), -np.ones((3, 3)), tmp_path / "two.png", ax=axes[0]) == tmp_path / "two.png"
    assert (tmp_path / "two.png").exists() and pyplot.fignum_exists(figure.number)  # the caller's figure stays open
    pyplot.close(figure)


def test_a_colour_bar_with_its_label_on_request_on_a_given_axis():
    figure, axes = pyplot.subplots(1, 2)
    plot(np.ones((3, 3)), np.ones((3, 3)), ax=axes[0])  # a grid of maps gets no colour bar unless asked
    assert len(figure.axes) == 2
    plot(np.ones((3, 3)), np.eye(3) - 0.5, ax=axes[1], colorbar=True, label="relevance")
    bar = figure.axes[2]
    assert bar.get_ylabel() == "relevance" and bar.get_ylim() == (-0.5, 0.5)  # the map's symmetric limits
    pyplot.close(figure)
    own = plot(np.ones((3, 3)), np.ones((3, 3)), label="|gradient|")  # a figure of its own has one
    assert len(own.axes) == 2 and own.axes[1].get_ylabel() == "|gradient|"
    pyplot.close(own)


def test_a_map_of_another_shape_is_refused():
    with pytest.raises(ValueError, match=r"image's shape \(8, 8\), got \(4, 4\)"):
        plot(np.zeros((1, 8, 8)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"\(C, H, W\) or \(H, W\)"):
        plot(np.zeros(8), np.zeros(8))
