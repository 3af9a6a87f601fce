"""The sender: a background thread that delivers the outbox to the back office.

One case at a time, oldest first. For each case: upload the materials it names,
a few at once (HEAD first, so blobs the back office already holds are skipped,
except for a page this case stored itself on its first attempt, which nobody can
have sent yet; each upload is recorded, so after a crash only the missing ones
are redone), then POST the exact stored body with the kiosk reference as
``Idempotency-Key`` (so a repeat after a crash or a lost answer yields the same
case, never a second one).

Outcomes (kiosk/errors.py, translated by the client):

* delivered → the outbox keeps the case number and purges the personal data;
* :class:`BackofficeUnreachable`, :class:`AuthError`, or 404/405 on the API's own
  routes → the whole queue is held (the back office, its URL or this terminal's
  credentials are the problem, not the case), with a backoff that grows over
  consecutive failures; order is kept;
* other :class:`TransientError` (a 500 for this case, garbage JSON) and
  :class:`MissingMaterials` after one re-upload → this case waits its own backoff
  while later cases go ahead, so one poisoned case cannot block everyone; after
  ``park_after`` such server errors on the same case (counted in the outbox, so a
  restart does not reset them) it is parked: refused, kept for staff with the
  reason, never retried on its own;
* other :class:`PermanentError` → refused, kept for staff with the reason.

A backlog is drained in a pipeline (:meth:`Sender.drain`), one request at a time and
in queue order as above: as soon as one case's answer is in, the next case is claimed
and its request goes out (on a transfer thread), and only then is the answer recorded
(delivered, and the personal data purged) and the pages of the case after it read
ahead, so the kiosk's bookkeeping runs while the back office works. Exactly-once
holds as before: a case is marked delivered only after its own answer, and one
left in ``sending`` by a crash is sent again and deduplicated by its reference.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

import requests

from kiosk.clock import Clock
from kiosk.config.model import KioskConfig
from kiosk.errors import (
    AuthError,
    BackofficeUnreachable,
    KioskError,
    MissingMaterials,
    OutboxError,
    PermanentError,
    TransientError,
)
from kiosk.submission.client import BackofficeClient
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import BlobRef, CaseRecord, CaseState, OutboxItem
from kiosk.submission.reference import require_own_prefix
from kiosk.submission.remote import RemoteSender
from kiosk.submission.retry import RetryPolicy

log = logging.getLogger(__name__)

#: Server errors on one case before it is parked for staff (see the module docstring).
PARK_AFTER = 5
#: Pages of the next case read ahead at most (bytes): a kiosk's memory is not the outbox.
READ_AHEAD_BYTES = 32 * 1024 * 1024


class Receipt(Protocol):
    @property
    def case_number(self) -> str: ...
    @property
    def received_at(self) -> str: ...


class DeliveryClient(Protocol):
    """What the sender needs of kiosk.submission.client.BackofficeClient."""

    def material_exists(self, sha256: str) -> bool: ...
    def upload_material(self, sha256: str, content_type: str, data: bytes) -> None: ...
    def create_case(self, kiosk_ref: str, body: bytes) -> Receipt: ...


#: What one attempt at a case came to: the receipt, or the translated failure.
Outcome = tuple[Receipt | None, TransientError | PermanentError | OutboxError | None]


def _about_this_terminal(exc: PermanentError) -> bool:
    """A refusal that no case could pass: a bad signature or clock (401), or routes that
    are not there (404/405: a wrong back-office URL). Refusing the case would be wrong."""
    return isinstance(exc, AuthError) or exc.status in (404, 405)


class Sender:
    def __init__(self, outbox: Outbox, client: DeliveryClient, policy: RetryPolicy, *,
                 clock: Clock, rng: random.Random, idle_s: float = 30.0,
                 transfer_workers: int = 4, park_after: int = PARK_AFTER,
                 bundles: bool = True) -> None:
        self._outbox = outbox
        self._client = client
        self._policy = policy
        self._clock = clock
        self._rng = rng
        self._idle_s = idle_s
        self._workers = max(1, transfer_workers)
        self._park_after = max(1, park_after)
        #: Send a case and its blobs in one request while the back office takes them.
        self._bundles = bundles
        self._failures = 0          # consecutive queue-wide failures
        self._wake = threading.Event()
        self._woken = False
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ thread control

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("sender already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the current request at the latest. A case interrupted in
        ``sending`` is put back to pending when the outbox is next opened."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs (for diagnostics)."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Deliver now: skips a queue hold once (e.g. a citizen is waiting at the screen)."""
        self._woken = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            ignore_hold, self._woken = self._woken, False
            try:
                if self.drain(ignore_hold=ignore_hold):
                    continue
                # Idle: move the WAL into the database file here, not in an enqueue.
                self._outbox.checkpoint()
                pause = self._idle_wait()
            except KioskError as exc:
                # Translated failures (the outbox's disk, say) must not end delivery for
                # good: log once and try again later. Anything else is a bug and ends the
                # thread loudly (threading.excepthook); ``alive`` reports it.
                log.error("sender: %s, retrying later: %s", type(exc).__name__, exc)
                pause = self._idle_s
            self._wake.wait(pause)
            self._wake.clear()

    def _idle_wait(self) -> float:
        """Seconds until something may be due: the next case, after any queue hold."""
        due = self._outbox.next_due_at()
        if due is None:
            return self._idle_s
        target = max(due, self._outbox.hold_until() or 0.0)
        return max(0.01, min(self._idle_s, target - self._clock.now().timestamp()))

    # ------------------------------------------------------------------ one delivery

    def drain_once(self, *, ignore_hold: bool = False) -> bool:
        """Try the oldest due case once. False when nothing was due (or the queue is held)."""
        now = self._clock.now().timestamp()
        hold = self._outbox.hold_until()
        if hold is not None and now < hold and not ignore_hold:
            return False
        item = self._outbox.claim_next()
        if item is None:
            return False
        self._record(item, self._attempt(item, {}), now, hold)
        return True

    def drain(self, *, ignore_hold: bool = False) -> int:
        """Deliver the due cases oldest first, pipelined (see the module docstring),
        until none is due, the queue is held or the sender stops; returns how many
        cases were tried (0: nothing was due, or the queue is held)."""
        now = self._clock.now().timestamp()
        hold = self._outbox.hold_until()
        if hold is not None and now < hold and not ignore_hold:
            return 0
        item = self._outbox.claim_next()
        if item is None:
            return 0
        tried = 0
        with ThreadPoolExecutor(1, thread_name_prefix="outbox-transfer") as transfer:
            future = transfer.submit(self._attempt, item, {})
            unrecorded = [item]
            ahead: tuple[str, dict[str, bytes]] | None = None
            try:
                current: OutboxItem | None = item
                while current is not None:
                    outcome = future.result()
                    now = self._clock.now().timestamp()
                    nxt = None
                    if self._goes_on(outcome) and not self._stop.is_set():
                        nxt = self._outbox.claim_next()
                        if nxt is not None:
                            unrecorded.append(nxt)
                            pages = ahead[1] if ahead and ahead[0] == nxt.kiosk_ref else {}
                            future = transfer.submit(self._attempt, nxt, pages)
                    # While the next case is out: record this one, read the next pages.
                    self._record(current, outcome, now, hold)
                    unrecorded.remove(current)
                    hold = None if outcome[0] is not None else self._outbox.hold_until()
                    tried += 1
                    current = nxt
                    ahead = self._read_ahead() if nxt is not None else None
            except BaseException:
                # Claimed but not recorded: back to pending once its request has ended
                # (sent again later; the back office answers a repeat with its receipt).
                wait([future])
                for left in unrecorded:
                    with contextlib.suppress(KioskError):
                        self._outbox.release(left.kiosk_ref, "interrupted")
                raise
        return tried

    def _goes_on(self, outcome: Outcome) -> bool:
        """Whether the next case may go out after this outcome: not when the whole queue
        is to be held (see :meth:`_failed`)."""
        exc = outcome[1]
        return not (isinstance(exc, BackofficeUnreachable) or (
            isinstance(exc, PermanentError) and _about_this_terminal(exc)))

    def _read_ahead(self) -> tuple[str, dict[str, bytes]] | None:
        """The next due case's reference and the pages it will send, read now; None when
        there is none or its pages are many (read when it goes out, as without this)."""
        nxt = self._outbox.peek_next() if self._bundles else None
        if nxt is None:
            return None
        ref, blobs = nxt
        todo = [b for b in blobs if not b.uploaded]
        if sum(b.size for b in todo) > READ_AHEAD_BYTES:
            return None
        try:
            return ref, {b.sha256: self._outbox.read_blob(b.sha256) for b in todo}
        except OutboxError:
            return None  # the attempt itself meets this and reports it

    def _attempt(self, item: OutboxItem, pages: Mapping[str, bytes]) -> Outcome:
        """One attempt at ``item`` (``pages``: some of its blobs, read already)."""
        try:
            return self._deliver(item, pages), None
        except (TransientError, PermanentError, OutboxError) as exc:
            return None, exc

    def _record(self, item: OutboxItem, outcome: Outcome, now: float,
                hold: float | None) -> None:
        """The outcome in the outbox (``hold``: the queue hold there was before)."""
        receipt, exc = outcome
        if receipt is None:
            assert exc is not None
            self._failed(item, exc, now)
        else:
            self._failures = 0
            self._outbox.mark_delivered(item.kiosk_ref, receipt.case_number,
                                        receipt.received_at)
            if hold is not None:
                self._outbox.set_hold(None)
        with self._done:
            self._done.notify_all()

    def _hold(self, ref: str, exc: KioskError, now: float) -> None:
        """The back office (or this terminal's standing with it) is the problem: hold the
        whole queue, order kept, with a backoff over consecutive failures."""
        self._failures += 1
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        delay = self._policy.delay(self._failures, self._rng, retry_after)
        self._outbox.release(ref, str(exc))
        self._outbox.set_hold(now + delay)
        level = logging.INFO if isinstance(exc, BackofficeUnreachable) else logging.ERROR
        log.log(level, "sender: back office unavailable (%s); queue held %.1f s", exc, delay)

    def _failed(self, item: OutboxItem, exc: KioskError, now: float) -> None:
        if isinstance(exc, BackofficeUnreachable) or (
                isinstance(exc, PermanentError) and _about_this_terminal(exc)):
            self._hold(item.kiosk_ref, exc, now)
        elif isinstance(exc, TransientError | MissingMaterials):
            self._retry_case(item, exc, now)
        elif isinstance(exc, PermanentError):
            self._outbox.mark_refused(item.kiosk_ref, exc.status, str(exc))
        else:
            # A blob that no longer opens (altered on disk) can never be delivered.
            self._outbox.mark_refused(item.kiosk_ref, None, f"local: {exc}")

    def _retry_case(self, item: OutboxItem, exc: KioskError, now: float) -> None:
        """This case only (a 500 for its body, garbage in its answer): later cases go on."""
        if isinstance(exc, TransientError):
            errors = self._outbox.count_server_error(item.kiosk_ref)
            if errors >= self._park_after:
                self._outbox.mark_refused(item.kiosk_ref, None,
                                          f"parked after {errors} server errors: {exc}")
                return
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        delay = self._policy.delay(item.attempts, self._rng, retry_after)
        self._outbox.release(item.kiosk_ref, str(exc), next_attempt_at=now + delay)
        log.warning("sender: %s not delivered (%s); retry in %.1f s", item.kiosk_ref, exc,
                    delay)

    def _deliver(self, item: OutboxItem, pages: Mapping[str, bytes]) -> Receipt:
        todo = [b for b in item.blobs if not b.uploaded]
        bundle = getattr(self._client, "create_case_bundle", None) if self._bundles else None
        if bundle is not None:
            try:
                return self._deliver_bundle(item, todo, bundle, pages)
            except PermanentError as exc:
                if exc.status not in (404, 405):
                    raise
                # A back office from before case bundles: separate uploads from now on.
                self._bundles = False
                log.info("sender: the back office takes no case bundles; uploading "
                         "materials one by one")
        if len(todo) > 1 and self._workers > 1:
            # Pages are independent: transfer a few at once (the back office fsyncs each
            # one), wait for all, then report the first failure in page order.
            with ThreadPoolExecutor(min(self._workers, len(todo)),
                                    thread_name_prefix="outbox-upload") as pool:
                futures = [pool.submit(self._upload, item.kiosk_ref, b.sha256, b.content_type,
                                       check=self._may_exist(item, b)) for b in todo]
                wait(futures)
            for future in futures:
                future.result()
        else:
            for blob in todo:
                self._upload(item.kiosk_ref, blob.sha256, blob.content_type,
                             check=self._may_exist(item, blob))
        try:
            return self._client.create_case(item.kiosk_ref, item.body)
        except MissingMaterials as exc:
            # The back office lost (or never kept) blobs we thought it had: send the
            # ones this case names again, then try once more.
            mine = {b.sha256: b for b in item.blobs}
            for sha in exc.missing or tuple(mine):
                if sha in mine:
                    self._outbox.mark_uploaded(item.kiosk_ref, sha, False)
                    self._upload(item.kiosk_ref, sha, mine[sha].content_type, check=False)
            return self._client.create_case(item.kiosk_ref, item.body)

    def _deliver_bundle(self, item: OutboxItem, todo: list[BlobRef],
                        bundle: Callable[..., Receipt], pages: Mapping[str, bytes]) -> Receipt:
        """The case and its blobs in one request (API.md "Case bundles"): the back
        office stores all of them and the case, or nothing. Blobs it may hold already
        (a retry, a page shared with an earlier case) are asked for first, as above."""
        send = [b for b in todo
                if not (self._may_exist(item, b) and self._client.material_exists(b.sha256))]
        if not send:  # the back office holds every blob already (a retry): the case alone
            return self._client.create_case(item.kiosk_ref, item.body)
        try:
            return self._bundle(bundle, item, [b.sha256 for b in send], pages)
        except MissingMaterials as exc:
            # A blob the back office said it had is gone: send the ones it names again.
            mine = {b.sha256 for b in item.blobs}
            again = [sha for sha in exc.missing or tuple(mine) if sha in mine]
            return self._bundle(bundle, item, again, pages)

    def _bundle(self, bundle: Callable[..., Receipt], item: OutboxItem, shas: list[str],
                pages: Mapping[str, bytes]) -> Receipt:
        # Every page is checked against its SHA-256 as the outbox reads it (read_blob; the
        # pages read ahead too), so the client need not hash it again for the manifest.
        blobs = [pages[sha] if sha in pages else self._outbox.read_blob(sha) for sha in shas]
        return bundle(item.kiosk_ref, item.body, blobs, digests=shas)

    @staticmethod
    def _may_exist(item: OutboxItem, blob: BlobRef) -> bool:
        """Whether a HEAD may save the upload: not for a page this case stored itself,
        on its first attempt (nobody can have sent it yet); always after that, since an
        upload cut short by a crash may have completed on the server."""
        return not (blob.fresh and item.attempts == 1)

    def _upload(self, ref: str, sha256: str, content_type: str, *, check: bool = True) -> None:
        if not (check and self._client.material_exists(sha256)):
            self._client.upload_material(sha256, content_type, self._outbox.read_blob(sha256))
        self._outbox.mark_uploaded(ref, sha256)

    # ------------------------------------------------------------------ the submit screen

    def submit_and_wait(self, ref: str, timeout_s: float) -> CaseRecord | None:
        """Wake the sender and wait up to ``timeout_s`` (real time: it waits for the
        sender thread) for ``ref`` to be delivered or refused.

        Returns the final record, or the still-pending one when time ran out: the
        receipt then says the case will be forwarded.
        """
        self.wake()

        def settled() -> bool:
            rec = self._outbox.record(ref)
            return rec is None or rec.state in (CaseState.DELIVERED, CaseState.REFUSED)

        with self._done:
            self._done.wait_for(settled, timeout=timeout_s)
        return self._outbox.record(ref)


@dataclass
class Submission:
    """The outbox, the back-office client and the sender, built together from config.
    ``sender`` is the thread of this process, or with ``outbox.sender: service`` the
    UI's handle on the sender service (kiosk/submission/remote.py)."""

    outbox: Outbox
    client: BackofficeClient
    sender: Sender | RemoteSender

    def close(self) -> None:
        self.sender.stop()
        self.client.close()
        self.outbox.close()


def build_submission(config: KioskConfig, *, clock: Clock, rng: random.Random,
                     environ: Mapping[str, str] | None = None, create_key: bool = False,
                     session: requests.Session | None = None,
                     role: str = "ui") -> Submission:
    """Open the outbox (:class:`OutboxKeyError` if its key is missing or wrong), read
    the terminal secret and build the sender (not started: call ``sender.start()``).

    ``role``: ``"ui"`` follows ``outbox.sender`` (``service``: the outbox is opened
    without its drain lock and the sender is the service's handle); ``"service"`` is
    the sender service itself (it always drains).

    :class:`ConfigError` for the example reference prefix outside the simulated
    environment (kiosk/submission/reference.py ``require_own_prefix``)."""
    require_own_prefix(config.terminal.ref_prefix, simulated=config.terminal.simulated)
    remote = role == "ui" and config.outbox.sender == "service"
    outbox = Outbox.from_config(config, clock=clock, environ=environ, create_key=create_key,
                                drain=not remote)
    try:
        client = BackofficeClient.from_config(config, clock=clock, session=session)
    except BaseException:
        outbox.close()
        raise
    sender: Sender | RemoteSender = RemoteSender(outbox) if remote else Sender(
        outbox, client, RetryPolicy.from_config(config.outbox.retry), clock=clock, rng=rng)
    return Submission(outbox, client, sender)
