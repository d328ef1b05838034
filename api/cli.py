"""The `registry` command line: serve, db, import, demo (and more as capabilities land); one transaction a command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.engine import Engine

from assessment.recognition.service import load_competition_defaults
from certificates import signing
from registry import schema
from registry.accounts.models import UserCreate
from registry.accounts.service import create_user
from registry.actor import Actor, Role
from registry.audit.service import verify_chain
from registry.catalogue.loader import load_reference_data
from registry.catalogue.service import import_occupations
from registry.clock import utcnow
from registry.db import get_engine, session_scope
from registry.errors import DomainError
from registry.settings import InvalidSettings, Settings, get_settings
from registry.tabular import read_table

if TYPE_CHECKING:
    from certificates.verification import VerificationResult

EXIT_BUSY = 75  # EX_TEMPFAIL (sysexits.h): a temporary failure, retrying later may succeed

app = typer.Typer(help="新八级工 Registry command line.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports (all-or-nothing).", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(users_app, name="users")
keys_app = typer.Typer(
    help="Certificate signing keys (files in REGISTRY_KEY_DIR, never in the database).", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
jobs_app = typer.Typer(help="Background jobs (bulk issuance, export, import).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


def _engine(settings: Settings) -> Engine:
    """The process engine for the configured database (a SQLite writer waits REGISTRY_SQLITE_BUSY_TIMEOUT_MS)."""
    return get_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def _fail(error: DomainError) -> None:
    typer.secho(f"错误 / error [{error.code}]: {error.zh}", fg=typer.colors.RED, err=True)
    typer.secho(f"  {error.en}", fg=typer.colors.RED, err=True)
    for item in error.extra.get("errors", [])[:50]:
        typer.echo(f"  line {item['line']}: {item.get('field') or ''} {item['zh']} / {item['en']}", err=True)
    raise typer.Exit(code=1)


def migrate_and_load() -> None:
    """Bring the configured database to the newest schema and load the shipped reference data."""
    settings = get_settings()
    schema.upgrade(settings.database_url)
    with session_scope(_engine(settings)) as session:
        changed = load_reference_data(session)
        changed["competition_rule"] = load_competition_defaults(session)
    touched = ", ".join(f"{table} {n}" for table, n in changed.items() if n) or "nothing changed"
    typer.echo(f"schema at {schema.head_revision()}; reference data: {touched}")
    if settings.env == "development" and not any(k.status == "active" for k in signing.list_keys(settings.key_dir)):
        key = signing.generate_key(settings.key_dir, now=utcnow())
        typer.echo(f"development signing key created: {key.kid} in {settings.key_dir}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest revision and load reference data."""
    migrate_and_load()


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="target revision, or 'base'")]) -> None:
    """Migrate the database down to REVISION."""
    schema.downgrade(get_settings().database_url, revision)
    typer.echo(f"schema at {schema.current_revision(get_settings().database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    url = get_settings().database_url
    typer.echo(f"current: {schema.current_revision(url)}  head: {schema.head_revision()}")


@db_app.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="the backup file to write (SQLite file / pg_dump custom archive)")],
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False,
) -> None:
    """Write a consistent backup of the database while it runs (SQLite online backup; PostgreSQL pg_dump -Fc).

    The signing keys (REGISTRY_KEY_DIR) are files: back them up separately, and keep both safe (personal data).
    """
    from registry.backup import backup

    settings = get_settings()
    try:
        report = backup(settings.database_url, path, force=force)
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"backup written: {report.path} ({report.kind}, {_size(report.size_bytes)}, {report.seconds:.2f} s)")


@db_app.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="a file written by `registry db backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace a database that already has tables")] = False,
) -> None:
    """Restore a backup into the configured database (refused over one with tables unless --force), then check
    the audit chain. Stop the API processes first: they keep their connections."""
    from registry.backup import restore, table_counts

    settings = get_settings()
    try:
        report = restore(settings.database_url, path, force=force)
    except DomainError as error:
        _fail(error)
        return
    counts = table_counts(settings.database_url)
    typer.echo(f"restored {report.path} in {report.seconds:.2f} s: {len(counts)} tables, {sum(counts.values())} rows")
    audit_verify()


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


@import_app.command("occupations")
def import_occupations_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or .xlsx file")],
) -> None:
    """Import the occupation catalogue from FILE; one bad row and nothing changes."""
    settings = get_settings()
    try:
        rows = read_table(
            file.read_bytes(),
            filename=file.name,
            required=("code", "name_zh", "name_en", "sector", "levels", "work_types", "standard_ref"),
            optional=("source",),
        )
        with session_scope(_engine(settings)) as session:
            report = import_occupations(session, rows)
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"{len(rows)} rows: {report.created} created, {report.updated} updated")


@import_app.command("results")
def import_results_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or .xlsx file")],
    batch_id: Annotated[str, typer.Option("--session", help="the exam batch id")],
) -> None:
    """Import a batch's results (id_number,name,component,score,assessor_card): enrols who is missing, records
    every assessor's scores; one bad row and nothing changes."""
    import uuid

    from assessment.batches.imports import RESULT_COLUMNS, RESULT_OPTIONAL, import_results, result_groups

    settings = get_settings()
    try:
        rows = read_table(file.read_bytes(), filename=file.name, required=RESULT_COLUMNS, optional=RESULT_OPTIONAL)
        with (
            session_scope(_engine(settings)) as session,
            typer.progressbar(length=result_groups(rows), label="recording scores") as bar,
        ):
            summary = import_results(
                session,
                actor=Actor.system("cli"),
                batch_id=uuid.UUID(batch_id),
                rows=rows,
                settings=settings,
                progress=bar.update,
            )
    except DomainError as error:
        _fail(error)
        return
    except ValueError:
        typer.secho(f"错误 / error: --session {batch_id!r} is not a batch id", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{summary.rows} rows: {summary.enrolled} candidates enrolled, {summary.scores} scores recorded")


@import_app.command("legacy")
def import_legacy_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or .xlsx file")],
) -> None:
    """Record certificates issued before the registry (id_number,name,occupation_code,grade,family,
    issuing_authority,original_number,awarded_on,evidence_ref[,id_type,work_type,evidence_kind,
    evidence_description]) as the regulator; one bad row and nothing changes."""
    from registry.awards.legacy import LEGACY_COLUMNS, LEGACY_OPTIONAL, import_legacy

    settings = get_settings()
    try:
        rows = read_table(file.read_bytes(), filename=file.name, required=LEGACY_COLUMNS, optional=LEGACY_OPTIONAL)
        with (
            session_scope(_engine(settings)) as session,
            typer.progressbar(length=len(rows), label="recording legacy certificates") as bar,
        ):
            summary = import_legacy(
                session, actor=Actor.system("cli"), rows=rows, settings=settings, progress=bar.update
            )
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"{summary.rows} rows: {summary.active} legacy awards recorded (they count at once)")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="login name (lower case)")],
    role: Annotated[Role, typer.Option(help="regulator, body_admin, assessor, supervisor or worker")] = Role.REGULATOR,
    body_id: Annotated[str | None, typer.Option(help="the body a body_admin belongs to")] = None,
    display_name: Annotated[str, typer.Option(help="name shown in the audit log")] = "",
    person_id: Annotated[str | None, typer.Option(help="the person a worker/assessor/supervisor account is")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="REGISTRY_NEW_PASSWORD",
            help="at least 10 characters (prompted when omitted)",
        ),
    ] = "",
) -> None:
    """Create an account; bootstraps the first regulator."""
    import uuid

    from pydantic import ValidationError

    from registry.fields import error_text

    settings = get_settings()
    try:
        data = UserCreate(
            username=username,
            role=role,
            display_name=display_name,
            password=password,
            body_id=uuid.UUID(body_id) if body_id else None,
            person_id=uuid.UUID(person_id) if person_id else None,
        )
    except ValidationError as exc:
        # Field, reason, both languages — never the value (pydantic's own text would echo the password).
        for field, zh, en in (error_text(e) for e in exc.errors(include_input=False)):
            typer.secho(f"错误 / error: {field}: {zh} / {en}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    except ValueError:
        typer.secho("错误 / error: --body-id / --person-id 应为 UUID / must be UUIDs", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    try:
        with session_scope(_engine(settings)) as session:
            user = create_user(session, actor=Actor.system("cli"), data=data, settings=settings)
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"created {user.role.value} {user.username} ({user.id})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit hash chain; exit 1 naming the first broken event."""
    settings = get_settings()
    with session_scope(_engine(settings), readonly=True) as session:
        report = verify_chain(session)
    if report.ok:
        typer.echo(f"audit chain intact: {report.checked} events, last #{report.last_seq}")
        return
    typer.secho(
        f"审计链已损坏 / audit chain BROKEN at event #{report.first_broken_seq}: {report.problem_zh} / "
        f"{report.problem_en}",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(code=1)


@keys_app.command("generate")
def keys_generate() -> None:
    """Create the first signing key (refused when one is active: rotate instead)."""
    settings = get_settings()
    try:
        key = signing.generate_key(settings.key_dir, now=utcnow())
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"created key {key.kid} (valid from {key.valid_from}) in {settings.key_dir}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Start a new signing key; the old one retires today and its certificates keep verifying."""
    settings = get_settings()
    key = signing.rotate_key(settings.key_dir, now=utcnow())
    typer.echo(f"new active key {key.kid}; earlier keys retired as of {key.valid_from}")


@keys_app.command("list")
def keys_list() -> None:
    """List the keys with status and validity window (public information only)."""
    settings = get_settings()
    keys = signing.list_keys(settings.key_dir)
    if not keys:
        typer.echo(f"no keys in {settings.key_dir} (run `registry keys generate`)")
    for key in keys:
        typer.echo(f"{key.kid}  {key.status:8}  {key.valid_from} … {key.valid_to or 'open'}")


@keys_app.command("export-jwks")
def keys_export_jwks(
    out: Annotated[Path | None, typer.Option(help="write to this file instead of standard output")] = None,
) -> None:
    """Write the public JWKS (for offline verifiers); private keys are never exported."""
    import json

    document = json.dumps(signing.jwks_document(get_settings().key_dir), ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(document)
    else:
        out.write_text(document + "\n", encoding="utf-8")
        typer.echo(f"wrote {out}")


def _echo_fields(result: VerificationResult) -> None:
    """The certificate's fields under a verification: one line, then each record part that has a value."""
    f = result.fields
    serial = f"  P{f['print_serial']:06d}" if f.get("print_serial") else ""
    typer.echo(
        f"  {f['number']}  {f['holder_name_masked']}  {f['grade_zh']}  {f['occupation_code']}  "
        f"{f['body_uscc']}  {f['issued_on']}{serial}"
    )
    for part, value in result.record_parts:
        typer.echo(f"  {part.zh} / {part.en}: {value}")


def _offline_result(
    token: str,
    *,
    jwks: Path,
    revocations: Path | None,
    status_list: list[Path],
    scope_statements: Path | None,
    max_age: Any,
) -> tuple[str, Any]:
    """Verify a printed token (revocation list) or a vc+jwt credential (status lists), then the scope proof."""
    import json

    from certificates.offline import apply_scope_proof, is_credential, verify_credential_offline
    from certificates.verification import verify_offline

    text = token.strip()
    try:
        if Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8").strip()
    except OSError:  # a token is not a file name (too long for one): take it as given
        pass
    raw = text.rsplit("/v/", 1)[-1].split("?", 1)[0]
    keys = json.loads(jwks.read_text(encoding="utf-8"))
    if is_credential(raw):
        lists = [p.read_text(encoding="utf-8").strip() for p in status_list]
        result = verify_credential_offline(raw, jwks=keys, status_lists=lists, max_age=max_age)
    else:
        listed = json.loads(revocations.read_text(encoding="utf-8")) if revocations else None
        result = verify_offline(raw, jwks=keys, revocations=listed, max_age=max_age)
    if scope_statements is not None:
        try:
            settings = get_settings()
            letters = (settings.special_letter, settings.chief_letter)
        except InvalidSettings:
            letters = ("T", "C")  # an offline machine need not be configured; these are the defaults
        statements = json.loads(scope_statements.read_text(encoding="utf-8"))
        result = apply_scope_proof(result, statements, jwks=keys, letters=letters)
    return raw, result


@app.command("verify")
def verify_command(
    token: Annotated[
        str,
        typer.Argument(help="the token or the whole /v/… URL from the QR code, or a vc+jwt credential (or its file)"),
    ],
    jwks: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="saved /.well-known/jwks.json")],
    revocations: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="saved /api/v1/verify/revocations")
    ] = None,
    status_list: Annotated[
        list[Path] | None,
        typer.Option(
            exists=True, dir_okay=False, help="saved status list credential (vc+jwt) of a credential; repeat per list"
        ),
    ] = None,
    scope_statements: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="saved /.well-known/scope-statements.json: check the scope"),
    ] = None,
    max_age_hours: Annotated[int, typer.Option(help="oldest revocation list trusted for a status")] = 168,
    holder_name: Annotated[str | None, typer.Option(help="check the holder: full name (v1 tokens only)")] = None,
    holder_id: Annotated[str | None, typer.Option(help="check the holder: ID number (v1 tokens only)")] = None,
) -> None:
    """Verify a certificate offline with saved keys (and revocation list or status lists, and scope statements).

    A printed token is checked against the revocation list; a vc+jwt credential against its status lists. With
    --scope-statements the certificate must also lie inside its issuer's approved scope on its issue date.
    Exit 0 only when valid (and, when a holder was given, it matched); 1 when not valid or the holder does not
    match; 3 when a holder check was asked for but can only be done online (v2 tokens, credentials).
    """
    import datetime as dt

    from certificates.offline import is_credential
    from certificates.verification import Verdict, check_holder_offline

    if (holder_name is None) != (holder_id is None):
        typer.secho("错误 / error: --holder-name 与 --holder-id 须同时给出 / give both", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2)
    raw, result = _offline_result(
        token,
        jwks=jwks,
        revocations=revocations,
        status_list=status_list or [],
        scope_statements=scope_statements,
        max_age=dt.timedelta(hours=max_age_hours),
    )
    holder: bool | None = None
    if holder_name is not None and holder_id is not None and result.claims is not None:
        holder = check_holder_offline(result.claims, holder_name, holder_id)
    asked = holder_name is not None and result.claims is not None
    # The first line is the answer: never "genuine and valid" when a holder check the user asked for failed or
    # could not be done — someone reading only that line must not take the certificate for the holder's.
    if asked and holder is False:
        typer.echo("持证人不一致 / Holder does NOT match")
    elif asked and holder is None:
        typer.echo("持证人未核验：此证书只能在线核验持证人 / Holder NOT checked: online only for this certificate")
    else:
        suffix = ("，持证人一致", ", holder matches") if asked and holder else ("", "")
        typer.echo(f"{result.verdict_zh}{suffix[0]} / {result.verdict_en}{suffix[1]}")
    if asked and holder is not True:
        typer.echo(f"  证书本身 / the certificate itself: {result.verdict_zh} / {result.verdict_en}")
    if asked and holder is None:
        typer.echo(
            "  在线核对 / check online: open the link and use the holder form, or POST /api/v1/verify/{token}/holder"
        )
    for check in result.checks:
        mark = {True: "✓", False: "✗", None: "?"}[check.ok]
        typer.echo(f"  {mark} {check.zh} / {check.en}")
    if result.fields:
        _echo_fields(result)
    if result.status_as_of is None and result.verdict == Verdict.STATUS_UNKNOWN:
        hint = "--status-list" if is_credential(raw) else "--revocations"
        typer.echo(f"  状态未核实：请提供 {hint} / status not checked: pass {hint}")
    if result.verdict != Verdict.VALID or holder is False:
        raise typer.Exit(code=1)
    if asked and holder is None:
        raise typer.Exit(code=3)


@app.command("demo")
def demo() -> None:
    """Load realistic demo data (idempotent) and print where to look."""
    from api.demo import load_demo

    migrate_and_load()
    settings = get_settings()
    try:
        with session_scope(_engine(settings)) as session:
            lines = load_demo(session, settings)
    except DomainError as error:
        _fail(error)
        return
    for line in lines:
        typer.echo(line)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (uvicorn --workers)")] = 1,
    migrate: Annotated[bool, typer.Option(help="migrate and load reference data first")] = True,
) -> None:
    """Serve the API and pages (migrates the database first).

    Without REGISTRY_PUBLIC_URL the public URL (links, QR codes) is this host and port, so `make run PORT=8101`
    prints and signs links that work.
    """
    import os

    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - naming a bind-all, not binding
    base = f"http://{shown}:{port}"
    os.environ.setdefault("REGISTRY_PUBLIC_URL", base)
    get_settings.cache_clear()
    if migrate:
        migrate_and_load()
    typer.echo(f"新八级工 Registry on {base}")
    if get_settings().public_base != base:
        typer.echo(f"  public URL  {get_settings().public_base} (links and QR codes)")
    typer.echo(f"  home        {base}/")
    typer.echo(f"  log in      {base}/login")
    typer.echo(f"  API docs    {base}/docs  ·  {base}/redoc")
    typer.echo(f"  grades      {base}/api/v1/grades")
    typer.echo(f"  比照 look-up {base}/api/v1/equivalences?grade=technician")
    sys.stdout.flush()
    run_uvicorn("api.app:served_app", host=host, port=port, workers=workers)


SWEEP_SECONDS = 30.0


@jobs_app.command("worker")
def jobs_worker(
    threads: Annotated[int, typer.Option(min=1, max=16, help="jobs run at once in this process")] = 1,
) -> None:
    """Run jobs from the queue at REGISTRY_JOBS_BROKER_URL (Redis) until stopped (SIGTERM / Ctrl-C).

    At start and every 30 s it also re-sends jobs a dead process left running (their lease is free), so a job
    whose worker was killed resumes here from its last committed step.
    """
    import signal
    import threading

    from dramatiq import Worker

    from api.jobs import dramatiq_actor, resume_unfinished

    settings = get_settings()
    if not settings.jobs_broker_url:
        typer.secho(
            "错误 / error: REGISTRY_JOBS_BROKER_URL 未设置 / is not set — without it jobs run inside the API process",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=2)
    actor = dramatiq_actor(settings)
    engine = get_engine(settings.database_url, threads + 2)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(actor.broker, worker_threads=threads, worker_timeout=500)
    worker.start()
    resumed = resume_unfinished(engine, lambda job_id: actor.send(str(job_id)))
    typer.echo(f"job worker running ({threads} thread(s)); resumed {len(resumed)} unfinished job(s)")
    sys.stdout.flush()
    while not stop.wait(SWEEP_SECONDS):
        resume_unfinished(engine, lambda job_id: actor.send(str(job_id)), queued=False)
    worker.stop()


WORKER_HEALTHCHECK_SECONDS = 60


def run_uvicorn(factory: str, *, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app built by factory ("module:function") the way `registry serve` does.

    The one uvicorn set-up (worker processes, log level, access log): the verification benchmark serves its bare
    baseline route through this too, so the ratio it reports compares like with like. uvicorn's own proxy-header
    handling is off (it trusts 127.0.0.1 by default): the app trusts only REGISTRY_FORWARDED_ALLOW_IPS (api.app).
    """
    import uvicorn

    from api.logs import uvicorn_log_config

    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        access_log=False,  # raw paths carry tokens, and client addresses are personal data: api.logs logs instead
        log_config=uvicorn_log_config(get_settings().log_format),
        # The supervisor kills a worker that does not answer its ping within this many seconds. uvicorn's 5 s
        # is shorter than a worker's start-up (imports) on a busy two-core machine: every worker was killed
        # before it could serve, again and again. A hung worker is still replaced, after 60 s.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def main() -> None:
    """Entry point of the `registry` console script."""
    import sqlalchemy as sa

    from registry.db import is_busy

    try:
        app()
    except InvalidSettings as error:  # the message names settings, never their values
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        sys.exit(1)
    except sa.exc.OperationalError as error:
        if not is_busy(error):
            raise
        typer.secho(
            "数据库繁忙：另一个写入者占用了写锁，未做任何修改，请稍后重试 / database busy: another writer held the "
            "write lock (REGISTRY_SQLITE_BUSY_TIMEOUT_MS); nothing was changed, retry later",
            fg=typer.colors.RED,
            err=True,
        )
        sys.exit(EXIT_BUSY)
