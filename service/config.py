"""Configuration classes over environment variables, with defaults that are safe on one machine.

Values left as None are resolved by `create_app` once the instance folder is known: the data
directory defaults to it, the database to a SQLite file inside it, and the secret key and the key
that encrypts stored originals to ones generated on first start and kept there.
"""

from __future__ import annotations

import os

MIB = 1024 * 1024


class Config:
    SECRET_KEY = os.environ.get("CERTGUARD_SECRET_KEY")
    CERTGUARD_STORAGE_KEY = os.environ.get("CERTGUARD_STORAGE_KEY")  # Fernet key that encrypts stored originals
    CERTGUARD_DATA_DIR = os.environ.get("CERTGUARD_DATA_DIR")
    CERTGUARD_DATABASE_URL = os.environ.get("CERTGUARD_DATABASE_URL")
    CERTGUARD_REDIS_URL = os.environ.get("CERTGUARD_REDIS_URL")  # unset: the job queue lives in SQLite
    CERTGUARD_QUEUE_NAME = os.environ.get("CERTGUARD_QUEUE_NAME", "certguard")
    CERTGUARD_KINDS_DIR = os.environ.get("CERTGUARD_KINDS_DIR")  # extra certificate kind files
    CERTGUARD_AUTO_UPGRADE = True  # bring the database schema to the latest revision at start
    MAX_CONTENT_LENGTH = int(os.environ.get("CERTGUARD_MAX_CONTENT_LENGTH", 25 * MIB))
    # Batch uploads (archives, PDFs, TIFFs) only; see service.uploads.
    CERTGUARD_MAX_ARCHIVE_BYTES = int(os.environ.get("CERTGUARD_MAX_ARCHIVE_BYTES", 500 * MIB))
    # The report forms' 填报单位, and the first day of "the campaign to date" (YYYY-MM-DD; unset: the first check's).
    CERTGUARD_REPORTING_UNIT = os.environ.get("CERTGUARD_REPORTING_UNIT", "")
    CERTGUARD_CAMPAIGN_START = os.environ.get("CERTGUARD_CAMPAIGN_START")
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("CERTGUARD_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}


class TestConfig(Config):
    """Isolated from the environment: the tests pick the data directory and any server URLs."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    CERTGUARD_STORAGE_KEY = None  # generated into each test's data directory
    CERTGUARD_DATA_DIR = None
    CERTGUARD_DATABASE_URL = None
    CERTGUARD_REDIS_URL = None
    CERTGUARD_QUEUE_NAME = "certguard"
    CERTGUARD_KINDS_DIR = None
    MAX_CONTENT_LENGTH = 25 * MIB
    CERTGUARD_MAX_ARCHIVE_BYTES = 500 * MIB
    CERTGUARD_REPORTING_UNIT = ""
    CERTGUARD_CAMPAIGN_START = None
    SESSION_COOKIE_SECURE = False
