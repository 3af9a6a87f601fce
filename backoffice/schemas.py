"""Request and response models: the shapes of backoffice/API.md.

They generate ``backoffice/openapi.json``. Free text refuses NUL (PostgreSQL
cannot store it); identifiers have patterns so that a malformed value is a
422 here instead of a surprise in the database.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SHA256_PATTERN = r"^[0-9a-f]{64}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN)]
Ident = Annotated[str, Field(pattern=ID_PATTERN)]
Text = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
ShortText = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
ContentType = Literal["image/jpeg", "image/png", "application/pdf"]


class CaseState(enum.StrEnum):
    SUBMITTED = "submitted"            # 已提交
    ACCEPTED = "accepted"              # 受理
    IN_REVIEW = "in_review"            # 审批中
    APPROVED = "approved"              # 办结
    REJECTED = "rejected"              # 不予受理
    NEEDS_SUPPLEMENT = "needs_supplement"  # 需补正
    READY_FOR_PICKUP = "ready_for_pickup"  # 待领取
    COLLECTED = "collected"            # 已领取


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- errors ----------------------------------------------------------------

class ErrorBody(BaseModel):
    error: str
    detail: str
    missing: list[str] | None = None


# ---- health and catalog ----------------------------------------------------

class Health(BaseModel):
    status: Literal["ok"]
    time: AwareDatetime


class Catalog(BaseModel):
    """``version`` and ``items`` are the contract; the rest is the whole catalog besides."""

    version: str
    items: list[dict[str, Any]]
    #: SHA-256 of the canonical JSON of the catalog document (kiosk/catalog/document.py).
    digest: str = ""
    sample: bool = False
    bundles: list[dict[str, Any]] = []
    departments: list[dict[str, Any]] = []
    life_events: list[dict[str, Any]] = []


# ---- materials -------------------------------------------------------------

class StoredMaterial(BaseModel):
    sha256: str
    size: int


# ---- case submission (schema 1) ----------------------------------------------

class Applicant(BaseModel):
    # Card readers differ in what they return (permits carry more fields):
    # unknown applicant fields are kept, not refused.
    model_config = ConfigDict(extra="allow")

    id_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{6,32}$")]
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    sex: ShortText | None = None
    nation: ShortText | None = None
    birth: date | None = None
    address: Text | None = None
    card_type: ShortText = "resident"
    # 长期 (long-term) cards have no end date, so this stays text.
    card_valid_to: ShortText | None = None


class Verification(Strict):
    method: Annotated[str, Field(pattern=r"^[a-z+_-]{1,32}$")]
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    verified_at: AwareDatetime


class Page(Strict):
    sha256: Sha256
    content_type: ContentType
    size: Annotated[int, Field(ge=1, le=10 * 1024 * 1024)]


class MaterialRef(Strict):
    code: Ident
    name: ShortText
    pages: Annotated[list[Page], Field(min_length=1, max_length=100)]


class OwedMaterialIn(Strict):
    code: Ident
    name: ShortText
    deadline: date | None = None


class Rating(Strict):
    score: Annotated[int, Field(ge=1, le=5)]
    reasons: Annotated[list[ShortText], Field(max_length=20)] = []


class CaseSubmission(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = Field(alias="schema")
    kiosk_ref: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")]
    item_code: Ident
    bundle_code: Ident | None = None
    site_id: Ident
    terminal_id: Ident
    created_at: AwareDatetime
    applicant: Applicant
    verification: Verification
    form: dict[str, Any] = {}
    materials: Annotated[list[MaterialRef], Field(max_length=100)] = []
    deferred_materials: Annotated[list[OwedMaterialIn], Field(max_length=100)] = []
    signature: Page | None = None
    rating: Rating | None = None


# ---- receipts and status ---------------------------------------------------

class CaseReceipt(BaseModel):
    case_number: str
    kiosk_ref: str
    status: CaseState
    received_at: AwareDatetime


class OwedMaterialOut(BaseModel):
    code: str
    name: str
    deadline: date | None


class Collect(Strict):
    method: Literal["window", "mail", "kiosk"]
    place: ShortText = ""
    note: ShortText = ""


class TimelineEntry(BaseModel):
    status: CaseState
    at: AwareDatetime
    note: str


class CaseStatus(CaseReceipt):
    item_code: str
    owed_materials: list[OwedMaterialOut]
    collect: Collect | None
    timeline: list[TimelineEntry]


class CaseList(BaseModel):
    cases: list[CaseStatus]


# ---- applicants ------------------------------------------------------------

class VerificationReport(Strict):
    """The applicant a terminal just verified (card read, face compared)."""

    id_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{6,32}$")]
    method: Annotated[str, Field(pattern=r"^[a-z+_-]{1,32}$")]
    score: Annotated[float, Field(ge=0, le=1)] | None = None


class VerificationRecorded(BaseModel):
    verification_id: str
    recorded_at: AwareDatetime
    expires_at: AwareDatetime


class ApplicantQuery(Strict):
    verification_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,32}$")]


# ---- terminals -------------------------------------------------------------

class DeviceHealth(Strict):
    state: ShortText
    media: ShortText | None = None
    reason: Text | None = None


class OutboxHealth(Strict):
    pending: Annotated[int, Field(ge=0, le=10**9)]
    refused: Annotated[int, Field(ge=0, le=10**9)]


class FailedUpdate(Strict):
    """An upgrade that did not report healthy and was rolled back (scripts/install)."""

    version: ShortText
    previous: ShortText
    at: ShortText
    reason: Text


class ReleaseHealth(Strict):
    #: The release the terminal runs.
    version: ShortText
    #: The last upgrade that was rolled back, until a later one succeeds.
    failed: FailedUpdate | None = None
class FleetReport(Strict):
    """What a terminal runs on and what went wrong with fleet control (kiosk/fleet/)."""

    catalog_version: ShortText | None = None
    catalog_digest: ShortText | None = None
    #: served (fetched now), cached (the last good copy on disk), sample (config/catalog)
    catalog_source: Literal["served", "cached", "sample"] | None = None
    settings_version: Annotated[int, Field(ge=0, le=10**9)] | None = None
    maintenance: bool = False
    maintenance_reason: ShortText = ""
    #: The latest problems (a refused catalog, a refused command), newest last.
    problems: Annotated[list[Text], Field(max_length=10)] = []


class CatalogVersionRef(BaseModel):
    version: str
    digest: str


class SettingsVersionRef(BaseModel):
    site_id: str
    version: int
    digest: str


class SignedCommand(BaseModel):
    """A command in a heartbeat reply, signed by the server with the terminal's key:
    ``signature`` = HMAC (the terminal's suite) over
    ``kiosk.submission.signing.command_canonical(terminal_id, id, kind, args, issued_at)``."""

    id: str
    kind: str
    args: dict[str, Any]
    issued_at: str
    signature: str


class Heartbeat(Strict):
    time: AwareDatetime
    # patternProperties alone would let the schema allow any other key, which the
    # server refuses: the schema says so too.
    devices: Annotated[dict[Annotated[str, Field(pattern=ID_PATTERN)], DeviceHealth],
                       Field(max_length=50, json_schema_extra={
                           "additionalProperties": False,
                           "propertyNames": {"pattern": ID_PATTERN, "maxLength": 64}})] = {}
    outbox: OutboxHealth | None = None
    release: ReleaseHealth | None = None
    #: The site profile the terminal runs (its settings are announced in the reply).
    site_id: Ident | None = None
    fleet: FleetReport | None = None


class HeartbeatAck(BaseModel):
    server_time: AwareDatetime
    #: The catalog served now (GET /api/v1/catalog), and the site's settings.
    catalog: CatalogVersionRef | None = None
    settings: SettingsVersionRef | None = None
    #: Commands for this terminal without a result yet, oldest first, each signed.
    commands: list[SignedCommand] = []


class TerminalInfo(BaseModel):
    id: str
    ref_prefix: str | None = None
    last_seen_at: AwareDatetime | None
    health: dict[str, Any] | None


class TerminalList(BaseModel):
    terminals: list[TerminalInfo]


# ---- staff -----------------------------------------------------------------

class TransitionRequest(Strict):
    to: CaseState
    note: Text = ""
    staff: ShortText = ""
    materials: Annotated[list[OwedMaterialIn], Field(max_length=100)] = []
    collect: Collect | None = None


class MaterialReceived(Strict):
    staff: ShortText = ""
    note: Text = ""


class MaskedApplicant(BaseModel):
    id_number: str
    name: str


class StaffMaterial(BaseModel):
    code: str
    name: str
    pages: list[str]


class StaffCase(CaseStatus):
    terminal_id: str
    site_id: str
    applicant: MaskedApplicant
    materials: list[StaffMaterial]


class StaffCaseList(BaseModel):
    cases: list[StaffCase]


class AuditEntry(BaseModel):
    at: AwareDatetime
    actor: str
    action: str
    target: str
    detail: str


class AuditLog(BaseModel):
    events: list[AuditEntry]


#: A journey step as the kiosk names it (``checklist``, ``capture:HUKOU-BOOK``, ``done``).
STEP_PATTERN = r"^[a-z_]{1,32}(:[A-Za-z0-9][A-Za-z0-9_.-]{0,31})?$"


class AssistCall(Strict):
    """``POST /api/v1/assist``: a citizen asks for staff. Where they are in the journey,
    nothing about who they are."""

    item_code: Ident | None = None
    step: Annotated[str, Field(pattern=STEP_PATTERN)]


class AssistTicket(BaseModel):
    id: int
    number: str
    terminal_id: str
    item_code: str | None
    step: str
    created_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    closed_by: str | None = None


class AssistList(BaseModel):
    requests: list[AssistTicket]


# --------------------------------------------------------------------------- 亮码

#: An identity code as the platform prints it into the citizen's QR (backoffice/identitycodes.py).
IDENTITY_CODE_PATTERN = r"^ZJID1\.[A-Za-z0-9_-]{32}$"


class IdentityCodeQuery(Strict):
    """``POST /api/v1/identity/code``: the code a citizen showed the terminal's scanner.
    Any text up to 256 characters is looked up (one that is not a code is simply unknown)."""

    code: Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\x00]*$")]


class CodeIdentity(Strict):
    """Who the code stands for, as an ID card would give it (the kiosk's identity model)."""

    card_type: Literal["resident", "hmt_permit", "foreigner_2017", "foreigner_2023"] = "resident"
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    id_number: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{6,32}$")]
    #: GB/T 2261.1: "1" male, "2" female, "0" unknown, "9" unspecified.
    sex: Literal["0", "1", "2", "9"] = "0"
    #: GB 3304 code ("01".."56", "97", "98"); empty when the document has none.
    nation: Annotated[str, Field(pattern=r"^([0-9]{2})?$")] = ""
    birth: date | None = None
    address: Text = ""
    authority: ShortText = ""
    valid_from: date | None = None
    valid_to: date | None = None
    long_term: bool = False


class IdentityResolved(BaseModel):
    """The identity a code stood for; the code is used up by this answer."""

    identity: CodeIdentity
    #: The document photo the platform holds (JPEG, base64), for the terminal's face check
    #: against the person in front of it; null when the platform has none.
    photo_jpeg: str | None = None
    issued_at: AwareDatetime
# ---- fleet control: remote commands, catalog and site settings -------------------

#: What a technician may ask a terminal to do (backoffice/commands.py KINDS).
CommandKind = Literal["enter_maintenance", "leave_maintenance", "print_test_page",
                      "upload_diagnostics", "resync_catalog", "restart_app"]
CommandStatus = Literal["pending", "delivered", "done", "failed"]


class CommandRequest(Strict):
    """``POST /staff/terminals/{terminal_id}/commands``. ``args``: ``{"reason": text}``
    for ``enter_maintenance`` (shown to citizens as typed), nothing for the others."""

    # What backoffice/commands.py ARGS requires, said in the schema too (a client that
    # follows the schema is not refused): a reason that is not blank, or no arguments.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"if": {
        "properties": {"kind": {"const": "enter_maintenance"}}}, "then": {
        "required": ["args"], "properties": {"args": {
            "required": ["reason"], "maxProperties": 1,
            "properties": {"reason": {"type": "string", "pattern": r"\S"}}}}},
        "else": {"properties": {"args": {"maxProperties": 0}}}})

    kind: CommandKind
    args: dict[str, ShortText] = {}


class CommandResultIn(Strict):
    """``POST /api/v1/terminals/commands/{command_id}/result``: what the terminal did."""

    ok: bool
    detail: Text = ""
    data: Annotated[dict[str, Any], Field(max_length=20)] = {}


class CommandInfo(BaseModel):
    """A command as staff see it (and as backoffice/commands.py returns it)."""

    id: str
    terminal_id: str
    kind: str
    args: dict[str, Any]
    requested_by: str
    requested_at: AwareDatetime
    status: CommandStatus
    deliveries: int
    delivered_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    result: dict[str, Any] | None = None


class CommandList(BaseModel):
    commands: list[CommandInfo]


class SiteSettings(BaseModel):
    """``GET /api/v1/sites/{site_id}/settings``: the centrally managed part of a site
    profile (``kiosk.config.model.CentralSettings``: catalog subset, branding, idle)."""

    site_id: str
    version: int
    digest: str
    settings: dict[str, Any]


class StoredBundle(BaseModel):
    sha256: str
    size: int
