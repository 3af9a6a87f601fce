"""The kiosk's client for the 一窗受理 back office (backoffice/API.md, version 1).

Every request is signed (kiosk/submission/signing.py) with the injected clock, has connect
and read timeouts plus an overall deadline (a server that trickles one byte per
second must not hold the sender forever), verifies TLS against the configured CA
bundle, and reads at most :data:`MAX_RESPONSE_BYTES`.

Errors are translated once, here, into kiosk/errors.py:

* no answer (connection refused or cut, timeouts, TLS failures), 429, 502, 503,
  504 → :class:`BackofficeUnreachable` (a :class:`TransientError`; ``retry_after``
  from the Retry-After header, RFC 9110 §10.2.3);
* other 5xx, redirects, or an answer that is not the JSON the contract promises
  → :class:`TransientError`;
* 401 → :class:`AuthError`; 422 ``missing_materials`` → :class:`MissingMaterials`;
  other 4xx → :class:`PermanentError` with the status and the server's detail.
"""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pydantic
import requests

from kiosk.clock import Clock
from kiosk.config.model import KioskConfig, resolve
from kiosk.errors import (
    AuthError,
    BackofficeUnreachable,
    ConfigError,
    MissingMaterials,
    PermanentError,
    TransientError,
)
from kiosk.privacy import redact
from kiosk.submission.cases import Verification
from kiosk.submission.signing import (
    BUNDLE_CONTENT_TYPE,
    BUNDLE_HEADER,
    CASE_TOKEN_HEADER,
    DEFAULT_SUITE,
    bundle_digest,
    bundle_manifest,
    query_token,
    signed_headers,
)

log = logging.getLogger(__name__)

API = "/api/v1"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_UNREACHABLE_STATUSES = frozenset({429, 502, 503, 504})
M = TypeVar("M", bound=pydantic.BaseModel)


class _Answer(pydantic.BaseModel):
    # Forward compatible: fields the server adds later are ignored, missing ones are errors.
    model_config = pydantic.ConfigDict(extra="ignore", frozen=True)


class Health(_Answer):
    status: str
    time: pydantic.AwareDatetime


class CaseReceipt(_Answer):
    case_number: str
    kiosk_ref: str
    status: str
    received_at: str


class OwedMaterial(_Answer):
    code: str
    name: str
    deadline: str | None = None


class TimelineEntry(_Answer):
    status: str
    at: str
    note: str | None = None


class CaseStatus(CaseReceipt):
    item_code: str
    owed_materials: tuple[OwedMaterial, ...] = ()
    collect: dict[str, Any] | None = None
    timeline: tuple[TimelineEntry, ...] = ()


class _CaseList(_Answer):
    cases: tuple[CaseStatus, ...]


class _Recorded(_Answer):
    verification_id: str


class _Stored(_Answer):
    sha256: str
    size: int


class _HeartbeatAck(_Answer):
    server_time: pydantic.AwareDatetime


class CodeIdentityAnswer(_Answer):
    """Who an identity code stands for (API.md IdentityResolved ``identity``)."""

    card_type: str = "resident"
    name: str
    id_number: str
    sex: str = "0"
    nation: str = ""
    birth: date | None = None
    address: str = ""
    authority: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    long_term: bool = False


class IdentityResolved(_Answer):
    identity: CodeIdentityAnswer
    photo_jpeg: str | None = None
    issued_at: pydantic.AwareDatetime
class VersionRef(_Answer):
    """What the back office serves now (a heartbeat reply announces it)."""

    version: str | int
    digest: str
    site_id: str | None = None


class SignedCommand(_Answer):
    """A command in a heartbeat reply; kiosk/fleet/commands.py checks its signature."""

    id: str
    kind: str
    args: dict[str, Any] = {}
    issued_at: str
    signature: str


class HeartbeatReply(_Answer):
    server_time: pydantic.AwareDatetime
    catalog: VersionRef | None = None
    settings: VersionRef | None = None
    commands: tuple[SignedCommand, ...] = ()


class Fetched(pydantic.BaseModel):
    """A conditional GET's answer: the document and its ETag (``body`` None on 304)."""

    model_config = pydantic.ConfigDict(frozen=True)

    etag: str
    body: dict[str, Any] | None


class AssistTicket(_Answer):
    """The back office's answer to 呼叫工作人员: the short number the screen shows."""

    number: str
    created_at: pydantic.AwareDatetime


def read_terminal_secret(path: Path) -> bytes:
    """The terminal's HMAC secret: 64 hex characters in a file only its owner can read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(str(path), "backoffice.secret_file", "terminal secret file missing "
                          "(register the terminal: scripts/backoffice terminal add)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "backoffice.secret_file", f"unreadable: {exc}") from None
    if mode & 0o077:
        raise ConfigError(str(path), "backoffice.secret_file",
                          f"permissions {stat.S_IMODE(mode):04o}; run: chmod 600 {path}")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(str(path), "backoffice.secret_file", "not hex text") from None
    if len(secret) != 32:
        raise ConfigError(str(path), "backoffice.secret_file",
                          f"secret is {len(secret)} bytes, need 32")
    return secret


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


class _PartsBody:
    """A body of several byte strings sent one after another (requests iterates it and,
    with Content-Length set, sends it unchunked), so the parts are never copied into one."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._parts)


class BackofficeClient:
    def __init__(self, base_url: str, terminal_id: str, secret: bytes, *, clock: Clock,
                 session: requests.Session | None = None, connect_timeout_s: float = 3.0,
                 read_timeout_s: float = 10.0, ca_bundle: str = "",
                 suite: str = DEFAULT_SUITE) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError("kiosk.yaml", "backoffice.url", f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._prefix = parts.path.rstrip("/")
        self.terminal_id = terminal_id
        self._secret = secret
        self._suite = suite
        self._clock = clock
        self._session = session or requests.Session()
        self._timeout = (connect_timeout_s, read_timeout_s)
        # Overall budget for one request, on top of the per-read timeout.
        self._deadline_s = connect_timeout_s + 3 * read_timeout_s
        self._verify: bool | str = ca_bundle or True

    @classmethod
    def from_config(cls, config: KioskConfig, *, clock: Clock,
                    session: requests.Session | None = None) -> BackofficeClient:
        bo = config.backoffice
        if not bo.url:
            raise ConfigError("kiosk.yaml", "backoffice.url", "no back-office URL configured "
                              "(scripts/run starts a local one and sets it)")
        return cls(bo.url, config.terminal.id, read_terminal_secret(resolve(bo.secret_file)),
                   clock=clock, session=session, connect_timeout_s=bo.connect_timeout_s,
                   read_timeout_s=bo.read_timeout_s,
                   ca_bundle=str(resolve(bo.ca_bundle)) if bo.ca_bundle else "",
                   suite=bo.suite)

    def close(self) -> None:
        self._session.close()

    def signing_key(self) -> tuple[bytes, str]:
        """The terminal's secret and suite: what the back office signs commands with."""
        return self._secret, self._suite

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, *, body: bytes | list[bytes] = b"",
                 signed: bool = True, headers: Mapping[str, str] | None = None,
                 body_sha256: str | None = None,
                 answer_headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """Send one request; returns (status, body) of a 2xx/404-on-HEAD answer (304 too
        when the request is conditional), raises else. ``answer_headers`` receives the
        answer's headers.

        ``body`` may be a list of parts sent back to back (a case bundle), never joined
        in memory; such a request signs ``body_sha256`` (its manifest's) in its place."""
        wire_path = self._prefix + path
        all_headers = dict(headers or {})
        if signed:
            all_headers.update(signed_headers(self._secret, self.terminal_id, method, wire_path,
                                              body if isinstance(body, bytes) else b"",
                                              self._clock.now().timestamp(), self._suite,
                                              body_sha256=body_sha256))
        data: bytes | _PartsBody | None = None
        if isinstance(body, list):
            data = _PartsBody(body)
            all_headers["Content-Length"] = str(len(data))
        elif body:
            data = body
        started = self._clock.monotonic()
        what = f"{method} {path}"
        try:
            resp = self._session.request(method, self.base_url + path, data=data,
                                         headers=all_headers, timeout=self._timeout,
                                         verify=self._verify, allow_redirects=False,
                                         stream=True)
            try:
                content = self._read(resp, started, what)
            finally:
                resp.close()
        except requests.Timeout:
            raise BackofficeUnreachable(f"{what}: timed out") from None
        except requests.ConnectionError as exc:
            raise BackofficeUnreachable(f"{what}: connection failed: "
                                        f"{type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise BackofficeUnreachable(f"{what}: {type(exc).__name__}") from None
        status = resp.status_code
        log.debug("%s -> %d in %.0f ms", what, status,
                  (self._clock.monotonic() - started) * 1000)
        if answer_headers is not None:
            answer_headers.update(resp.headers)
        conditional = "If-None-Match" in all_headers
        if 200 <= status < 300 or (method == "HEAD" and status == 404) \
                or (conditional and status == 304):
            return status, content
        self._raise_for(status, content, resp.headers.get("Retry-After"), what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, resp: requests.Response, started: float, what: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise TransientError(f"{what}: answer larger than {MAX_RESPONSE_BYTES} bytes")
            if self._clock.monotonic() - started > self._deadline_s:
                raise BackofficeUnreachable(f"{what}: answer too slow")
            chunks.append(chunk)
        return b"".join(chunks)

    def _raise_for(self, status: int, content: bytes, retry_after: str | None,
                   what: str) -> None:
        code, detail = "", ""
        missing: tuple[str, ...] = ()
        try:
            err = json.loads(content)
            if isinstance(err, dict):
                code, detail = str(err.get("error", "")), str(err.get("detail", ""))
                if isinstance(err.get("missing"), list):
                    missing = tuple(str(m) for m in err["missing"])
        except ValueError:
            pass  # an error page that is not JSON: the status decides
        text = redact(f"{what}: HTTP {status} {code}: {detail}".strip())[:500]
        if status in _UNREACHABLE_STATUSES:
            raise BackofficeUnreachable(
                text, retry_after=_retry_after(retry_after, self._clock.now()))
        if status >= 500 or 300 <= status < 400 or status < 200:
            raise TransientError(text, retry_after=_retry_after(retry_after, self._clock.now()))
        if status == 401:
            raise AuthError(text, status=401)
        if status == 422 and code == "missing_materials":
            raise MissingMaterials(text, missing=missing)
        raise PermanentError(text, status=status, code=code)

    def _json(self, model: type[M], content: bytes, what: str) -> M:
        try:
            return model.model_validate_json(content)
        except pydantic.ValidationError:
            raise TransientError(f"{what}: answer is not the expected JSON") from None

    # ------------------------------------------------------------------ API.md routes

    def health(self) -> tuple[datetime, float]:
        """The server's time and the clock skew (server minus kiosk, seconds)."""
        _, content = self._request("GET", f"{API}/health", signed=False)
        answer = self._json(Health, content, "GET health")
        return answer.time, (answer.time - self._clock.now()).total_seconds()

    def material_exists(self, sha256: str) -> bool:
        status, _ = self._request("HEAD", f"{API}/materials/{sha256}")
        return status == 200

    def upload_material(self, sha256: str, content_type: str, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("data does not match its hash")
        _, content = self._request("PUT", f"{API}/materials/{sha256}", body=data,
                                   headers={"Content-Type": content_type})
        stored = self._json(_Stored, content, "PUT material")
        if stored.sha256 != sha256 or stored.size != len(data):
            raise TransientError("PUT material: the server stored something else")

    def create_case(self, kiosk_ref: str, body: bytes) -> CaseReceipt:
        _, content = self._request("POST", f"{API}/cases", body=body, headers={
            "Content-Type": "application/json", "Idempotency-Key": kiosk_ref})
        receipt = self._json(CaseReceipt, content, "POST case")
        if receipt.kiosk_ref != kiosk_ref:
            raise TransientError("POST case: the receipt names another case")
        return receipt

    def create_case_bundle(self, kiosk_ref: str, body: bytes, blobs: list[bytes], *,
                           digests: list[str] | None = None) -> CaseReceipt:
        """The case and the blobs the server lacks in one request (API.md "Case bundles").

        ``digests``: the blobs' SHA-256, already checked by the caller (the outbox checks
        each page it reads against its address), so the pages are not hashed twice.

        :class:`PermanentError` 404/405 from a back office that predates bundles: the
        caller falls back to :meth:`upload_material` and :meth:`create_case`."""
        parts = [body, *blobs]
        manifest = bundle_manifest(parts, None if digests is None
                                   else [hashlib.sha256(body).hexdigest(), *digests])
        _, content = self._request("POST", f"{API}/case-bundles", body=parts,
                                   body_sha256=bundle_digest(manifest), headers={
                                       "Content-Type": BUNDLE_CONTENT_TYPE,
                                       "Idempotency-Key": kiosk_ref, BUNDLE_HEADER: manifest})
        receipt = self._json(CaseReceipt, content, "POST case bundle")
        if receipt.kiosk_ref != kiosk_ref:
            raise TransientError("POST case bundle: the receipt names another case")
        return receipt

    def case_status(self, number_or_ref: str, token: str) -> CaseStatus:
        """One case, with the token its receipt's QR carries (else: look up by card)."""
        _, content = self._request("GET", f"{API}/cases/{number_or_ref}",
                                   headers={CASE_TOKEN_HEADER: token})
        return self._json(CaseStatus, content, "GET case")

    def query_token(self, kiosk_ref: str) -> str:
        """The token for the QR of this terminal's receipt of ``kiosk_ref``."""
        return query_token(self._secret, kiosk_ref)

    def applicant_cases(self, id_number: str,
                        verification: Verification) -> tuple[CaseStatus, ...]:
        """Report the verification (the server records it with its own time), then list
        the cases of the applicant it names."""
        report = {"id_number": id_number, "method": verification.method,
                  "score": verification.score}
        _, content = self._request("POST", f"{API}/verifications",
                                   body=json.dumps(report, ensure_ascii=False).encode(),
                                   headers={"Content-Type": "application/json"})
        recorded = self._json(_Recorded, content, "POST verification")
        body = json.dumps({"verification_id": recorded.verification_id}).encode()
        _, content = self._request("POST", f"{API}/applicants/cases", body=body,
                                   headers={"Content-Type": "application/json"})
        return self._json(_CaseList, content, "POST applicant cases").cases

    def call_staff(self, item_code: str | None, step: str) -> AssistTicket:
        """呼叫工作人员: where the citizen is (the item and the journey step), never who."""
        body = json.dumps({"item_code": item_code, "step": step}).encode()
        _, content = self._request("POST", f"{API}/assist", body=body,
                                   headers={"Content-Type": "application/json"})
        return self._json(AssistTicket, content, "POST assist")

    def identity_code(self, code: str) -> IdentityResolved:
        """亮码: who the code a citizen showed stands for (the code is used up). A refusal
        is a PermanentError whose ``code`` is code_unknown, code_expired or code_used."""
        body = json.dumps({"code": code}, ensure_ascii=False).encode()
        _, content = self._request("POST", f"{API}/identity/code", body=body,
                                   headers={"Content-Type": "application/json"})
        return self._json(IdentityResolved, content, "POST identity code")

    def heartbeat(self, devices: Mapping[str, Mapping[str, str | None]],
                  outbox: Mapping[str, int] | None = None,
                  release: Mapping[str, Any] | None = None) -> datetime:
        return self.beat(devices, outbox, release=release).server_time

    def beat(self, devices: Mapping[str, Mapping[str, str | None]],
             outbox: Mapping[str, int] | None = None, *, site_id: str | None = None,
             fleet: Mapping[str, Any] | None = None,
             release: Mapping[str, Any] | None = None) -> HeartbeatReply:
        """The heartbeat with what this terminal runs on (``fleet``) and its release (an
        installed terminal, scripts/install); the reply announces the served catalog and
        settings and carries the open commands."""
        payload: dict[str, Any] = {"time": self._clock.now().isoformat(),
                                   "devices": {k: dict(v) for k, v in devices.items()}}
        if outbox is not None:
            payload["outbox"] = dict(outbox)
        if release is not None:
            payload["release"] = dict(release)
        if site_id is not None:
            payload["site_id"] = site_id
        if fleet is not None:
            payload["fleet"] = dict(fleet)
        _, content = self._request("POST", f"{API}/terminals/heartbeat",
                                   body=json.dumps(payload, ensure_ascii=False).encode(),
                                   headers={"Content-Type": "application/json"})
        return self._json(HeartbeatReply, content, "POST heartbeat")

    def _conditional(self, path: str, etag: str | None, what: str) -> Fetched:
        headers: dict[str, str] = {}
        status, content = self._request("GET", path, answer_headers=headers,
                                        headers={"If-None-Match": etag} if etag else None)
        tag = headers.get("ETag", headers.get("etag", ""))
        if status == 304:
            return Fetched(etag=tag or (etag or ""), body=None)
        try:
            body = json.loads(content)
        except ValueError:
            raise TransientError(f"{what}: answer is not JSON (cut short?)") from None
        if not isinstance(body, dict):
            raise TransientError(f"{what}: answer is not a JSON object")
        return Fetched(etag=tag, body=body)

    def catalog(self, etag: str | None = None) -> Fetched:
        """``GET /catalog``, conditional on ``etag`` (None: the whole document anyway)."""
        return self._conditional(f"{API}/catalog", etag, "GET catalog")

    def site_settings(self, site_id: str, etag: str | None = None) -> Fetched:
        """``GET /sites/{site_id}/settings``; PermanentError (404) when the back office
        has none for this site."""
        return self._conditional(f"{API}/sites/{site_id}/settings", etag, "GET settings")

    def command_result(self, command_id: str, ok: bool, detail: str,
                       data: Mapping[str, Any] | None = None) -> None:
        body = json.dumps({"ok": ok, "detail": detail[:2000], "data": dict(data or {})},
                          ensure_ascii=False).encode()
        self._request("POST", f"{API}/terminals/commands/{command_id}/result", body=body,
                      headers={"Content-Type": "application/json"})

    def upload_bundle(self, data: bytes) -> str:
        """A diagnostic bundle (zip) to the back office; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        _, content = self._request("PUT", f"{API}/terminals/bundles/{sha256}", body=data,
                                   headers={"Content-Type": "application/zip"})
        stored = self._json(_Stored, content, "PUT bundle")
        if stored.sha256 != sha256 or stored.size != len(data):
            raise TransientError("PUT bundle: the server stored something else")
        return sha256
