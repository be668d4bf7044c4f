"""The `certguard` command: serve, run job workers, manage users, import registers, scan folders and
archives, read QR codes."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, pass_script_info
from huey.consumer import Consumer
from sqlalchemy import select

from ocr.load import ImageRejected, load_image
from ocr.qr import decode_qr
from service import create_app
from service.archives import ARCHIVE_KINDS, ArchiveLimits, ArchiveRejected, expand, sniff_file
from service.auth import bootstrap_admin, create_user, issue_token
from service.batches import archive_limits
from service.db import alembic_config, close_session, db_session, get_engine, upgrade
from service.jobs import HEALTH_CHECK_SECONDS, MAX_POLL_SECONDS, get_jobs, limit_worker_threads
from service.models import Check, Role, User
from service.pipeline import get_kinds, run_check
from service.registry import RegisterFileError, import_records, read_register_csv
from verification.facts import DictRegister, RegisterRecord

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})
ARCHIVE_SUFFIXES = frozenset({".zip", ".pdf", ".tif", ".tiff"})  # expanded into their pages and images
CLI_USER = "cli"  # owns the checks `certguard scan` stores
STORED_BATCH = 500  # check ids per query when a scan's lines are read back


@click.group(cls=AppGroup)
def cli() -> None:
    """certguard: screen photos of work-safety operator certificates for counterfeits."""


def main() -> None:
    """Console script entry point (`certguard`)."""
    cli.main(prog_name="certguard", obj=ScriptInfo(create_app=create_app, set_debug_flag=False))


@cli.command(with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", 8000)), show_default="$PORT or 8000")
@pass_script_info
def serve(info: ScriptInfo, host: str, port: int) -> None:
    """Serve the pages and the API, and run queued jobs, with gunicorn."""
    from service.server import Server

    configure_logging()
    app = info.load_app()
    with app.app_context():
        password = bootstrap_admin()
        close_session()
    if password:
        click.echo(f"Created the administrator account. Log in at http://{host}:{port}/login "
                   f"as 'admin' with the password: {password}\n(This is shown only once.)")
    get_engine(app).dispose()  # the worker process opens its own connections after the fork
    Server(app, host, port).run()


@cli.command(with_appcontext=False)
@click.option("--processes", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many jobs to run at once, each in its own process.")
@pass_script_info
def worker(info: ScriptInfo, processes: int) -> None:
    """Run queued jobs (a Huey consumer) until stopped with Ctrl-C or SIGTERM.

    Each process reads with one thread per library (see `limit_worker_threads`): give as many
    processes as cores. A process that dies is replaced and unfinished batches are resumed.
    """
    configure_logging()
    limit_worker_threads()
    app = info.load_app()
    get_engine(app).dispose()  # forked job processes must not share the parent's connections
    with app.app_context():
        consumer = Consumer(get_jobs().huey, workers=processes, worker_type="process", periodic=False,
                            max_delay=MAX_POLL_SECONDS, health_check_interval=HEALTH_CHECK_SECONDS)
    consumer.run()


@cli.group()
def users() -> None:
    """Manage user accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--password", help="Password for the pages; without one the account can use only the API.")
@click.option("--token", is_flag=True, help="Also create an API token and print it (shown once).")
def add_user(name: str, role: str, password: str | None, token: bool) -> None:
    """Add the user NAME."""
    try:
        user = create_user(name, role, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created user {user.username!r} ({user.role})"
               + ("." if password else "; no password, so it cannot log in to the pages."))
    if token:
        click.echo("API token (shown once):", err=True)
        click.echo(issue_token(user))


@cli.group()
def registry() -> None:
    """Issuing authorities' register extracts."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_register(file: Path) -> None:
    """Import a register CSV: scheme,number,name,id_number,category,item,first_issued,valid_until,authority,status.

    Rows are added or replace the row with the same scheme and number. One bad row and nothing is imported.
    """
    records = read_register(file)
    counts = import_records(db_session(), records, source_file=file.name)
    click.echo(f"Imported {len(records)} register rows from {file.name}: "
               f"{counts.added} new, {counts.updated} updated.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.File("w", encoding="utf-8"), required=True,
              help="Where to write one JSON line per image ('-' for stdout).")
@click.option("--registry", "registry_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Judge against this register CSV instead of the imported register.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Judge validity on this date (YYYY-MM-DD) instead of today.")
def scan(paths: tuple[Path, ...], out: IO[str], registry_file: Path | None, as_of: datetime | None) -> None:
    """Screen image files, ZIP archives, PDFs, TIFFs and folders of them (recursively, in sorted order),
    storing each check like an upload; a progress bar runs on stderr.

    Every page or image of an archive is one line, its `source` the archive's path followed by its
    place inside (`cards.zip!/dir/p1.pdf#page=3`). An unusable file or page gets a line with its
    error and the scan goes on. The lines are written at the end, as stored then: a later image can
    flag an earlier one (DUPLICATE_NUMBER).
    """
    register = DictRegister(read_register(registry_file)) if registry_file else None
    user = system_user(CLI_USER)
    limits = archive_limits()
    files = list(find_images(paths))
    lines = []
    with (tempfile.TemporaryDirectory(prefix="scan-", dir=current_app.config["CERTGUARD_DATA_DIR"]) as work,
          click.progressbar(length=len(files), label="Scanning", file=sys.stderr) as progress):

        def planned(count: int) -> None:
            progress.length += count - 1  # an archive's lines take the place of the one counted for its file

        for path in files:
            for line in scan_file(path, limits, Path(work), planned=planned, user=user,
                                  as_of=as_of.date() if as_of else None, register=register):
                lines.append(line)
                progress.update(1)
    verdicts: dict[str, int] = {}
    for line in as_stored(lines):
        outcome = line.get("verdict", "error")
        verdicts[outcome] = verdicts.get(outcome, 0) + 1
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(verdicts.items())) or "no images"
    click.echo(f"Scanned {sum(verdicts.values())} images: {summary}.", err=True)


def scan_file(path: Path, limits: ArchiveLimits, work_dir: Path, *, planned: Callable[[int], object], user: User,
              as_of: date | None, register: DictRegister | None) -> Iterator[dict[str, Any]]:
    """The lines of one file: an image's, or one per item of an archive (one error line if it is refused).

    An archive is read once: `planned` is told how many lines it gives as soon as that is known, before the first.
    """
    if not is_archive(path):
        yield scan_one(path, user=user, as_of=as_of, register=register)
        return
    with ExitStack() as stack:
        try:
            expansion = stack.enter_context(expand(path, path.name, limits, work_dir))
        except ArchiveRejected as refused:
            yield {"source": str(path),
                   "error": {"code": refused.code, "message": refused.message, "stage": refused.stage}}
            return
        planned(len(expansion.origins))
        for item in expansion.items:
            source = str(path.parent / item.origin)
            if item.data is None:
                yield {"source": source, "error": {"code": item.error_code, "message": item.error_message}}
            else:
                yield scan_data(item.data, source=source, original_name=path.name, user=user, as_of=as_of,
                                register=register)


def is_archive(path: Path) -> bool:
    """Whether the file's bytes are a ZIP, PDF or TIFF (its name does not decide)."""
    try:
        return sniff_file(path) in ARCHIVE_KINDS
    except OSError:
        return False  # scanned as an image, whose line then says why it could not be read


def scan_one(path: Path, *, user: User, as_of: date | None, register: DictRegister | None) -> dict[str, Any]:
    """One image's contract line, or a line naming why it could not be screened."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {"source": str(path), "error": {"code": "unreadable", "message": exc.strerror or str(exc)}}
    return scan_data(data, source=str(path), original_name=path.name, user=user, as_of=as_of, register=register)


def scan_data(data: bytes, *, source: str, original_name: str, user: User, as_of: date | None,
              register: DictRegister | None) -> dict[str, Any]:
    """The contract line of one image's check, or why it could not be screened."""
    try:
        check = run_check(data, source=source, original_name=original_name, user=user, as_of=as_of,
                          register=register)
    except ImageRejected as rejected:
        return {"source": source, "error": {"code": rejected.code, "message": rejected.message}}
    except OSError as exc:
        return {"source": source, "error": {"code": "unreadable", "message": exc.strerror or str(exc)}}
    return check.to_contract()


def as_stored(lines: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each check's line with its contract as the database holds it now; error lines as they are."""
    session = db_session()
    ids = [line["id"] for line in lines if "id" in line]
    contracts: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), STORED_BATCH):
        query = select(Check).where(Check.id.in_(ids[start:start + STORED_BATCH]))
        query = query.execution_options(populate_existing=True)  # flagged since: read the stored row again
        contracts.update((check.id, check.to_contract()) for check in session.scalars(query))
    for line in lines:
        yield contracts[line["id"]] if "id" in line else line


@cli.command(with_appcontext=False)
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def qr(images: tuple[Path, ...]) -> None:
    """Decode the QR symbols in IMAGE files: one JSON line each, {"source", "payloads"}.

    No database and no OCR, so it answers quickly where a full scan would not. An unusable file gets
    a line with its error, the others are still read, and the exit status is 1.
    """
    failed = False
    for path in images:
        line = qr_one(path)
        failed |= "error" in line
        click.echo(json.dumps(line, ensure_ascii=False))
    if failed:
        raise SystemExit(1)


def qr_one(path: Path) -> dict[str, Any]:
    """One image's payloads, exactly as decoded, or why it could not be read."""
    try:
        loaded = load_image(path.read_bytes())
    except ImageRejected as rejected:
        return {"source": str(path), "error": {"code": rejected.code, "message": rejected.message}}
    except OSError as exc:
        return {"source": str(path), "error": {"code": "unreadable", "message": exc.strerror or str(exc)}}
    return {"source": str(path), "payloads": [payload.text for payload in decode_qr(loaded.image).payloads]}


def find_images(paths: Iterable[Path]) -> Iterator[Path]:
    """Each path given; for a folder, the image and archive files below it, sorted (hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                found for found in path.rglob("*")
                if found.is_file() and found.suffix.lower() in IMAGE_SUFFIXES | ARCHIVE_SUFFIXES
                and not any(part.startswith(".") for part in found.relative_to(path).parts)
            )
        else:
            yield path


def read_register(file: Path) -> list[RegisterRecord]:
    try:
        return read_register_csv(file, get_kinds())
    except RegisterFileError as exc:
        raise click.ClickException(f"{file.name} was not imported:\n" + "\n".join(exc.errors)) from None


def system_user(username: str) -> User:
    """An account that owns automated work; it has no password, so nobody can log in as it."""
    user = db_session().scalars(select(User).where(User.username == username)).one_or_none()
    return user or create_user(username, Role.inspector)


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest revision."""
    upgrade(current_app.config["CERTGUARD_DATABASE_URL"])
    click.echo("The database schema is up to date.")


@db.command("revision")
@click.argument("message")
def db_revision(message: str) -> None:
    """Write a new migration script from the difference between the models and the database."""
    from alembic import command

    command.revision(alembic_config(current_app.config["CERTGUARD_DATABASE_URL"]), message=message,
                     autogenerate=True)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
