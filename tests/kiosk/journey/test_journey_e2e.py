"""Journeys end to end on the core: the real outbox, sender and back office (subprocess),
the real receipt printer driver against the ESC/POS emulator (TCP), no screens.

Three items from the sample catalog (a simple one, a 两证联办 bundle, one with a
容缺 material) reach the back office and print a receipt; then the faults: paper
out at the receipt, the back office down. No case is lost in any of them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devices.printer.drivers import NetworkPrinter
from devices.printer.emulator import PrinterEmulator
from devices.printer.glyphs import GlyphCache
from devices.printer.profile import profile_for
from kiosk.catalog import load_catalog
from kiosk.clock import SystemClock
from kiosk.desk.journeys import QueryJourney, TaskRunner
from kiosk.desk.tasks import query_tasks
from kiosk.i18n.translate import Translator
from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from kiosk.journey.runner import JourneyRunner, ReceiptContext
from kiosk.journey.script import to_rating
from kiosk.receipts.service import ReceiptService
from kiosk.submission.client import BackofficeClient
from kiosk.submission.crypto import Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.retry import RetryPolicy
from kiosk.submission.sender import Sender
from tests.kiosk.crash.live_backoffice import LiveBackoffice
from tests.kiosk.journey_factory import identity

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalog(ROOT / "config" / "catalog")
SIMPLE, BUNDLE, DEFERRED = "330109-HJ-001", "330109-NY-B01", "330109-HJ-003"
QUERY_BASE = "https://query.zhengwu.example"


@dataclass
class Kiosk:
    bo: LiveBackoffice
    emulator: PrinterEmulator
    outbox: Outbox
    client: BackofficeClient
    sender: Sender
    receipts: ReceiptService

    def journey(self, code: str, *, wait_s: float = 30.0) -> tuple[Journey, JourneyRunner]:
        clock = SystemClock()
        j = Journey(plan_for(code, CATALOG),
                    JourneySettings(site_id="township", terminal_id=self.bo.terminal_id),
                    clock=clock)
        runner = JourneyRunner(j, queue=self.outbox, waiter=self.sender,
                               printer=self.receipts, clock=clock, submit_wait_s=wait_s,
                               context=ReceiptContext("城厢街道便民服务中心", QUERY_BASE,
                                                      query_token=self.client.query_token))
        return j, runner


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    bo = LiveBackoffice(tmp_path).start()
    emulator = PrinterEmulator(tmp_path / "receipts", port=0, glyphs=GlyphCache()).start()
    clock = SystemClock()
    outbox = Outbox(tmp_path / "outbox.sqlite3", Sealer(os.urandom(32)), ref_prefix="XD",
                    clock=clock)
    client = BackofficeClient(bo.url, bo.terminal_id, bo.secret, clock=clock,
                              connect_timeout_s=1, read_timeout_s=10)
    sender = Sender(outbox, client, RetryPolicy(base_s=0.05, cap_s=0.5, multiplier=2,
                                                jitter=0.5),
                    clock=clock, rng=random.Random(7), idle_s=0.2)
    printer = NetworkPrinter("printer", profile_for(80), "127.0.0.1", emulator.port,
                             glyphs=GlyphCache())
    printer.open()
    sender.start()
    k = Kiosk(bo, emulator, outbox, client, sender,
              ReceiptService(printer, Translator("zh_CN")))
    try:
        yield k
    finally:
        sender.stop()
        printer.close()
        outbox.close()
        client.close()
        emulator.stop()
        bo.stop()


def walk(j: Journey, *, defer: bool = False) -> None:
    """The citizen's part, from the card to the rating."""
    to_rating(j, identity(), defer=defer, face_score=0.81, reasons=("fast",))


def why_not_delivered(kiosk: Kiosk, runner: JourneyRunner) -> str:
    """The outbox records and the back office's log tail, for a failure message."""
    records = [kiosk.outbox.record(ref) for ref in runner.enqueued.values()]
    return f"{records}\n{kiosk.bo.log_tail()}"


def test_three_items_reach_the_back_office_and_print(kiosk: Kiosk) -> None:
    printed = 0
    for code, defer in ((SIMPLE, False), (BUNDLE, False), (DEFERRED, True)):
        j, runner = kiosk.journey(code)
        walk(j, defer=defer)
        assert j.state == "done", (code, j.state, j.data.error_key)
        assert j.data.outcome is not None
        assert not j.data.outcome.forwarded, why_not_delivered(kiosk, runner)
        printed += len(j.plan.items)
        jobs = kiosk.emulator.wait_for_jobs(printed, timeout_s=30)
        for ref, job in zip(runner.enqueued.values(), jobs[-len(j.plan.items):], strict=True):
            assert job.complete and job.path.exists()
            assert any(ref in q for q in job.qr_payloads)
    cases = {c["kiosk_ref"]: c for c in kiosk.bo.staff_cases()}
    assert len(cases) == 4
    bundle = [c for c in cases.values() if c["item_code"] in ("330109-NY-001", "330109-NY-002")]
    assert len(bundle) == 2
    owed = next(c for c in cases.values() if c["item_code"] == DEFERRED)["owed_materials"]
    deferrable = {m.code for m in CATALOG.item(DEFERRED).materials if m.deferrable}
    assert {m["code"] for m in owed} == deferrable


def test_paper_out_at_the_receipt_loses_no_case(kiosk: Kiosk) -> None:
    kiosk.emulator.set_faults(paper="out")
    j, runner = kiosk.journey(SIMPLE)
    walk(j)
    assert j.state == "reprint" and j.view()["error_key"] == "error.paper_out"
    (ref,) = runner.enqueued.values()
    # the screen offers the receipt's own QR while the paper is out: the link that
    # opens the case at any kiosk or on a phone (its token checked by the back office)
    assert j.view()["qr"] == f"{QUERY_BASE}/q/{ref}?t={kiosk.client.query_token(ref)}"
    assert [c["kiosk_ref"] for c in kiosk.bo.staff_cases()] == [ref]
    kiosk.emulator.set_faults(paper="ok")
    j.fire("reprint")
    assert j.state == "done"
    assert any(ref in q for q in kiosk.emulator.wait_for_jobs(1, timeout_s=30)[-1].qr_payloads)


def test_back_office_down_prints_forwarded_then_delivers(kiosk: Kiosk) -> None:
    kiosk.bo.stop()
    j, runner = kiosk.journey(SIMPLE, wait_s=0.5)
    walk(j)
    assert j.state == "done" and j.data.outcome is not None and j.data.outcome.forwarded
    (ref,) = runner.enqueued.values()
    kiosk.bo.start()
    kiosk.sender.wake()
    record = kiosk.sender.submit_and_wait(ref, timeout_s=60)
    assert record is not None and record.case_number
    # Any terminal can follow the case by the receipt's QR (全区通办): the QR the
    # receipt printed carries the case's query token beside the reference.
    (payload,) = [q for q in kiosk.emulator.wait_for_jobs(1, timeout_s=30)[-1].qr_payloads
                  if ref in q]
    assert payload == f"{QUERY_BASE}/q/{ref}?t={kiosk.client.query_token(ref)}"
    q = QueryJourney()
    TaskRunner(q, query_tasks(q, kiosk.client, SystemClock()))
    q.fire("qr_scanned", payload=payload)
    assert q.state == "timeline" and q.view()["case"]["status"] == "submitted"
    # The bare reference (typed, or a photo of half the QR) shows nothing without the card.
    bare = QueryJourney()
    TaskRunner(bare, query_tasks(bare, kiosk.client, SystemClock()))
    bare.fire("qr_scanned", payload=f"{QUERY_BASE}/q/{ref}")
    assert bare.state == "start" and bare.view()["notice"] == "workflow.query.bad_qr"
    # And the applicant by card sees it in the list.
    by_card = QueryJourney()
    TaskRunner(by_card, query_tasks(by_card, kiosk.client, SystemClock()))
    by_card.fire("card_read", identity=identity())
    assert by_card.state == "timeline"
    assert by_card.view()["case"]["kiosk_ref"] == ref
