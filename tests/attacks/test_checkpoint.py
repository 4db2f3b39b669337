"""The grid of ``backprop attack``: what each row and title shows, for grey and colour images."""
import numpy as np
import pytest

from backprop.attacks import checkpoint
from backprop.train import plots


@pytest.fixture
def drawn(monkeypatch):
    """The figures the grid saves, kept open instead of written."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: figures.append(figure) or path)
    yield figures
    for figure in figures:
        plots._pyplot().close(figure)


@pytest.mark.parametrize("channels", [1, 3])
def test_grid_rows_titles_and_suptitle(drawn, channels):
    rng = np.random.default_rng(0)
    original = rng.uniform(0.2, 0.8, (2, channels, 5, 5))
    adversarial = original + 0.1 * np.sign(rng.standard_normal(original.shape))
    labels = np.array([0, 1])
    p_original = np.array([[0.9, 0.1], [0.2, 0.8]])          # both right
    p_adversarial = np.array([[0.7, 0.3], [0.6, 0.4]])       # the second now wrong
    assert checkpoint._grid(original, adversarial, labels, p_original, p_adversarial, ("cat", "dog"),
                            "fgsm eps=0.1", "grid.png") == "grid.png"
    (figure,) = drawn
    assert figure._suptitle.get_text() == "fgsm eps=0.1"
    axes = np.array(figure.axes).reshape(3, 2)
    assert [axis.get_title() for axis in axes[0]] == ["cat 90%", "dog 80%"]
    assert [axis.get_title() for axis in axes[2]] == ["cat 70%", "cat 60% (is dog)"]
    assert axes[2, 1].title.get_color() == "red" and axes[2, 0].title.get_color() == "black"
    shown = axes[0, 0].images[0].get_array()
    assert shown.shape == ((5, 5) if channels == 1 else (5, 5, 3))
    np.testing.assert_allclose(shown, original[0, 0] if channels == 1 else original[0].transpose(1, 2, 0))
    # the perturbation row: x_adv - x averaged over the channels, on a colour scale symmetric about 0
    np.testing.assert_allclose(axes[1, 0].images[0].get_array(), (adversarial - original)[0].mean(axis=0))
    assert axes[1, 0].images[0].get_clim() == pytest.approx((-0.1, 0.1))


@pytest.mark.parametrize("arguments, message", [({"eps": -0.1}, "eps must be >= 0"),
                                                ({"examples": 0}, r"examples \(images in the grid\) must be >= 1")])
def test_bad_arguments_are_refused_before_the_checkpoint_is_read(arguments, message):
    with pytest.raises(ValueError, match=message):
        checkpoint.attack_checkpoint("no-such-checkpoint.safetensors", **arguments)
