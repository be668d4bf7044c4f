"""Original uploads on local disk, named by the server and kept outside anything served statically.

A key is 32 hex digits (a uuid4) and is the only thing that reaches the file system, so a client
can never choose or traverse a path. Files are sharded by the key's first two digits so no
directory grows too large.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from flask import Flask, current_app

KEY = re.compile(r"[0-9a-f]{32}")


class InvalidKey(ValueError):
    """A storage key that the server could not have issued."""


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        """Write `data` under a fresh key and return the key; the file is complete or absent, owner-only."""
        key = uuid.uuid4().hex
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.rename(path)
        return key

    def open(self, key: str) -> bytes:
        """The bytes stored under `key`; FileNotFoundError if there are none."""
        return self._path(key).read_bytes()

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise InvalidKey(f"not a storage key: {key!r}")
        return self.root / key[:2] / key


def init_app(app: Flask) -> None:
    root = Path(app.config["CERTGUARD_DATA_DIR"]) / "originals"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    app.extensions["certguard.storage"] = LocalStorage(root)


def get_storage() -> LocalStorage:
    return current_app.extensions["certguard.storage"]
