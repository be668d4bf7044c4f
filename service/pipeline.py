"""From uploaded bytes to a stored Check: analyse, keep the original, record the verdict.

`run_check` does it all while the caller waits. `queue_check` + `complete_check` split it for the
job queue: the upload is validated and stored at once, the slow reading runs in a worker. A batch
item (`service.batches`) uses the same pieces, `analyse_image`, `new_check` and `settle_check`, to
record its Check in the transaction that records the item.
"""

from __future__ import annotations

import logging
import traceback
from datetime import date
from typing import Any

from flask import Flask, current_app

from ocr.load import ImageRejected, load_image
from service.analysis import Analysis, analyse
from service.db import db_session
from service.duplicates import SqlSightings, flag_duplicates
from service.models import Check, CheckState, User
from service.registry import SqlRegister
from service.storage import get_storage
from verification.facts import Facts, RegisterLookup
from verification.kinds import Kind, load_kinds

log = logging.getLogger(__name__)

MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
NUMBER_LENGTH = Check.number.type.length  # a longer "number" is no certificate's, so it is not kept


def init_app(app: Flask) -> None:
    """Load the certificate kinds once, at start, so a broken kind file stops the app right away."""
    app.extensions["certguard.kinds"] = load_kinds(app.config["CERTGUARD_KINDS_DIR"])


def get_kinds() -> dict[str, Kind]:
    return current_app.extensions["certguard.kinds"]


def run_check(data: bytes, *, source: str, original_name: str | None, user: User, as_of: date | None = None,
              register: RegisterLookup | None = None, unit_id: int | None = None) -> Check:
    """Analyse an image, store the original and the verdict, and return the Check.

    Raises `ocr.load.ImageRejected` for input that is not a usable image; nothing is stored then.
    `register` defaults to the imported register in the database; `unit_id` is the using unit the card
    was checked at.
    """
    as_of = as_of or date.today()
    analysis = analyse_image(data, source, as_of=as_of, register=register)
    check = new_check(analysis, data, source=source, original_name=original_name, user_id=user.id, as_of=as_of,
                      unit_id=unit_id)
    session = db_session()
    session.add(check)
    session.commit()
    settle_check(check)
    return check


def analyse_image(data: bytes, source: str, *, as_of: date, register: RegisterLookup | None = None) -> Analysis:
    """Read and judge an image against the register (default: the imported one) and the stored checks."""
    session = db_session()
    facts = Facts(register=register if register is not None else SqlRegister(session),
                  sightings=SqlSightings(session))
    return analyse(data, source, kinds=get_kinds(), facts=facts, as_of=as_of)


def new_check(analysis: Analysis, data: bytes, *, source: str, original_name: str | None, user_id: int,
              as_of: date, unit_id: int | None) -> Check:
    """A done Check for an analysed image, its original stored; the caller adds and commits it
    (a batch commits it together with its item)."""
    check = Check(user_id=user_id, source=source, original_name=original_name, sha256=analysis.loaded.sha256,
                  storage_key=get_storage().put(data), media_type=MEDIA_TYPES[analysis.loaded.format], as_of=as_of,
                  unit_id=unit_id)
    record_result(check, analysis.result)
    return check


def settle_check(check: Check) -> None:
    """After a done check is committed: judge its number's duplicates again (see `flag_duplicates`)."""
    flag_duplicates(db_session(), check)
    log.info("check %d: verdict %s, scheme %s", check.id, check.verdict, check.scheme)


def queue_check(data: bytes, *, source: str, original_name: str | None, user: User,
                as_of: date | None = None, unit_id: int | None = None) -> Check:
    """Validate and store an upload as a queued Check; `complete_check` does the rest later.

    Decoding is cheap next to reading, so bad input is still refused here, while the client waits.
    """
    loaded = load_image(data)
    check = Check(user_id=user.id, source=source, original_name=original_name, sha256=loaded.sha256,
                  storage_key=get_storage().put(data), media_type=MEDIA_TYPES[loaded.format],
                  as_of=as_of or date.today(), state=CheckState.queued, unit_id=unit_id)
    session = db_session()
    session.add(check)
    session.commit()
    return check


def complete_check(check_id: int) -> None:
    """Analyse a queued check's stored original and record the verdict, or why it failed."""
    session = db_session()
    check = session.get(Check, check_id)
    if check is None or check.state != CheckState.queued:
        return  # already handled: a queue may deliver a task twice
    try:
        analysis = analyse_image(get_storage().open(check.storage_key), check.source, as_of=check.as_of)
    except ImageRejected as rejected:
        fail_check(check, rejected.code, rejected.message)
    except Exception as exc:
        # Whatever went wrong, the check must not stay "queued" for ever. The exception's message
        # may quote what was read off the card, so only its type and place are logged.
        log.error("check %d: analysis failed with %s at %s", check_id, type(exc).__name__, _where(exc))
        session.rollback()
        fail_check(check, "internal", "The image could not be analysed.")
    else:
        record_result(check, analysis.result)
        session.commit()
        settle_check(check)


def fail_check(check: Check, code: str, message: str) -> None:
    check.state, check.error_code, check.error_message = CheckState.failed, code, message
    db_session().commit()


def upload_source(filename: str | None) -> str:
    """The `source` for an upload: the client's base name, printable characters only, at most 100."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip(" .")
    return name[:100] or "upload"


def _where(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{frame.filename}:{frame.lineno}"


def record_result(check: Check, result: dict[str, Any]) -> None:
    """The contract onto the check, with the columns a check is found and judged by."""
    check.state, check.result = CheckState.done, result
    check.scheme, check.verdict = result["scheme"], result["verdict"]
    # Indexed for DUPLICATE_NUMBER; null when unread or below the confidence threshold, as in the contract.
    number = result["fields"]["number"] if result["scheme"] else None
    check.number = number if number and len(number) <= NUMBER_LENGTH else None
