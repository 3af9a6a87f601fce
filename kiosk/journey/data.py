"""The data of one citizen journey and the rules it runs under.

Split from :mod:`kiosk.journey.apply` (which holds the machine and its effects):
:class:`JourneySettings` (per-terminal rules from kiosk.yaml), the
:class:`SubmitOutcome` the runner reports, and :class:`JourneyData`, the only
place personal data of a journey lives, with its :meth:`JourneyData.wipe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from kiosk.config.model import KioskConfig
from kiosk.identity import Identity
from kiosk.submission.cases import Rating, Verification

FaceFallback = Literal["staff", "deny"]
#: The rating reasons offered (i18n keys ``workflow.rating.reason.<r>``).
RATING_REASONS = ("fast", "clear", "easy", "helpful_staff", "slow", "confusing",
                  "device_problem", "too_many_materials")


class FaceDecisionLike(Protocol):
    @property
    def outcome(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def score(self) -> float | None: ...


class FaceStepLike(Protocol):
    """What :meth:`Journey.on_face_step` needs of ``kiosk.face.verify.Step``."""

    @property
    def prompt(self) -> str: ...
    @property
    def decision(self) -> FaceDecisionLike | None: ...
    @property
    def retrying(self) -> bool: ...


@dataclass(frozen=True)
class JourneySettings:
    """Per-terminal rules of a journey (from kiosk.yaml and the site profile)."""

    site_id: str
    terminal_id: str
    face_max_attempts: int = 3
    face_fallback: FaceFallback = "staff"
    #: Ends the session when the card leaves the reader after it was read.
    card_must_stay: bool = True
    #: 亮码: the site offers identity codes and has a code scanner (items may still refuse).
    code_identity: bool = False

    @classmethod
    def from_config(cls, config: KioskConfig, site_id: str, *,
                    code_identity: bool = False) -> JourneySettings:
        return cls(site_id=site_id, terminal_id=config.terminal.id,
                   face_max_attempts=config.face.max_attempts,
                   face_fallback=config.face.fallback, code_identity=code_identity)


@dataclass(frozen=True)
class SubmitOutcome:
    """What the submission gave: kiosk references always, case numbers when in time."""

    kiosk_refs: tuple[str, ...]
    case_numbers: tuple[str | None, ...] = ()
    #: 承诺办结 per case (China working days from the filing day); None when unknown.
    promised_dates: tuple[date | None, ...] = ()
    #: Per case: the progress link its receipt's QR code carries (with the case's query
    #: token); empty when the terminal has no query address.
    query_links: tuple[str, ...] = ()

    @property
    def forwarded(self) -> bool:
        """The back office did not answer in time: the receipt says "will be forwarded"."""
        return not self.case_numbers or any(n is None for n in self.case_numbers)


@dataclass
class JourneyData:
    """Everything the citizen handed over in this journey; memory only."""

    identity: Identity | None = None
    #: Where the identity came from: the card on the reader, or an identity code (亮码).
    identity_source: Literal["card", "code"] | None = None
    #: The identity code being resolved (code_checking); dropped once it is answered.
    code: str | None = None
    verification: Verification | None = None
    face_failures: int = 0
    ticked: set[str] = field(default_factory=set)
    deferred: dict[str, date] = field(default_factory=dict)
    pages: dict[str, list[tuple[str, bytearray]]] = field(default_factory=dict)
    form: dict[str, object] = field(default_factory=dict)
    form_errors: dict[str, str] = field(default_factory=dict)
    signature: bytearray | None = None
    rating: Rating | None = None
    outcome: SubmitOutcome | None = None
    error_key: str | None = None
    resume_state: str | None = None
    notice: str | None = None
    #: The citizen asked to end the session (取消办理) and is being asked to confirm.
    leave_asked: bool = False

    def entered_anything(self) -> bool:
        """Whether ending now would throw away something the citizen handed over."""
        return bool(self.identity is not None or self.ticked or self.deferred or self.pages
                    or self.form or self.signature is not None)

    def wipe(self) -> None:
        for pages in self.pages.values():
            for _, buf in pages:
                buf[:] = bytes(len(buf))
        if self.signature is not None:
            self.signature[:] = bytes(len(self.signature))
        fresh = JourneyData()
        for name in vars(fresh):
            setattr(self, name, getattr(fresh, name))
