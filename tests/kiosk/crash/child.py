"""The kiosk side of the crash test, run as a child process that gets SIGKILLed.

    python tests/kiosk/crash/child.py WORKDIR URL TRIAL [--cases N] [--backlog]
           [--kill-point NAME --kill-at K] [--final]

Opens the outbox (recovering whatever the previous, killed child left), then
for each case: enqueue it, append ``receipt reached: REF`` to WORKDIR/receipts
with fsync (the moment a real kiosk may print the receipt), and run the sender
until nothing is due (pipelined, as the sender's thread drains). With ``--backlog`` the
cases are all enqueued first and then drained together (a kiosk back online), so a kill
can land while one case is out and the previous answer is being recorded. With
``--kill-point`` it announces ``point NAME`` on stdout at the K-th time it reaches NAME
and waits there to be killed. ``--final`` only
drains what is left and exits 0 when the outbox holds nothing pending.

Progress lines on stdout: ``open``, ``point NAME``, ``done``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from kiosk.clock import SystemClock
from kiosk.submission.client import BackofficeClient, CaseReceipt
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender
from tests.kiosk.case_factory import make_case

KEY = bytes(range(32))
POINTS = ("enqueued", "receipt", "before_upload", "after_upload", "before_post", "after_post",
          "delivered")


class Points:
    def __init__(self, name: str | None, at: int) -> None:
        self.name, self.at, self.seen = name, at, 0

    def reach(self, name: str) -> None:
        if name != self.name:
            return
        self.seen += 1
        if self.seen == self.at:
            sys.stdout.write(f"point {name}\n")
            sys.stdout.flush()
            sys.stdin.read()  # blocks until the parent's SIGKILL
            raise SystemExit("parent did not kill at the point")


class HookedClient(BackofficeClient):
    points: Points

    def upload_material(self, sha256: str, content_type: str, data: bytes) -> None:
        self.points.reach("before_upload")
        super().upload_material(sha256, content_type, data)
        self.points.reach("after_upload")

    def create_case_bundle(self, kiosk_ref: str, body: bytes, blobs: list[bytes], *,
                           digests: list[str] | None = None) -> CaseReceipt:
        # One request carries the pages and the case: the upload points are its own.
        self.points.reach("before_upload")
        self.points.reach("before_post")
        receipt = super().create_case_bundle(kiosk_ref, body, blobs, digests=digests)
        self.points.reach("after_upload")
        self.points.reach("after_post")
        return receipt

    def create_case(self, kiosk_ref: str, body: bytes) -> CaseReceipt:
        self.points.reach("before_post")
        receipt = super().create_case(kiosk_ref, body)
        self.points.reach("after_post")
        return receipt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir", type=Path)
    ap.add_argument("url")
    ap.add_argument("trial", type=int)
    ap.add_argument("--cases", type=int, default=3)
    ap.add_argument("--kill-point", choices=POINTS)
    ap.add_argument("--kill-at", type=int, default=1)
    ap.add_argument("--final", action="store_true")
    ap.add_argument("--backlog", action="store_true")
    ap.add_argument("--national", action="store_true",
                    help="the national suite: SM4-GCM outbox, HMAC-SM3 signatures")
    args = ap.parse_args()
    points = Points(args.kill_point, args.kill_at)
    clock = SystemClock()
    secret = bytes.fromhex((args.workdir / "terminal.key").read_text().strip())
    outbox = Outbox(args.workdir / "outbox.sqlite3",
                    Sealer(KEY, "sm4-gcm" if args.national else "aes-256-gcm"),
                    ref_prefix="XD", clock=clock)
    print("open", flush=True)
    client = HookedClient(args.url, "XS-DEV-0001", secret, clock=clock,
                          connect_timeout_s=2, read_timeout_s=20,
                          suite="hmac-sm3" if args.national else "hmac-sha256")
    client.points = points
    # Even trials deliver in case bundles, odd ones as older terminals do (separate uploads).
    sender = Sender(outbox, client, RetryPolicy(base_s=0.01, cap_s=0.2, jitter=0.5), clock=clock,
                    rng=random.Random(args.trial), bundles=args.trial % 2 == 0)

    def drain() -> None:
        # A killed peer can leave the server briefly busy: skip queue holds, bounded.
        for _ in range(10_000):
            if not sender.drain(ignore_hold=True):
                if outbox.stats().pending == 0:
                    return
                clock.sleep(0.01)
        raise SystemExit("outbox did not drain")

    receipts = os.open(args.workdir / "receipts", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    if not args.final:
        for i in range(args.cases):
            ref = outbox.enqueue(make_case(f"t{args.trial}-{i}", pages=2, page_size=6000,
                                           serial=args.trial))
            points.reach("enqueued")
            os.write(receipts, f"receipt reached: {ref}\n".encode())
            os.fsync(receipts)
            points.reach("receipt")
            if not args.backlog:
                drain()
                points.reach("delivered")
        if args.backlog:
            drain()
            points.reach("delivered")
    drain()
    os.close(receipts)
    outbox.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
