"""backprop.files.atomic_write / atomic_path: the old file or the whole new one under the final name, never half of
one, and no temporary file left behind, whatever stops the write (an exception, Ctrl-C, a full disk)."""
import errno
import os
import stat

import pytest

from backprop import files
from backprop.files import atomic_path, atomic_write


@pytest.fixture
def old_file(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"old content")
    return path


def test_writes_the_new_content_with_a_normal_files_mode_and_leaves_nothing_else(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.bin", "wb") as f:
            f.write(b"\x00\x01new")
        with atomic_write(str(tmp_path / "b.txt"), "w", encoding="utf-8") as f:
            f.write("über")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01new"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "über"
    assert sorted(os.listdir(tmp_path)) == ["a.bin", "b.txt"]
    assert stat.S_IMODE(os.stat(tmp_path / "a.bin").st_mode) == 0o644


@pytest.mark.parametrize("stop", [RuntimeError("bug in the writer"), KeyboardInterrupt()])
def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temporary_one(old_file, stop):
    with pytest.raises(type(stop)):
        with atomic_write(old_file, "wb") as f:
            f.write(b"half of the new")
            f.flush()
            name = os.path.basename(f.name)  # beside the target, named after it, with its extension
            assert name.startswith(".tmp-weights.bin.") and name.endswith(".bin") and len(name) > len(".tmp-weights.bin.bin")
            raise stop
    assert old_file.read_bytes() == b"old content"
    assert os.listdir(old_file.parent) == ["weights.bin"]


class _FullDisk:
    """A file whose writes fail with ENOSPC once ``room`` bytes are written, as on a full disk."""

    def __init__(self, file, room):
        self.file, self.room = file, room

    def write(self, data):
        if len(data) > self.room:
            self.file.write(data[:self.room])
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


def test_a_full_disk_on_write_keeps_the_old_file(old_file, monkeypatch):
    monkeypatch.setattr(files, "open", lambda *args, **kwargs: _FullDisk(open(*args, **kwargs), room=4),
                        raising=False)
    with pytest.raises(OSError) as info:
        with atomic_write(old_file, "wb") as f:
            f.write(b"new content, longer than the room left")
    assert info.value.errno == errno.ENOSPC
    assert info.value.filename == str(old_file)  # the file being written, not the temporary one, nor none
    assert old_file.read_bytes() == b"old content"
    assert os.listdir(old_file.parent) == ["weights.bin"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failure_after_the_block_keeps_the_old_file(old_file, monkeypatch, step):
    """A full disk found when the bytes are flushed (fsync), or a rename refused: nothing changes."""
    def fail(*args):
        raise OSError(errno.ENOSPC if step == "fsync" else errno.EACCES, f"{step} failed")

    monkeypatch.setattr(files.os, step, fail)
    with pytest.raises(OSError, match=f"{step} failed"):
        with atomic_path(old_file, suffix=".part") as temporary:
            with open(temporary, "wb") as f:
                f.write(b"new")
    monkeypatch.undo()
    assert old_file.read_bytes() == b"old content"
    assert os.listdir(old_file.parent) == ["weights.bin"]


def test_the_file_is_flushed_before_the_rename_and_the_directory_after(old_file, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(handle):
        events.append("fsync directory" if stat.S_ISDIR(os.fstat(handle).st_mode) else "fsync file")
        real_fsync(handle)

    def replace(source, target):
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(files.os, "fsync", fsync)
    monkeypatch.setattr(files.os, "replace", replace)
    with atomic_write(old_file) as f:
        f.write(b"new")
    monkeypatch.undo()
    assert events == ["fsync file", "replace", "fsync directory"]
    assert old_file.read_bytes() == b"new"


def test_only_write_modes():
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb', got 'a'"):
        with atomic_write("x", "a"):
            pass


def test_bp_save_on_a_full_disk_is_an_oserror_naming_the_file(old_file, monkeypatch):
    """safetensors reports a full disk as its own error, the OS error only in its text: bp.save raises the OSError."""
    import safetensors.numpy

    import backprop as bp

    def full_disk(arrays, filename, metadata=None):
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.numpy, "save_file", full_disk)
    with pytest.raises(OSError) as info:
        bp.save({"w": bp.ones(3)}, old_file)
    assert (info.value.errno, info.value.filename) == (errno.ENOSPC, str(old_file))
    assert old_file.read_bytes() == b"old content"
    assert os.listdir(old_file.parent) == ["weights.bin"]
