"""Originals are kept encrypted under server-made names; no key a client could send reaches another path."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import InvalidToken

from service.storage import ENCRYPTED_MARK, InvalidKey, LocalStorage, new_key

PHOTO = b"\x89PNG\r\n\x1a\n the holder's photo and ID number 11010519491231002X"


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "originals", new_key())


def test_put_then_open_returns_the_same_bytes(storage):
    key = storage.put(PHOTO)
    assert storage.open(key) == PHOTO


def test_what_reaches_the_disk_is_ciphertext(storage):
    stored = (storage.root / (key := storage.put(PHOTO))[:2] / key).read_bytes()
    assert stored.startswith(b"gAAAAA") and b"PNG" not in stored and b"11010519491231002X" not in stored


def test_another_key_or_an_altered_file_cannot_be_read(storage, tmp_path):
    key = storage.put(PHOTO)
    with pytest.raises(InvalidToken):
        LocalStorage(storage.root, new_key()).open(key)
    path = storage.root / key[:2] / key
    token = bytearray(path.read_bytes())
    token[40] ^= 1
    path.write_bytes(bytes(token))
    with pytest.raises(InvalidToken):
        storage.open(key)


def test_a_malformed_key_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="CERTGUARD_STORAGE_KEY is not a Fernet key"):
        LocalStorage(tmp_path, "not a key")


def test_files_are_sharded_private_and_named_by_the_server(storage):
    keys = {storage.put(b"x") for _ in range(3)}
    assert len(keys) == 3
    for key in keys:
        path = storage.root / key[:2] / key
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(storage.root.rglob("*.partial"))


def test_files_stored_before_encryption_are_encrypted_once(tmp_path):
    root = tmp_path / "originals"
    plain_key = "ab" + "0" * 30
    (root / "ab").mkdir(parents=True)
    (root / "ab" / plain_key).write_bytes(PHOTO)
    storage = LocalStorage(root, new_key())
    assert storage.encrypt_plain_files() == 1
    assert (root / "ab" / plain_key).read_bytes().startswith(b"gAAAAA") and storage.open(plain_key) == PHOTO
    assert (tmp_path / f"originals{ENCRYPTED_MARK}").exists()
    assert storage.encrypt_plain_files() == 0


@pytest.mark.parametrize("key", ["../../etc/passwd", "/etc/passwd", "..", "", "AB" * 16, "0" * 31,
                                 "0" * 32 + "/../x", "0" * 32 + "\n", "ﬀ" * 32])
def test_keys_the_server_did_not_make_are_refused(storage, key):
    with pytest.raises(InvalidKey):
        storage.open(key)


def test_a_missing_key_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("0" * 32)
