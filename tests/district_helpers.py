"""Districts and using units stored straight into the database, for the tests that need them."""

from __future__ import annotations

from service.db import db_session
from service.models import District, Unit

PLACES = {"东城区": ("京安建筑有限公司", "东华起重设备公司"), "西城区": ("西四机电安装公司",), "朝阳区": ()}


def add_places(places: dict[str, tuple[str, ...]] = PLACES) -> dict[str, Unit]:
    """The districts in `places` (in order) with their units, committed; returns the units by name."""
    session = db_session()
    units = {}
    for district_name, unit_names in places.items():
        district = District(name=district_name)
        session.add(district)
        session.flush()
        for unit_name in unit_names:
            units[unit_name] = Unit(district_id=district.id, name=unit_name)
            session.add(units[unit_name])
    session.commit()
    return units
