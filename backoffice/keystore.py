"""Secrets at rest: the data directory's permissions and the terminals' HMAC keys.

The back office holds applicants' ID numbers and every terminal's signing key,
so nothing it writes may be readable by other local users: the data
directory is 0700 and its files 0600 (:func:`private_umask` for the serving
process and the CLI; :func:`secure_data_dir` and :func:`private_file` for
what exists already or is created by a library).

Terminal secrets are stored sealed (AES-256-GCM, the terminal id as
associated data, so a row copied onto another terminal does not open) under
a master key that lives in a file beside the database, never in it: a copy
of the database, a PostgreSQL dump or a backup alone does not give anyone a
terminal's key. Several servers on one database share the master key file
(``BACKOFFICE_MASTER_KEY_FILE``). Rows written before sealing existed (64
plain hex characters) are still read, and sealed when the app starts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "v1:"
_NONCE_BYTES = 12


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """The process's umask is ``mask`` meanwhile, then what it was."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def private_umask() -> contextlib.AbstractContextManager[None]:
    """Files and directories created meanwhile are for this user only."""
    return umask(0o077)


def secure_data_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing; either way, mode 0600.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file,
    so creating that one 0600 first keeps all three private.

    An existing file is never opened: this process may already hold it open through
    SQLite, and closing any descriptor of a file drops every POSIX lock the process
    holds on it. SQLite would not notice, and the next process to close its own
    connection would delete the write-ahead log under this one.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    path.chmod(0o600)


class MasterKeyError(Exception):
    """The master key file exists but does not hold a key."""


class SecretBox:
    """Seals and opens terminal secrets with the server's master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key is 32 bytes")
        self._aead = AESGCM(master_key)

    @classmethod
    def from_file(cls, path: Path) -> SecretBox:
        """The key in ``path`` (64 hex characters), created 0600 when missing."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_hex(32) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
        path.chmod(0o600)
        try:
            return cls(bytes.fromhex(path.read_text(encoding="ascii").strip()))
        except ValueError:
            raise MasterKeyError(f"{path}: expected 32 bytes as 64 hex characters") from None

    def seal(self, terminal_id: str, secret: bytes) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret, terminal_id.encode())
        return SEALED_PREFIX + (nonce + sealed).hex()

    def open(self, terminal_id: str, stored: str) -> bytes | None:
        """The secret, or None when the row does not open (wrong key, another terminal's)."""
        if not stored.startswith(SEALED_PREFIX):
            return bytes.fromhex(stored)  # written before sealing; sealed at the next start
        try:
            raw = bytes.fromhex(stored[len(SEALED_PREFIX):])
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                      terminal_id.encode())
        except (ValueError, InvalidTag):
            return None

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(SEALED_PREFIX)
