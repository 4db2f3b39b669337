"""explain_image refuses an unknown method or rule before it reads the checkpoint or the image."""
import pytest

from backprop import explain
from backprop.explain import checkpoint


def test_every_method_of_the_package_is_offered_under_its_name():
    assert sorted(checkpoint.METHODS) == sorted(name for name in explain.__all__ if name != "plot")


@pytest.mark.parametrize("method, rule, message", [("gradcam", "epsilon", "unknown method 'gradcam'"),
                                                   ("lrp", "gamma", "unknown LRP rule 'gamma'")])
def test_an_unknown_method_or_rule_is_refused_before_any_file_is_read(tmp_path, method, rule, message):
    with pytest.raises(ValueError, match=message):
        checkpoint.explain_image(str(tmp_path / "missing.npz"), str(tmp_path / "missing.png"), method, rule=rule)
