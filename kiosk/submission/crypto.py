"""Encryption at rest for the outbox: AES-256-GCM with a key kept off the database.

Scans and identity data reach disk only inside the outbox (README.md, "Privacy"),
so every payload and blob is sealed with AES-256-GCM (NIST SP 800-38D; a fresh
96-bit random nonce per message). The associated data names the row or blob the
ciphertext belongs to, so a ciphertext copied into another row fails to open
instead of silently swapping one citizen's scan for another's.

The key comes from ``KIOSK_OUTBOX_KEY`` (base64 of 32 bytes) or from the key
file (the same base64 text, mode 0600). A key file is only ever created by an
explicit :func:`create_key`; a missing key, a wrong key or a key file others can
read is an :class:`~kiosk.errors.OutboxKeyError` at startup, never a silent
fallback to plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import OutboxKeyError

ENV_KEY = "KIOSK_OUTBOX_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
#: First byte of every sealed message: lets a later key scheme coexist with this one.
VERSION = b"\x01"
#: The same with SM4-GCM (``Sealer(cipher="sm4-gcm")``).
SM4_VERSION = b"\x02"


def check_private_file(path: Path) -> None:
    """Refuse a secret file that anyone but its owner may read or write."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise OutboxKeyError(f"{path}: not a regular file")
    if mode & 0o077:
        raise OutboxKeyError(
            f"{path}: permissions {stat.S_IMODE(mode):04o} let others read the key; "
            f"run: chmod 600 {path}")


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise OutboxKeyError(f"{where}: not base64 text") from None
    if len(key) != KEY_BYTES:
        raise OutboxKeyError(f"{where}: key is {len(key)} bytes, need {KEY_BYTES} (AES-256)")
    return key


def load_key(key_file: Path, environ: Mapping[str, str]) -> bytes | None:
    """The outbox key from the environment or the key file; ``None`` when neither exists."""
    if environ.get(ENV_KEY):
        return _decode(environ[ENV_KEY], ENV_KEY)
    if not key_file.exists():
        return None
    check_private_file(key_file)
    try:
        text = key_file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutboxKeyError(f"{key_file}: cannot read the key: {exc}") from None
    return _decode(text, str(key_file))


def create_key(key_file: Path) -> bytes:
    """Create a new random key file (0600). Refuses to overwrite an existing one:
    replacing a key would make every stored case unreadable."""
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise OutboxKeyError(f"{key_file}: a key already exists; not replacing it") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.b64encode(key).decode() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    dir_fd = os.open(key_file.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return key


def outbox_key(key_file: Path, db_path: Path, environ: Mapping[str, str], *,
               create: bool = False) -> bytes:
    """The key for the outbox at ``db_path``, or a clear :class:`OutboxKeyError`.

    ``create=True`` (first start of a new terminal) makes a key only when there
    is none and no outbox yet; a missing key with an existing outbox is never
    papered over with a new key, since that key could not open the stored cases.
    """
    key = load_key(key_file, environ)
    if key is not None:
        return key
    if db_path.exists():
        raise OutboxKeyError(
            f"the outbox {db_path} exists but its key is missing (set {ENV_KEY} or restore "
            f"{key_file}); stored cases cannot be read without it")
    if not create:
        raise OutboxKeyError(f"no outbox key: set {ENV_KEY} or create {key_file} "
                             f"(a new terminal creates it on first start)")
    return create_key(key_file)


class _Sm4Gcm:
    """SM4 (GB/T 32907) in GCM, with AESGCM's encrypt/decrypt shape (tag appended)."""

    TAG_BYTES = 16

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(data) + enc.finalize() + enc.tag

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        body, tag = data[:-self.TAG_BYTES], data[-self.TAG_BYTES:]
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(body) + dec.finalize()


#: Sealing schemes by their first byte; every scheme opens, the configured one seals.
CIPHERS = {"aes-256-gcm": VERSION, "sm4-gcm": SM4_VERSION}


class Sealer:
    """Authenticated sealing bound to an identity (associated data).

    ``cipher`` picks the scheme new records are sealed with: AES-256-GCM, or
    SM4-GCM (the national suite; its 128-bit key is derived from the outbox key
    with HMAC-SM3). Records sealed before a change of scheme still open, so a
    terminal can switch without losing its queue.
    """

    def __init__(self, key: bytes, cipher: str = "aes-256-gcm") -> None:
        if len(key) != KEY_BYTES:
            raise OutboxKeyError(f"key is {len(key)} bytes, need {KEY_BYTES}")
        sm4_key = hmac.new(key, b"kiosk outbox sm4-gcm", "sm3").digest()[:16]
        self._schemes: dict[bytes, AESGCM | _Sm4Gcm] = {VERSION: AESGCM(key),
                                                          SM4_VERSION: _Sm4Gcm(sm4_key)}
        self._version = CIPHERS[cipher]

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = self._version + bound_to.encode()
        return self._version + nonce + self._schemes[self._version].encrypt(nonce, plaintext,
                                                                            aad)

    def open(self, sealed: bytes, bound_to: str) -> bytes:
        scheme = self._schemes.get(sealed[:1])
        if len(sealed) < 1 + NONCE_BYTES + 16 or scheme is None:
            raise OutboxKeyError(f"{bound_to}: not a sealed outbox record")
        nonce = sealed[1:1 + NONCE_BYTES]
        try:
            return scheme.decrypt(nonce, sealed[1 + NONCE_BYTES:], sealed[:1] + bound_to.encode())
        except InvalidTag:
            raise OutboxKeyError(
                f"{bound_to}: authentication failed: wrong outbox key, or the record was "
                f"altered or moved") from None
