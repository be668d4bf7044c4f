"""One certificate number across stored checks: the sightings the DUPLICATE_NUMBER rule looks up, and
the update of every check of a number's group once another check of it is stored.

A check keeps the number it read with enough confidence in the indexed `Check.number` column; the
holder's name and ID number come from its contract, where a value read below the threshold is null.
"""

from __future__ import annotations

import logging

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from service.models import Check, CheckState
from verification.facts import Sighting
from verification.verify import duplicates_judged_again

log = logging.getLogger(__name__)

CODE = "DUPLICATE_NUMBER"


class SqlSightings:
    """Stored checks as the duplicates rule sees them (`verification.facts.SightingLookup`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def find(self, scheme: str, number: str) -> list[Sighting]:
        return [sighting_of(check) for check in self._session.scalars(group_query(scheme, number))]


def group_query(scheme: str, number: str) -> Select[tuple[Check]]:
    return (select(Check).where(Check.scheme == scheme, Check.number == number, Check.state == CheckState.done)
            .order_by(Check.id))


def sighting_of(check: Check) -> Sighting:
    fields = (check.result or {}).get("fields", {})
    return Sighting(check.id, check.scheme, check.number, fields.get("name"), fields.get("id_number"))


def flag_duplicates(session: Session, check: Check) -> list[Check]:
    """Judge DUPLICATE_NUMBER again on every stored check of `check`'s number, and commit what changed.

    Earlier checks of a number learn of a later holder here; their verdict is decided again, so they
    enter the review queue. Returns the checks whose contract changed. Call it after `check` is
    committed: then of two checks of one number stored at once, the one that runs this last sees both.
    """
    if check.scheme is None or check.number is None:
        return []
    query = group_query(check.scheme, check.number)
    # Lock the group (PostgreSQL; SQLite has one writer anyway), then read it again: rows committed
    # while we waited for the lock are in the second read, so no update is lost.
    session.scalars(query.with_for_update()).all()
    group = session.scalars(query.execution_options(populate_existing=True)).all()
    sightings = [sighting_of(member) for member in group]
    changed = []
    for member, own in zip(group, sightings, strict=True):
        result = duplicates_judged_again(member.result, own, sightings)
        if result != member.result:
            member.result, member.verdict = result, result["verdict"]
            changed.append(member)
    session.commit()
    if changed:
        log.info("check %d: %s judged again on checks %s", check.id, CODE, [member.id for member in changed])
    return changed
