"""The `registry` command line: serve, db, import, demo (and more as capabilities land); one transaction a command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from registry import schema
from registry.catalogue.loader import load_reference_data
from registry.catalogue.service import import_occupations
from registry.db import get_engine, session_scope
from registry.errors import DomainError
from registry.settings import get_settings
from registry.tabular import read_table

app = typer.Typer(help="新八级工 Registry command line.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
import_app = typer.Typer(help="Bulk imports (all-or-nothing).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")


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
    with session_scope(get_engine(settings.database_url)) as session:
        changed = load_reference_data(session)
    touched = ", ".join(f"{table} {n}" for table, n in changed.items() if n) or "nothing changed"
    typer.echo(f"schema at {schema.head_revision()}; reference data: {touched}")


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
        with session_scope(get_engine(settings.database_url)) as session:
            report = import_occupations(session, rows)
    except DomainError as error:
        _fail(error)
        return
    typer.echo(f"{len(rows)} rows: {report.created} created, {report.updated} updated")


@app.command("demo")
def demo() -> None:
    """Load realistic demo data (idempotent) and print where to look."""
    from api.demo import load_demo

    migrate_and_load()
    settings = get_settings()
    with session_scope(get_engine(settings.database_url)) as session:
        lines = load_demo(session, settings)
    for line in lines:
        typer.echo(line)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    migrate: Annotated[bool, typer.Option(help="migrate and load reference data first")] = True,
) -> None:
    """Serve the API and pages (migrates the database first)."""
    import uvicorn

    if migrate:
        migrate_and_load()
    base = f"http://{host}:{port}"
    typer.echo(f"新八级工 Registry on {base}")
    typer.echo(f"  home        {base}/")
    typer.echo(f"  API docs    {base}/docs")
    typer.echo(f"  grades      {base}/api/v1/grades")
    typer.echo(f"  比照 look-up {base}/api/v1/equivalences?grade=technician")
    sys.stdout.flush()
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


def main() -> None:
    """Entry point of the `registry` console script."""
    app()
