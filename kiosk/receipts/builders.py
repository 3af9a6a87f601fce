"""Builders: plain inputs -> :class:`~devices.printer.document.Document`.

Every printout has the same frame, so they look like one family: the site name,
a large title, a double rule, "label：value" lines whose values wrap under
themselves, single rules between sections, and a footer with the terminal and
the time. All wording comes from the ``receipt`` i18n domain; dates are China
time (``kiosk.clock.CST``); names and ID numbers are masked here.
"""

from __future__ import annotations

from datetime import date, datetime

from devices.printer.document import (
    DOUBLE,
    HUGE,
    Align,
    Block,
    Cut,
    Document,
    Feed,
    Paragraph,
    QrCode,
    Run,
    Separator,
    para,
)
from devices.printer.layout import text_width
from kiosk.clock import CST
from kiosk.privacy import mask_id, mask_name
from kiosk.receipts.inputs import (
    ChecklistInput,
    Collection,
    OwedMaterial,
    QueryResultInput,
    QueueTicketInput,
    ReceiptInput,
    TestPageInput,
)
from kiosk.receipts.texts import Texts


def _pad(label: str, cols: int, colon: str) -> str:
    """Label and colon, ``cols + width(colon)`` wide: Chinese labels spread their
    characters (申 请 人：, as printed forms do), others get spaces after the colon."""
    gap = cols - text_width(label)
    chars = list(label)
    if gap > 0 and len(chars) > 1 and all(text_width(c) == 2 for c in chars):
        slots = len(chars) - 1
        out = chars[0]
        for i, c in enumerate(chars[1:]):
            out += " " * (gap // slots + (1 if i < gap % slots else 0)) + c
        return out + colon
    return label + colon + " " * max(0, gap)


def query_url(base: str, kiosk_ref: str, token: str = "") -> str:
    """The progress link a receipt's QR code carries; with the case's query token
    when known (a kiosk then shows the case without asking for the card)."""
    return f"{base.rstrip('/')}/q/{kiosk_ref}" + (f"?t={token}" if token else "")


class _Frame:
    def __init__(self, texts: Texts) -> None:
        self.t = texts
        self.blocks: list[Block] = []
        self.label_cols = 0

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def header(self, site: str, title_key: str) -> None:
        self.add(para(site, bold=True, align=Align.CENTER),
                 para(self.t.gettext(title_key), bold=True, align=Align.CENTER, size=DOUBLE),
                 Separator("="))

    def labels(self, *keys: str) -> None:
        """Align the values of the "label：value" lines that use these labels."""
        self.label_cols = max(text_width(self.t.gettext(k)) for k in keys)

    def kv(self, label_key: str, value: str, *, bold: bool = False) -> None:
        colon = self.t.gettext("receipt.colon")
        label = _pad(self.t.gettext(label_key), self.label_cols, colon)
        self.add(Paragraph((Run(label), Run(value, bold)), hanging=text_width(label)))

    def heading(self, key: str) -> None:
        self.add(para(self.t.gettext(key) + self.t.gettext("receipt.colon"), bold=True))

    def numbered(self, items: list[str]) -> None:
        for i, text in enumerate(items, 1):
            prefix = f"{i}. "
            self.add(para(prefix + text, indent=2, hanging=len(prefix)))

    def when(self, at: datetime) -> str:
        local = at.astimezone(CST)
        return self.t.gettext("receipt.fmt.datetime", y=local.year, m=local.month, d=local.day,
                              hh=local.hour, mm=local.minute)

    def day(self, day: date) -> str:
        return self.t.gettext("receipt.fmt.date", y=day.year, m=day.month, d=day.day)

    def collection(self, c: Collection) -> str:
        if c.instruction:
            return f"{c.instruction} {c.note}".strip()
        suffix = "" if c.place else "_any"
        text = self.t.gettext(f"receipt.collect.{c.method}{suffix}", place=c.place)
        return f"{text} {c.note}".strip()

    def owed(self, owed: tuple[OwedMaterial, ...]) -> None:
        self.heading("receipt.label.owed")
        self.numbered([m.name + self.paren(self.t.gettext("receipt.owed.deadline",
                                                          date=self.day(m.deadline)))
                       for m in owed])

    def paren(self, text: str) -> str:
        return self.t.gettext("receipt.paren", text=text)

    def footer(self, line: str) -> None:
        self.add(Separator("-"), para(line, align=Align.CENTER), Feed(2), Cut())

    def document(self, kind: str, **meta: str) -> Document:
        return Document(kind, tuple(self.blocks), self.t.lang, dict(meta))


def build_acceptance(data: ReceiptInput, texts: Texts) -> Document:
    """受理回执."""
    f = _Frame(texts)
    t = texts.gettext
    f.header(data.site_name, "receipt.acceptance.title")
    f.labels("receipt.label.time", "receipt.label.item", "receipt.label.applicant",
             "receipt.label.id_number", "receipt.label.kiosk_ref", "receipt.label.case_number",
             "receipt.label.promised", "receipt.label.collect")
    f.kv("receipt.label.time", f.when(data.accepted_at))
    f.kv("receipt.label.item", data.item_name, bold=True)
    f.kv("receipt.label.applicant", mask_name(data.applicant_name))
    f.kv("receipt.label.id_number", mask_id(data.id_number))
    f.kv("receipt.label.kiosk_ref", data.kiosk_ref, bold=True)
    f.kv("receipt.label.case_number", data.case_number or t("receipt.case_number.pending"),
         bold=data.case_number is not None)
    f.add(Separator("-"))
    f.heading("receipt.label.received")
    f.numbered(list(data.materials_received) or [t("receipt.none")])
    if data.materials_owed:
        f.owed(data.materials_owed)
    f.add(Separator("-"))
    if data.promised_date is not None:
        f.kv("receipt.label.promised", f.day(data.promised_date), bold=True)
    elif data.promised_days is not None:
        f.kv("receipt.label.promised", t("receipt.promised.within", days=data.promised_days),
             bold=True)
    f.kv("receipt.label.collect", f.collection(data.collection) if data.collection
         else t("receipt.collect.later"))
    url = query_url(data.query_base_url, data.kiosk_ref, data.query_token)
    f.add(Feed(1), QrCode(url), para(t("receipt.qr.caption"), align=Align.CENTER),
          para(url, align=Align.CENTER))
    if data.queued_offline:
        f.add(Separator("-"), para(t("receipt.offline.note"), bold=True))
    f.add(Separator("-"), para(t("receipt.footer.keep")))
    f.footer(t("receipt.footer.terminal", terminal=data.terminal_id,
               time=f.when(data.accepted_at)))
    return f.document("acceptance", ref=data.kiosk_ref)


def build_checklist(data: ChecklistInput, texts: Texts) -> Document:
    """一次性告知书."""
    f = _Frame(texts)
    t = texts.gettext
    f.header(data.site_name, "receipt.checklist.title")
    f.labels("receipt.checklist.item", "receipt.checklist.department",
             "receipt.checklist.time_limit", "receipt.checklist.fee", "receipt.checklist.place",
             "receipt.checklist.phone")
    f.kv("receipt.checklist.item", data.item_name, bold=True)
    f.kv("receipt.checklist.department", data.department)
    if data.conditions:
        f.add(Separator("-"))
        f.heading("receipt.checklist.conditions")
        f.numbered(list(data.conditions))
    f.add(Separator("-"))
    f.heading("receipt.checklist.materials")
    lines = []
    for m in data.materials:
        notes = [t("receipt.checklist.original")] if m.original else []
        if m.copies:
            notes.append(t("receipt.checklist.copies", n=m.copies))
        if m.deferrable:
            notes.append(t("receipt.checklist.deferrable"))
        if m.note:
            notes.append(m.note)
        detail = t("receipt.list_sep").join(notes)
        lines.append(m.name + f.paren(detail) if detail else m.name)
    f.numbered(lines)
    f.add(Separator("-"))
    if data.promised_days is not None:
        f.kv("receipt.checklist.time_limit",
             t("receipt.checklist.days", days=data.promised_days))
    f.kv("receipt.checklist.fee", data.fee or t("receipt.checklist.fee_free"))
    if data.place:
        f.kv("receipt.checklist.place", data.place)
    if data.phone:
        f.kv("receipt.checklist.phone", data.phone)
    f.add(Separator("-"), para(t("receipt.checklist.notice"), bold=True))
    f.footer(t("receipt.footer.printed", time=f.when(data.printed_at)))
    return f.document("checklist")


def build_queue_ticket(data: QueueTicketInput, texts: Texts) -> Document:
    """取号."""
    f = _Frame(texts)
    t = texts.gettext
    f.header(data.site_name, "receipt.ticket.title")
    f.add(Feed(1), para(data.number, bold=True, align=Align.CENTER, size=HUGE),
          para(data.service_name, align=Align.CENTER), Feed(1),
          para(t("receipt.ticket.waiting", n=data.waiting), align=Align.CENTER))
    if data.window_hint:
        f.add(para(data.window_hint, align=Align.CENTER))
    f.add(Separator("-"), para(t("receipt.ticket.notice")))
    f.footer(t("receipt.ticket.time", time=f.when(data.issued_at)))
    return f.document("ticket", number=data.number)


def build_query_result(data: QueryResultInput, texts: Texts) -> Document:
    """办件进度 slip (from CaseStatus: no personal data on it)."""
    f = _Frame(texts)
    t = texts.gettext
    f.header(data.site_name, "receipt.query.title")
    f.labels("receipt.label.item", "receipt.label.kiosk_ref", "receipt.label.case_number",
             "receipt.query.status", "receipt.label.collect")
    f.kv("receipt.label.item", data.item_name, bold=True)
    f.kv("receipt.label.kiosk_ref", data.kiosk_ref)
    if data.case_number:
        f.kv("receipt.label.case_number", data.case_number)
    f.kv("receipt.query.status", t(f"receipt.status.{data.status}"), bold=True)
    f.add(Separator("-"))
    f.heading("receipt.query.timeline")
    for entry in data.timeline:
        line = f"{f.when(entry.at)}  {t(f'receipt.status.{entry.status}')}"
        f.add(para(line))
        if entry.note:
            f.add(para(entry.note, indent=4))
    if data.owed_materials:
        f.add(Separator("-"))
        f.owed(data.owed_materials)
    if data.collection:
        f.add(Separator("-"))
        f.kv("receipt.label.collect", f.collection(data.collection))
    url = query_url(data.query_base_url, data.kiosk_ref)
    f.add(Feed(1), QrCode(url), para(t("receipt.qr.caption"), align=Align.CENTER))
    f.footer(t("receipt.footer.printed", time=f.when(data.printed_at)))
    return f.document("query", ref=data.kiosk_ref)


def build_test_page(data: TestPageInput, texts: Texts) -> Document:
    """Technician test page: rulers, styles, alignment, Chinese, QR."""
    f = _Frame(texts)
    t = texts.gettext
    f.header(data.printer_name, "receipt.test.title")
    f.labels("receipt.test.terminal", "receipt.test.time")
    f.kv("receipt.test.terminal", data.terminal_id)
    f.kv("receipt.test.time", f.when(data.printed_at))
    for line in data.profile_lines:
        f.add(para(line))
    f.add(Separator("-"), para("".join(str(i % 10) for i in range(1, 49))),
          para("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 !#%&*+-/=?@"),
          para(t("receipt.test.chinese")),
          para(t("receipt.test.bold"), bold=True),
          para(t("receipt.test.double"), size=DOUBLE),
          para(t("receipt.test.left")),
          para(t("receipt.test.center"), align=Align.CENTER),
          para(t("receipt.test.right"), align=Align.RIGHT))
    if data.include_rare:
        f.add(para(t("receipt.test.rare") + " 䶮 𠮷 𡈼 𪚥"))
    f.add(Separator("-"), QrCode(data.qr_payload),
          para(t("receipt.test.qr"), align=Align.CENTER))
    f.footer(t("receipt.test.end"))
    return f.document("testpage")
