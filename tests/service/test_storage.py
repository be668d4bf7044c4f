"""Originals are kept under server-made names; no key a client could send reaches another path."""

from __future__ import annotations

import stat

import pytest

from service.storage import InvalidKey, LocalStorage


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "originals")


def test_put_then_open_returns_the_same_bytes(storage):
    key = storage.put(b"\x89PNG data")
    assert storage.open(key) == b"\x89PNG data"


def test_files_are_sharded_private_and_named_by_the_server(storage):
    keys = {storage.put(b"x") for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        path = storage.root / key[:2] / key
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(storage.root.rglob("*.partial"))


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "..", "", "AB" * 16, "0" * 31,
                                 "0" * 32 + "/../x", "0" * 32 + "\n", "ﬀ" * 32])
def test_keys_the_server_did_not_make_are_refused(storage, key):
    with pytest.raises(InvalidKey):
        storage.open(key)


def test_a_missing_key_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("0" * 32)
