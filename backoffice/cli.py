"""``scripts/backoffice``: serve, register terminals, staff operations, export OpenAPI.

    serve [--host H] [--port P] [--database-url URL] [--data-dir DIR] [--workers N] [--docs]
    terminal add ID --secret-file FILE [--prefix P] [--suite hmac-sha256|hmac-sm3]
    terminal rotate ID --secret-file NEW [--suite S] [--grace-hours H]
                                           (creates FILE, 32 random bytes hex, 0600, if missing;
                                            P: the kiosk's reference prefix, owned by ID alone)
    terminal list | remove ID
    staff-account add NAME --role staff|technician|admin | list | remove NAME
                                           (add prints the account's token once)
    staff list [--status S] | show CASE | transition CASE TO [--note N] [--staff NAME]
    staff receive-material CASE CODE [--note N] [--staff NAME]
    identity-code issue --id-number N --name NAME [--sex 1|2] [--nation 01] [--birth D]
        [--address A] [--card-type resident] [--valid-to D | --long-term] [--photo JPEG]
        [--ttl S] [--json]                 (亮码 for tests and demos: prints the code once)
    catalog publish DIR [--by NAME] | list (validated by the kiosk's own loader; the
                                           newest published catalog is served)
    settings publish SITE FILE [--by NAME] | list
                                           (FILE: a site profile; its catalog subset,
                                            branding and idle timeouts become SITE's next version)
    command add TERMINAL KIND [--reason TEXT] | list TERMINAL [--limit N]
                                           (KIND: enter_maintenance --reason, leave_maintenance,
                                            print_test_page, upload_diagnostics, resync_catalog,
                                            restart_app; pulled by the terminal's heartbeat)
    export-openapi [--output FILE]         (default backoffice/openapi.json; "-" for stdout)

The database is ``--database-url``, else ``DATABASE_URL``, else a SQLite file
in the data directory (``--data-dir``, ``BACKOFFICE_DATA_DIR``, var/backoffice).
Staff commands work on the database directly, so they need no running server.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from backoffice import assist, commands, db, fleet, staffauth, staffops
from backoffice.errors import ApiError
from backoffice.keystore import SecretBox, private_file, private_umask, secure_data_dir
from backoffice.schemas import CaseState, TransitionRequest
from backoffice.settings import REPO_ROOT, Settings
from kiosk.submission import signing

OPENAPI_PATH = REPO_ROOT / "backoffice" / "openapi.json"


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        database_url=getattr(args, "database_url", None),
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        catalog_dir=Path(args.catalog_dir) if getattr(args, "catalog_dir", None) else None,
        docs=True if getattr(args, "docs", False) else None,
    )


def open_sessions(settings: Settings) -> sessionmaker[Session]:
    secure_data_dir(settings.data_dir)
    engine = db.make_engine(settings.effective_database_url)
    if db.is_sqlite(engine) and engine.url.database:
        private_file(Path(engine.url.database))
    db.create_schema(engine)
    return db.make_sessionmaker(engine)


def _database(args: argparse.Namespace) -> tuple[Settings, sessionmaker[Session]]:
    """A database command's settings and the sessions of its database, opened."""
    settings = _settings(args)
    return settings, open_sessions(settings)


def _print(model: BaseModel) -> None:
    print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2))


def read_or_create_secret(path: Path) -> str:
    """The terminal secret in ``path`` (64 hex characters); created 0600 when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
    text = path.read_text().strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise SystemExit(f"{path}: expected 32 bytes as 64 hex characters")
    return text


def cmd_serve(args: argparse.Namespace) -> int:
    from backoffice.server import serve, serve_workers

    settings, factory = _database(args)
    has_accounts = bool(staffauth.accounts(factory))
    factory.kw["bind"].dispose()  # the server opens its own engines
    if not has_accounts:
        print("note: no staff accounts yet; the staff HTTP routes answer 401 until one is "
              "added (scripts/backoffice staff-account add NAME --role admin)", file=sys.stderr)
    if args.workers > 1:
        serve_workers(settings, args.host, args.port, args.workers)
    else:
        serve(settings, host=args.host, port=args.port)
    return 0


def cmd_terminal(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    if args.terminal_cmd == "add":
        secret = read_or_create_secret(Path(args.secret_file))
        new = staffops.register_terminal(factory, args.id, secret, settings.clock.now(),
                                         SecretBox.from_file(settings.master_key_path),
                                         prefix=args.prefix, suite=args.suite)
        print(f"terminal {args.id} {'registered' if new else 'secret replaced'}"
              + (f", reference prefix {args.prefix}" if args.prefix else ""))
    elif args.terminal_cmd == "rotate":
        secret = read_or_create_secret(Path(args.secret_file))
        staffops.rotate_terminal_secret(
            factory, args.id, secret, settings.clock.now(),
            SecretBox.from_file(settings.master_key_path),
            grace=timedelta(hours=args.grace_hours), actor=_cli_actor(), suite=args.suite)
        print(f"terminal {args.id}: new secret from {args.secret_file}"
              + (f", suite {args.suite}" if args.suite else "")
              + f"; the old one still signs for {args.grace_hours:g} h")
    elif args.terminal_cmd == "remove":
        staffops.remove_terminal(factory, args.id, settings.clock.now(), _cli_actor())
        print(f"terminal {args.id} removed")
    else:
        _print(staffops.terminals(factory))
    return 0


def _cli_actor() -> str:
    """Who the audit log names for a CLI command: the operating-system account."""
    return f"cli:{os.environ.get('USER') or os.getuid()}"


def cmd_account(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    if args.account_cmd == "add":
        token = staffauth.add_account(factory, args.name, args.role, settings.clock.now())
        print(token)
        print(f"staff account {args.name} ({args.role}): the token above is shown once; "
              "hand it to the person, it is not stored", file=sys.stderr)
    elif args.account_cmd == "remove":
        staffauth.remove_account(factory, args.name)
        print(f"staff account {args.name} removed", file=sys.stderr)
    else:
        for name, role in staffauth.accounts(factory):
            print(f"{name}\t{role}")
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    now = settings.clock.now()
    if args.staff_cmd == "list":
        status = CaseState(args.status) if args.status else None
        for case in staffops.list_cases(factory, status).cases:
            owed = f" owed={','.join(m.code for m in case.owed_materials)}" \
                if case.owed_materials else ""
            print(f"{case.case_number}  {case.status.value:<17} {case.item_code:<16} "
                  f"{case.kiosk_ref}  {case.applicant.name} {case.applicant.id_number}{owed}")
    elif args.staff_cmd == "show":
        _print(staffops.show(factory, args.case))
    elif args.staff_cmd == "transition":
        req = TransitionRequest(to=CaseState(args.to), note=args.note, staff=args.staff)
        _print(staffops.transition(factory, args.case, req, now,
                                   fleet.CatalogStore(factory), actor=_cli_actor(),
                                   staff=args.staff))
    else:
        _print(staffops.receive_material(factory, args.case, args.code, now,
                                         actor=_cli_actor(), staff=args.staff, note=args.note))
    return 0


def cmd_assist(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    if args.assist_cmd == "close":
        _print(assist.close_request(factory, args.id, settings.clock.now(),
                                    actor=_cli_actor(), staff=args.staff))
        return 0
    for r in assist.open_requests(factory, include_closed=args.all).requests:
        closed = f"  closed {r.closed_at:%H:%M} by {r.closed_by}" if r.closed_at else ""
        print(f"{r.id:>5} {r.number}  {r.created_at:%Y-%m-%d %H:%M}  {r.terminal_id:<16} "
              f"{r.item_code or '-':<16} {r.step}{closed}")
    return 0


def cmd_identity_code(args: argparse.Namespace) -> int:
    """``identity-code issue``: a code as the provincial platform would put in the
    citizen's QR (the real platform issues real ones; this is for tests and demos)."""
    from datetime import date

    from pydantic import ValidationError

    from backoffice import identitycodes
    from backoffice.schemas import CodeIdentity

    settings, factory = _database(args)
    try:
        identity = CodeIdentity(
            card_type=args.card_type, name=args.name, id_number=args.id_number.upper(),
            sex=args.sex, nation=args.nation, address=args.address,
            birth=date.fromisoformat(args.birth) if args.birth else None,
            valid_to=date.fromisoformat(args.valid_to) if args.valid_to else None,
            long_term=args.long_term)
    except (ValidationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    photo = Path(args.photo).read_bytes() if args.photo else None
    try:
        issued = identitycodes.issue(factory, SecretBox.from_file(settings.master_key_path),
                                     identity, settings.clock.now(), ttl_s=args.ttl,
                                     photo_jpeg=photo)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"code": issued.code, "issued_at": issued.issued_at.isoformat(),
                          "expires_at": issued.expires_at.isoformat()}))
    else:
        print(issued.code)
        print(f"valid until {issued.expires_at.isoformat()} ({args.ttl} s), once",
              file=sys.stderr)
    return 0


def cmd_catalog(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    now = settings.clock.now()
    if args.catalog_cmd == "publish":
        ref, new = fleet.publish_catalog(factory, Path(args.dir), now,
                                         by=args.by or _cli_actor())
        print(f"catalog {ref.version} ({ref.digest[:16]}) "
              + ("published: terminals fetch it at their next heartbeat" if new
                 else "is already the current one; nothing changed"))
        return 0
    for row in fleet.catalog_versions(factory):
        print(f"{row['id']:>5}  {row['published_at']:%Y-%m-%d %H:%M}  {row['version']:<24} "
              f"{row['digest'][:16]}  {row['published_by']}  {row['source']}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    if args.settings_cmd == "publish":
        ref, new = fleet.publish_settings(factory, args.site, Path(args.file),
                                          settings.clock.now(), by=args.by or _cli_actor())
        print(f"settings of {ref.site_id}: version {ref.version} "
              + ("published" if new else "is already current; nothing changed"))
        return 0
    for ref in fleet.settings_versions(factory):
        print(f"{ref.site_id:<24} v{ref.version:<5} {ref.digest[:16]}")
    return 0


def cmd_command(args: argparse.Namespace) -> int:
    settings, factory = _database(args)
    with db.transaction(factory) as session:
        if args.command_cmd == "add":
            cmd_args = {"reason": args.reason} if args.reason is not None else {}
            _print(commands.enqueue_command(session, args.terminal, args.kind, cmd_args,
                                            _cli_actor(), now=settings.clock.now()))
            return 0
        for c in commands.list_commands(session, args.terminal, args.limit):
            result = c.result or {}
            print(f"{c.id}  {c.requested_at:%Y-%m-%d %H:%M}  {c.kind:<19} {c.status:<9} "
                  f"x{c.deliveries}  {result.get('detail', '')}")
    return 0


def cmd_export_openapi(args: argparse.Namespace) -> int:
    text = openapi_text()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def openapi_text() -> str:
    """The OpenAPI document as committed: stable key order, trailing newline."""
    from backoffice.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)))
        doc = app.openapi()
        app.state.engine.dispose()
        app.state.fast_engine.dispose()
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _database_options() -> argparse.ArgumentParser:
    """The options of every command that works on the database (a parent parser)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--database-url",
                         help="SQLAlchemy URL (default: DATABASE_URL or SQLite)")
    options.add_argument("--data-dir", help="blobs and the SQLite file (default var/backoffice)")
    return options


class _Group:
    """A command with subcommands (``terminal add``, ``staff list``…), each of which works
    on the database; ``args.func`` is the group's handler, ``args.<dest>`` the subcommand."""

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser],
                 name: str, help: str, dest: str,
                 func: Callable[[argparse.Namespace], int]) -> None:
        group = sub.add_parser(name, help=help)
        group.set_defaults(func=func)
        self._sub = group.add_subparsers(dest=dest, required=True)
        self._db = _database_options()

    def add(self, name: str, help: str) -> argparse.ArgumentParser:
        command: argparse.ArgumentParser = self._sub.add_parser(name, help=help,
                                                                parents=[self._db])
        return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/backoffice", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    user = os.environ.get("USER", "")

    serve = sub.add_parser("serve", help="run the HTTP server (uvicorn)",
                           parents=[_database_options()])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--catalog-dir", help="catalog YAML directory (default config/catalog)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes on one socket and one database (default 1)")
    serve.add_argument("--docs", action="store_true",
                       help="serve /docs, /redoc and /openapi.json (development only)")
    serve.set_defaults(func=cmd_serve)

    terminal = _Group(sub, "terminal", "register terminals", "terminal_cmd", cmd_terminal)
    add = terminal.add("add", "register a terminal with the secret in FILE")
    add.add_argument("id")
    add.add_argument("--secret-file", required=True)
    add.add_argument("--suite", choices=sorted(signing.SUITES),
                     help="request signing: hmac-sha256 (default) or hmac-sm3 (GB/T 32905); "
                     "the kiosk's backoffice.suite must match")
    add.add_argument("--prefix", help="the kiosk's terminal.ref_prefix (2-4 of A-Z 0-9); "
                     "references with it are accepted from this terminal only")
    rot = terminal.add("rotate", "a new secret (FILE, created when missing); the "
                       "old one keeps signing for the grace period")
    rot.add_argument("id")
    rot.add_argument("--secret-file", required=True)
    rot.add_argument("--suite", choices=sorted(signing.SUITES),
                     help="switch the signing suite with the new secret (e.g. to hmac-sm3)")
    rot.add_argument("--grace-hours", type=float, default=24.0,
                     help="how long the old secret still signs (default 24)")
    terminal.add("list", "terminals and their last heartbeat")
    terminal.add("remove", "unregister a terminal (stolen, retired)").add_argument("id")

    account = _Group(sub, "staff-account", "per-person staff logins and roles", "account_cmd",
                     cmd_account)
    acc_add = account.add("add", "create or re-key NAME; prints its token once")
    acc_add.add_argument("name")
    acc_add.add_argument("--role", required=True, choices=staffauth.ROLES)
    account.add("remove", "delete NAME (its token stops working)").add_argument("name")
    account.add("list", "accounts and roles")

    staff = _Group(sub, "staff", "case work (直接操作数据库)", "staff_cmd", cmd_staff)
    staff.add("list", "cases, newest first").add_argument(
        "--status", choices=[s.value for s in CaseState])
    staff.add("show", "one case").add_argument("case")
    tr = staff.add("transition", "move a case to another status")
    tr.add_argument("case")
    tr.add_argument("to", choices=[s.value for s in CaseState])
    rec = staff.add("receive-material", "mark an owed (容缺/补正) material received")
    rec.add_argument("case")
    rec.add_argument("code")
    for p in (tr, rec):
        p.add_argument("--note", default="")
        p.add_argument("--staff", default=user)

    help_calls = _Group(sub, "assist", "呼叫工作人员: open assistance requests", "assist_cmd",
                        cmd_assist)
    help_calls.add("list", "open requests, the one waiting longest first").add_argument(
        "--all", action="store_true", help="the last 200, closed ones too")
    hclose = help_calls.add("close", "someone is at the terminal: close the request")
    hclose.add_argument("id", type=int)
    hclose.add_argument("--staff", default=user)

    codes = _Group(sub, "identity-code", "亮码: identity codes for tests and demos", "code_cmd",
                   cmd_identity_code)
    iss = codes.add("issue", "a short-lived, single-use code for an identity")
    iss.add_argument("--id-number", required=True)
    iss.add_argument("--name", required=True)
    iss.add_argument("--sex", default="0", choices=("0", "1", "2", "9"),
                     help="GB/T 2261.1: 1 male, 2 female")
    iss.add_argument("--nation", default="", help="GB 3304 code, e.g. 01 (汉)")
    iss.add_argument("--birth", help="YYYY-MM-DD (default: from the ID number)")
    iss.add_argument("--address", default="")
    iss.add_argument("--card-type", default="resident",
                     choices=("resident", "hmt_permit", "foreigner_2017", "foreigner_2023"))
    validity = iss.add_mutually_exclusive_group()
    validity.add_argument("--valid-to", help="the document's end date, YYYY-MM-DD")
    validity.add_argument("--long-term", action="store_true", help="长期 document")
    iss.add_argument("--photo", help="the document photo (JPEG) for the terminal's face check")
    iss.add_argument("--ttl", type=int, default=90,
                     help="seconds the code is valid (1..120, default 90)")
    iss.add_argument("--json", action="store_true",
                     help="one JSON line: code, issued_at, expires_at")

    catalog = _Group(sub, "catalog", "publish the catalog terminals fetch", "catalog_cmd",
                     cmd_catalog)
    pub = catalog.add("publish", "validate DIR/*.yaml as a kiosk does and serve it")
    pub.add_argument("dir")
    pub.add_argument("--by", help="who publishes (audit log; default the OS account)")
    catalog.add("list", "published versions, newest first")

    site_settings = _Group(sub, "settings", "publish a site's central settings", "settings_cmd",
                           cmd_settings)
    spub = site_settings.add("publish", "SITE's catalog subset, branding and idle "
                             "timeouts from the site profile FILE")
    spub.add_argument("site")
    spub.add_argument("file")
    spub.add_argument("--by")
    site_settings.add("list", "each site's current version")

    command = _Group(sub, "command", "remote commands for a terminal", "command_cmd",
                     cmd_command)
    cadd = command.add("add", "queue KIND for TERMINAL")
    cadd.add_argument("terminal")
    cadd.add_argument("kind", choices=commands.KINDS)
    cadd.add_argument("--reason", help="enter_maintenance: the reason citizens see")
    clist = command.add("list", "TERMINAL's commands, newest first")
    clist.add_argument("terminal")
    clist.add_argument("--limit", type=int, default=20)

    export = sub.add_parser("export-openapi", help="write the OpenAPI document")
    export.add_argument("--output", default=str(OPENAPI_PATH))
    export.set_defaults(func=cmd_export_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # Everything the back office writes (database, WAL, blobs, keys) is 0600/0700.
        with private_umask():
            code: int = args.func(args)
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.detail}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
