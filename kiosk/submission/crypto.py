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

Rotation: the key file may hold several keys, one per line, the current one
first. :func:`rotate_key` puts a new key in front; records sealed since carry
the new key's 4-byte id and everything stored earlier still opens with the
older keys. ``Outbox.reseal`` then seals every stored record with the current
key, after which :func:`retire_keys` drops the old ones
(``python -m kiosk.cli outbox-key rotate|retire``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import OutboxKeyError
from kiosk.files import fsync_dir

ENV_KEY = "KIOSK_OUTBOX_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
#: First byte of every sealed message: lets a later key scheme coexist with this one.
#: 1 and 2 (AES-256-GCM, SM4-GCM) came before rotation and name no key: every key is
#: tried. 3 and 4 (the same ciphers) are followed by the sealing key's 4-byte id.
VERSION = b"\x01"
#: The same with SM4-GCM (``Sealer(cipher="sm4-gcm")``).
SM4_VERSION = b"\x02"
AES_KEYED = b"\x03"
SM4_KEYED = b"\x04"
KEY_ID_BYTES = 4


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


def _decode_all(text: str, where: str) -> list[bytes]:
    """Keys, one per line or comma-separated, current first; at least one."""
    parts = [p for p in text.replace(",", "\n").split() if p]
    if not parts:
        raise OutboxKeyError(f"{where}: no key in it")
    keys = [_decode(p, f"{where} (key {n})" if len(parts) > 1 else where)
            for n, p in enumerate(parts, 1)]
    if len({key_id(k) for k in keys}) != len(keys):
        raise OutboxKeyError(f"{where}: the same key is listed twice")
    return keys


def key_id(key: bytes) -> bytes:
    """The 4 bytes that name ``key`` in what it seals (no use to a guesser: 2^256 keys)."""
    return hmac.new(key, b"kiosk outbox key id", "sha256").digest()[:KEY_ID_BYTES]


def load_keys(key_file: Path, environ: Mapping[str, str]) -> list[bytes] | None:
    """Every outbox key, current first, from the environment or the key file; ``None``
    when neither exists."""
    if environ.get(ENV_KEY):
        return _decode_all(environ[ENV_KEY], ENV_KEY)
    if not key_file.exists():
        return None
    check_private_file(key_file)
    try:
        text = key_file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutboxKeyError(f"{key_file}: cannot read the key: {exc}") from None
    return _decode_all(text, str(key_file))


def load_key(key_file: Path, environ: Mapping[str, str]) -> bytes | None:
    """The current outbox key (see :func:`load_keys`); ``None`` when there is none."""
    keys = load_keys(key_file, environ)
    return None if keys is None else keys[0]


def _write_keys(key_file: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically (0600, synced, then renamed over the old one)."""
    tmp = key_file.with_name(key_file.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("".join(base64.b64encode(k).decode() + "\n" for k in keys))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(key_file)
    fsync_dir(key_file.parent)


def rotate_key(key_file: Path, environ: Mapping[str, str]) -> bytes:
    """Put a new random key in front of ``key_file``'s keys; the old ones keep opening
    what they sealed. Returns the new key."""
    if environ.get(ENV_KEY):
        raise OutboxKeyError(f"the outbox keys come from {ENV_KEY}: rotate them there "
                             "(new key first, then the old ones, comma-separated)")
    keys = load_keys(key_file, environ)
    if keys is None:
        raise OutboxKeyError(f"{key_file}: no outbox key to rotate")
    new = secrets.token_bytes(KEY_BYTES)
    _write_keys(key_file, [new, *keys])
    return new


def retire_keys(key_file: Path, environ: Mapping[str, str]) -> int:
    """Keep only the current key in ``key_file`` (after ``Outbox.reseal``); returns how
    many keys were dropped."""
    if environ.get(ENV_KEY):
        raise OutboxKeyError(f"the outbox keys come from {ENV_KEY}: keep only the first there")
    keys = load_keys(key_file, environ)
    if keys is None:
        raise OutboxKeyError(f"{key_file}: no outbox key")
    if len(keys) > 1:
        _write_keys(key_file, keys[:1])
    return len(keys) - 1


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
    fsync_dir(key_file.parent)
    return key




def outbox_key(key_file: Path, db_path: Path, environ: Mapping[str, str], *,
               create: bool = False) -> list[bytes]:
    """The keys for the outbox at ``db_path`` (current first), or a clear
    :class:`OutboxKeyError`.

    ``create=True`` (first start of a new terminal) makes a key only when there
    is none and no outbox yet; a missing key with an existing outbox is never
    papered over with a new key, since that key could not open the stored cases.
    """
    keys = load_keys(key_file, environ)
    if keys is not None:
        return keys
    if db_path.exists():
        raise OutboxKeyError(
            f"the outbox {db_path} exists but its key is missing (set {ENV_KEY} or restore "
            f"{key_file}); stored cases cannot be read without it")
    if not create:
        raise OutboxKeyError(f"no outbox key: set {ENV_KEY} or create {key_file} "
                             f"(a new terminal creates it on first start)")
    return [create_key(key_file)]


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
#: What each cipher seals new records with: its version byte that names the key.
SEALS_WITH = {"aes-256-gcm": AES_KEYED, "sm4-gcm": SM4_KEYED}


class Sealer:
    """Authenticated sealing bound to an identity (associated data).

    ``keys``: the current key first, then older ones that still open what they
    sealed (see the module's notes on rotation). ``cipher`` picks the scheme new
    records are sealed with: AES-256-GCM, or SM4-GCM (the national suite; its
    128-bit key is derived from the outbox key with HMAC-SM3). Records sealed
    before a change of scheme or key still open, so a terminal can switch without
    losing its queue.
    """

    def __init__(self, keys: bytes | Sequence[bytes], cipher: str = "aes-256-gcm") -> None:
        keys = [keys] if isinstance(keys, bytes | bytearray) else list(keys)
        if not keys:
            raise OutboxKeyError("no outbox key")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise OutboxKeyError(f"key is {len(key)} bytes, need {KEY_BYTES}")
        if cipher not in CIPHERS:
            raise OutboxKeyError(f"unknown outbox cipher {cipher!r}")
        #: key id -> {version byte -> cipher}, in the order given (current first)
        self._keys: dict[bytes, dict[bytes, AESGCM | _Sm4Gcm]] = {}
        for key in keys:
            sm4_key = hmac.new(key, b"kiosk outbox sm4-gcm", "sm3").digest()[:16]
            aes, sm4 = AESGCM(key), _Sm4Gcm(sm4_key)
            self._keys[key_id(key)] = {VERSION: aes, AES_KEYED: aes,
                                       SM4_VERSION: sm4, SM4_KEYED: sm4}
        self._current = key_id(keys[0])
        self._version = SEALS_WITH[cipher]

    @property
    def current_key_id(self) -> bytes:
        return self._current

    def seal(self, plaintext: bytes, bound_to: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        head = self._version + self._current
        scheme = self._keys[self._current][self._version]
        return head + nonce + scheme.encrypt(nonce, plaintext, head + bound_to.encode())

    def sealed_with_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` names the current key and cipher (nothing to re-seal)."""
        return sealed[:1] == self._version and sealed[1:1 + KEY_ID_BYTES] == self._current

    def open(self, sealed: bytes, bound_to: str) -> bytes:
        version = sealed[:1]
        keyed = version in (AES_KEYED, SM4_KEYED)
        head_len = 1 + (KEY_ID_BYTES if keyed else 0)
        if version not in (VERSION, SM4_VERSION, AES_KEYED, SM4_KEYED) or \
                len(sealed) < head_len + NONCE_BYTES + 16:
            raise OutboxKeyError(f"{bound_to}: not a sealed outbox record")
        head = sealed[:head_len]
        nonce = sealed[head_len:head_len + NONCE_BYTES]
        body = sealed[head_len + NONCE_BYTES:]
        if keyed:
            ciphers = self._keys.get(head[1:])
            if ciphers is None:
                raise OutboxKeyError(
                    f"{bound_to}: wrong outbox key: sealed with key {head[1:].hex()}, "
                    f"which this terminal does not have (retired, or another terminal's)")
            candidates = [ciphers[version]]
        else:  # before rotation existed: any of the keys
            candidates = [ciphers[version] for ciphers in self._keys.values()]
        for scheme in candidates:
            try:
                return scheme.decrypt(nonce, body, head + bound_to.encode())
            except InvalidTag:
                continue
        raise OutboxKeyError(
            f"{bound_to}: authentication failed: wrong outbox key, or the record was "
            f"altered or moved")
