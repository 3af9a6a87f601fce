"""Builders of realistic cases for the submission tests (not a test module)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from kiosk.identity import id_check_char
from kiosk.submission.cases import (
    Applicant,
    Blob,
    Case,
    DeferredMaterial,
    Material,
    Rating,
    Verification,
)

CREATED = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


def id_number(serial: int = 123) -> str:
    first17 = f"33018119900101{serial % 1000:03d}"
    return first17 + id_check_char(first17)


def fake_jpeg(seed: str, size: int = 2000) -> bytes:
    """Bytes that start like a JPEG; unique per seed; ``size`` long."""
    head = b"\xff\xd8\xff\xe0" + seed.encode()
    filler = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    return (head + filler)[: max(size, len(head))]


def make_case(tag: str = "a", *, pages: int = 2, page_size: int = 2000,
              shared_page: bool = False, terminal_id: str = "XS-DEV-0001",
              serial: int = 123) -> Case:
    page_blobs = tuple(Blob("image/jpeg", fake_jpeg(f"{tag}-{i}", page_size))
                       for i in range(pages))
    if shared_page:
        page_blobs = (*page_blobs, Blob("image/jpeg", fake_jpeg("shared", page_size)))
    return Case(
        item_code="330109-HJ-001",
        applicant=Applicant(id_number=id_number(serial), name="张三", sex="1", nation="01",
                            birth=date(1990, 1, 1), address="浙江省杭州市萧山区",
                            card_type="resident", card_valid_to=date(2030, 1, 1)),
        verification=Verification("card+face", 0.71, CREATED),
        form={"phone": "13800000000", "tag": tag},
        materials=(Material("M01", "居民户口簿", page_blobs),),
        site_id="township",
        terminal_id=terminal_id,
        created_at=CREATED,
        deferred=(DeferredMaterial("M03", "结婚证", date(2026, 12, 6)),),
        signature=Blob("image/png", b"\x89PNG\r\n\x1a\n" + tag.encode() * 10),
        rating=Rating(5, ("fast",)),
    )
