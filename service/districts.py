"""Districts (区县) and their using units: admins keep the list, whoever uploads a card or a batch picks one.

A unit belongs to one district, so picking the unit places a check in both. Picking is required once any
unit exists; before that (a fresh install, the CLI) checks simply have none and no report counts them.
Nothing is ever deleted: checks and ledgers refer to these rows.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload
from wtforms import SelectChoice

from service import audit
from service.models import AuditAction, District, Unit

NAME_LENGTH = {"district": District.name.type.length, "unit": Unit.name.type.length}


class NameRefused(ValueError):
    """A district or unit name that cannot be added; the message says why."""


def all_districts(session: Session) -> list[District]:
    """Every district with its units, in the order they were added (the forms' row order)."""
    return list(session.scalars(select(District).order_by(District.id).options(selectinload(District.units))))


def add_district(session: Session, name: str) -> District:
    """Add a district (committed with its audit row)."""
    name = clean_name(name, "district")
    if session.scalar(select(exists().where(District.name == name))):
        raise NameRefused(f"The district {name} exists already.")
    district = District(name=name)
    session.add(district)
    session.flush()
    audit.record(AuditAction.edit, object_type="district", object_id=district.id, detail={"added": name})
    return district


def add_unit(session: Session, district: District, name: str) -> Unit:
    """Add a using unit to `district` (committed with its audit row)."""
    name = clean_name(name, "unit")
    if session.scalar(select(exists().where(Unit.district_id == district.id, Unit.name == name))):
        raise NameRefused(f"{district.name} has a unit named {name} already.")
    unit = Unit(district_id=district.id, name=name)
    session.add(unit)
    session.flush()
    audit.record(AuditAction.edit, object_type="unit", object_id=unit.id,
                 detail={"added": name, "district": district.name})
    return unit


def clean_name(name: str, what: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise NameRefused(f"Give the {what}'s name.")
    if len(name) > NAME_LENGTH[what]:
        raise NameRefused(f"A {what}'s name is at most {NAME_LENGTH[what]} characters long.")
    return name


def units_exist(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Unit.id.is_not(None)))))


def unit_choices(session: Session) -> list[SelectChoice]:
    """The upload forms' unit picker: a prompt, then each district's units under the district's name."""
    choices = [SelectChoice("", "Choose the using unit 选择使用单位")]
    for district in all_districts(session):
        choices += [SelectChoice(str(unit.id), unit.name, optgroup=district.name) for unit in district.units]
    return choices


def unit_from_field(session: Session, value: str | None) -> Unit | None:
    """The unit an upload names by id; None when it names none. Raises NameRefused for an unknown id, or
    when none is named but units exist (then every upload must say where it was made)."""
    value = (value or "").strip()
    if not value:
        if units_exist(session):
            raise NameRefused("Choose the using unit (and so the district) where the card was checked.")
        return None
    unit = session.get(Unit, int(value)) if value.isdigit() else None
    if unit is None:
        raise NameRefused(f"There is no using unit {value!r}.")
    return unit
