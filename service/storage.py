"""Original uploads on local disk, encrypted, named by the server and kept outside anything served statically.

Certificate photos are sensitive personal information (PIPL Art. 28), so each file holds a Fernet
token (AES-128-CBC with an HMAC-SHA256, from `cryptography`) of the upload, never its bytes. The key
comes from CERTGUARD_STORAGE_KEY or is generated into the data directory on first start.

A key is 32 hex digits (a uuid4) and is the only thing that reaches the file system, so a client
can never choose or traverse a path. Files are sharded by the key's first two digits so no
directory grows too large.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from cryptography.fernet import Fernet
from flask import Flask, current_app

KEY = re.compile(r"[0-9a-f]{32}")
TOKEN_START = b"gAAAAA"  # every Fernet token: version 0x80 and a timestamp, base64url-encoded
ENCRYPTED_MARK = ".encrypted"  # beside the root (originals.encrypted) once every file in it is a token


class InvalidKey(ValueError):
    """A storage key that the server could not have issued."""


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class LocalStorage:
    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ValueError("CERTGUARD_STORAGE_KEY is not a Fernet key (32 bytes, url-safe base64)") from None

    def put(self, data: bytes) -> str:
        """Encrypt `data` under a fresh key and return the key; the file is complete or absent, owner-only."""
        key = uuid.uuid4().hex
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write(path, self._fernet.encrypt(data))
        return key

    def open(self, key: str) -> bytes:
        """The bytes stored under `key`; FileNotFoundError if there are none, InvalidToken under another
        encryption key or when the file was altered."""
        return self._fernet.decrypt(self._path(key).read_bytes())

    def seal(self, data: bytes) -> bytes:
        """`data` as a token under the storage key, for sensitive bytes kept elsewhere a while (a batch's items)."""
        return self._fernet.encrypt(data)

    def unseal(self, token: bytes) -> bytes:
        """The bytes `seal` made `token` from; InvalidToken under another key or when it was altered."""
        return self._fernet.decrypt(token)

    def encrypt_plain_files(self) -> int:
        """Encrypt in place the files stored before originals were encrypted; once, then mark the root.

        Returns how many there were. A process starting at the same moment may encrypt a file too;
        either token is whole and holds the same bytes.
        """
        mark = self.root.with_name(self.root.name + ENCRYPTED_MARK)
        if mark.exists():
            return 0
        count = 0
        for path in (path for path in self.root.glob("??/*") if KEY.fullmatch(path.name)):
            data = path.read_bytes()
            if not data.startswith(TOKEN_START):
                _write(path, self._fernet.encrypt(data))
                count += 1
        mark.touch(mode=0o600)
        return count

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise InvalidKey(f"not a storage key: {key!r}")
        return self.root / key[:2] / key


def _write(path: Path, data: bytes) -> None:
    """Write through a private temporary file renamed into place, so a reader sees all or nothing."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    partial.rename(path)


def init_app(app: Flask) -> None:
    root = Path(app.config["CERTGUARD_DATA_DIR"]) / "originals"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    storage = LocalStorage(root, app.config["CERTGUARD_STORAGE_KEY"])
    storage.encrypt_plain_files()
    app.extensions["certguard.storage"] = storage


def get_storage() -> LocalStorage:
    return current_app.extensions["certguard.storage"]
