import hashlib
import pathlib
import re

import pytest

from backprop.data import download


def sha(content):
    return hashlib.sha256(content).hexdigest()


def cache_listing(directory):
    return sorted(p.name for p in pathlib.Path(directory).iterdir()) if pathlib.Path(directory).exists() else []


def test_cache_dir_follows_backprop_data(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path))
    assert download.cache_dir() == tmp_path
    assert download.cache_dir("mnist") == tmp_path / "mnist"
    monkeypatch.delenv("BACKPROP_DATA")
    assert download.cache_dir() == pathlib.Path.home() / ".cache" / "backprop"


def test_good_file_is_verified_cached_and_not_fetched_again(server, tmp_path):
    content = b"good bytes " * 1000
    server.files["/files/a.bin"] = content
    mirrors = [server.url + "/files/"]
    path = download.fetch("a.bin", tmp_path / "cache", mirrors, sha(content), progress=True)
    assert path == tmp_path / "cache" / "a.bin"
    assert path.read_bytes() == content
    assert server.requests == ["/files/a.bin"]
    assert cache_listing(tmp_path / "cache") == ["a.bin"]  # no temporary file left behind
    again = download.fetch("a.bin", tmp_path / "cache", mirrors, sha(content))
    assert again == path and server.requests == ["/files/a.bin"]


def test_corrupted_file_raises_with_both_hashes_and_leaves_nothing(server, tmp_path):
    expected = sha(b"the real file")
    server.files["/a.bin"] = b"something else"
    with pytest.raises(download.ChecksumError) as info:
        download.fetch("a.bin", tmp_path, [server.url], expected, progress=False)
    message = str(info.value)
    assert "a.bin" in message and expected in message and sha(b"something else") in message
    assert cache_listing(tmp_path) == []
    # nothing was cached: the next call asks the server again
    server.files["/a.bin"] = b"the real file"
    assert download.fetch("a.bin", tmp_path, [server.url], expected).read_bytes() == b"the real file"
    assert server.requests == ["/a.bin", "/a.bin"]


def test_first_mirror_failing_falls_through_to_the_second(server, closed_port_url, tmp_path):
    content = b"payload"
    server.files["/second/f.gz"] = content
    mirrors = [closed_port_url, server.url + "/first/", server.url + "/second"]
    path = download.fetch("f.gz", tmp_path, mirrors, sha(content), progress=False)
    assert path.read_bytes() == content
    assert server.requests == ["/first/f.gz", "/second/f.gz"]


def test_checksum_none_skips_the_check(server, tmp_path):
    server.files["/x"] = b"anything"
    assert download.fetch("x", tmp_path, [server.url], None, progress=False).read_bytes() == b"anything"


def test_unreachable_mirrors_give_the_offline_error(closed_port_url, tmp_path):
    with pytest.raises(download.DownloadError, match=re.escape(closed_port_url + "f.gz")) as info:
        download.fetch("f.gz", tmp_path / "d", [closed_port_url, closed_port_url + "other/"], "0" * 64, progress=False)
    assert "could not download f.gz" in str(info.value)
    assert cache_listing(tmp_path / "d") == []


def test_missing_files_error_names_files_directory_and_download(tmp_path):
    error = download.missing_files_error("mnist", tmp_path, ["a.gz", "b.gz"], reason="offline")
    assert isinstance(error, FileNotFoundError)
    for part in ("a.gz", "b.gz", str(tmp_path), "download=True", "offline"):
        assert part in str(error)


def test_known_checksums_are_sha256_hex_digests():
    for dataset, table in download.SHA256.items():
        assert download.MIRRORS[dataset], dataset
        for name, value in table.items():
            assert re.fullmatch(r"[0-9a-f]{64}", value), (dataset, name)
