"""The run's figures: learning curves with whole-number epoch ticks and titles, a titled confusion matrix."""
import numpy as np
import pytest

pytest.importorskip("matplotlib")

from backprop.train import plots  # noqa: E402


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plots draw, kept open for inspection (each is still saved as a PNG first)."""
    figures = []
    save = plots._save

    def keep(figure, path):
        figure.canvas.draw()  # so that the tick positions are those of the PNG
        figures.append((figure, [axis.get_xticks() for axis in figure.axes],
                        [axis.get_xlim() for axis in figure.axes]))
        return save(figure, path)

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def history(epochs, accuracy=True):
    rows = []
    for epoch in range(1, epochs + 1):
        row = {"epoch": epoch, "loss": 1 / epoch, "val_loss": 1.2 / epoch}
        if accuracy:
            row.update(accuracy=1 - 0.5 / epoch, val_accuracy=1 - 0.6 / epoch)
        rows.append(row)
    return rows


def is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 30])
def test_learning_curves_have_whole_epoch_ticks_titles_and_labels(tmp_path, drawn, epochs):
    path = tmp_path / "curves.png"
    plots.learning_curves(history(epochs), path, title="cnn on digits")
    assert is_png(path)
    (figure, ticks, limits), = drawn
    assert figure._suptitle.get_text() == "Learning curves: cnn on digits"
    assert [axis.get_title() for axis in figure.axes] == ["Loss", "Accuracy"]
    assert [(axis.get_xlabel(), axis.get_ylabel()) for axis in figure.axes] == [("epoch", "loss"),
                                                                                 ("epoch", "accuracy")]
    for axis_ticks, (low, high) in zip(ticks, limits):
        shown = [t for t in axis_ticks if low <= t <= high]
        assert shown, "no tick on the epoch axis"
        # matplotlib's default locator puts 0.5-, 0.2- or 0.02-steps between a few epochs
        assert all(float(t).is_integer() for t in shown), shown
        assert len(shown) >= min(epochs, 2)


def test_learning_curves_without_a_title_or_accuracy(tmp_path, drawn):
    plots.learning_curves(history(4, accuracy=False), tmp_path / "curves.png")
    (figure, _, _), = drawn
    assert figure._suptitle.get_text() == "Learning curves"
    assert [axis.get_title() for axis in figure.axes] == ["Loss"]


def test_confusion_matrix_has_a_title(tmp_path, drawn):
    matrix = np.array([[5, 1, 0], [0, 4, 2], [1, 0, 6]])
    path = tmp_path / "matrix.png"
    plots.confusion_matrix(matrix, ["a", "b", "c"], path, title="mlp on spirals (test set)")
    assert is_png(path)
    plots.confusion_matrix(matrix, ["a", "b", "c"], tmp_path / "plain.png")
    (titled, _, _), (plain, _, _) = drawn
    assert titled.axes[0].get_title() == "Confusion matrix: mlp on spirals (test set)"
    assert (titled.axes[0].get_xlabel(), titled.axes[0].get_ylabel()) == ("predicted", "true")
    assert plain.axes[0].get_title() == "Confusion matrix"
