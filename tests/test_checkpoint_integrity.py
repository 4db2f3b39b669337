"""Checkpoint integrity: ``bp.save`` writes a CRC-32 of every tensor's dtype, shape and bytes (and of its JSON layout) into the file's
metadata, ``bp.load`` checks them; a damaged, cut-short or garbled file is one line naming the file (and the tensor),
and the command line refuses it (exit 1, no traceback) without writing anything."""
import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

import backprop as bp

pytest.importorskip("safetensors")


def header(path):
    """(header dict, offset where the tensors' bytes begin) of a safetensors file, read by hand."""
    data = open(path, "rb").read()
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + size]), 8 + size


def checkpoint(path):
    bp.manual_seed(0)
    model = bp.nn.Sequential(bp.nn.Linear(4, 8), bp.nn.ReLU(), bp.nn.Linear(8, 2))
    optimizer = bp.optim.Adam(model.parameters(), lr=0.01)
    model(bp.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
    bp.save({"epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    return path


def test_the_checksums_are_the_crc32_of_each_tensors_bytes_as_stored(tmp_path):
    path = checkpoint(tmp_path / "c.safetensors")
    data = path.read_bytes()
    head, start = header(path)
    checksums = json.loads(head["__metadata__"]["backprop.checksums"])
    keys = [key for key in head if key != "__metadata__"]
    assert sorted(checksums["tensors"]) == sorted(keys) and len(keys) == 4 + 4 * 2
    for key in keys:  # the CRC-32 of "dtype shape", continued over the bytes
        begin, end = head[key]["data_offsets"]
        dtype = {"F32": "float32", "I64": "int64"}[head[key]["dtype"]]
        described = zlib.crc32(f"{dtype} {tuple(head[key]['shape'])}".encode())
        assert checksums["tensors"][key] == f"{zlib.crc32(data[start + begin:start + end], described):08x}", key
    assert checksums["layout"] == f"{zlib.crc32(head['__metadata__']['backprop'].encode()):08x}"


@pytest.mark.parametrize("key", ["model.0.weight", "model.2.bias", "optimizer.state.0.exp_avg",
                                 "optimizer.state.3.exp_avg_sq", "optimizer.state.2.exp_avg"])
def test_one_changed_byte_in_a_tensor_is_named(tmp_path, key):
    path = checkpoint(tmp_path / "c.safetensors")
    head, start = header(path)
    data = bytearray(path.read_bytes())
    begin, end = head[key]["data_offsets"]
    data[start + (begin + end) // 2] ^= 0x01  # the lowest bit of one byte: a value that still looks plausible
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as error:
        bp.load(path)
    assert str(error.value) == f"{str(path)!r} is damaged: tensor {key!r} does not match its checksum"
    assert path.read_bytes() == bytes(data)  # loading never writes


@pytest.mark.parametrize("change", [(b'"F32","shape":[8,4]', b'"I32","shape":[8,4]'),
                                    (b'"F32","shape":[8,4]', b'"F32","shape":[4,8]')])
def test_a_changed_dtype_or_shape_in_the_header_is_caught(tmp_path, change):
    path = checkpoint(tmp_path / "c.safetensors")
    data = path.read_bytes()
    assert data.count(change[0]) == 3  # the first layer's weight and its two Adam moments
    path.write_bytes(data.replace(change[0], change[1]))  # the same bytes, read as int32 or transposed
    with pytest.raises(ValueError, match=r"is damaged: tensor '(model|optimizer)\.[\w.]+' does not match its checksum"):
        bp.load(path)


def test_a_changed_value_in_the_layout_is_caught(tmp_path):
    path = checkpoint(tmp_path / "c.safetensors")
    data = path.read_bytes()
    assert data.count(b'\\"epoch\\": 3') == 1
    path.write_bytes(data.replace(b'\\"epoch\\": 3', b'\\"epoch\\": 8'))  # same length: still a valid file
    with pytest.raises(ValueError, match=r"is damaged: its values other than tensors .* do not match their checksum"):
        bp.load(path)


def test_damage_in_a_file_object_is_caught_too():
    import io

    buffer = io.BytesIO()
    bp.save({"w": bp.arange(6.0)}, buffer)
    data = bytearray(buffer.getvalue())
    data[-1] ^= 0x40
    with pytest.raises(ValueError, match=r"the file object 'BytesIO' is damaged: tensor 'w' does not match"):
        bp.load(io.BytesIO(bytes(data)))


@pytest.mark.parametrize("keep", [4, 20, "half the header", "all but 1", "all but 100"])
def test_a_cut_short_file_is_one_line_naming_it(tmp_path, keep):
    path = checkpoint(tmp_path / "c.safetensors")
    data = path.read_bytes()
    _, start = header(path)
    n = {"half the header": start // 2, "all but 1": len(data) - 1, "all but 100": len(data) - 100}.get(keep, keep)
    path.write_bytes(data[:n])
    with pytest.raises(ValueError) as error:
        bp.load(path)
    message = str(error.value)
    assert message.startswith(repr(str(path))) and "\n" not in message, message
    assert "cut short" in message or "not start with a safetensors header" in message, message


def test_files_without_checksums_still_load(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    path = checkpoint(tmp_path / "c.safetensors")
    with safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata()
        arrays = {key: handle.get_tensor(key) for key in handle.keys()}
    del metadata["backprop.checksums"]  # as an older backprop wrote it
    save_file(arrays, tmp_path / "old.safetensors", metadata=metadata)
    old, new = bp.load(tmp_path / "old.safetensors"), bp.load(path)
    assert old["epoch"] == 3 and old["optimizer"]["state"].keys() == new["optimizer"]["state"].keys()
    for key, value in new["model"].items():
        np.testing.assert_array_equal(old["model"][key].numpy(), value.numpy())


def test_a_file_written_by_safetensors_torch_loads_unchecked(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    save_file({"weight": torch.arange(6.0).reshape(2, 3)}, tmp_path / "t.safetensors")
    assert bp.load(tmp_path / "t.safetensors")["weight"].tolist() == [[0, 1, 2], [3, 4, 5]]


# --- the command line: the case (the last 100 bytes of a checkpoint overwritten) -----------------------------
TINY = ["--model", "mlp", "--model-option", "hidden=[16]", "--epochs", "1", "--no-augment", "--progress", "none",
        "--seed", "1"]


def backprop_cli(*args):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("BACKPROP_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "backprop", *args], capture_output=True, text=True, timeout=120,
                          env=env)


@pytest.fixture(scope="module")
def damaged_run(tmp_path_factory):
    from backprop.cli import main

    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    path = out / "checkpoint.safetensors"
    head, start = header(path)
    data = bytearray(path.read_bytes())
    hit = {key for key in head if key != "__metadata__" and start + head[key]["data_offsets"][1] > len(data) - 100
           and data[start + head[key]["data_offsets"][0]:start + head[key]["data_offsets"][1]].strip(b"\0")}
    assert hit  # Adam's state, at the end of the file
    data[-100:] = bytes(100)
    path.write_bytes(bytes(data))
    return out, hit


def files_of(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


@pytest.mark.parametrize("command", ["evaluate", "resume"])
def test_the_cli_refuses_a_damaged_checkpoint_in_one_line_and_writes_nothing(damaged_run, command):
    out, damaged = damaged_run
    before = files_of(out)
    path = str(out / "checkpoint.safetensors")
    args = ["evaluate", path] if command == "evaluate" else ["train", "--resume", "--out", str(out), "--progress",
                                                               "none"]
    done = backprop_cli(*args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert any(done.stderr == f"backprop: error: checkpoint {path!r} is damaged: tensor {key!r} does not match its "
               f"checksum\n" for key in damaged), (done.stderr, damaged)
    assert files_of(out) == before
