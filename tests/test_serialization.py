"""bp.save / bp.load: one safetensors file, plain values in its metadata, no code run."""
import json
import os

import numpy as np
import pytest

import backprop as bp

pytest.importorskip("safetensors")


def test_lone_tensor_round_trip(tmp_path):
    t = bp.randn(3, 4, dtype=bp.float64)
    bp.save(t, tmp_path / "t.safetensors")
    back = bp.load(tmp_path / "t.safetensors")
    assert isinstance(back, bp.Tensor) and back.dtype == bp.float64
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_lone_tensor_is_stored_under_the_key_tensor(tmp_path):
    from safetensors.numpy import load_file

    bp.save(bp.ones(2), tmp_path / "t.safetensors")
    assert list(load_file(tmp_path / "t.safetensors")) == ["tensor"]


def test_nested_dict_with_plain_values(tmp_path):
    state = {
        "model": {"fc.weight": bp.ones(2, 3), "fc.bias": bp.zeros(2, dtype=bp.int64)},
        "epoch": 7, "lr": 0.1, "name": "xor", "history": [1.5, 0.5], "best": None,
    }
    path = tmp_path / "ckpt.safetensors"
    bp.save(state, path)
    back = bp.load(path)
    assert back["epoch"] == 7 and back["lr"] == 0.1 and back["name"] == "xor"
    assert back["history"] == [1.5, 0.5] and back["best"] is None
    assert back["model"]["fc.weight"].tolist() == [[1.0] * 3] * 2
    assert back["model"]["fc.bias"].dtype == bp.int64


def test_tensors_are_stored_under_their_state_dict_keys(tmp_path):
    from safetensors import safe_open

    bp.save({"fc.weight": bp.ones(2, 3), "step": 3}, tmp_path / "sd.safetensors")
    with safe_open(tmp_path / "sd.safetensors", framework="numpy") as f:
        assert list(f.keys()) == ["fc.weight"]
        assert json.loads(f.metadata()["backprop"])["step"] == 3


def test_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.arange(3, dtype=np.float32)}, tmp_path / "x.safetensors")
    back = bp.load(tmp_path / "x.safetensors")
    assert back["a"].tolist() == [0.0, 1.0, 2.0]


def test_unsupported_value_is_refused_and_nothing_is_left_behind(tmp_path):
    with pytest.raises(TypeError, match="got object at 'bad'"):
        bp.save({"bad": object()}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    from safetensors import numpy as st_numpy

    path = tmp_path / "ckpt.safetensors"
    bp.save({"w": bp.ones(2)}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(st_numpy, "save_file", crash)
    with pytest.raises(OSError):
        bp.save({"w": bp.zeros(2)}, path)
    assert bp.load(path)["w"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_int_keys_are_stored_as_strings(tmp_path):
    path = tmp_path / "state.safetensors"
    bp.save({"state": {0: {"step": 3.0, "buf": bp.ones(2)}, 1: {}}}, path)
    loaded = bp.load(path)
    assert sorted(loaded["state"]) == ["0", "1"]
    assert loaded["state"]["0"]["step"] == 3.0 and loaded["state"]["0"]["buf"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="strings or ints, got"):
        bp.save({(1, 2): 1}, path)


def test_a_corrupt_or_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="is not a readable safetensors file"):
        bp.load(str(path))
    with pytest.raises(FileNotFoundError, match="no such file"):
        bp.load(str(tmp_path / "missing.safetensors"))
