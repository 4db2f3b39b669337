"""bp.save / bp.load: one safetensors file, plain values in its metadata, no code run; torch.save/torch.load's
arguments and round trips (the same values and the same Python types back), and files from and for PyTorch."""
import collections
import io
import json
import os
import pathlib
import pickle

import numpy as np
import pytest
import torch

import backprop as bp

pytest.importorskip("safetensors")


def round_trip(obj, **load_options):
    buffer = io.BytesIO()
    bp.save(obj, buffer)
    buffer.seek(0)
    return bp.load(buffer, **load_options)


def torch_round_trip(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


def assert_same(a, b):
    """Equal values of the same Python types, recursively (Tensors by value, dtype and requires_grad)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, bp.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b or (a != a and b != b)


PLAIN = {
    "epoch": 7, "lr": 0.1, "name": "xor", "done": False, "best": None, "history": [1.5, 0.5],
    "shape": (2, 3), "nested": [(1, "a"), {"k": (None,)}], "inf": float("inf"), "nan": float("nan"),
    "big": 2**80, "ints": {0: "zero", 1: "one"}, "mixed": {(1, 2): "pair", 2.5: "float", None: "none", True: "t"},
    "ordered": collections.OrderedDict([("b", 1), ("a", 2)]), "bytes": b"\x00\xff", "complex": 1 + 2j,
    "set": {1, 2, 3}, "frozen": frozenset({"x"}), "tag": {"__bp__": "tuple"}, "old": {"__tensor__": "x"},
}


def test_a_device_comes_back_as_a_device():
    back = round_trip({"device": bp.device("cuda", 1)})["device"]
    assert isinstance(back, bp.device) and back == "cuda:1"
    assert torch_round_trip({"device": torch.device("cuda", 1)})["device"] == torch.device("cuda:1")


def test_plain_values_come_back_as_torch_gives_them():
    ours, theirs = round_trip(PLAIN), torch_round_trip(PLAIN)
    assert_same(ours, PLAIN)
    assert_same(ours, theirs)


def test_a_shape_comes_back_as_a_size():
    shape = bp.ones(2, 3).shape
    back = round_trip({"shape": shape})["shape"]
    assert type(back) is type(shape) and back == (2, 3)


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


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"])
def test_tensors_and_numpy_arrays_keep_their_dtypes(dtype):
    array = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
    obj = {"tensor": bp.tensor(array), "array": array, "scalar": array[0, 1], "empty": np.zeros((0, 2), dtype)}
    back = round_trip(obj)
    assert_same(back, obj)
    assert isinstance(back["scalar"], np.generic) and back["scalar"].dtype == array.dtype


def test_a_numpy_array_saved_alone_comes_back_as_an_array():
    array = np.random.default_rng(0).standard_normal((3, 2))
    back = round_trip(array)
    assert type(back) is np.ndarray and back.dtype == np.float64
    np.testing.assert_array_equal(back, array)
    np.testing.assert_array_equal(round_trip(array.T), array.T)  # not contiguous
    assert round_trip(np.float32(2.5)) == np.float32(2.5)


def test_checkpoint_dict_matches_torchs_round_trip():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ours = {"model": collections.OrderedDict(w=bp.tensor(x)), "step": 3, "losses": (0.5, 0.25), "arr": x}
    theirs = {"model": collections.OrderedDict(w=torch.tensor(x)), "step": 3, "losses": (0.5, 0.25), "arr": x}
    a, b = round_trip(ours), torch_round_trip(theirs)
    assert type(a["model"]) is type(b["model"]) is collections.OrderedDict
    assert type(a["losses"]) is type(b["losses"]) is tuple and a["losses"] == b["losses"]
    assert type(a["arr"]) is type(b["arr"]) is np.ndarray
    np.testing.assert_array_equal(a["model"]["w"].numpy(), b["model"]["w"].numpy())


def test_nested_dict_with_plain_values(tmp_path):
    state = {
        "model": {"fc.weight": bp.ones(2, 3), "fc.bias": bp.zeros(2, dtype=bp.int64)},
        "epoch": 7, "lr": 0.1, "name": "xor", "history": [1.5, 0.5], "best": None,
    }
    path = tmp_path / "ckpt.safetensors"
    bp.save(state, path)
    assert_same(bp.load(path), state)


def test_tensors_are_stored_under_their_state_dict_keys(tmp_path):
    from safetensors import safe_open

    bp.save({"fc.weight": bp.ones(2, 3), "step": 3, "inner": {"w": bp.ones(1)}, "list": [bp.ones(1)]},
            tmp_path / "sd.safetensors")
    with safe_open(tmp_path / "sd.safetensors", framework="numpy") as f:
        assert sorted(f.keys()) == ["fc.weight", "inner.w", "list.0"]
        assert json.loads(f.metadata()["backprop"])["step"] == 3


def test_colliding_paths_get_keys_of_their_own():
    obj = {"a.b": bp.ones(1), "a": {"b": bp.zeros(1)}}
    assert_same(round_trip(obj), obj)


def test_a_tensor_stored_twice_comes_back_as_one_object():
    shared = bp.arange(3.0)
    back = round_trip({"encoder.weight": shared, "decoder.weight": shared, "list": [shared]})
    assert back["encoder.weight"] is back["decoder.weight"] is back["list"][0]


def test_requires_grad_is_kept():
    w = bp.ones(2, requires_grad=True)
    back = round_trip({"w": w, "d": w.detach()})
    assert back["w"].requires_grad and back["w"].is_leaf and not back["d"].requires_grad
    theirs = torch_round_trip({"w": torch.ones(2, requires_grad=True)})
    assert theirs["w"].requires_grad


def test_paths_and_file_objects(tmp_path):
    obj = {"w": bp.ones(2), "n": 1}
    for target in (str(tmp_path / "a.pt"), tmp_path / "b.pth"):
        bp.save(obj, target)
        assert_same(bp.load(target), obj)
        assert_same(bp.load(pathlib.Path(target)), obj)
    with open(tmp_path / "c.pt", "wb") as f:
        bp.save(obj, f)
    with open(tmp_path / "c.pt", "rb") as f:
        assert_same(bp.load(f), obj)
    buffer = io.BytesIO(b"prefix")
    buffer.seek(6)
    bp.save(obj, buffer)
    buffer.seek(6)
    assert_same(bp.load(buffer), obj)  # read from the file's position, as torch does


def test_optimizer_state_dict_keeps_its_integer_keys_and_resumes():
    def make():
        bp.manual_seed(0)
        model = bp.nn.Linear(3, 2)
        return model, bp.optim.Adam(model.parameters(), lr=0.1)

    def step(model, optimizer):
        optimizer.zero_grad()
        model(bp.ones(4, 3)).pow(2).sum().backward()
        optimizer.step()

    model, optimizer = make()
    step(model, optimizer)
    state = round_trip({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    assert sorted(state["optimizer"]["state"]) == [0, 1]
    assert state["optimizer"]["param_groups"][0]["params"] == [0, 1]
    assert_same(state["optimizer"], optimizer.state_dict())
    resumed, resumed_optimizer = make()
    resumed.load_state_dict(state["model"])
    resumed_optimizer.load_state_dict(state["optimizer"])
    step(model, optimizer)
    step(resumed, resumed_optimizer)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_torch_optimizer_state_dict_has_the_same_layout():
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(4, 3)).pow(2).sum().backward()
    optimizer.step()
    assert sorted(torch_round_trip(optimizer.state_dict())["state"]) == [0, 1]  # what the test above asks of bp


class Net(bp.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = bp.nn.Conv2d(1, 2, 3)
        self.norm = bp.nn.BatchNorm2d(2)
        self.fc = bp.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.norm(self.conv(x)).relu().flatten(1))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.norm = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.norm(self.conv(x)).relu().flatten(1))


X = np.random.default_rng(1).standard_normal((5, 1, 4, 4)).astype(np.float32)


def trained_torch_net():
    torch.manual_seed(0)
    net = TorchNet()
    net(torch.tensor(X))  # one training-mode pass moves the running statistics
    return net.eval()


def test_a_state_dict_loads_into_a_new_model(tmp_path):
    net = Net()
    net(bp.tensor(X))
    net.eval()
    bp.save(net.state_dict(), tmp_path / "net.pt")
    state = bp.load(tmp_path / "net.pt")
    assert type(state) is type(net.state_dict()) and list(state) == list(net.state_dict())
    fresh = Net()
    fresh.load_state_dict(state)
    fresh.eval()
    np.testing.assert_array_equal(fresh(bp.tensor(X)).detach().numpy(), net(bp.tensor(X)).detach().numpy())


def test_a_torch_models_safetensors_export_loads_and_gives_torchs_outputs(tmp_path):
    from safetensors.torch import save_file

    net = trained_torch_net()
    save_file(net.state_dict(), tmp_path / "net.safetensors")
    state = bp.load(tmp_path / "net.safetensors")
    assert state["norm.num_batches_tracked"].dtype == bp.int64
    ours = Net()
    ours.load_state_dict(state)
    ours.eval()
    np.testing.assert_allclose(ours(bp.tensor(X)).detach().numpy(), net(torch.tensor(X)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_a_backprop_state_dict_file_is_read_by_safetensors_torch(tmp_path):
    from safetensors.torch import load_file

    torch_net = trained_torch_net()
    ours = Net()
    ours.load_state_dict({k: bp.tensor(v.numpy()) for k, v in torch_net.state_dict().items()})
    bp.save(ours.state_dict(), tmp_path / "net.safetensors")
    fresh = TorchNet()
    fresh.load_state_dict(load_file(tmp_path / "net.safetensors"))
    fresh.eval()
    np.testing.assert_array_equal(fresh(torch.tensor(X)).detach().numpy(), torch_net(torch.tensor(X)).detach().numpy())


def test_plain_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.arange(3, dtype=np.float32)}, tmp_path / "x.safetensors")
    back = bp.load(tmp_path / "x.safetensors")
    assert back["a"].tolist() == [0.0, 1.0, 2.0]


def test_files_written_before_tagged_layouts_still_load(tmp_path):
    from safetensors.numpy import save_file

    layout = {"model": {"w": {"__tensor__": "model.w"}}, "state": {"0": {"step": 3}}, "hist": [1, 2]}
    save_file({"model.w": np.ones(2, np.float32)}, tmp_path / "old.safetensors",
              metadata={"backprop": json.dumps(layout)})
    back = bp.load(tmp_path / "old.safetensors")
    assert back["model"]["w"].tolist() == [1.0, 1.0] and back["state"] == {"0": {"step": 3}} and back["hist"] == [1, 2]


def written_on_cuda(tmp_path):
    """A file as bp.save writes it for a tensor on cuda:0 (written by hand: this machine may have no GPU)."""
    from safetensors.numpy import save_file

    layout = {"w": {"__bp__": "tensor", "key": "w", "device": "cuda:0"}}
    path = tmp_path / "gpu.safetensors"
    save_file({"w": np.arange(3, dtype=np.float32)}, path, metadata={"backprop": json.dumps(layout)})
    return path


@pytest.mark.parametrize("map_location", ["cpu", bp.device("cpu"), {"cuda:0": "cpu"}, torch.device("cpu").type])
def test_map_location_to_the_cpu(tmp_path, map_location):
    back = bp.load(written_on_cuda(tmp_path), map_location=map_location)
    assert back["w"].device == "cpu" and back["w"].tolist() == [0.0, 1.0, 2.0]


def test_map_location_callable_gets_the_storage_and_its_saved_location(tmp_path):
    seen = []

    def keep_on_cpu(storage, location):
        seen.append(location)
        return storage

    back = bp.load(written_on_cuda(tmp_path), map_location=keep_on_cpu)
    assert seen == ["cuda:0"] and back["w"].device == "cpu"
    assert bp.load(written_on_cuda(tmp_path), map_location=lambda storage, loc: storage)["w"].tolist() == [0, 1, 2]


@pytest.mark.skipif(bp.cuda.is_available(), reason="needs a machine without a GPU")
def test_a_gpu_file_without_map_location_on_a_cpu_machine_is_torchs_error(tmp_path):
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        bp.load(written_on_cuda(tmp_path))
    with pytest.raises(RuntimeError, match="CUDA device"):
        bp.load(written_on_cuda(tmp_path), map_location="cuda")


def test_map_location_of_a_wrong_kind():
    with pytest.raises(TypeError, match="map_location must be"):
        round_trip(bp.ones(1), map_location=3)


def test_torchs_other_arguments_are_accepted(tmp_path):
    bp.save(bp.ones(2), tmp_path / "x.pt", pickle_module=pickle, pickle_protocol=4)
    for options in ({"weights_only": True}, {"weights_only": False}, {"mmap": True}, {"pickle_module": pickle},
                    {"encoding": "latin1"}):
        assert bp.load(tmp_path / "x.pt", **options).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="never pickles"):
        bp.save(bp.ones(2), tmp_path / "x.pt", pickle_module=json)
    with pytest.raises(ValueError, match="never pickles"):
        bp.load(tmp_path / "x.pt", pickle_module=json)


class Custom:
    pass


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("obj, message", [
    (Net(), r"cannot store a whole Net object \(only pickle could.*save its state_dict\(\)"),
    ({"model": bp.nn.Linear(1, 1)}, r"whole Linear object at 'model'.*state_dict\(\)"),
    ({"fn": lambda x: x}, r"got function at 'fn', which only pickle could store.*state_dict\(\)"),
    ([1, Custom()], r"got Custom at '1'"),
    (Point(1, 2), "got Point"),
    (np.array(["a"]), "numeric NumPy arrays"),
])
def test_what_only_pickle_could_store_is_refused_in_one_line(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message) as info:
        bp.save(obj, tmp_path / "x.pt")
    assert "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_optimizer_object_is_refused_with_its_state_dict():
    optimizer = bp.optim.SGD(bp.nn.Linear(1, 1).parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"whole SGD object.*save its state_dict\(\)"):
        bp.save({"optimizer": optimizer}, io.BytesIO())


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


def test_a_saved_file_gets_a_normal_files_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        bp.save(bp.ones(1), tmp_path / "x.pt")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "x.pt").st_mode & 0o777 == 0o644


def test_a_pytorch_pickle_file_is_refused_with_how_to_convert_it(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"is a PyTorch pickle file .*does not read by design.*safetensors\.torch"):
        bp.load(tmp_path / "model.pt")
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="is a Python pickle file .*legacy"):
        bp.load(tmp_path / "legacy.pt")
    buffer = io.BytesIO()
    torch.save(torch.ones(2), buffer)
    buffer.seek(0)
    with pytest.raises(ValueError, match="PyTorch pickle file"):
        bp.load(buffer)


def test_numpy_files_are_named(tmp_path):
    np.save(tmp_path / "a.npy", np.ones(2))
    np.savez(tmp_path / "b.npz", a=np.ones(2))
    with pytest.raises(ValueError, match=r"NumPy \.npy file"):
        bp.load(tmp_path / "a.npy")
    with pytest.raises(ValueError, match=r"NumPy \.npz archive"):
        bp.load(tmp_path / "b.npz")


def test_a_corrupt_or_missing_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="is not a readable safetensors file"):
        bp.load(str(path))
    path.write_bytes(b"hello, world")
    with pytest.raises(ValueError, match="is not a readable safetensors file"):
        bp.load(path)
    with pytest.raises(FileNotFoundError, match="no such file"):
        bp.load(str(tmp_path / "missing.safetensors"))
    with pytest.raises(TypeError, match="path .* or a binary file object, got int"):
        bp.load(3)
